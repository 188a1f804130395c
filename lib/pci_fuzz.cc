// libFuzzer target for the device parsers: PCI addresses, sysfs "resource" files, the ECAM line
// of /proc/iomem and virtio-mmio transports ("START-END@GSI"). Any input either fails with a
// message or yields values that format back to text that parses to the same values.
#include <cstdlib>
#include <string>

#include "pci.h"
#include "plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto address = mint::ParsePciAddress(text)) {
    if (address->device > 31 || address->function > 7) std::abort();
    auto again = mint::ParsePciAddress(mint::FormatPciAddress(*address));
    if (!again || !(*again == *address)) std::abort();
  } else if (address.error().message.empty()) {
    std::abort();
  }
  if (auto ranges = mint::ParsePciResources(text)) {
    for (const mint::PhysRange& range : *ranges)
      if (range.end < range.start || (range.end == range.start && range.start != 0)) std::abort();
  } else if (ranges.error().message.empty()) {
    std::abort();
  }
  if (auto ecam = mint::FindEcam(text)) {
    if (ecam->base == 0 || ecam->start_bus > ecam->end_bus) std::abort();
  }
  if (auto transport = mint::ParseVirtioMmio(text)) {
    if (transport->range.end <= transport->range.start ||
        transport->range.end > (uint64_t{1} << 32))
      std::abort();
    auto again = mint::ParseVirtioMmio(mint::FormatVirtioMmio(*transport));
    if (!again || !(*again == *transport)) std::abort();
  } else if (transport.error().message.empty()) {
    std::abort();
  }
  return 0;
}
