#include "layout.h"
#include "format.h"

#include <algorithm>
#include <sstream>

#include "boot_protocol.h"
#include "byte_reader.h"

namespace mint {
namespace {}  // namespace

Result<NodeLayout> PlanNodeLayout(const std::vector<PhysRange>& memory_in, const PhysRange& low,
                                  const KernelImage& kernel, uint64_t initrd_size) {
  if (memory_in.empty()) return Fail("the node has no memory");
  std::vector<PhysRange> memory = memory_in;
  std::sort(memory.begin(), memory.end(),
            [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
  for (size_t i = 0; i + 1 < memory.size(); ++i) {
    if (memory[i].Overlaps(memory[i + 1]))
      return Fail("memory ", FormatRange(memory[i]), " overlaps ", FormatRange(memory[i + 1]));
  }
  if (low.size() < kMinLowSlice)
    return Fail("low slice ", FormatRange(low), " is ", Hex(low.size()), " bytes; a node needs ",
                Hex(kMinLowSlice), " below 1 MiB");
  if (low.end > kEbdaHole.start)
    return Fail("low slice ", FormatRange(low), " reaches into the EBDA at ",
                FormatRange(kEbdaHole));

  NodeLayout layout;
  const PhysRange& first = memory.front();
  layout.base = first.start;
  if (first.start % kPage != 0) return Fail("memory ", FormatRange(first), " is not page aligned");
  if (first.start + kMintAreaSize > k4GiB)
    return Fail("the node's lowest memory ", FormatRange(first),
                " starts above 4 GiB: the 32-bit entry needs boot_params below 4 GiB");
  layout.status_page = first.start + kStatusPageOffset;
  layout.boot_params = first.start + kBootParamsOffset;
  layout.cmdline = first.start + kCmdlineOffset;
  layout.acpi = first.start + kAcpiOffset;
  layout.shared = first.start + kSharedOffset;
  layout.page_tables = first.start + kPageTablesOffset;

  const SetupHeader& hdr = kernel.header;
  uint64_t alignment = std::max<uint64_t>(hdr.kernel_alignment, kPage);
  uint64_t kernel_at = *AlignUp(first.start + kMintAreaSize, alignment);
  if (kernel_at < hdr.pref_address) {
    // Below pref_address (LOAD_PHYSICAL_ADDR) the decompressor moves itself to that address,
    // which would be outside the node: load at pref_address if the node owns it.
    kernel_at = hdr.pref_address;
  }
  layout.kernel = kernel_at;
  layout.kernel_room = std::max<uint64_t>(hdr.init_size, kernel.protected_mode_size);
  layout.kernel_room = *AlignUp(layout.kernel_room, kPage);
  auto kernel_end = CheckedAdd(kernel_at, layout.kernel_room);
  const PhysRange* kernel_range = nullptr;
  for (const PhysRange& range : memory) {
    if (kernel_end && kernel_at >= range.start && *kernel_end <= range.end) kernel_range = &range;
  }
  if (kernel_range == nullptr) {
    if (kernel_at >= first.end || kernel_at < first.start)
      return Fail("the kernel must load at ", Hex(kernel_at), " (kernel_alignment ", Hex(alignment),
                  ", pref_address ", Hex(hdr.pref_address),
                  "), outside the node's memory starting ", FormatRange(first));
    return Fail("memory ", FormatRange(first), " is too small: the kernel needs ",
                Hex(layout.kernel_room), " bytes (init_size) from ", Hex(kernel_at),
                ", so the range must reach ", Hex(kernel_at + layout.kernel_room), " (at least ",
                MiBAtLeast(kernel_at + layout.kernel_room - first.start), ")");
  }
  if (kernel_at + layout.kernel_room > k4GiB)
    return Fail("the kernel would end at ", Hex(kernel_at + layout.kernel_room),
                ", above 4 GiB: the 32-bit entry cannot reach it");

  if (initrd_size > 0) {
    uint64_t limit = uint64_t{hdr.initrd_addr_max} + 1;
    if (hdr.xloadflags & kXlfCanBeLoadedAbove4G) limit = UINT64_MAX;
    uint64_t size = *AlignUp(initrd_size, kPage);
    for (auto it = memory.rbegin(); it != memory.rend() && layout.initrd == 0; ++it) {
      uint64_t top = std::min(it->end, limit);
      uint64_t floor = it->start;
      if (&*it == kernel_range) floor = kernel_at + layout.kernel_room;
      if (&*it == &memory.front()) floor = std::max(floor, first.start + kMintAreaSize);
      if (top > floor && top - floor >= size) layout.initrd = AlignDown(top - size, kPage);
    }
    if (layout.initrd == 0)
      return Fail("no room for the ", Hex(initrd_size), "-byte initrd below initrd_addr_max ",
                  Hex(hdr.initrd_addr_max), " after the kernel's ", Hex(layout.kernel_room),
                  " bytes; give the node at least ",
                  MiBAtLeast(kernel_at + layout.kernel_room - first.start + size),
                  " in its first range");
    layout.initrd_size = initrd_size;
  }

  // e820: the low slice, the PC holes, Mint's area, then the node's RAM, in address order.
  auto add = [&](uint64_t start, uint64_t end, E820Type type) {
    if (end > start) layout.e820.push_back({start, end - start, static_cast<uint32_t>(type)});
  };
  add(low.start, low.end, E820Type::kRam);
  add(kEbdaHole.start, kEbdaHole.end, E820Type::kReserved);
  add(kBiosHole.start, kBiosHole.end, E820Type::kReserved);
  for (const PhysRange& range : memory) {
    if (&range == &memory.front()) {
      add(range.start, layout.acpi, E820Type::kReserved);
      add(layout.acpi, layout.shared, E820Type::kAcpi);
      add(layout.shared, range.start + kMintAreaSize, E820Type::kReserved);
      add(range.start + kMintAreaSize, range.end, E820Type::kRam);
    } else {
      add(range.start, range.end, E820Type::kRam);
    }
  }
  if (layout.e820.size() > kE820MaxEntries)
    return Fail("the node's memory map has ", std::to_string(layout.e820.size()),
                " entries; the zero page holds ", std::to_string(kE820MaxEntries));
  return layout;
}

}  // namespace mint
