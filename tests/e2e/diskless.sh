#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN naming examples/diskless.toml: node alpha
# boots from the diskless initramfs and mounts its root (the suite's busybox image) from the
# host's qemu-nbd over its link (docs/diskless.md). One lab boot serves every check: each prints
# "E2E-CHECK NAME PASS|FAIL DETAIL", which tests/e2e_diskless_test.cc reads.

image=$(sed -n 's/^root *= *"\(.*\)"/\1/p' "$MINT_PLAN" | head -1)
image_sum=$(sha256sum "$image" | cut -d' ' -f1)

# 1. The node boots and runs from the export: / is /dev/nbd0, the busybox image's.
mint boot "$MINT_PLAN" --timeout 120 > /tmp/boot1.txt 2>&1
rc=$?
cat /tmp/boot1.txt
check boot_ready $? "mint boot exited $rc: $(tail -n 1 /tmp/boot1.txt)"
mint exec alpha -- cat /proc/mounts > /tmp/mounts.txt 2>&1
kind=$(mint exec alpha -- cat /etc/mint-root 2>&1)
cat /tmp/mounts.txt
grep -q '^/dev/nbd0 / ext4 rw' /tmp/mounts.txt && [ "$kind" = busybox ]
check root_on_nbd $? "$(grep ' / ' /tmp/mounts.txt | tr '\n' ';') /etc/mint-root: $kind"

# 2. The host serves it on the bridge's address and the node's port only, under its name.
netstat -ltn > /tmp/listen.txt 2>&1
mint rootfs ls --json > /tmp/ls1.json 2>&1
cat /tmp/listen.txt /tmp/ls1.json
grep -q '10.77.0.1:10810 ' /tmp/listen.txt && ! grep -q '0.0.0.0:10810 ' /tmp/listen.txt &&
  grep -q '"served": true' /tmp/ls1.json
check served_on_bridge $? "$(grep 10810 /tmp/listen.txt | tr -s ' ' | tr '\n' ';')"

# 3. A write survives a restart of the node, and never reaches the shared image.
token="kept-$(cat /proc/sys/kernel/random/uuid)"
mint exec alpha -- sh -c "echo $token > /root/kept && sync" > /tmp/write.txt 2>&1
w=$?
mint restart alpha --timeout 120 > /tmp/restart.txt 2>&1
r=$?
got=$(mint exec alpha -- cat /root/kept 2>&1)
cat /tmp/write.txt /tmp/restart.txt
[ "$w" = 0 ] && [ "$r" = 0 ] && [ "$got" = "$token" ]
check write_survives_restart $? "write $w, restart $r: read back '$got'"
[ "$(sha256sum "$image" | cut -d' ' -f1)" = "$image_sum" ]
check image_untouched $? "sha256 of $image before and after: $image_sum"

# 4. mint stop stops its server and keeps its overlay; the write is there at the next boot.
mint rootfs reset alpha > /tmp/reset-busy.txt 2>&1
rc=$?
cat /tmp/reset-busy.txt
[ "$rc" != 0 ] && grep -q 'stop the node first' /tmp/reset-busy.txt
check reset_refused_while_up $? "reset exited $rc: $(cat /tmp/reset-busy.txt)"
mint stop alpha > /tmp/stop1.txt 2>&1
servers=$(ps | grep -c '[q]emu-nbd')
mint rootfs ls > /tmp/ls2.txt 2>&1
cat /tmp/stop1.txt /tmp/ls2.txt
[ "$servers" = 0 ] && grep -q '^alpha .*not running' /tmp/ls2.txt
check stop_stops_server $? "qemu-nbd processes after stop: $servers; $(tail -n 1 /tmp/ls2.txt)"
mint boot "$MINT_PLAN" --timeout 120 > /tmp/boot2.txt 2>&1
rc=$?
got=$(mint exec alpha -- cat /root/kept 2>&1)
[ "$rc" = 0 ] && [ "$got" = "$token" ]
check write_survives_stop $? "boot exited $rc: read back '$got'"

# 5. reset drops the writes: the next boot sees the image as it is.
mint stop alpha > /dev/null 2>&1
mint rootfs reset alpha > /tmp/reset.txt 2>&1
rc=$?
mint boot "$MINT_PLAN" --timeout 120 > /tmp/boot3.txt 2>&1
rb=$?
got=$(mint exec alpha -- sh -c 'cat /root/kept 2>/dev/null || echo absent' 2>&1)
cat /tmp/reset.txt
[ "$rc" = 0 ] && [ "$rb" = 0 ] && [ "$got" = absent ]
check reset_drops_writes $? "reset exited $rc, boot $rb: /root/kept $got"
mint stop alpha > /dev/null 2>&1

