// libFuzzer target for the device parsers: PCI addresses, sysfs "resource" files, the ECAM line
// of /proc/iomem, virtio-mmio transports ("START-END@GSI") and a bridge's configuration header
// (sysfs "config"). Any input either fails with a message or yields values that format back to
// text that parses to the same values; a bridge's windows are whole MiB and never wrap.
#include <cstdlib>
#include <span>
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
  // The same bytes as a function's configuration space.
  const bool long_enough = size > 0x0E;
  const bool bridge_type = long_enough && (data[0x0E] & 0x7F) == 1;
  if (auto bridge = mint::ParsePciBridge(std::span(data, size))) {
    if (bridge->has_value()) {
      if (!bridge_type || size < sizeof(mint::PciType1Header)) std::abort();
      constexpr uint64_t kMiB = uint64_t{1} << 20;
      for (const auto& window : {(*bridge)->memory_window, (*bridge)->prefetch_window}) {
        if (window &&
            (window->end <= window->start || window->start % kMiB != 0 || window->end % kMiB != 0))
          std::abort();
      }
      const auto& memory = (*bridge)->memory_window;
      if (memory && memory->end > (uint64_t{1} << 32)) std::abort();  // 32-bit registers
    } else if (!long_enough || bridge_type) {
      std::abort();
    }
  } else if (bridge.error().message.empty() || (long_enough && !bridge_type) ||
             size >= sizeof(mint::PciType1Header)) {
    std::abort();
  }
  return 0;
}
