#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN naming examples/store.toml rewritten by
# `mint-lab run --disk` (images on the virtio disk at /mint/disk, a 128 MiB store). One lab boot
# serves every check: each prints "E2E-CHECK NAME PASS|FAIL DETAIL", which
# tests/e2e_store_test.cc reads.

kernel=$(sed -n 's/^kernel *= *"\(.*\)"/\1/p' "$MINT_PLAN" | head -1)
case "$kernel" in /mint/disk/*) r=0 ;; *) r=1 ;; esac
grep -q ' /mint/disk ext4' /proc/mounts && [ "$r" = 0 ]
check images_on_disk $? "kernel $kernel; $(grep /mint/disk /proc/mounts)"

# 1. First boot: read from disk, placed in the store.
echo 3 > /proc/sys/vm/drop_caches
mint boot "$MINT_PLAN" --timeout 90 > /tmp/boot1.txt 2>&1
rc=$?
cat /tmp/boot1.txt
[ "$rc" = 0 ] && [ "$(grep -c 'placed in the store' /tmp/boot1.txt)" = 2 ]
check first_boot_places $? "mint boot exited $rc; $(grep -c 'placed in the store' /tmp/boot1.txt) image(s) placed"
mint stop alpha

# 2. A new mint process (a CLI restart) sees the same index; the second boot copies both
# images from the store and reaches ready.
mint store ls > /tmp/ls1.txt 2>&1
cat /tmp/ls1.txt
grep -q '^2 image(s)' /tmp/ls1.txt
check survives_cli_restart $? "$(tail -1 /tmp/ls1.txt)"
echo 3 > /proc/sys/vm/drop_caches
mint boot "$MINT_PLAN" --timeout 90 > /tmp/boot2.txt 2>&1
rc=$?
cat /tmp/boot2.txt
[ "$rc" = 0 ] && [ "$(grep -c 'from the store' /tmp/boot2.txt)" = 2 ] &&
  ! grep -q 'placed in the store' /tmp/boot2.txt
check node_from_store_ready $? "mint boot exited $rc; $(grep -c 'from the store' /tmp/boot2.txt) image(s) from the store"
mint stop alpha

# 3. A corrupted entry is caught by the per-use check, dropped, and the boot reads the disk.
mint store corrupt "$kernel"
mint boot "$MINT_PLAN" --timeout 90 > /tmp/boot3.txt 2>&1
rc=$?
cat /tmp/boot3.txt
[ "$rc" = 0 ] && grep -q 'is corrupt (XXH64 mismatch); dropped it' /tmp/boot3.txt &&
  grep -q "kernel read from disk and placed in the store" /tmp/boot3.txt
check corrupt_falls_back $? "mint boot exited $rc; $(grep -o 'is corrupt[^;]*' /tmp/boot3.txt)"
mint stop alpha
mint store verify > /tmp/verify.txt 2>&1
check verify_clean $? "$(tail -1 /tmp/verify.txt)"

# 4. Two concurrent adds leave a valid index holding both.
dd if=/dev/urandom of=/tmp/a.img bs=1024 count=3000 2>/dev/null
dd if=/dev/urandom of=/tmp/b.img bs=1024 count=3000 2>/dev/null
mint store add /tmp/a.img > /tmp/add-a.txt 2>&1 &
pa=$!
mint store add /tmp/b.img > /tmp/add-b.txt 2>&1 &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
mint store verify > /tmp/verify2.txt 2>&1
rv=$?
mint store ls > /tmp/ls2.txt 2>&1
cat /tmp/add-a.txt /tmp/add-b.txt /tmp/verify2.txt /tmp/ls2.txt
[ "$ra" = 0 ] && [ "$rb" = 0 ] && [ "$rv" = 0 ] && grep -q /tmp/a.img /tmp/ls2.txt &&
  grep -q /tmp/b.img /tmp/ls2.txt
check concurrent_adds $? "adds exited $ra/$rb, verify $rv: $(tail -1 /tmp/verify2.txt)"

# 5. A full store evicts the least recently used image and says so. 128 MiB holds the kernel,
# the initrd, a and b (~21 MiB); eight 15 MiB images more do not fit (each differs from the
# others in its first line, so none is a duplicate of another).
dd if=/dev/urandom of=/tmp/big.base bs=1M count=15 2>/dev/null
for n in 1 2 3 4 5 6 7 8; do { echo "$n"; cat /tmp/big.base; } > /tmp/big$n.img; done
mint store add /tmp/big1.img /tmp/big2.img /tmp/big3.img /tmp/big4.img /tmp/big5.img \
  /tmp/big6.img /tmp/big7.img /tmp/big8.img > /tmp/add-big.txt 2>&1
rc=$?
cat /tmp/add-big.txt
mint store verify > /tmp/verify3.txt 2>&1
rv=$?
[ "$rc" = 0 ] && [ "$rv" = 0 ] && grep -q 'full; evicted the least recently used image' /tmp/add-big.txt
check full_store_evicts $? "add exited $rc, verify $rv: $(grep -c evicted /tmp/add-big.txt) eviction(s)"

echo E2E-DONE
