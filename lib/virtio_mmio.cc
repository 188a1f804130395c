#include "virtio_mmio.h"

#include <cstdio>

#include "format.h"

namespace mint {
namespace {

const MmioDevice* FindDevice(const std::vector<MmioDevice>& devices, const PhysRange& range) {
  for (const MmioDevice& device : devices)
    if (device.range == range) return &device;
  return nullptr;
}

}  // namespace

Result<std::vector<NodeMmio>> ResolveNodeMmio(const NodePlan& node,
                                              const std::vector<AcpiIoApic>& io_apics,
                                              const std::vector<MmioDevice>& devices) {
  if (node.virtio_mmio.empty() && !node.io_apic) return std::vector<NodeMmio>{};
  const std::string where = "node " + node.name + ": ";
  if (!node.io_apic) return Fail(where, "virtio_mmio transports need 'io_apic'");
  const AcpiIoApic* io_apic = nullptr;
  std::string known;
  for (const AcpiIoApic& candidate : io_apics) {
    known += (known.empty() ? "" : ", ") + std::to_string(candidate.id) + " (GSI " +
             std::to_string(candidate.gsi_base) + "-" +
             std::to_string(candidate.gsi_base + kIoApicPins - 1) + ")";
    if (candidate.id == *node.io_apic) io_apic = &candidate;
  }
  if (io_apic == nullptr)
    return Fail(where, "IO-APIC ", std::to_string(*node.io_apic),
                " is not in the machine's MADT (it lists ", known.empty() ? "none" : known, ")");
  if (io_apic->gsi_base == 0)
    return Fail(where, "IO-APIC ", std::to_string(io_apic->id),
                " carries GSI 0 and up, the ISA interrupts (timer, UARTs) the host uses; a node "
                "can own only an IO-APIC none of the host's devices is wired to");
  NodeMmio mmio;
  mmio.io_apic = *io_apic;
  for (const VirtioMmioTransport& transport : node.virtio_mmio) {
    const std::string name = FormatVirtioMmio(transport);
    if (transport.gsi < io_apic->gsi_base || transport.gsi >= io_apic->gsi_base + kIoApicPins)
      return Fail(where, "virtio-mmio transport ", name, ": GSI ", std::to_string(transport.gsi),
                  " is not a pin of IO-APIC ", std::to_string(io_apic->id), " (GSI ",
                  std::to_string(io_apic->gsi_base), "-",
                  std::to_string(io_apic->gsi_base + kIoApicPins - 1), ")");
    const MmioDevice* device = FindDevice(devices, transport.range);
    if (device == nullptr)
      return Fail(where, "virtio-mmio transport ", name,
                  " is not a device the firmware describes (no LNRO0005 entry with that range "
                  "in /proc/iomem)");
    mmio.transports.push_back(transport);
    mmio.host_names.push_back(device->name);
  }
  return std::vector<NodeMmio>{mmio};
}

std::vector<std::string> MmioBindingProblems(const NodePlan& node,
                                             const std::vector<MmioDevice>& devices) {
  std::vector<std::string> problems;
  if (node.unbind_host_drivers) return problems;
  for (const VirtioMmioTransport& transport : node.virtio_mmio) {
    const MmioDevice* device = FindDevice(devices, transport.range);
    if (device == nullptr || device->driver.empty()) continue;
    problems.push_back("node " + node.name + ": virtio-mmio transport " +
                       FormatVirtioMmio(transport) + " (" + device->name +
                       ") is bound to the host's driver " + device->driver +
                       "; unbind it first, or set unbind_host_drivers = true in the plan");
  }
  return problems;
}

std::vector<aml::Term> DescribeNodeMmio(const NodeMmio& mmio) {
  std::vector<aml::Term> devices;
  for (size_t i = 0; i < mmio.transports.size(); ++i) {
    const VirtioMmioTransport& transport = mmio.transports[i];
    char name[5];
    std::snprintf(name, sizeof(name), "VR%02X", static_cast<unsigned>(i & 0xFF));
    devices.push_back(aml::Device(
        name,
        {
            aml::Name("_HID", aml::String("LNRO0005")),
            aml::Name("_UID", i),
            aml::Name("_CCA", 1),
            aml::Name("_CRS", aml::ResourceTemplate({
                                  aml::Memory32Fixed(static_cast<uint32_t>(transport.range.start),
                                                     static_cast<uint32_t>(transport.range.size())),
                                  aml::Interrupt(aml::Trigger::kLevel, aml::Polarity::kActiveHigh,
                                                 {transport.gsi}),
                              })),
        }));
  }
  if (devices.empty()) return {};
  return {aml::Scope("_SB", devices)};
}

}  // namespace mint
