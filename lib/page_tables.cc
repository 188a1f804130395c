#include "page_tables.h"
#include "format.h"

#include <cstring>
#include <map>
#include <sstream>

namespace mint {
namespace {

constexpr uint64_t kAddressMask = 0x000ffffffffff000ull;
constexpr uint64_t kOneGiB = uint64_t{1} << 30;
constexpr uint64_t k512GiB = uint64_t{1} << 39;
constexpr uint64_t kMaxPhys = uint64_t{1} << 46;  // keeps every index inside one PML5 entry

uint64_t Entry(const std::vector<uint8_t>& bytes, uint64_t offset) {
  uint64_t value = 0;
  std::memcpy(&value, bytes.data() + offset, 8);
  return value;
}

void SetEntry(std::vector<uint8_t>& bytes, uint64_t offset, uint64_t value) {
  std::memcpy(bytes.data() + offset, &value, 8);
}

}  // namespace

Result<IdentityMap> BuildIdentityMap(uint64_t phys, uint64_t capacity,
                                     const std::vector<PhysRange>& ranges) {
  if (phys % kPageTablePage != 0)
    return Fail("page tables at ", Hex(phys), " are not page aligned");
  // Which 2 MiB pages to map, grouped by GiB (one page directory each) and 512 GiB (one PDPT).
  std::map<uint64_t, std::vector<uint64_t>> by_gib;
  std::map<uint64_t, bool> pdpts;
  for (const PhysRange& r : ranges) {
    if (r.end <= r.start) continue;
    if (r.end > kMaxPhys)
      return Fail("memory ", FormatRange(r), " lies above 64 TiB, beyond the boot identity map");
    for (uint64_t page = r.start / kLargePage * kLargePage; page < r.end; page += kLargePage) {
      by_gib[page / kOneGiB].push_back(page);
      pdpts[page / k512GiB] = true;
    }
  }
  if (by_gib.empty()) return Fail("nothing to map in the boot identity map");
  uint64_t pages = 2 + pdpts.size() + by_gib.size();
  if (pages * kPageTablePage > capacity)
    return Fail("the boot identity map needs ", std::to_string(pages), " pages (",
                std::to_string(by_gib.size()), " GiB regions of memory) but ", Hex(capacity),
                " bytes are reserved for it; give the node fewer, closer memory ranges");

  IdentityMap map;
  map.phys = phys;
  map.pml5 = phys;
  map.pml4 = phys + kPageTablePage;
  map.bytes.assign(pages * kPageTablePage, 0);
  constexpr uint64_t kTable = kPtePresent | kPteWritable;
  SetEntry(map.bytes, 0, map.pml4 | kTable);
  uint64_t next = 2;
  std::map<uint64_t, uint64_t> pdpt_offset;
  for (const auto& [index, unused] : pdpts) {
    pdpt_offset[index] = next * kPageTablePage;
    SetEntry(map.bytes, kPageTablePage + index * 8, (phys + next * kPageTablePage) | kTable);
    ++next;
  }
  for (const auto& [gib, large_pages] : by_gib) {
    uint64_t pd = next * kPageTablePage;
    ++next;
    SetEntry(map.bytes, pdpt_offset[gib / 512] + (gib % 512) * 8, (phys + pd) | kTable);
    for (uint64_t page : large_pages)
      SetEntry(map.bytes, pd + (page % kOneGiB) / kLargePage * 8, page | kTable | kPteLarge);
  }
  return map;
}

std::optional<uint64_t> WalkIdentityMap(const IdentityMap& map, uint64_t root, int levels,
                                        uint64_t address) {
  uint64_t table = root;
  for (int level = levels; level >= 2; --level) {
    if (table < map.phys || table - map.phys >= map.bytes.size()) return std::nullopt;
    int shift = 12 + 9 * (level - 1);
    uint64_t entry = Entry(map.bytes, table - map.phys + ((address >> shift) & 511) * 8);
    if (!(entry & kPtePresent)) return std::nullopt;
    if (level == 2) {
      if (!(entry & kPteLarge)) return std::nullopt;
      return (entry & kAddressMask & ~(kLargePage - 1)) + (address & (kLargePage - 1));
    }
    table = entry & kAddressMask;
  }
  return std::nullopt;
}

}  // namespace mint
