#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN naming a one-node plan (node alpha on
# APIC ID 1) and a third vCPU (APIC ID 2) left offline. One lab boot serves every check: each
# prints "E2E-CHECK NAME PASS|FAIL DETAIL", which tests/e2e_first_node_test.cc reads.

json_field() { # FILE FIELD: the first numeric value of "FIELD": N
  sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1" | head -1
}

# The host's own pulse: a counter bumped five times a second, and a file whose checksum must
# not change while a node boots in memory next to the host's.
(n=0; while true; do n=$((n + 1)); echo $n > /tmp/host-heartbeat; sleep 0.2; done) &
dd if=/dev/urandom of=/tmp/host-file bs=1024 count=1024 2>/dev/null
sum_before=$(md5sum /tmp/host-file | cut -d' ' -f1)
sleep 0.5
host_hb0=$(cat /tmp/host-heartbeat)

# 1. Boot the node.
mint boot "$MINT_PLAN" --json > /tmp/boot.json
rc=$?
cat /tmp/boot.json
ready_ms=$(json_field /tmp/boot.json init_to_ready_ms)
check node_ready "$rc" "mint boot exited $rc; INIT -> ready ${ready_ms} ms"
tramp_ms=$(json_field /tmp/boot.json init_to_trampoline_ms)
[ -n "$tramp_ms" ] && [ "${tramp_ms%%.*}" -lt 1000 ]
check trampoline_stamp $? "INIT -> trampoline ${tramp_ms} ms"

# 2. The node keeps running: state "running" and its agent's heartbeat advances.
mint status --json > /tmp/status1.json
sleep 3
mint status --json > /tmp/status2.json
cat /tmp/status2.json
grep -q '"state": "running"' /tmp/status2.json
check node_running $? "$(grep -o '"state": "[a-z]*"' /tmp/status2.json)"
hb1=$(json_field /tmp/status1.json heartbeat)
hb2=$(json_field /tmp/status2.json heartbeat)
[ -n "$hb1" ] && [ -n "$hb2" ] && [ "$hb2" -gt "$hb1" ]
check node_heartbeat $? "node heartbeat $hb1 -> $hb2 over 3 s"

# 3. The host is untouched.
host_hb1=$(cat /tmp/host-heartbeat)
[ "$host_hb1" -gt $((host_hb0 + 10)) ]
check host_heartbeat $? "host heartbeat $host_hb0 -> $host_hb1"
sum_after=$(md5sum /tmp/host-file | cut -d' ' -f1)
[ "$sum_before" = "$sum_after" ]
check host_file_intact $? "md5 $sum_before -> $sum_after"
bad_lines=$(dmesg | grep -ciE 'no irq handler|spurious')
[ "$bad_lines" = 0 ]
check host_log_clean $? "$bad_lines 'No irq handler'/'spurious' lines in dmesg"
grep -q 'mint:alpha' /proc/iomem
check iomem_claims $? "$(grep -c 'mint:alpha' /proc/iomem) mint:alpha claims in /proc/iomem"

# 4. The host cannot take the node's core back.
echo 1 > /sys/devices/system/cpu/cpu1/online 2>/tmp/online.err
online_rc=$?
[ "$online_rc" != 0 ] && [ "$(cat /sys/devices/system/cpu/cpu1/online)" = 0 ]
check cannot_online_node_core $? "echo 1 > cpu1/online: rc $online_rc, $(cat /tmp/online.err)"

# 5. The module refuses what the node does not own, leaving nothing half-owned. Each bad
# plan passes mint's own plan checks (its [host] section lies about the machine), so the
# refusal comes from the module's checks against the real host.
kernel=$(sed -n 's/^kernel = "\(.*\)"$/\1/p' "$MINT_PLAN" | head -1)
initrd=$(sed -n 's/^initrd = "\(.*\)"$/\1/p' "$MINT_PLAN" | head -1)
bad_plan() { # NAME RESERVED HOST_CPUS NODE_CPUS MEMORY
  cat > "/tmp/$1.toml" <<PLAN
[host]
reserved = ["$2"]
low_window = "0x10000-0x8ffff"
cpus = [$3]

[[node]]
name = "$1"
kernel = "$kernel"
initrd = "$initrd"
cpus = [$4]
memory = ["$5"]
low = "0x60000-0x6ffff"
console = "ttyS2"
PLAN
}
expect_refusal() { # NAME PATTERN
  out=$(mint boot "/tmp/$1.toml" --timeout 20 2>&1)
  rc=$?
  echo "$out" | sed "s/^/  $1: /"
  left=$(grep -c "mint:$1" /proc/iomem)
  nodes=$(mint status --json | grep -c '"name"')
  [ "$rc" != 0 ] && echo "$out" | grep -q "$2" && [ "$left" = 0 ] && [ "$nodes" = 1 ]
  check "refuse_$1" $? "exit $rc, '$2' in the error, $left claims left, $nodes node(s) listed"
}
bad_plan sysram 0x10000000-0x1fffffff 0 2 0x10000000-0x17ffffff
expect_refusal sysram "overlaps System RAM"
bad_plan online 0x40000000-0x5fffffff 2 0 0x50000000-0x5fffffff
expect_refusal online "is online in the host"
bad_plan unknown 0x40000000-0x5fffffff 0 9 0x50000000-0x5fffffff
expect_refusal unknown "is not a present CPU"
bad_plan owned 0x40000000-0x5fffffff 0 1 0x50000000-0x5fffffff
expect_refusal owned "belongs to node alpha"
bad_plan overlap 0x40000000-0x5fffffff 0 2 0x48000000-0x57ffffff
expect_refusal overlap "overlaps node alpha"

# 6. After all that the node still runs, and stopping it gives everything back.
hb3=$(json_field /tmp/status2.json heartbeat)
sleep 2
mint status --json > /tmp/status3.json
hb4=$(json_field /tmp/status3.json heartbeat)
[ -n "$hb4" ] && [ "$hb4" -gt "$hb3" ]
check node_survives_refusals $? "node heartbeat $hb3 -> $hb4"
mint stop alpha
stop_rc=$?
left=$(grep -c 'mint:' /proc/iomem)
[ "$stop_rc" = 0 ] && [ "$left" = 0 ]
check stop_releases $? "mint stop exit $stop_rc, $left mint: claims left"
echo 1 > /sys/devices/system/cpu/cpu1/online
[ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ]
check core_returns_to_host $? "cpu1 online after the node stopped: $(cat /sys/devices/system/cpu/cpu1/online)"
echo E2E-DONE
