#!/bin/sh
# A stage of the installed-host lab run (tests/installed_host.sh), run by mint-lab.service in
# the Debian image from the lab disk (/mnt/lab); results go to /mnt/lab/out/, read back by the
# script with debugfs. Powers the machine off at the end.
lab=/mnt/lab
out=$lab/out
mkdir -p $out
stage="$(sed -n 's/.*mint_lab\.stage=\([a-z]*\).*/\1/p' /proc/cmdline)"
release="$(uname -r)"
# A step's start, in seconds since the kernel started (where the stage's time goes).
mark() { read -r up rest </proc/uptime; echo "--- ${up} s: $*"; }

install_stage() {
  mark "install stage begins"
  set -x
  # The packages, offline: every dependency is already in the image (no network device; apt
  # has no package lists, so it could not download; --no-download breaks local .debs).
  mark "apt-get install"
  apt-get install -y "$lab"/debs/mint_*.deb "$lab"/debs/mint-node_*.deb || return 1
  # The host module where DKMS installs it (built natively for this kernel by the build).
  mark "mint.ko, depmod"
  mkdir -p /lib/modules/$release/updates/dkms
  cp $lab/mint.ko /lib/modules/$release/updates/dkms/mint.ko
  depmod -a $release || return 1
  # The kernel cache as `mint kernel fetch` would leave it (no network in the lab): the 6.12
  # image and its mint_node.ko, and the metapackage's name pointing at the release.
  for k in $lab/kernels/*/; do
    rel="$(basename "$k")"
    mkdir -p /var/cache/mint/kernels/$rel
    cp "$k"vmlinuz "$k"mint_node.ko /var/cache/mint/kernels/$rel/
    case "$rel" in 6.12.*-cloud-amd64) ln -sfn "$rel" /var/cache/mint/kernels/linux-image-6.12-cloud-amd64 ;; esac
  done
  mkdir -p /etc/mint /etc/default/grub.d
  cp $lab/plan.toml /etc/mint/plan.toml
  mark "mint check, mint host-setup"
  mint check /etc/mint/plan.toml || true
  mint host-setup /etc/mint/plan.toml --yes || return 1
  cat /etc/default/grub.d/mint.cfg
  cp /boot/grub/grub.cfg $out/grub.cfg
  systemctl is-enabled mint.service
  mark "install stage ends"
}

check_stage() {
  mark "check stage begins (mint.service done)"
  cat /proc/cmdline >$out/cmdline
  systemctl status mint --no-pager -l >$out/status 2>&1
  mint ps >$out/ps 2>&1
  # Boot to nodes: from the kernel's start to mint.service active (its mint up done).
  up_us="$(systemctl show mint -p ActiveEnterTimestampMonotonic --value)"
  echo "boot to nodes: $(awk -v u="$up_us" 'BEGIN { printf "%.1f", u / 1e6 }') s after the kernel started (mint.service active)" >$out/times
  journalctl -b -u mint --no-pager -o cat | grep 'node(s) ready' >>$out/times
  uname -r >$out/uname
  echo "--- /proc/cmdline"; cat $out/cmdline
  echo "--- systemctl status mint"; cat $out/status
  echo "--- mint ps"; cat $out/ps
  echo "--- times"; cat $out/times
  journalctl -b -u mint --no-pager >$out/journal 2>&1
}

case "$stage" in
  install) install_stage >$out/install.log 2>&1; echo $? >$out/install.status; cat $out/install.log ;;
  check) check_stage >$out/check.log 2>&1; cat $out/check.log ;;
esac
# The whole boot's journal with monotonic times, for where a boot's time goes (systemd-analyze
# cannot say: the boot is not finished while this stage, part of it, runs).
journalctl -b -o short-monotonic --no-pager >$out/$stage.journal 2>&1
sync
umount $lab
systemctl poweroff --force --force
