#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN = examples/uneven-nodes.toml (nodes
# small, duo with two cores, big with a range above 4 GiB) on a 6 GiB, 5-vCPU lab machine.
# One lab boot serves every check: each prints "E2E-CHECK NAME PASS|FAIL DETAIL", which
# tests/e2e_plans_test.cc reads; the driver reads the nodes' MemTotal from their consoles.

# 1. The inventory of this machine, saved and read back.
mint inventory
mint inventory --json > /tmp/inventory.json
rc=$?
# Five cores (APIC IDs 0-4); memmap=1G$0x100000000 shows as Reserved up to 0x13fffffff (merged
# with the firmware's hole below 4 GiB in /proc/iomem).
grep -q '"apic_id": 4' /tmp/inventory.json && grep -q -- '-0x13fffffff"' /tmp/inventory.json &&
  grep -q '"online": true' /tmp/inventory.json
ok=$?
[ "$rc" = 0 ] && [ "$ok" = 0 ]
check inventory $? "mint inventory --json rc $rc; APIC ID 4, reserved up to 0x13fffffff, an online core: $ok"

# 2. A bad plan is refused with every problem listed, and nothing boots.
kernel=$(sed -n 's/^kernel = "\(.*\)"$/\1/p' "$MINT_PLAN" | head -1)
initrd=$(sed -n 's/^initrd = "\(.*\)"$/\1/p' "$MINT_PLAN" | head -1)
cat > /tmp/bad.toml <<PLAN
[host]
reserved = ["0x40000000-0x7fffffff", "0x200000000-0x2ffffffff"]
cpus = [0]

[[node]]
name = "tiny"
kernel = "$kernel"
initrd = "$initrd"
cpus = [1]
memory = ["0x40000000-0x40ffffff"]

[[node]]
name = "clash"
kernel = "$kernel"
initrd = "$initrd"
cpus = [1]
memory = ["0x40800000-0x47ffffff"]
console = "ttyS2"

[[node]]
name = "ghost"
kernel = "$kernel"
initrd = "$initrd"
cpus = [9]
memory = ["0x200000000-0x20fffffff"]
low = "0x8c000-0x8ffff"
console = "ttyS3"

[[node]]
name = "thief"
kernel = "$kernel"
initrd = "$initrd"
cpus = [0]
memory = ["0x1000000-0x4ffffff"]
console = "shared"

[[node]]
name = "old"
arch = "i386"
kernel = "$kernel"
initrd = "$initrd"
cpus = [4]
memory = ["0x60000000-0x67ffffff"]
console = "shared"
PLAN
mint check /tmp/bad.toml --live > /tmp/bad.out 2>&1
bad_rc=$?
cat /tmp/bad.out
missing=""
for fragment in "tiny: memory 0x40000000-0x40ffffff is too small" \
                "clash: memory 0x40800000-0x47ffffff overlaps node tiny" \
                "clash: APIC ID 1 already belongs to node tiny" \
                "ghost: APIC ID 9 is not a core of this machine" \
                "ghost: low slice 0x8c000-0x8ffff is 0x4000 bytes" \
                "ghost: has 0 MiB below 4 GiB" \
                "reserved 0x200000000-0x2ffffffff is not reserved in the host" \
                "thief: APIC ID 0 already belongs to the host" \
                "thief: has 64 MiB of memory but needs at least" \
                "thief: memory 0x1000000-0x4ffffff overlaps host RAM" \
                "thief: core APIC ID 0 (cpu0) is online in the host" \
                "old: the plan says arch i386" \
                "old: memory 0x60000000-0x67ffffff ends above 0x38000000" \
                "nothing was booted"; do
  grep -qF "$fragment" /tmp/bad.out || missing="$missing [$fragment]"
done
count=$(grep -c '^/tmp/bad.toml:[0-9]*: ' /tmp/bad.out)
[ "$bad_rc" = 1 ] && [ -z "$missing" ]
check bad_plan_lists_every_problem $? "mint check rc $bad_rc, $count problem lines, missing:${missing:- none}"
mint boot /tmp/bad.toml > /tmp/bad-boot.out 2>&1
boot_rc=$?
cat /tmp/bad-boot.out
claims=$(grep -c 'mint:' /proc/iomem)
nodes=$(mint status --json | grep -c '"name"')
[ "$boot_rc" != 0 ] && [ "$claims" = 0 ] && [ "$nodes" = 0 ]
check bad_plan_boots_nothing $? "mint boot rc $boot_rc, $claims mint claims in /proc/iomem, $nodes nodes"

# 3. The good plan passes against the live machine and against the saved inventory.
mint check "$MINT_PLAN" --live
live_rc=$?
mint check "$MINT_PLAN" --inventory /tmp/inventory.json > /dev/null
saved_rc=$?
[ "$live_rc" = 0 ] && [ "$saved_rc" = 0 ]
check good_plan_passes $? "mint check --live rc $live_rc, --inventory saved rc $saved_rc"
mint plan "$MINT_PLAN" --live

# 4. Boot the three nodes; the driver reads each one's cpus and MemTotal from its console.
mint boot "$MINT_PLAN" --timeout 150
rc=$?
mint status
running=$(mint status --json | grep -c '"state": "running"')
[ "$rc" = 0 ] && [ "$running" = 3 ]
check nodes_ready $? "mint boot rc $rc, $running nodes running"
grep 'mint:' /proc/iomem

# 5. mint down stops them all and gives everything back.
mint down "$MINT_PLAN"
down_rc=$?
claims=$(grep -c 'mint:' /proc/iomem)
nodes=$(mint status --json | grep -c '"name"')
[ "$down_rc" = 0 ] && [ "$claims" = 0 ] && [ "$nodes" = 0 ]
check down_stops_all $? "mint down rc $down_rc, then $claims mint claims in /proc/iomem, $nodes nodes"
echo "E2E-DONE"
