#!/bin/sh
# Runs in a fresh lab host after image_take.sh, with the same scratch disk at /dev/vdb: boots
# the memory image taken there, and the node carries on where it was (tests/e2e_image_test.cc).

size=$(dd if=/dev/vdb bs=1M count=1 2>/dev/null | head -1)
dd if=/dev/vdb of=/tmp/alpha.mimg bs=1M skip=1 count=$(((size + 1048575) / 1048576)) 2>/dev/null
out=$(mint boot "$MINT_PLAN" --image /tmp/alpha.mimg 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] && [ "$(mint exec alpha -- cat /tmp/marker)" = kept-42 ] && still_counting alpha
check image_boot_fresh_run $? "$out; $counted"
out=$(mint exec alpha -- uname -r)
[ "$out" = "$(uname -r)" ]
check fresh_node_runs_commands $? "uname -r: $out"
mint suspend alpha > /dev/null && mint resume alpha > /tmp/resume.txt 2>&1
check resumed_image_suspends_again $? "$(cat /tmp/resume.txt)"
echo E2E-DONE
