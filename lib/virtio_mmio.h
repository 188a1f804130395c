// virtio-mmio transports a node owns, on an IO-APIC it owns outright (docs/devices.md). The
// node's MADT lists that IO-APIC (and no other); its DSDT describes each transport as a
// "LNRO0005" device with its register range and a level, active-high interrupt, which is the
// only way to give Debian's kernel a virtio-mmio device (it has no virtio_mmio.device= option).
// Pure functions over the inventory.
#pragma once

#include <string>
#include <vector>

#include "acpi.h"
#include "aml.h"
#include "inventory.h"
#include "plan.h"
#include "result.h"

namespace mint {

// QEMU's IO-APIC has 24 pins (hw/intc/ioapic.c, IOAPIC_NUM_PINS); the MADT does not say how
// many an IO-APIC has (its version register does), so Mint assumes 24.
inline constexpr uint32_t kIoApicPins = 24;

struct NodeMmio {
  AcpiIoApic io_apic;
  std::vector<VirtioMmioTransport> transports;
  std::vector<std::string> host_names;  // the host's platform device per transport, "LNRO0005:00"
};

// Checks the node's IO-APIC and transports against the machine: the IO-APIC is in the MADT and
// is not the one with GSI 0 (the ISA interrupts every PC host uses), every transport is a
// virtio-mmio device the firmware describes (same range) and is wired to a pin of that IO-APIC.
// An empty result for a node without virtio-mmio.
Result<std::vector<NodeMmio>> ResolveNodeMmio(const NodePlan& node,
                                              const std::vector<AcpiIoApic>& io_apics,
                                              const std::vector<MmioDevice>& devices);

// Transports bound to a host driver while the plan does not say unbind_host_drivers = true.
std::vector<std::string> MmioBindingProblems(const NodePlan& node,
                                             const std::vector<MmioDevice>& devices);

// The node's DSDT devices (VR00, VR01, ... in \_SB) and its MADT's IO-APIC.
std::vector<aml::Term> DescribeNodeMmio(const NodeMmio& mmio);

}  // namespace mint
