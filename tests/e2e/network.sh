#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN naming examples/network.toml: nodes
# alpha (10.77.0.2) and beta (10.77.0.3), each with a shared-memory link to the host, whose
# devices mint-alpha and mint-beta are ports of the bridge mint0 (10.77.0.1), and a direct
# link between them that skips the host (mint1 in each: alpha 10.78.0.1, beta 10.78.0.2). One lab boot
# serves every check: each prints "E2E-CHECK NAME PASS|FAIL DETAIL", which
# tests/e2e_network_test.cc reads.

(n=0; while true; do n=$((n + 1)); echo $n > /tmp/host-heartbeat; sleep 0.2; done) &
uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }'; }
stat_of() { cat /sys/class/net/$1/statistics/$2 2>/dev/null || echo 0; }
# Busybox's nc ends a connection when its own input ends, so a receiver reads from a pipe that
# stays open; its wget crashes when linked statically, so HTTP is spoken through nc too.
http_get() { (printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | nc "$1" 80 2>&1 | tail -1; }

mint boot "$MINT_PLAN" > /tmp/boot.txt 2>&1
rc=$?
tail -4 /tmp/boot.txt
check boot_two_nodes "$rc" "mint boot exited $rc"

# The host's wiring: a bridge holding the host address, each node's device a port of it.
ip -o addr show dev mint0 2>/dev/null | grep -q "inet 10.77.0.1/24" &&
  [ "$(basename "$(readlink /sys/class/net/mint-alpha/master)")" = mint0 ] &&
  [ "$(basename "$(readlink /sys/class/net/mint-beta/master)")" = mint0 ]
check bridge_wired $? "mint0: $(ip -o addr show dev mint0 2>/dev/null | awk '{print $4}'); ports: $(ls /sys/class/net/mint0/brif 2>/dev/null | tr '\n' ' ')"

wait_carrier mint-alpha 1 20 && wait_carrier mint-beta 1 20
check links_up $? "carrier mint-alpha $(carrier mint-alpha), mint-beta $(carrier mint-beta)"
mint exec alpha -- ip -o addr show dev mint0 | grep -q "inet 10.77.0.2/24"
check node_configured $? "alpha's mint0: $(mint exec alpha -- ip -o addr show dev mint0 | awk '{print $4}')"

# The host fetches a page from a web server in a node.
mint exec alpha -- sh -c 'mkdir -p /www && echo "hello from alpha $(uname -r)" > /www/index.html && httpd -h /www -p 80'
page=$(http_get 10.77.0.2)
echo "$page" | grep -q "^hello from alpha"
check host_fetches_page $? "GET http://10.77.0.2/: '$page'"

# Doorbells are real interrupts: the host's mint-link interrupt counted them.
irqs=$(awk '/mint-link/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts)
[ "$irqs" -gt 0 ]
check doorbell_interrupts $? "$irqs interrupts on the host's mint-link lines: $(grep mint-link /proc/interrupts | tr -s ' ' | head -2)"

# Node to node TCP, through the host's bridge.
mint exec beta -- sh -c 'sleep 600 | nc -l -p 5000 > /tmp/from-alpha 2>/dev/null &'
sleep 0.5
mint exec alpha -- sh -c 'echo node-to-node-$((6 * 7)) | nc 10.77.0.3 5000'
sleep 0.5
got=$(mint exec beta -- cat /tmp/from-alpha)
[ "$got" = node-to-node-42 ]
check node_to_node_tcp $? "beta received '$got'"

# The direct link ([[link]]): its own device in each node, TCP over it with matching SHA-256,
# and none of it through the host (the host's devices of both nodes count next to nothing).
node_carrier() { mint exec "$1" -- cat /sys/class/net/$2/carrier 2>/dev/null || echo none; }
wait_node_carrier() { # NODE DEVICE SECONDS: until the node's device has carrier
  wn_tries=0
  while [ "$(node_carrier $1 $2)" != 1 ] && [ $wn_tries -lt $(($3 * 2)) ]; do
    sleep 0.5
    wn_tries=$((wn_tries + 1))
  done
  [ "$(node_carrier $1 $2)" = 1 ]
}
added0=$(uptime_s)
wait_node_carrier alpha mint1 20 && wait_node_carrier beta mint1 5 &&
  mint exec alpha -- ip -o addr show dev mint1 | grep -q "inet 10.78.0.1/30" &&
  mint exec beta -- ip -o addr show dev mint1 | grep -q "inet 10.78.0.2/30"
check direct_link_up $? "alpha mint1 carrier $(node_carrier alpha mint1) $(mint exec alpha -- ip -o addr show dev mint1 | awk '{print $4}'), beta mint1 carrier $(node_carrier beta mint1) $(mint exec beta -- ip -o addr show dev mint1 | awk '{print $4}')"
host_bytes() { echo $(($(stat_of mint-alpha rx_bytes) + $(stat_of mint-alpha tx_bytes) + $(stat_of mint-beta rx_bytes) + $(stat_of mint-beta tx_bytes))); }
mint exec beta -- sh -c 'sleep 600 | nc -l -p 5010 | sha256sum | cut -d" " -f1 > /tmp/direct-sum &'
sleep 0.5
host0=$(host_bytes)
t0=$(uptime_s)
want=$(mint exec alpha --timeout 120 -- sh -c 'dd if=/dev/urandom of=/tmp/dblock bs=1048576 count=1 2>/dev/null; i=0; while [ $i -lt 32 ]; do cat /tmp/dblock; i=$((i + 1)); done > /tmp/dstream; sha256sum < /tmp/dstream | cut -d" " -f1; nc 10.78.0.2 5010 < /tmp/dstream')
direct_s=$(since "$t0")
got=$(mint exec beta -- sh -c 'i=0; while [ ! -s /tmp/direct-sum ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done; cat /tmp/direct-sum')
host1=$(host_bytes)
route=$(mint exec alpha -- ip route get 10.78.0.2)
[ -n "$want" ] && [ "$got" = "$want" ]
check direct_link_tcp $? "32 MiB alpha -> beta over mint1 in $direct_s s, sha256 sent $want, received $got"
# 32 MiB went across; the host's two devices may carry a stray ARP or neighbour probe, not that.
[ $((host1 - host0)) -lt 262144 ] && echo "$route" | grep -q "dev mint1"
check direct_link_skips_host $? "host devices mint-alpha + mint-beta moved $((host1 - host0)) bytes meanwhile; alpha's route: $route"
# mint ps shows the direct link from both nodes, up, with the 32 MiB in the ring counters.
ps_text=$(mint ps)
alpha_line=$(echo "$ps_text" | grep "direct link alpha-beta to beta")
beta_line=$(echo "$ps_text" | grep "direct link alpha-beta to alpha")
mib_after() { echo "$1" | sed -n "s/.*$2 \([0-9.]*\) MiB.*/\1/p" | cut -d. -f1; }
echo "$alpha_line" | grep -q " up, " && echo "$beta_line" | grep -q " up, " &&
  [ "$(mib_after "$alpha_line" sent)" -ge 32 ] && [ "$(mib_after "$beta_line" received)" -ge 32 ]
check direct_link_in_ps $? "mint ps:$alpha_line /$beta_line"
added_s=$(since "$added0")

# 128 MiB of seeded data each way, checksummed at both ends: a 1 MiB random block (the seed),
# sent 128 times.
dd if=/dev/urandom of=/tmp/block bs=1048576 count=1 2>/dev/null
stream() { i=0; while [ $i -lt 128 ]; do cat "$1"; i=$((i + 1)); done; }
want=$(stream /tmp/block | sha256sum | cut -d' ' -f1)
mint exec alpha -- sh -c 'sleep 600 | nc -l -p 5001 | sha256sum > /tmp/sum-in &'
sleep 0.5
t0=$(uptime_s)
stream /tmp/block | nc 10.77.0.2 5001
to_node_s=$(since "$t0")
got=$(mint exec alpha -- sh -c 'i=0; while [ ! -s /tmp/sum-in ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done; cut -d" " -f1 /tmp/sum-in')
[ -n "$want" ] && [ "$got" = "$want" ]
check bulk_host_to_node $? "128 MiB in $to_node_s s, sha256 sent $want, received $got"
mint exec beta -- sh -c 'dd if=/dev/urandom of=/tmp/block bs=1048576 count=1 2>/dev/null; i=0; while [ $i -lt 128 ]; do cat /tmp/block; i=$((i + 1)); done | sha256sum | cut -d" " -f1 > /tmp/sum-out'
want=$(mint exec beta -- cat /tmp/sum-out)
(sleep 600 | nc -l -p 5002 | sha256sum | cut -d' ' -f1 > /tmp/sum-back) &
sleep 0.5
t0=$(uptime_s)
mint exec beta --timeout 300 -- sh -c 'i=0; while [ $i -lt 128 ]; do cat /tmp/block; i=$((i + 1)); done | nc 10.77.0.1 5002'
from_node_s=$(since "$t0")
i=0
while [ ! -s /tmp/sum-back ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
got=$(cat /tmp/sum-back)
[ -n "$want" ] && [ "$got" = "$want" ]
check bulk_node_to_host $? "128 MiB in $from_node_s s, sha256 sent $want, received $got"

mint ps > /tmp/ps.txt 2>&1
cat /tmp/ps.txt
mint ps --json > /tmp/ps.json 2>&1
grep -q '"link"' /tmp/ps.json && grep -q "mint-alpha" /tmp/ps.txt
check ps_shows_links $? "$(grep -c mint- /tmp/ps.txt) link lines in mint ps"

# A node that scribbles on its ring has its link reset; the host goes on, the link comes back.
link=$(mint exec beta -- sed -n 's/.*mint_link=\([0-9a-fx]*\),.*/\1/p' /proc/cmdline)
resets0=$(dmesg | grep -c "mint-beta: the peer wrote impossible ring values")
# beta's control page: 0x1000 (descriptor) + 0x1000 + ring (side 0) = link + 0x2000 + 1 MiB;
# its tx_head (offset 0x10) set far beyond anything the host consumed.
mint exec beta -- sh -c "devmem \$(($link + 0x102010)) 64 0x7fffffffffffff00"
sleep 1
resets1=$(dmesg | grep -c "mint-beta: the peer wrote impossible ring values")
wait_carrier mint-beta 1 10
back=$?
mint exec beta -- ping -c 1 -W 5 10.77.0.1 > /dev/null
ping_rc=$?
[ "$resets1" -gt "$resets0" ] && [ "$back" = 0 ] && [ "$ping_rc" = 0 ]
check scribbled_ring_resets_link $? "host resets $resets0 -> $resets1, carrier $(carrier mint-beta), ping after: rc $ping_rc"

# A node restarted during a transfer: the host and the other node stay up, the link comes back.
mint exec beta -- sh -c 'sleep 600 | nc -l -p 5003 > /dev/null &'
sleep 0.5
(cat /dev/zero | nc 10.77.0.3 5003 > /dev/null 2>&1) &
flood=$!
sleep 1
hb0=$(cat /tmp/host-heartbeat)
dchanges0=$(mint exec alpha -- cat /sys/class/net/mint1/carrier_changes)
mint restart beta > /tmp/restart.txt 2>&1
restart_rc=$?
wait_carrier mint-beta 1 30
back=$?
mint exec beta -- ping -c 1 -W 5 10.77.0.1 > /dev/null
ping_rc=$?
page=$(http_get 10.77.0.2)
hb1=$(cat /tmp/host-heartbeat)
[ "$restart_rc" = 0 ] && [ "$back" = 0 ] && [ "$ping_rc" = 0 ] &&
  echo "$page" | grep -q "^hello from alpha" && [ "$hb1" -gt "$hb0" ]
check restart_during_transfer $? "restart rc $restart_rc, carrier $(carrier mint-beta), beta pings the host: rc $ping_rc, alpha serves: '$page', host heartbeat $hb0 -> $hb1"
kill $flood 2>/dev/null

added1=$(uptime_s)
# beta's restart took the direct link down and up again for alpha (its carrier changed at
# least twice), and the link carries traffic again.
wait_node_carrier alpha mint1 20
dchanges1=$(mint exec alpha -- cat /sys/class/net/mint1/carrier_changes)
mint exec alpha -- ping -c 1 -W 5 10.78.0.2 > /dev/null
ping_rc=$?
[ "$dchanges1" -ge $((dchanges0 + 2)) ] && [ "$ping_rc" = 0 ]
check direct_link_follows_restart $? "alpha's mint1 carrier changes $dchanges0 -> $dchanges1 across beta's restart, carrier $(node_carrier alpha mint1), alpha pings 10.78.0.2: rc $ping_rc"

# A node booted from a memory image starts its rings afresh: beta, suspended, snapshotted,
# stopped and resumed from the image, talks on both links again (the host zeroed its sections;
# its restored module sees its control pages cleared and starts a new epoch).
mint suspend beta > /dev/null 2>&1 &&
  mint snapshot beta --no-store --out /tmp/beta.mimg > /tmp/snapshot.txt 2>&1 &&
  mint stop beta > /dev/null 2>&1 &&
  mint boot "$MINT_PLAN" beta --image /tmp/beta.mimg > /tmp/image.txt 2>&1
image_rc=$?
tail -1 /tmp/image.txt
wait_carrier mint-beta 1 20
back=$?
ping -c 1 -W 5 10.77.0.3 > /dev/null
host_ping=$?
wait_node_carrier alpha mint1 20
mint exec alpha -- ping -c 1 -W 5 10.78.0.2 > /dev/null
direct_ping=$?
rm -f /tmp/beta.mimg
[ "$image_rc" = 0 ] && [ "$back" = 0 ] && [ "$host_ping" = 0 ] && [ "$direct_ping" = 0 ]
check image_boot_rings_afresh $? "image boot rc $image_rc ($(tail -1 /tmp/image.txt)), carrier mint-beta $(carrier mint-beta), host pings beta: rc $host_ping, alpha pings beta directly: rc $direct_ping"
echo "network.sh: the direct link and image checks took $added_s s + $(since "$added1") s"

# Stopping a node takes its link down; the host's device stays for the node's next boot.
mint stop alpha > /dev/null
wait_carrier mint-alpha 0 5
check stop_takes_link_down $? "carrier mint-alpha after mint stop: $(carrier mint-alpha)"

hb=$(cat /tmp/host-heartbeat)
sleep 1
[ "$(cat /tmp/host-heartbeat)" -gt "$hb" ]
check host_heartbeat $? "host heartbeat $hb -> $(cat /tmp/host-heartbeat)"
mint stop beta > /dev/null
echo E2E-DONE
