#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN naming examples/diskless-debian.toml
# and a scratch disk (/dev/vdb, ext4) holding root.img, a systemd image from `scripts/rootfs
# build --init systemd --ssh-key KEY.pub`, Debian's dbclient with its libraries under dbclient/
# and the key in dropbear's format as key.db. The image is read from the scratch disk: mint-lab
# puts every root FILE a plan names into the host's initramfs, where 400 MiB does not unpack;
# the example's root is a URL, which it leaves alone. Not in the suite (a systemd boot takes
# 45-65 s under TCG); by hand:
#   scripts/rootfs build --init systemd --out T/root.img --size 400M \
#     --agent build/guest/mint-agent --ssh-key KEY.pub
#   scripts/closure C dropbear-bin /usr/bin/dbclient /usr/bin/dropbearconvert --with zlib1g
#   cp -a C/root T/dbclient
#   C/root/lib64/ld-linux-x86-64.so.2 --library-path C/root/lib/x86_64-linux-gnu \
#     C/root/usr/bin/dropbearconvert openssh dropbear KEY T/key.db
#   mkfs.ext4 -q -F -E root_owner=0:0 -d T SCRATCH.img 320M
#   build/lab/mint-lab run --plan examples/diskless-debian.toml --disk --scratch SCRATCH.img \
#     --timeout 900 -- "$(cat tests/e2e/common.sh tests/e2e/diskless_debian.sh)"
# 1. alpha boots Debian from the image (a file on the scratch disk) served by qemu-nbd over its
#    link; systemd reaches "running"; ssh from the host logs in (dropbear, public key).
# 2. The same image by URL (busybox httpd on the bridge's address), fetched on demand.

up() { cut -d' ' -f1 /proc/uptime | tr -d .; }   # centiseconds since the host booted
ms() { echo $((($2 - $1) * 10)); }

ip link set lo up
mkdir -p /mnt/scratch
mount -t ext4 -o ro /dev/vdb /mnt/scratch
image=/mnt/scratch/root.img
sed "s|^root *=.*|root = \"$image\"|" "$MINT_PLAN" > /tmp/file-root.toml
D=/mnt/scratch/dbclient
ssh_() { # COMMAND: dbclient from the scratch disk, root@alpha, host key not checked (-y -y)
  HOME=/root $D/lib64/ld-linux-x86-64.so.2 --library-path $D/lib/x86_64-linux-gnu \
    $D/usr/bin/dbclient -y -y -i /mnt/scratch/key.db root@10.77.0.2 "$1" </dev/null
}
wait_running() { # the node's systemd state once it is settled (up to 240 s)
  i=0
  while [ $i -lt 120 ]; do
    st=$(mint exec alpha -- systemctl is-system-running 2>/dev/null)
    case "$st" in running|degraded) break ;; esac
    sleep 2
    i=$((i + 1))
  done
  echo "$st"
}

# 1. A file root.
t0=$(up)
mint boot /tmp/file-root.toml --timeout 300 > /tmp/boot1.txt 2>&1
rc=$?
t1=$(up)
cat /tmp/boot1.txt
check boot_ready $rc "mint boot exited $rc after $(ms $t0 $t1) ms: $(tail -n 1 /tmp/boot1.txt)"
kind=$(mint exec alpha -- cat /etc/mint-root 2>&1)
mint exec alpha -- cat /proc/mounts > /tmp/mounts.txt 2>&1
grep -q '^/dev/nbd0 / ext4 rw' /tmp/mounts.txt && [ "$kind" = systemd ]
check root_on_nbd $? "$(grep ' / ' /tmp/mounts.txt | tr '\n' ';') /etc/mint-root: $kind"
st=$(wait_running)
t2=$(up)
mint exec alpha -- systemd-analyze time 2>&1
mint exec alpha -- systemctl --failed --no-legend 2>&1
mint exec alpha -- sh -c 'systemd-analyze blame | head -n 8' 2>&1
mint exec alpha -- systemd-analyze critical-chain mint-agent.service 2>&1
[ "$st" = running ]
check systemd_running $? "systemctl is-system-running: $st, $(ms $t1 $t2) ms after ready"
t3=$(up)
out=$(ssh_ 'uname -r; cat /etc/debian_version; cat /etc/mint-root; id -un; systemctl is-system-running' 2>&1)
rc=$?
t4=$(up)
echo "$out"
[ "$rc" = 0 ] && echo "$out" | grep -q '^12\.' && echo "$out" | grep -qx root
check ssh_login $? "dbclient exited $rc in $(ms $t3 $t4) ms: $(echo "$out" | tr '\n' ';')"
t5=$(up)
ssh_ true
rc=$?
t6=$(up)
check ssh_again $rc "second ssh round trip (true): $(ms $t5 $t6) ms"

# 2. The same image by URL, on demand.
mint stop alpha > /dev/null 2>&1
mint rootfs reset alpha > /dev/null 2>&1
httpd -p 10.77.0.1:8080 -h "$(dirname "$image")"
url="http://10.77.0.1:8080/$(basename "$image")"
sed "s|^root *=.*|root = \"$url\"|" "$MINT_PLAN" > /tmp/url-root.toml
t0=$(up)
mint boot /tmp/url-root.toml --timeout 300 > /tmp/boot-url.txt 2>&1
rc=$?
t1=$(up)
mint rootfs ls --json > /tmp/ls-url.json 2>&1
cat /tmp/boot-url.txt /tmp/ls-url.json
fetched=$(sed -n 's/.*"used_bytes": \([0-9]*\).*/\1/p' /tmp/ls-url.json | head -n 1)
[ "$rc" = 0 ]
check url_boot_ready $? "mint boot exited $rc after $(ms $t0 $t1) ms; overlay ${fetched:-?} bytes at ready; $(grep -o 'root server.*' /tmp/boot-url.txt)"
st=$(wait_running)
t2=$(up)
mint rootfs ls --json > /tmp/ls-url2.json 2>&1
fetched2=$(sed -n 's/.*"used_bytes": \([0-9]*\).*/\1/p' /tmp/ls-url2.json | head -n 1)
mint exec alpha -- systemd-analyze time 2>&1
[ "$st" = running ]
check url_systemd_running $? "is-system-running: $st, $(ms $t1 $t2) ms after ready; overlay ${fetched2:-?} bytes then"
t3=$(up)
out=$(ssh_ 'cat /etc/debian_version; cat /etc/mint-root' 2>&1)
rc=$?
t4=$(up)
[ "$rc" = 0 ] && echo "$out" | grep -q '^12\.'
check url_ssh_login $? "dbclient exited $rc in $(ms $t3 $t4) ms: $(echo "$out" | tr '\n' ';')"
mint stop alpha > /dev/null 2>&1
mint rootfs reset alpha > /dev/null 2>&1
true
