#!/bin/sh
# Runs inside the lab host with $MINT_PLAN = examples/store.toml (node alpha, a 128 MiB store)
# and a scratch disk at /dev/vdb that outlives this run. Takes a memory image of alpha, boots
# it back in this run, refuses it for a plan of another layout, and leaves it on /dev/vdb for
# image_fresh.sh, which boots it in a fresh lab run (tests/e2e_image_test.cc).

mint boot "$MINT_PLAN" > /tmp/boot.txt 2>&1
check boot_node $? "$(tail -1 /tmp/boot.txt)"
mint exec alpha -- sh -c 'echo kept-$((6 * 7)) > /tmp/marker'
start_counter alpha

mint suspend alpha
out=$(mint snapshot alpha --out /tmp/alpha.mimg 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && mint store ls | grep -q "snapshot:alpha"
check snapshot_taken $? "$(echo "$out" | tr '\n' ' ')"
size=$(stat -c %s /tmp/alpha.mimg)
echo "$size" | dd of=/dev/vdb bs=1M count=1 conv=sync 2>/dev/null &&
  dd if=/tmp/alpha.mimg of=/dev/vdb bs=1M seek=1 2>/dev/null && sync
check image_saved_for_next_run $? "$size bytes to /dev/vdb"

mint stop alpha > /dev/null
out=$(mint boot "$MINT_PLAN" --image alpha 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && [ "$(mint exec alpha -- cat /tmp/marker)" = kept-42 ] && still_counting alpha
check image_boot_same_run $? "$out; $counted"
[ "$(node_field alpha state)" = running ]
check image_node_running $? "mint ps: alpha $(node_field alpha state)"

# A stopped node's memory goes back zeroed: the host reads it through /dev/mem (reserved,
# no longer claimed), all of it and the low slice. alpha had kept-42 in a tmpfs file.
out=$(mint stop alpha)
range=$(sed -n 's/^memory *= *\["0x\([0-9a-f]*\)-0x\([0-9a-f]*\)"\].*/\1 \2/p' "$MINT_PLAN")
low=$(sed -n 's/^low *= *"0x\([0-9a-f]*\)-0x\([0-9a-f]*\)".*/\1 \2/p' "$MINT_PLAN")
zero_at() { # HEX_START HEX_END (64 KiB aligned): 0 if those bytes of /dev/mem are all zero
  # (squeezed, all-zero bytes are one NUL; a failed read would leave none)
  [ "$(dd if=/dev/mem bs=64K skip=$((0x$1 / 65536)) count=$(((0x$2 + 1 - 0x$1) / 65536)) \
         2>/dev/null | tr -s '\000' | wc -c)" = 1 ]
}
echo "$out" | grep -q "memory zeroed" && zero_at $range && zero_at $low
check memory_zeroed_after_stop $? "$out; memory $range, low slice $low"

# Another layout: refused before anything is claimed.
sed 's/^memory *=.*/memory  = ["0x44000000-0x53ffffff"]/' "$MINT_PLAN" > /tmp/moved.toml
out=$(mint boot /tmp/moved.toml --image alpha 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q "taken with memory" && [ "$(grep -c 'mint:alpha' /proc/iomem)" = 0 ]
check mismatched_layout_refused $? "rc $rc: $out"

# Damage is caught by the image's own checksum.
cp /tmp/alpha.mimg /tmp/bad.mimg
printf 'X' | dd of=/tmp/bad.mimg bs=1 seek=200000 conv=notrunc 2>/dev/null
out=$(mint boot "$MINT_PLAN" --image /tmp/bad.mimg 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q "checksum" && [ "$(grep -c 'mint:alpha' /proc/iomem)" = 0 ]
check damaged_image_refused $? "rc $rc: $out"

bad=$(dmesg | grep -iE "warning|bug:|oops|unhandled|spurious|rcu.*stall|hung task" | head -3)
[ -z "$bad" ]
check host_log_clean $? "${bad:-no warnings, oopses, stalls or spurious interrupts in the host log}"
echo E2E-DONE
