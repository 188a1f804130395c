#!/bin/sh
# Runs inside the lab host (busybox sh) with $MINT_PLAN naming examples/devices.toml: node
# alpha owns the virtio disk (0000:01:00.0) and NIC (0000:01:00.1) behind the lab's root port
# (lab/devices.h). The lab runs with --disk, so the host has loaded virtio_pci for its own
# image disk and bound the node's functions too: the plan's unbind_host_drivers = true is what
# lets Mint take them. Each check prints "E2E-CHECK NAME PASS|FAIL DETAIL" for tests/e2e_devices_test.cc.

. /mint/lab/devices/alpha.env
disk=0000:01:00.0
nic=0000:01:00.1
sysfs=/sys/bus/pci/devices
driver_of() { basename "$(readlink $sysfs/$1/driver 2>/dev/null)" 2>/dev/null; }

# The host's own pulse, its own disk (a file on the lab's image disk), its own interrupts.
(n=0; while true; do n=$((n + 1)); echo $n > /tmp/host-heartbeat; sleep 0.2; done) &
kernel=$(sed -n 's/^kernel = "\(.*\)"/\1/p' "$MINT_PLAN" | head -1)
host_sum0=$(sha256sum "$kernel" | cut -d' ' -f1)
sleep 0.5
host_hb0=$(cat /tmp/host-heartbeat)
host_irq() { awk '/PCI-MSI/ && /virtio/ {n += $2} END {print n + 0}' /proc/interrupts; }
host_irq0=$(host_irq)

# 0. The host's virtio_pci holds the node's functions before Mint fences them.
before="disk: $(driver_of $disk), nic: $(driver_of $nic)"
[ "$(driver_of $disk)" = virtio-pci ] && [ "$(driver_of $nic)" = virtio-pci ]
check host_had_bound $? "$before"

# 1. Refused plans: each names the problem; nothing boots, nothing is unbound.
sed '/^unbind_host_drivers/d' "$MINT_PLAN" > /tmp/no-consent.toml
refused refuse_bound_without_consent /tmp/no-consent.toml \
  "0000:01:00.0 is bound to the host's driver virtio-pci"
mint up /tmp/no-consent.toml > /tmp/up-no-consent.out 2>&1
up_rc=$?
[ "$up_rc" != 0 ] && [ "$(driver_of $disk)" = virtio-pci ] &&
  ! mint status 2>/dev/null | grep -q alpha
check up_refuses_without_consent $? "mint up rc $up_rc, disk still bound to $(driver_of $disk): $(grep -m1 'bound' /tmp/up-no-consent.out)"
sed 's/^pci .*/pci = ["0000:01:00.0"]/' "$MINT_PLAN" > /tmp/half-bus.toml
refused refuse_half_a_bus /tmp/half-bus.toml "also holds 0000:01:00.1"
sed 's/^pci .*/pci = ["0000:00:1f.2"]/' "$MINT_PLAN" > /tmp/host-bus.toml
refused refuse_host_bus /tmp/host-bus.toml "not behind a root port"
{ cat "$MINT_PLAN"; printf '\n[[node]]\nname = "beta"\nkernel = "%s"\ncpus = [2]\nmemory = ["0x50000000-0x57ffffff"]\nconsole = "shared"\npci = ["0000:01:00.1"]\n' "$kernel"; } > /tmp/twice.toml
refused refuse_given_twice /tmp/twice.toml "0000:01:00.1 is already given to node alpha"

# 2. The node boots with its devices; the host's drivers are fenced off them.
mint check --live "$MINT_PLAN" > /tmp/check.out 2>&1
check plan_checks "$?" "$(tail -1 /tmp/check.out)"
mint up "$MINT_PLAN" > /tmp/up.out 2>&1
rc=$?
cat /tmp/up.out
check node_ready "$rc" "$(grep 'ready (INIT' /tmp/up.out)"
fenced="disk: driver '$(driver_of $disk)' override '$(cat $sysfs/$disk/driver_override)', nic: driver '$(driver_of $nic)' override '$(cat $sysfs/$nic/driver_override)'"
[ -z "$(driver_of $disk)" ] && [ -z "$(driver_of $nic)" ] &&
  [ "$(cat $sysfs/$disk/driver_override)" = none ] && [ "$(cat $sysfs/$nic/driver_override)" = none ]
check host_fenced $? "$fenced"

# 3. Inside the node: its own PCI segment, its disk, its NIC, its MSI-X interrupts.
mint exec alpha -- cat /proc/cmdline > /tmp/node-cmdline 2>&1
mint exec alpha -- ls /sys/bus/pci/devices > /tmp/node-pci 2>&1
grep -q 'pci=noearly' /tmp/node-cmdline && ! grep -q 'pci=off' /tmp/node-cmdline &&
  grep -q '0001:01:00.0' /tmp/node-pci && grep -q '0001:01:00.1' /tmp/node-pci
