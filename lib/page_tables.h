// The identity map a node's boot core runs on between the trampoline's switch to long mode and
// the kernel's own page tables (startup_64 builds those within its first instructions). Built
// as bytes for a fixed physical address inside memory the node owns, never the host's.
//
// Layout at `phys` (Intel SDM vol. 3A, 4.5 "4-Level Paging and 5-Level Paging"):
//   +0x0000  PML5: entry 0 -> the PML4 (used only when the core runs with CR4.LA57)
//   +0x1000  PML4: one entry per 512 GiB that holds mapped memory -> a PDPT
//   +0x2000  PDPTs, then page directories: one PD per GiB that holds mapped memory, 2 MiB
//            pages (PS) present and writable
// The kernel takes its paging depth from CR4.LA57 at entry, so the trampoline loads CR3 with
// the PML5 exactly when it sets LA57 and with the PML4 otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "plan.h"
#include "result.h"

namespace mint {

constexpr uint64_t kPageTablePage = 0x1000;
constexpr uint64_t kLargePage = 0x200000;
// Page-table entry bits (SDM 4.5, tables 4-14..4-19).
constexpr uint64_t kPtePresent = 1 << 0;
constexpr uint64_t kPteWritable = 1 << 1;
constexpr uint64_t kPteLarge = 1 << 7;

struct IdentityMap {
  uint64_t phys = 0;  // where `bytes` must be copied
  uint64_t pml5 = 0;  // phys + 0
  uint64_t pml4 = 0;  // phys + 0x1000
  std::vector<uint8_t> bytes;
};

// Maps every 2 MiB page that touches one of `ranges` (each rounded out to 2 MiB) to itself.
// Fails, naming the count, when the tables would need more than `capacity` bytes.
Result<IdentityMap> BuildIdentityMap(uint64_t phys, uint64_t capacity,
                                     const std::vector<PhysRange>& ranges);

// What a walk of `map` (as the CPU would do it from `root`, 4 or 5 levels) finds for the
// virtual address `address`: its physical address, or nullopt when unmapped. For tests.
std::optional<uint64_t> WalkIdentityMap(const IdentityMap& map, uint64_t root, int levels,
                                        uint64_t address);

}  // namespace mint
