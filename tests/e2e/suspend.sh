#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN = examples/shared-console.toml: node
# alpha (APIC IDs 1 and 2) and node beta (APIC ID 3). Suspends alpha to RAM and resumes it
# MINT_E2E_CYCLES times (default 20) with its userspace state checked after every cycle, while
# beta and the host keep running; then a suspend from inside the node, the refusals, and the
# host's health. Each check prints "E2E-CHECK NAME PASS|FAIL DETAIL" for
# tests/e2e_suspend_test.cc.

json_field() { # TEXT FIELD: the value of "FIELD" in one line of JSON
  echo "$1" | sed -n "s/.*\"$2\":\"*\([^\",}]*\)\"*.*/\1/p" | head -1
}

(n=0; while true; do n=$((n + 1)); echo $n > /tmp/host-heartbeat; sleep 0.2; done) &
sleep 0.5

mint boot "$MINT_PLAN" > /tmp/boot.txt 2>&1
rc=$?
tail -2 /tmp/boot.txt
check boot_two_nodes "$rc" "mint boot exited $rc"

out=$(mint exec alpha -- cat /sys/power/state /sys/power/mem_sleep | tr '\n' ' ')
echo "$out" | grep -q "mem" && echo "$out" | grep -q "\[deep\]"
check node_offers_s3 $? "/sys/power/state and mem_sleep: $out"

# State that must survive: a file, and a process counting in the background.
mint exec alpha -- sh -c 'echo kept > /tmp/marker'
start_counter alpha

cycles=${MINT_E2E_CYCLES:-20}
hb0=$(cat /tmp/host-heartbeat)
beta0=$(node_field beta kernel_heartbeat)
i=0 failed=0 kernel_times="" user_times="" states="" link_failed=0 link_detail=""
while [ $i -lt "$cycles" ]; do
  i=$((i + 1))
  mint suspend alpha > /tmp/suspend.txt 2>&1 || { failed=$((failed + 1)); cat /tmp/suspend.txt; }
  state=$(node_field alpha state)
  [ "$state" = suspended ] || { failed=$((failed + 1)); states="$states $i:$state"; }
  refused=$(mint exec alpha -- true 2>/dev/null; echo $?)  # while asleep: 125
  [ "$refused" = 125 ] || failed=$((failed + 1))
  # Its network link is down while it sleeps, and up again once it is back.
  wait_carrier mint-alpha 0 2 || { link_failed=$((link_failed + 1)); link_detail="$link_detail $i:asleep-carrier-$(carrier mint-alpha)"; }
  line=$(mint resume alpha --json 2>&1) || { failed=$((failed + 1)); echo "$line"; }
  { wait_carrier mint-alpha 1 10 && ping -c 1 -W 5 10.77.0.2 > /dev/null; } ||
    { link_failed=$((link_failed + 1)); link_detail="$link_detail $i:no-ping"; }
  kernel_times="$kernel_times $(json_field "$line" sipi_to_kernel_ms | cut -c1-5)"
  user_times="$user_times $(json_field "$line" sipi_to_user_ms | cut -c1-5)"
  [ "$(mint exec alpha -- cat /tmp/marker)" = kept ] || failed=$((failed + 1))
  if [ "$failed" != 0 ] || [ "$link_failed" != 0 ]; then
    # Stop at the first bad cycle, with what the node last printed, rather than time out
    # on a node that no longer answers.
    echo "cycle $i failed; alpha's console ends with:"
    mint console --dump alpha 2>&1 | tail -40
    mint ps
    break
  fi
done
echo "resume, SIPI -> kernel back (ms):$kernel_times"
echo "resume, SIPI -> userspace (ms):$user_times"
check suspend_resume_cycles $((failed != 0)) "$i of $cycles cycles, $failed failures$states; SIPI -> userspace (ms):$user_times"
check link_down_while_suspended $((link_failed != 0)) "$i of $cycles cycles: carrier down while asleep and a ping after each resume, $link_failed failures$link_detail"
# After a bad cycle alpha may no longer answer: the checks below would each wait out a timeout.
[ "$failed" = 0 ] && [ "$link_failed" = 0 ] || exit 1

still_counting alpha
check userspace_state_intact $? "background $counted"
online=$(mint exec alpha -- cat /sys/devices/system/cpu/online)
[ "$online" = 0-1 ]
check both_cores_back $? "alpha's online CPUs: $online"
suspends=$(node_field alpha suspends)
[ "$suspends" = "$i" ]
check module_counted_suspends $? "mint ps: $suspends suspends"

hb1=$(cat /tmp/host-heartbeat)
beta1=$(node_field beta kernel_heartbeat)
[ "$hb1" -gt "$hb0" ] && [ "$beta1" -gt "$beta0" ] && [ "$(node_field beta state)" = running ]
check others_kept_running $? "host heartbeat $hb0 -> $hb1, beta kernel heartbeat $beta0 -> $beta1"

# From inside the node: echo mem > /sys/power/state, then the host wakes it.
mint exec alpha -- sh -c '(sleep 0.3; echo mem > /sys/power/state) >/dev/null 2>&1 &' >/dev/null
wait_state alpha suspended 20
asleep=$?
out=$(mint resume alpha 2>&1)
rc=$?
echo "$out"
[ "$asleep" = 0 ] && [ "$rc" = 0 ] && [ "$(mint exec alpha -- cat /tmp/marker)" = kept ]
check suspend_from_inside $? "suspended: $([ $asleep = 0 ] && echo yes || echo no); $out"

# Refusals name the problem.
out=$(mint resume alpha 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q "not suspended"
check resume_running_refused $? "rc $rc: $out"
mint suspend alpha > /dev/null 2>&1
out=$(mint suspend alpha 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q "already suspended"
check suspend_twice_refused $? "rc $rc: $out"
out=$(mint exec alpha -- true 2>&1)
echo "$out" | grep -q "suspended"
check exec_to_suspended_refused $? "$out"
mint ps
# A suspended node can be stopped, and it releases everything.
mint stop alpha > /dev/null
[ "$(grep -c 'mint:alpha' /proc/iomem)" = 0 ]
check stop_suspended_releases $? "$(grep -c 'mint:alpha' /proc/iomem) claims of alpha left"

# The host saw nothing wrong.
bad=$(dmesg | grep -iE "warning|bug:|oops|unhandled|spurious|rcu.*stall|hung task" | head -3)
[ -z "$bad" ]
check host_log_clean $? "${bad:-no warnings, oopses, stalls or spurious interrupts in the host log}"
echo E2E-DONE
