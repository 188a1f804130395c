// libFuzzer target for the inventory parsers: /proc/iomem text, a firmware memmap entry, the
// MADT, CPU lists, /proc/cpuinfo and a saved inventory (JSON). Any input either fails with a
// message or yields well-formed values; a saved inventory written back parses to the same text.
#include <cstdlib>
#include <string>

#include "inventory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::span<const uint8_t> bytes(data, size);
  if (auto iomem = mint::ParseIomem(text)) {
    for (const mint::IomemEntry& e : *iomem)
      if (e.range.end <= e.range.start || e.depth < 0) std::abort();
  } else if (iomem.error().message.empty()) {
    std::abort();
  }
  if (auto madt = mint::ParseMadt(bytes); !madt && madt.error().message.empty()) std::abort();
  if (auto list = mint::ParseCpuList(text)) {
    for (size_t i = 1; i < list->size(); ++i)
      if ((*list)[i - 1] >= (*list)[i]) std::abort();
  }
  (void)mint::ParseCpuinfo(text);
  size_t a = text.find('\n'), b = a == std::string::npos ? a : text.find('\n', a + 1);
  if (b != std::string::npos) {
    auto entry = mint::ParseFirmwareMemmapEntry(text.substr(0, a), text.substr(a + 1, b - a - 1),
                                                text.substr(b + 1));
    if (entry && entry->range.end <= entry->range.start) std::abort();
  }
  if (auto inv = mint::ParseInventoryJson(text, "fuzz.json")) {
    std::string saved = mint::InventoryToJson(*inv);
    auto again = mint::ParseInventoryJson(saved, "again.json");
    if (!again || mint::InventoryToJson(*again) != saved) std::abort();
  }
  return 0;
}
