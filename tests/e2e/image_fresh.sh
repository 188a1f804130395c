#!/bin/sh
# Runs in a fresh lab host after image_take.sh, with the same scratch disk at /dev/vdb: boots
# the memory image taken there, and the node carries on where it was (tests/e2e_image_test.cc).

size=$(dd if=/dev/vdb bs=1M count=1 2>/dev/null | head -1)
dd if=/dev/vdb of=/tmp/alpha.mimg bs=1M skip=1 count=$(((size + 1048575) / 1048576)) 2>/dev/null
out=$(mint boot "$MINT_PLAN" --image /tmp/alpha.mimg 2>&1)
rc=$?
echo "$out"
pid=$(mint exec alpha -- cat /tmp/counter.pid)
c1=$(mint exec alpha -- cat /tmp/count)
sleep 0.5
c2=$(mint exec alpha -- cat /tmp/count)
[ "$rc" = 0 ] && [ "$(mint exec alpha -- cat /tmp/marker)" = kept-42 ] && [ "$c2" -gt "$c1" ] &&
  [ "$(mint exec alpha -- sh -c "kill -0 $pid && echo alive")" = alive ]
check image_boot_fresh_run $? "$out; counter $c1 -> $c2"
out=$(mint exec alpha -- uname -r)
[ "$out" = "$(uname -r)" ]
check fresh_node_runs_commands $? "uname -r: $out"
mint suspend alpha > /dev/null && mint resume alpha > /tmp/resume.txt 2>&1
check resumed_image_suspends_again $? "$(cat /tmp/resume.txt)"
echo E2E-DONE
