#!/bin/sh
# Runs inside an 8-vCPU lab host with $MINT_PLAN naming examples/many-nodes.toml: seven nodes,
# one per spare core, booted in parallel by `mint up`. Prints E2E-CHECK lines for
# tests/e2e_parallel_test.cc.

(n=0; while true; do n=$((n + 1)); echo $n > /tmp/host-heartbeat; sleep 0.2; done) &
sleep 0.5
host_hb0=$(cat /tmp/host-heartbeat)

mint up "$MINT_PLAN" --timeout 400 --svg /tmp/up.svg
rc=$?
check up_all_ready "$rc" "mint up exited $rc"

mint status --json > /tmp/s1.json
running=$(grep -c '"state": "running"' /tmp/s1.json)
[ "$running" = 7 ]
check seven_running $? "$running of 7 nodes running"

sleep 4
mint status --json > /tmp/s2.json
moved=$(heartbeats_advanced /tmp/s1.json /tmp/s2.json)
[ "$moved" = 7 ]
check all_heartbeats "$?" "$moved of 7 node heartbeats advanced"

# Each node's kernel took its plan's name as its hostname (hostname= on its command line).
named=0
for n in 1 2 3 4 5 6 7; do
  [ "$(mint exec n$n -- hostname)" = n$n ] && named=$((named + 1))
done
[ "$named" = 7 ]
check nodes_named $? "$named of 7 nodes answer hostname with their plan's name"

host_hb1=$(cat /tmp/host-heartbeat)
[ "$host_hb1" -gt $((host_hb0 + 10)) ]
check host_alive $? "host heartbeat $host_hb0 -> $host_hb1"
bad=$(dmesg | grep -ciE 'no irq handler|spurious|soft lockup|rcu.*stall')
[ "$bad" = 0 ]
check host_log_clean $? "$bad bad lines in the host's dmesg"
grep -q '</svg>' /tmp/up.svg
check timeline_written $? "$(grep -c '<rect' /tmp/up.svg) rects in the timeline"
echo E2E-DONE
