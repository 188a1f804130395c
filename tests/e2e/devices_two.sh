#!/bin/sh
# Runs inside the lab host with $MINT_PLAN naming examples/two-device-nodes.toml: alpha owns
# the disk and NIC behind the lab's first root port (0000:01:00.x), beta those behind the
# second (0000:02:00.x); every disk and served file holds different bytes (lab/devices.h). Both
# boot in parallel; each must see, read and fetch through its own functions only, with its own
# MSI-X interrupts; stopping one leaves the other running on its devices. Prints E2E-CHECK
# lines for tests/e2e_devices_two_test.cc.

sysfs=/sys/bus/pci/devices
driver_of() { basename "$(readlink $sysfs/$1/driver 2>/dev/null)" 2>/dev/null; }
node_bus() { [ "$1" = alpha ] && echo 01 || echo 02; }
node_irq() { # NODE: its virtio MSI-X interrupts, summed
  mint exec "$1" -- cat /proc/interrupts 2>/dev/null |
    awk '/PCI-MSI/ && /virtio/ {n += $2} END {print n + 0}'
}
(n=0; while true; do n=$((n + 1)); echo $n > /tmp/host-heartbeat; sleep 0.2; done) &
sleep 0.5
host_hb0=$(cat /tmp/host-heartbeat)

mint up "$MINT_PLAN" > /tmp/up.out 2>&1
rc=$?
cat /tmp/up.out
check both_ready "$rc" "$(grep 'ready (INIT' /tmp/up.out | tr '\n' ' ')"
fenced=""
for f in 01:00.0 01:00.1 02:00.0 02:00.1; do
  [ -z "$(driver_of 0000:$f)" ] && [ "$(cat $sysfs/0000:$f/driver_override)" = none ] ||
    fenced="$fenced 0000:$f(driver '$(driver_of 0000:$f)')"
done
[ -z "$fenced" ]
check host_fenced_all_four $? "${fenced:-the four functions have no host driver, override none}"

for node in alpha beta; do
  . /mint/lab/devices/$node.env
  bus=$(node_bus $node)
  other=$([ "$bus" = 01 ] && echo 02 || echo 01)
  mint exec $node -- ls /sys/bus/pci/devices > /tmp/$node-pci 2>&1
  grep -q "0001:$bus:00.0" /tmp/$node-pci && grep -q "0001:$bus:00.1" /tmp/$node-pci &&
    ! grep -q ":$other:00" /tmp/$node-pci
  check ${node}_sees_only_its_functions $? "$(tr '\n' ' ' < /tmp/$node-pci)"
  irq0=$(node_irq $node)
  sum=$(mint exec $node -- sha256sum /dev/vda | cut -d' ' -f1)
  [ "$sum" = "$disk_sha256" ]
  check ${node}_reads_its_disk $? "sha256 of its /dev/vda $sum, the lab wrote $disk_sha256 behind bus $bus"
  mint exec $node -- sh -c "ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && \
    tftp -g -r $net_file -l /tmp/$net_file 10.0.2.2 && sha256sum /tmp/$net_file" > /tmp/$node-net 2>&1
  got=$(awk '/data.bin/ {print $1}' /tmp/$node-net)
  [ "$got" = "$net_sha256" ]
  check ${node}_fetches_over_its_nic $? "sha256 of $net_file $got, its NIC's TFTP server served $net_sha256"
  irq1=$(node_irq $node)
  [ "$irq1" -gt "$irq0" ] && [ "$irq1" -gt 100 ]
  check ${node}_msix_counts $? "its virtio MSI-X interrupts $irq0 -> $irq1"
done

# An image of a device-owning node records its devices: refused for a node that would own
# others; resumed where it owns them again, fenced off the host's drivers again (they had them
# back in between), its drivers setting the devices up again on resume.
mint suspend alpha > /dev/null &&
  mint snapshot alpha --no-store --file-codec raw --out /tmp/alpha.mimg > /tmp/snap.out 2>&1
check image_of_device_node_taken $? "$(tail -1 /tmp/snap.out)"
mint stop alpha > /dev/null 2>&1
sleep 1
between=$(driver_of 0000:01:00.0)
sed '/^pci *= *\["0000:01/d' "$MINT_PLAN" > /tmp/alpha-nodev.toml
out=$(mint boot /tmp/alpha-nodev.toml alpha --image /tmp/alpha.mimg 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q "owning devices pci 0000:01:00.0, pci 0000:01:00.1" &&
  [ "$(driver_of 0000:01:00.0)" = virtio-pci ] && ! mint ps | grep -q alpha
check image_refused_without_its_devices $? "rc $rc: $out"
out=$(mint boot "$MINT_PLAN" alpha --image /tmp/alpha.mimg 2>&1)
rc=$?
. /mint/lab/devices/alpha.env
sum=$(mint exec alpha -- sh -c 'echo 3 > /proc/sys/vm/drop_caches; sha256sum /dev/vda' | cut -d' ' -f1)
[ "$rc" = 0 ] && [ "$between" = virtio-pci ] && [ -z "$(driver_of 0000:01:00.0)" ] &&
  [ -z "$(driver_of 0000:01:00.1)" ] && [ "$sum" = "$disk_sha256" ]
check image_resumes_with_its_devices $? "$out; 01:00.0 held by '$between' in between, by '$(driver_of 0000:01:00.0)' now; its disk read again: $sum"

# Stopping alpha gives its functions back and leaves beta, and beta's devices, working.
mint stop alpha > /tmp/stop.out 2>&1
rc=$?
sleep 1
. /mint/lab/devices/beta.env
sum=$(mint exec beta -- sh -c 'echo 3 > /proc/sys/vm/drop_caches; sha256sum /dev/vda' | cut -d' ' -f1)
[ "$rc" = 0 ] && [ "$(driver_of 0000:01:00.0)" = virtio-pci ] &&
  [ "$(driver_of 0000:01:00.1)" = virtio-pci ] && [ -z "$(driver_of 0000:02:00.0)" ] &&
  [ "$(node_field beta state)" = running ] && [ "$sum" = "$disk_sha256" ]
check stop_one_keeps_the_other $? "mint stop alpha rc $rc; 01:00.0 '$(driver_of 0000:01:00.0)', 02:00.0 '$(driver_of 0000:02:00.0)'; beta $(node_field beta state), reads its disk again: $sum"
mint stop beta > /dev/null 2>&1
[ "$(driver_of 0000:02:00.0)" = virtio-pci ] && [ "$(driver_of 0000:02:00.1)" = virtio-pci ]
check stop_gives_back_beta $? "02:00.0 '$(driver_of 0000:02:00.0)', 02:00.1 '$(driver_of 0000:02:00.1)'"

host_hb1=$(cat /tmp/host-heartbeat)
err=$(awk '/^ *ERR:/ {print $2}' /proc/interrupts)
mis=$(awk '/^ *MIS:/ {print $2}' /proc/interrupts)
bad_lines=$(dmesg | grep -ciE 'no irq handler|spurious|nobody cared|AER:.*(error|corrected)')
[ "$host_hb1" -gt $((host_hb0 + 10)) ] && [ "$err" = 0 ] && [ "$mis" = 0 ] && [ "$bad_lines" = 0 ]
check host_healthy $? "host heartbeat $host_hb0 -> $host_hb1; ERR $err, MIS $mis, $bad_lines bad lines in dmesg"
echo E2E-DONE