# 6. A root from a URL (busybox httpd on the host's bridge address stands in for an image server): fetched on
# demand, what was read kept in the overlay (copy-on-read); an address that does not answer is
# refused before anything is claimed.
ip link set lo up  # the lab host's /init leaves it down; a host's own addresses go through it
httpd -p 10.77.0.1:8080 -h "$(dirname "$image")"
url="http://10.77.0.1:8080/$(basename "$image")"
sed "s|^root *=.*|root = \"$url\"|" "$MINT_PLAN" > /tmp/url-root.toml
mint rootfs reset alpha > /dev/null 2>&1
mint boot /tmp/url-root.toml --timeout 120 > /tmp/boot-url.txt 2>&1
rc=$?
kind=$(mint exec alpha -- cat /etc/mint-root 2>&1)
mint rootfs ls --json > /tmp/ls-url.json 2>&1
cat /tmp/boot-url.txt /tmp/ls-url.json
fetched=$(sed -n 's/.*"used_bytes": \([0-9]*\).*/\1/p' /tmp/ls-url.json | head -n 1)
total=$(stat -c %s "$image")
[ "$rc" = 0 ] && [ "$kind" = busybox ] && grep -q "\"image\": \"$url\"" /tmp/ls-url.json &&
  [ -n "$fetched" ] && [ "$fetched" -lt "$total" ] && grep -q 'root .* fetched of 16.0 MiB' /tmp/boot-url.txt
check url_root_on_demand $? "boot exited $rc, /etc/mint-root $kind; overlay ${fetched:-?} bytes of a $total-byte image after ready; $(grep -o 'root server.*' /tmp/boot-url.txt)"
# The server dies under the running node: mint ps says so; mint stop still cleans up.
kill "$(cat /run/mint/roots/alpha.pid)"
sleep 1
mint ps > /tmp/ps-gone.txt 2>&1
mint stop alpha > /tmp/stop-gone.txt 2>&1
rs=$?
cat /tmp/ps-gone.txt /tmp/stop-gone.txt
grep -q 'alpha .*its root server (qemu-nbd, pid [0-9]*) is gone' /tmp/ps-gone.txt && [ "$rs" = 0 ] &&
  [ ! -e /run/mint/roots/alpha.pid ]
check server_gone_reported $? "$(grep alpha /tmp/ps-gone.txt | tr -s ' '); stop exited $rs"
mint rootfs reset alpha > /dev/null 2>&1
sed "s|^root *=.*|root = \"http://10.77.0.1:8081/none.img\"|" "$MINT_PLAN" > /tmp/dead-url.toml
mint boot /tmp/dead-url.toml --timeout 60 > /tmp/boot-dead.txt 2>&1
rc=$?
cat /tmp/boot-dead.txt
[ "$rc" != 0 ] && grep -q 'http://10.77.0.1:8081/none.img' /tmp/boot-dead.txt &&
  ! grep -q 'kernel booting' /tmp/boot-dead.txt
check dead_url_refused $? "boot exited $rc: $(tail -n 1 /tmp/boot-dead.txt)"

# 7. A root that is not a file system: the node says why on its console and to the host, whose
# boot fails at once with that reason (not at its timeout); stop leaves no server.
dd if=/dev/zero of=/tmp/zero.img bs=1M count=4 2>/dev/null
sed "s|^root *=.*|root = \"/tmp/zero.img\"|" "$MINT_PLAN" > /tmp/bad-root.toml
mint rootfs reset alpha > /dev/null 2>&1
start=$(cut -d' ' -f1 /proc/uptime)
mint boot /tmp/bad-root.toml --timeout 120 > /tmp/boot-bad.txt 2>&1
rc=$?
end=$(cut -d' ' -f1 /proc/uptime)
cat /tmp/boot-bad.txt
took=$(echo "$start $end" | awk '{printf "%d", $2 - $1}')
[ "$rc" != 0 ] && grep -q 'failed before it was ready: root: cannot mount export alpha' /tmp/boot-bad.txt &&
  [ "$took" -lt 60 ]
check bad_root_fails_fast $? "boot exited $rc after ${took} s: $(grep -o 'failed before.*' /tmp/boot-bad.txt)"
mint stop alpha > /dev/null 2>&1
[ "$(ps | grep -c '[q]emu-nbd')" = 0 ]
check bad_root_stop_clean $? "qemu-nbd processes after stop: $(ps | grep -c '[q]emu-nbd')"

# 8. A root image that is not there is refused before anything is claimed.
sed "s|^root *=.*|root = \"/tmp/no-such-root.img\"|" "$MINT_PLAN" > /tmp/no-root.toml
mint boot /tmp/no-root.toml --timeout 60 > /tmp/boot-none.txt 2>&1
rc=$?
cat /tmp/boot-none.txt
mint ps > /tmp/ps-none.txt 2>&1
[ "$rc" != 0 ] && grep -q '/tmp/no-such-root.img' /tmp/boot-none.txt && ! grep -q alpha /tmp/ps-none.txt &&
  ! grep -q 'kernel booting' /tmp/boot-none.txt
check missing_root_refused $? "boot exited $rc: $(tail -n 1 /tmp/boot-none.txt); ps: $(tail -n 1 /tmp/ps-none.txt)"

echo E2E-DONE
