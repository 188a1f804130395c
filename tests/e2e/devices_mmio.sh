#!/bin/sh
# Runs inside the lab host on QEMU's microvm machine (--machine microvm: a second IO-APIC, ID 1,
# GSI 24-47, carries the virtio-mmio transports) with $MINT_PLAN naming
# examples/virtio-mmio.toml: node alpha owns IO-APIC 1 and the two transports the lab filled
# with a virtio disk and a virtio NIC (lab/devices.h). Each check prints
# "E2E-CHECK NAME PASS|FAIL DETAIL" for tests/e2e_devices_mmio_test.cc.

. /mint/lab/devices/alpha.env
platform=/sys/bus/platform/devices
disk=LNRO0005:00
nic=LNRO0005:01

(n=0; while true; do n=$((n + 1)); echo $n > /tmp/host-heartbeat; sleep 0.2; done) &
dd if=/dev/urandom of=/tmp/host-file bs=1024 count=1024 2>/dev/null
host_sum0=$(sha256sum /tmp/host-file | cut -d' ' -f1)
sleep 0.5
host_hb0=$(cat /tmp/host-heartbeat)

# 0. The firmware describes the transports; the host drives neither.
grep LNRO0005 /proc/iomem > /tmp/transports
[ "$(grep -c LNRO0005 /tmp/transports)" -ge 2 ] && [ ! -e $platform/$disk/driver ] &&
  [ ! -e $platform/$nic/driver ]
check transports_described $? "$(tr '\n' ';' < /tmp/transports)"

# 1. Refused plans.
sed 's/^io_apic .*/io_apic = 0/' "$MINT_PLAN" > /tmp/host-ioapic.toml
refused refuse_host_ioapic /tmp/host-ioapic.toml "IO-APIC 0 carries GSI 0 and up"
sed 's/@47/@12/' "$MINT_PLAN" > /tmp/wrong-gsi.toml
refused refuse_gsi_off_the_ioapic /tmp/wrong-gsi.toml "GSI 12 is not a pin of IO-APIC 1"

# 2. The node boots; the host's drivers are fenced off both transports.
mint up "$MINT_PLAN" > /tmp/up.out 2>&1
rc=$?
cat /tmp/up.out
check node_ready "$rc" "$(grep 'ready (INIT' /tmp/up.out)"
[ "$(cat $platform/$disk/driver_override)" = none ] && [ "$(cat $platform/$nic/driver_override)" = none ]
check host_fenced $? "driver_override $disk '$(cat $platform/$disk/driver_override)', $nic '$(cat $platform/$nic/driver_override)'"

# 3. Inside the node: only its own IO-APIC, its disk, its NIC, its interrupts on that IO-APIC.
mint exec alpha -- dmesg > /tmp/node-dmesg 2>&1
ioapics=$(grep -c 'IOAPIC\[[0-9]*\]: apic_id' /tmp/node-dmesg)
[ "$ioapics" = 1 ] && grep -q 'IOAPIC\[0\]: apic_id 1, .*address 0xfec10000, GSI 24-47' /tmp/node-dmesg
check node_sees_only_its_ioapic $? "$ioapics IO-APIC(s): $(grep 'IOAPIC\[[0-9]*\]: apic_id' /tmp/node-dmesg | cut -c16-)"
node_irq() {
  mint exec alpha -- cat /proc/interrupts > /tmp/node-irq 2>&1
  awk '/IO-APIC/ && /virtio/ {n += $2} END {print n + 0}' /tmp/node-irq
}
irq0=$(node_irq)
node_disk_sum=$(mint exec alpha -- sha256sum /dev/vda | cut -d' ' -f1)
[ "$node_disk_sum" = "$disk_sha256" ]
check node_reads_its_disk $? "sha256 of the node's /dev/vda ($disk_bytes bytes) $node_disk_sum, lab wrote $disk_sha256"
mint exec alpha -- sh -c "ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && \
  tftp -g -r $net_file -l /tmp/$net_file 10.0.2.2 && sha256sum /tmp/$net_file" > /tmp/node-net 2>&1
node_net_sum=$(awk '/data.bin/ {print $1}' /tmp/node-net)
[ "$node_net_sum" = "$net_sha256" ]
check node_fetches_over_its_nic $? "sha256 of $net_file ($net_bytes bytes over TFTP) $node_net_sum, lab served $net_sha256"
irq1=$(node_irq)
cat /tmp/node-irq
[ "$irq1" -gt "$irq0" ] && [ "$irq1" -gt 100 ]
check node_ioapic_interrupts_count $? "the node's virtio interrupts on its IO-APIC $irq0 -> $irq1: $(awk '/IO-APIC/ && /virtio/ {printf "%s pin %s %s; ", $NF, $4, $2}' /tmp/node-irq)"

# 4. The host stayed healthy.
host_hb1=$(cat /tmp/host-heartbeat)
[ "$host_hb1" -gt $((host_hb0 + 10)) ]
check host_heartbeat $? "host heartbeat $host_hb0 -> $host_hb1"
host_sum1=$(sha256sum /tmp/host-file | cut -d' ' -f1)
[ "$host_sum0" = "$host_sum1" ]
check host_file_intact $? "sha256 $host_sum0 -> $host_sum1"
err=$(awk '/^ *ERR:/ {print $2}' /proc/interrupts)
mis=$(awk '/^ *MIS:/ {print $2}' /proc/interrupts)
bad_lines=$(dmesg | grep -ciE 'no irq handler|spurious|nobody cared')
[ "$err" = 0 ] && [ "$mis" = 0 ] && [ "$bad_lines" = 0 ] && ! grep -q virtio /proc/interrupts
check host_interrupts_clean $? "ERR $err, MIS $mis, $bad_lines 'No irq handler'/'spurious'/'nobody cared' lines; host virtio interrupt lines: $(grep -c virtio /proc/interrupts)"

# 5. Stop gives the transports back.
mint stop alpha > /tmp/stop.out 2>&1
rc=$?
[ "$rc" = 0 ] && [ "$(cat $platform/$disk/driver_override)" = "(null)" ] &&
  [ "$(cat $platform/$nic/driver_override)" = "(null)" ]
check stop_gives_devices_back $? "mint stop rc $rc; override $disk '$(cat $platform/$disk/driver_override)'"

echo E2E-DONE
