// libFuzzer target for the kernel ELF parser: never crashes, and what it accepts holds its
// invariants (segments sorted, disjoint, inside the file and inside [base, base + max_span)).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "elf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr uint64_t kBase = 0x1000000, kSpan = 0x4000000;
  auto elf = mint::ParseKernelElf({data, size}, kBase, kSpan);
  if (!elf) return 0;
  uint64_t last_end = kBase;
  for (const mint::ElfSegment& s : elf->segments) {
    if (s.paddr < last_end || s.filesz > s.memsz || s.offset > size || size - s.offset < s.filesz)
      std::abort();
    last_end = s.paddr + s.memsz;
    if (last_end > kBase + kSpan) std::abort();
  }
  if (elf->phys_end != last_end) std::abort();
  return 0;
}
