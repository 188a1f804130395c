#!/bin/sh
# Runs inside an 8-vCPU lab host with $MINT_PLAN naming examples/many-nodes.toml: seven nodes,
# one per spare core, booted in parallel by `mint up`. Prints E2E-CHECK lines for
# tests/e2e_parallel_test.cc.

check() { # NAME OK(0/1) DETAIL...
  name=$1 ok=$2
  shift 2
  if [ "$ok" = 0 ]; then echo "E2E-CHECK $name PASS $*"; else echo "E2E-CHECK $name FAIL $*"; fi
}

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
# Every node's heartbeat moved: compare the heartbeat lists in order.
hb1=$(sed -n 's/.*"heartbeat": \([0-9]*\).*/\1/p' /tmp/s1.json | tr '\n' ' ')
hb2=$(sed -n 's/.*"heartbeat": \([0-9]*\).*/\1/p' /tmp/s2.json | tr '\n' ' ')
moved=0
set -- $hb2
for before in $hb1; do
  [ "$1" -gt "$before" ] && moved=$((moved + 1))
  shift
done
[ "$moved" = 7 ]
check all_heartbeats "$?" "$moved of 7 node heartbeats advanced ($hb1-> $hb2)"

host_hb1=$(cat /tmp/host-heartbeat)
[ "$host_hb1" -gt $((host_hb0 + 10)) ]
check host_alive $? "host heartbeat $host_hb0 -> $host_hb1"
bad=$(dmesg | grep -ciE 'no irq handler|spurious|soft lockup|rcu.*stall')
[ "$bad" = 0 ]
check host_log_clean $? "$bad bad lines in the host's dmesg"
grep -q '</svg>' /tmp/up.svg
check timeline_written $? "$(grep -c '<rect' /tmp/up.svg) rects in the timeline"
echo E2E-DONE
