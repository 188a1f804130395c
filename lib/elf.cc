#include "elf.h"
#include "format.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "boot_protocol.h"
#include "byte_reader.h"

namespace mint {
namespace {

constexpr uint32_t kPfExecute = 1;

}  // namespace

uint64_t KernelElf::FileBytes() const {
  uint64_t total = 0;
  for (const ElfSegment& s : segments) total += s.filesz;
  return total;
}

Result<KernelElf> ParseKernelElf(std::span<const uint8_t> bytes, uint64_t phys_base,
                                 uint64_t max_span) {
  ByteReader reader(bytes);
  auto header = reader.ReadAt<Elf64Header>(0);
  if (!header)
    return Fail("kernel ELF is ", std::to_string(bytes.size()),
                " bytes, too short for an ELF header");
  const Elf64Header& h = *header;
  static const uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (std::memcmp(h.ident, kMagic, 4) != 0)
    return Fail("the decompressed kernel is not an ELF file (magic ", Hex(h.ident[0]), " ",
                Hex(h.ident[1]), " ", Hex(h.ident[2]), " ", Hex(h.ident[3]), ")");
  if (h.ident[4] != 2 || h.ident[5] != 1)
    return Fail("kernel ELF is not 64-bit little-endian (class ", std::to_string(h.ident[4]),
                ", data ", std::to_string(h.ident[5]), "); only x86_64 kernels enter directly");
  if (h.type != kElfTypeExec || h.machine != kElfMachineX86_64)
    return Fail("kernel ELF is type ", std::to_string(h.type), " for machine ",
                std::to_string(h.machine), "; expected an x86-64 executable (2, 62)");
  if (h.phentsize != sizeof(Elf64ProgramHeader))
    return Fail("kernel ELF program headers are ", std::to_string(h.phentsize),
                " bytes each; ELF64 has 56");
  if (h.phnum == 0 || h.phnum > kElfMaxProgramHeaders)
    return Fail("kernel ELF has ", std::to_string(h.phnum), " program headers; expected 1..",
                std::to_string(kElfMaxProgramHeaders));
  if (h.phoff > bytes.size() || (bytes.size() - h.phoff) / sizeof(Elf64ProgramHeader) < h.phnum)
    return Fail("kernel ELF program headers at ", Hex(h.phoff), " run past the file's ",
                std::to_string(bytes.size()), " bytes");

  KernelElf out;
  out.entry = h.entry;
  for (uint16_t i = 0; i < h.phnum; ++i) {
    auto ph = reader.ReadAt<Elf64ProgramHeader>(h.phoff + i * sizeof(Elf64ProgramHeader));
    if (ph->type != kElfPtLoad) continue;
    std::string what =
        "kernel ELF segment " + std::to_string(i) + " (paddr " + Hex(ph->paddr) + ")";
    if (ph->filesz > ph->memsz)
      return Fail(what, ": file size ", Hex(ph->filesz), " exceeds memory size ", Hex(ph->memsz));
    if (!reader.SpanAt(ph->offset, ph->filesz))
      return Fail(what, ": bytes ", Hex(ph->offset), "+", Hex(ph->filesz), " run past the file's ",
                  std::to_string(bytes.size()), " bytes");
    if (ph->paddr % kPage != 0) return Fail(what, ": physical address is not page aligned");
    if (ph->paddr < phys_base)
      return Fail(what, ": lies below the kernel's load address ", Hex(phys_base));
    if (ph->memsz > max_span || ph->paddr - phys_base > max_span - ph->memsz)
      return Fail(what, ": ends beyond ", Hex(phys_base), " + init_size ", Hex(max_span));
    if (ph->memsz == 0) continue;
    out.segments.push_back({ph->offset, ph->paddr, ph->vaddr, ph->filesz, ph->memsz, ph->flags});
  }
  if (out.segments.empty()) return Fail("kernel ELF has no loadable segment");
  std::sort(out.segments.begin(), out.segments.end(),
            [](const ElfSegment& a, const ElfSegment& b) { return a.paddr < b.paddr; });
  for (size_t i = 0; i + 1 < out.segments.size(); ++i) {
    const ElfSegment& a = out.segments[i];
    const ElfSegment& b = out.segments[i + 1];
    if (a.paddr + a.memsz > b.paddr)
      return Fail("kernel ELF segments at ", Hex(a.paddr), " (", Hex(a.memsz), " bytes) and ",
                  Hex(b.paddr), " overlap");
  }
  out.phys_start = out.segments.front().paddr;
  out.phys_end = out.segments.back().paddr + out.segments.back().memsz;
  bool entry_ok = false;
  for (const ElfSegment& s : out.segments)
    entry_ok |= (s.flags & kPfExecute) && h.entry >= s.paddr && h.entry - s.paddr < s.filesz;
  if (!entry_ok)
    return Fail("kernel ELF entry ", Hex(h.entry),
                " is not inside an executable segment's physical range");
  return out;
}

}  // namespace mint
