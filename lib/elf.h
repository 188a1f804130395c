// Parses the ELF vmlinux a bzImage carries (decompressed by lib/decompress.h), for entering the
// kernel directly at its 64-bit entry without running its decompressor. A pure function from
// bytes to a result; every read is bounds-checked and every size checked for overflow. Layouts
// follow the System V gABI ("ELF Header", "Program Header") and its x86-64 supplement.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "result.h"

namespace mint {

// ELF64 header and program header as the gABI lays them out (little-endian on x86-64).
struct Elf64Header {
  uint8_t ident[16];
  uint16_t type;
  uint16_t machine;
  uint32_t version;
  uint64_t entry;
  uint64_t phoff;
  uint64_t shoff;
  uint32_t flags;
  uint16_t ehsize;
  uint16_t phentsize;
  uint16_t phnum;
  uint16_t shentsize;
  uint16_t shnum;
  uint16_t shstrndx;
};
static_assert(sizeof(Elf64Header) == 64);
static_assert(offsetof(Elf64Header, entry) == 24);
static_assert(offsetof(Elf64Header, phoff) == 32);
static_assert(offsetof(Elf64Header, phentsize) == 54);
static_assert(offsetof(Elf64Header, phnum) == 56);

struct Elf64ProgramHeader {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t paddr;
  uint64_t filesz;
  uint64_t memsz;
  uint64_t align;
};
static_assert(sizeof(Elf64ProgramHeader) == 56);
static_assert(offsetof(Elf64ProgramHeader, paddr) == 24);
static_assert(offsetof(Elf64ProgramHeader, memsz) == 40);

constexpr uint16_t kElfTypeExec = 2;
constexpr uint16_t kElfMachineX86_64 = 62;
constexpr uint32_t kElfPtLoad = 1;
constexpr uint32_t kElfMaxProgramHeaders = 64;

// One PT_LOAD segment: file bytes [offset, offset + filesz) go to physical paddr, and
// [paddr + filesz, paddr + memsz) must read as zero.
struct ElfSegment {
  uint64_t offset = 0;
  uint64_t paddr = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint32_t flags = 0;
};

struct KernelElf {
  uint64_t entry = 0;                // e_entry: the physical address of startup_64
  std::vector<ElfSegment> segments;  // PT_LOAD only, sorted by paddr, disjoint
  uint64_t phys_start = 0;           // lowest paddr
  uint64_t phys_end = 0;             // highest paddr + memsz
  uint64_t Span() const { return phys_end - phys_start; }
  uint64_t FileBytes() const;  // sum of filesz: what a loader copies
};

// Parses and validates an x86-64 kernel ELF: ELF64 little-endian executable for x86-64,
// program headers inside the file, PT_LOAD segments inside the file, filesz <= memsz, page
// aligned physical addresses, no overlap, all at or above `phys_base` (the kernel's
// LOAD_PHYSICAL_ADDR, the bzImage's pref_address), spanning at most `max_span` bytes from it
// (the bzImage's init_size), and the entry inside an executable segment.
Result<KernelElf> ParseKernelElf(std::span<const uint8_t> elf, uint64_t phys_base,
                                 uint64_t max_span);

}  // namespace mint