check node_sees_its_functions $? "$(tr '\n' ' ' < /tmp/node-pci), cmdline has $(grep -o 'pci=[a-z]*' /tmp/node-cmdline)"
node_irq() { # the node's MSI-X interrupts of its virtio devices, summed
  mint exec alpha -- cat /proc/interrupts > /tmp/node-irq 2>&1
  awk '/PCI-MSI/ && /virtio/ {n += $2} END {print n + 0}' /tmp/node-irq
}
irq0=$(node_irq)
cp /tmp/node-irq /tmp/node-irq0
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
grep -q 'PCI-MSI.*virtio0-req' /tmp/node-irq && grep -q 'PCI-MSI.*virtio1-input' /tmp/node-irq &&
  [ "$irq1" -gt "$irq0" ] && [ "$irq1" -gt 100 ]
check node_msix_counts $? "the node's virtio MSI-X interrupts $irq0 -> $irq1: $(grep -E 'virtio[01]-(req|input)' /tmp/node-irq | awk '{printf "%s %s; ", $NF, $2}')"

# 4. The host stayed healthy: its pulse, its own disk (read again from the device), its own
# virtio interrupts, and no stray or unhandled interrupt.
host_hb1=$(cat /tmp/host-heartbeat)
[ "$host_hb1" -gt $((host_hb0 + 10)) ]
check host_heartbeat $? "host heartbeat $host_hb0 -> $host_hb1"
sync
echo 3 > /proc/sys/vm/drop_caches
host_sum1=$(sha256sum "$kernel" | cut -d' ' -f1)
host_irq1=$(host_irq)
[ "$host_sum0" = "$host_sum1" ] && [ "$host_irq1" -gt "$host_irq0" ]
check host_disk_intact $? "sha256 of $kernel on the host's disk $host_sum0 -> $host_sum1; host virtio MSI-X $host_irq0 -> $host_irq1"
err=$(awk '/^ *ERR:/ {print $2}' /proc/interrupts)
mis=$(awk '/^ *MIS:/ {print $2}' /proc/interrupts)
# (The root port's "AER: enabled with IRQ 24" is the host's own port service, not an error.)
bad_lines=$(dmesg | grep -ciE 'no irq handler|spurious|nobody cared|AER:.*(error|corrected)')
[ "$err" = 0 ] && [ "$mis" = 0 ] && [ "$bad_lines" = 0 ]
check host_interrupts_clean $? "ERR $err, MIS $mis, $bad_lines 'No irq handler'/'spurious'/'nobody cared'/AER error lines in dmesg"

# 4b. mint restart goes through the same stop: the functions are reset and handed to the host's
# driver (which probes them: a virtio_blk line more in dmesg) before the boot fences them again,
# and the node reads its disk afterwards.
probes0=$(dmesg | grep -c 'virtio_blk virtio')
mint restart alpha > /tmp/restart.out 2>&1
rc=$?
probes1=$(dmesg | grep -c 'virtio_blk virtio')
sum=$(mint exec alpha -- sha256sum /dev/vda 2>/dev/null | cut -d' ' -f1)
[ "$rc" = 0 ] && [ "$probes1" -gt "$probes0" ] && [ "$(cat $sysfs/$disk/driver_override)" = none ] &&
  [ -n "$sum" ] && ! grep -q "mint: 0000:" /tmp/restart.out
check restart_gives_devices_back $? "mint restart rc $rc; host virtio_blk probes $probes0 -> $probes1; override '$(cat $sysfs/$disk/driver_override)'; node disk sha256 ${sum:-none}"

# 5. Stopping the node gives the functions back: reset, override cleared, the host's driver
# binds them again.
mint stop alpha > /tmp/stop.out 2>&1
rc=$?
sleep 1
back="disk: driver '$(driver_of $disk)' override '$(cat $sysfs/$disk/driver_override)', nic: driver '$(driver_of $nic)'"
# (mint stop reports a failed reset or probe on stderr, as "mint: 0000:01:00.0: ...".)
[ "$rc" = 0 ] && [ "$(driver_of $disk)" = virtio-pci ] && [ "$(driver_of $nic)" = virtio-pci ] &&
  [ "$(cat $sysfs/$disk/driver_override)" = "(null)" ] && ! grep -q "mint: 0000:" /tmp/stop.out
check stop_gives_devices_back $? "mint stop rc $rc; $back; $(grep -c 'mint: 0000:' /tmp/stop.out) reset/probe errors"

echo E2E-DONE
