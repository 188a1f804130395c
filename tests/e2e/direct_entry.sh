#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN naming a one-node plan (node alpha).
# Boots alpha through the bzImage's decompressor, reads its memory, stops it, boots it again
# by direct entry (startup_64, decompressor skipped) and compares. Each check prints
# "E2E-CHECK NAME PASS|FAIL DETAIL" for tests/e2e_direct_entry_test.cc.

json_field() { # FILE FIELD: the first value of "FIELD": N or "FIELD": "text"
  sed -n "s/.*\"$2\": \"*\([^\",]*\)\"*.*/\1/p" "$1" | head -1
}
memtotal() { # the node's MemTotal in kB, through its agent
  mint exec alpha --timeout 20 -- cat /proc/meminfo | sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p'
}

mint boot "$MINT_PLAN" --entry=decompress --json > /tmp/decompress.json
rc=$?
cat /tmp/decompress.json
check decompress_ready "$rc" "mint boot --entry=decompress exited $rc; INIT -> ready" \
  "$(json_field /tmp/decompress.json init_to_ready_ms) ms"
mem_decompress=$(memtotal)
mint stop alpha
sleep 1

mint boot "$MINT_PLAN" --entry=direct --json > /tmp/direct.json
rc=$?
cat /tmp/direct.json
check direct_ready "$rc" "mint boot --entry=direct exited $rc; INIT -> ready" \
  "$(json_field /tmp/direct.json init_to_ready_ms) ms"
[ "$(json_field /tmp/direct.json entry)" = direct ]
check direct_entry_used $? "entry: $(json_field /tmp/direct.json entry)"
dmesg | grep -q "mint: node alpha started on APIC ID 1 (64-bit entry"
check module_64bit_entry $? "$(dmesg | grep 'node alpha started' | tail -1)"
mem_direct=$(memtotal)
[ -n "$mem_direct" ] && [ "$mem_direct" = "$mem_decompress" ]
check same_memtotal $? "MemTotal ${mem_decompress} kB through the decompressor, ${mem_direct} kB direct"
mint exec alpha --timeout 20 -- uname -r > /tmp/uname.txt
grep -q "cloud-amd64" /tmp/uname.txt
check direct_node_runs_commands $? "uname -r: $(cat /tmp/uname.txt)"

# A dry run names the entry: the 64-bit entry at the 2 MiB aligned base, page tables in
# Mint's area.
mint stop alpha
mint boot "$MINT_PLAN" --entry=direct --dry-run > /tmp/dry.txt
grep -q "64-bit, direct" /tmp/dry.txt && grep -q "page tables" /tmp/dry.txt
check dry_run_shows_direct_layout $? "$(grep -E 'entry|page tables' /tmp/dry.txt | tr '\n' ';')"

# Physical KASLR: with kaslr = true the kernel runs at the 2 MiB slot mint reports, which the
# node's own /proc/iomem confirms ("Kernel code" starts at _text = the base).
mint stop alpha
sed 's/^console *=.*/&\nkaslr = true/' "$MINT_PLAN" > /tmp/kaslr.toml
mint boot /tmp/kaslr.toml --entry=direct --json > /tmp/kaslr.json
rc=$?
base=$(json_field /tmp/kaslr.json kernel_base)
slots=$(json_field /tmp/kaslr.json kaslr_slots)
code=$(mint exec alpha --timeout 20 -- cat /proc/iomem | sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : Kernel code/\1/p')
[ "$rc" = 0 ] && [ -n "$code" ] && [ $((0x$code)) = "$base" ] && [ $((base % 0x200000)) = 0 ] &&
  [ "$slots" -gt 1 ]
check kaslr_base_is_where_the_kernel_runs $? "rc $rc; mint: base $(printf 0x%x "${base:-0}") \
(one of $slots slots), node: Kernel code at 0x$code"
