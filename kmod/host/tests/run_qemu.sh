#!/usr/bin/env bash
# Boots the Debian cloud kernel in QEMU (TCG, 2 vCPUs, host with maxcpus=1 and 512 MiB of
# memmap=$ node memory), loads mint.ko and runs mint_smoke against it.
#   kmod/host/tests/run_qemu.sh BUILD_DIR    (BUILD_DIR holds kmod/host/mint.ko)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
build="${1:?usage: run_qemu.sh BUILD_DIR}"
cache="${MINT_CACHE:-$root/build/cache}"
# shellcheck disable=SC1091
. "$cache/kernel.env"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

gcc -c -x assembler-with-cpp -I"$root/boot" -I"$root/include" "$root/boot/trampoline.S" \
  -o "$work/trampoline.o"
objcopy -O binary -j .text "$work/trampoline.o" "$work/trampoline.bin"
gcc -O2 -Wall -Wextra -static -I"$root/include" "$here/mint_smoke.c" -o "$work/mint_smoke"

mkdir -p "$work/rootfs"/{bin,dev,proc,sys}
cp /bin/busybox "$work/rootfs/bin/busybox"
cp "$build/kmod/host/mint.ko" "$work/trampoline.bin" "$work/mint_smoke" "$work/rootfs/"
cat > "$work/rootfs/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security  # the smoke raises lockdown last
insmod /mint.ko
/mint_smoke /trampoline.bin
echo "smoke exit status $?"
dmesg | grep -i mint
poweroff -f
INIT
chmod +x "$work/rootfs/init"
(cd "$work/rootfs" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"

timeout 300 qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 2G \
  -nographic -no-reboot -kernel "$MINT_KERNEL" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 maxcpus=1 memmap=512M\$0x40000000 panic=-1 quiet" | tee "$work/log"
grep -q "SMOKE PASSED" "$work/log"
