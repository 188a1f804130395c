#!/usr/bin/env bash
# Proof in the lab (issue 20 item 7, docs/packaging.md "Proof in the lab"): a lab host that is
# a real Debian bookworm system with systemd installs the built packages with apt, writes the
# host's boot options with mint host-setup, boots again with them, and mint.service brings up
# the two nodes of tests/installed_host/plan.toml (alpha on the host's 6.1 kernel, beta on
# Debian's 6.12 cloud kernel from the kernel cache).
#
#   tests/installed_host.sh BUILD_DIR
#
# The root image (scripts/installed-host-image: Debian bookworm, systemd, the cache's 6.1 cloud
# kernel package) is built by scripts/setup into the build's MINT_CACHE/installed-host; this
# script never builds it, since the lab has no network: a missing
# or stale image is a failure that says to run scripts/setup. Each run boots a copy-on-write
# overlay of it (qcow2, the image untouched), adds a second disk with the .debs, mint.ko, the
# 6.12 kernel and its mint_node.ko, the plan and the stage script, and boots QEMU (TCG, no
# network device) twice:
#   1. mint_lab.stage=install: apt install ./mint_*.deb ./mint-node_*.deb; mint.ko into
#      /lib/modules/RELEASE/updates/dkms/ as DKMS would put it (built natively by this build:
#      the image has no compiler); the 6.12 kernel and module into /var/cache/mint/kernels as
#      mint kernel fetch would leave them; the plan to /etc/mint/plan.toml; mint host-setup
#      --yes, whose update-grub is the image's /usr/local/sbin/update-grub: it sources
#      /etc/default/grub and grub.d/*.cfg with /bin/sh as grub-mkconfig does and writes
#      grub.cfg's linux line.
#   2. the linux line from that grub.cfg (GRUB's \$ unescaped) + mint_lab.stage=check: the
#      stage waits for mint.service, records /proc/cmdline, systemctl status mint, mint ps and
#      the boot-to-nodes time.
# The packages: scripts/package runs first, unless MINT_INSTALLED_REUSE_DEBS=1 (ctest sets it:
# the package_build test, this test's fixture, has just built them into BUILD_DIR/debs).
# Logs (consoles of the host and both nodes, results) go to $MINT_INSTALLED_LOGS or a temp dir.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
cache="$(sed -n 's/^MINT_CACHE:[A-Z]*=//p' "$build/CMakeCache.txt")"
image_dir="$cache/installed-host"
logs="${MINT_INSTALLED_LOGS:-$(mktemp -d /tmp/mint-installed.XXXXXX)}"
mkdir -p "$logs"
say() { echo "installed_host: $*"; }
fail() { echo "installed_host: FAIL: $*" >&2; echo "installed_host: logs in $logs" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_start="$(now)"
[ -f "$cache/kernel.env" ] || fail "no $cache/kernel.env: run scripts/setup"
kver="$(sed -n 's/^MINT_KVER=//p' "$cache/kernel.env")"  # the host's kernel: the cache's 6.1 cloud
k612="$cache/kernels/linux-image-6.12-cloud-amd64"

# --- The root image, made by scripts/setup ---------------------------------------------------
# Missing or stale, the check says which and to run scripts/setup.
image_check="$("$root/scripts/installed-host-image" check --cache "$cache" 2>&1)" ||
  fail "${image_check#installed-host-image: }"
[ -f "$k612/vmlinuz" ] && [ -f "$k612/mint_node.ko" ] ||
  fail "no 6.12 kernel and mint_node.ko in $k612: run scripts/setup, then build (ninja)"

# --- The packages and the lab disk -----------------------------------------------------------
debs="$build/debs"
if [ "${MINT_INSTALLED_REUSE_DEBS:-0}" != 1 ]; then
  t0="$(now)"
  MINT_BUILD_DIR="$build" "$root/scripts/package" >"$logs/package.log" 2>&1 ||
    { tail -n 30 "$logs/package.log" >&2; fail "scripts/package failed"; }
  say "packages built in $(since "$t0") s"
fi
ls "$debs"/mint_*.deb "$debs"/mint-node_*.deb >/dev/null 2>&1 ||
  fail "no packages in $debs: run scripts/package first"
work="$(mktemp -d /tmp/mint-installed-work.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lab/debs" "$work/lab/out"
cp "$debs"/mint_*.deb "$debs"/mint-node_*.deb "$work/lab/debs/"
cp "$build/kmod/host/mint.ko" "$work/lab/" 2>/dev/null || cp "$(find "$build" -name mint.ko | head -n 1)" "$work/lab/"
cp "$root/tests/installed_host/plan.toml" "$root/tests/installed_host/stage.sh" "$work/lab/"
# The kernel cache as mint kernel fetch would leave it (it cannot download in the lab): the
# 6.12 image and the mint_node.ko this build made for it; the install stage puts them in
# /var/cache/mint/kernels/RELEASE.
rel612="$(basename "$(readlink -f "$k612")")"
mkdir -p "$work/lab/kernels/$rel612"
cp -L "$k612/vmlinuz" "$k612/mint_node.ko" "$work/lab/kernels/$rel612/"
mke2fs -q -t ext4 -L mint-lab -d "$work/lab" "$work/lab.img" 64M >/dev/null
# The root disk: a copy-on-write overlay, so the cached image is never written and nothing
# is copied (the image is 2 G sparse, a few hundred MB used). It is thrown away after the run,
# so QEMU ignores the guest's flushes to it (cache=unsafe): dpkg's and ext4's fsyncs would
# otherwise each wait for this machine's busy disk.
qemu-img create -q -f qcow2 -F raw -b "$image_dir/root.img" "$work/root.qcow2"

# One boot: the host's console (COM1) and the nodes' (COM2 alpha, COM3 beta) into files, COM3
# created first as mint-lab does (lab/README.md, "Consoles"). No network device.
boot() {  # boot NAME CMDLINE TIMEOUT
  local name="$1" cmdline="$2" timeout="$3" t0 status=0
  t0="$(now)"
  timeout "$timeout" qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -smp 3 \
    -m 2048M -nodefaults -display none -no-reboot \
    -kernel "$image_dir/vmlinuz-$kver" -initrd "$image_dir/initrd.img-$kver" -append "$cmdline" \
    -drive "file=$work/root.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -drive "file=$work/lab.img,if=virtio,format=raw" \
    -chardev "file,id=com3,path=$logs/$name-beta.log" -device isa-serial,index=2,chardev=com3 \
    -chardev "file,id=com2,path=$logs/$name-alpha.log" -device isa-serial,index=1,chardev=com2 \
    -chardev "file,id=com1,path=$logs/$name-host.log" -device isa-serial,index=0,chardev=com1 \
    >"$logs/$name-qemu.log" 2>&1 || status=$?
  say "boot '$name': QEMU ran $(since "$t0") s (status $status)"
  [ "$status" = 0 ] || { tail -n 30 "$logs/$name-host.log" >&2; fail "boot '$name' did not power off (status $status)"; }
}
out() { debugfs -R "cat /out/$1" "$work/lab.img" 2>/dev/null; }

base="root=/dev/vda ro console=ttyS0,115200 8250.nr_uarts=1 panic=-1"
boot install "$base quiet mint_lab.stage=install" "${MINT_INSTALLED_BOOT_TIMEOUT:-240}"
out install.log >"$logs/install.log" || true
[ "$(out install.status)" = 0 ] || { tail -n 40 "$logs/install.log" >&2; fail "the install stage failed"; }
out grub.cfg >"$logs/grub.cfg"
# grub.cfg's linux line, as GRUB would pass it: the words after the image, \$ read as $.
linux="$(grep -m1 '^[[:space:]]*linux[[:space:]]' "$logs/grub.cfg")" || fail "no linux line in grub.cfg"
cmdline="$(echo "$linux" | sed -E 's/^[[:space:]]*linux[[:space:]]+[^[:space:]]+[[:space:]]*//; s/\\\$/$/g')"
say "GRUB's linux line: $linux"
boot check "$cmdline mint_lab.stage=check" "${MINT_INSTALLED_BOOT_TIMEOUT:-240}"
for f in check.log cmdline status ps times uname journal install.journal check.journal; do out "$f" >"$logs/$f" || true; done
cat "$logs/check.log"

# --- The checks ------------------------------------------------------------------------------
for word in maxcpus=1 'memmap=0x20000000$0x40000000' no_ipi_broadcast=1; do
  grep -qF -- "$word" "$logs/cmdline" || fail "/proc/cmdline lacks $word: $(cat "$logs/cmdline")"
done
grep -q 'Active: active (exited)' "$logs/status" || fail "mint.service is not active"
for node in alpha beta; do
  grep -Eq "[[:space:]]$node[[:space:]]+running" "$logs/ps" || fail "mint ps does not show $node running"
  grep -aq 'mint-agent: ready' "$logs/check-$node.log" || fail "no 'mint-agent: ready' on $node's console"
done
grep -aq 'mint-node: init on 6\.12\.' "$logs/check-beta.log" || fail "beta did not boot a 6.12 kernel"
grep -aq 'mint-node: init on 6\.1\.' "$logs/check-alpha.log" || fail "alpha did not boot the host's 6.1"
grep -q '^6\.1\.' "$logs/uname" || fail "the host is not on 6.1: $(cat "$logs/uname")"
say "PASS in $(since "$t_start") s (test time, image present; $(tr '\n' ' ' <"$logs/times"))"
