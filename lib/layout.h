// Where each piece of a node goes in the node's own memory. Every fixed offset lives here,
// with the arithmetic behind it.
//
// The lowest memory range of a node (it must start below 4 GiB: the trampoline enters the
// kernel in 32-bit mode with 32-bit pointers) begins with Mint's area:
//
//   base + 0x0000  status page (4 KiB)         e820 reserved: shared with the host
//   base + 0x1000  boot_params, the zero page   e820 reserved
//   base + 0x2000  kernel command line (8 KiB)  e820 reserved; 6.1 reads at most 2 KiB
//                                               (x86_64) or 2 KiB (i386) but cmdline_size
//                                               is the kernel's to say, up to 8 KiB here
//   base + 0x4000  ACPI tables (48 KiB)         e820 ACPI data: a MADT entry is 8 bytes, so
//                                               this holds far more cores than MINT_MAX_CPUS
//   base + 0x10000 shared sections (128 KiB)    e820 reserved: node page, host page, console
//                                               input ring (4 KiB), exec result (52 KiB),
//                                               console output ring (64 KiB), at the
//                                               MINT_SHARED_* offsets of include/mint/abi.h;
//                                               docs/shared-memory.md says who writes what
//   base + 0x30000 boot page tables (64 KiB)    e820 reserved: the identity map a directly
//                                               entered kernel starts on (lib/page_tables.h):
//                                               PML5 + PML4 + PDPT + one PD per GiB of the
//                                               node's memory, so 16 pages cover 13 GiB regions
//   base + 0x40000 RAM for the node
//
// The kernel's protected-mode code goes at the first kernel_alignment boundary after Mint's
// area, never below the image's pref_address (below it the decompressor relocates itself to
// LOAD_PHYSICAL_ADDR, outside the node), with init_size bytes of room. The initrd goes as
// high as it can below initrd_addr_max, above the kernel's room.
#pragma once

#include <cstdint>
#include <vector>

#include "boot_protocol.h"
#include "bzimage.h"
#include "mint/abi.h"
#include "plan.h"
#include "result.h"

namespace mint {

constexpr uint64_t kStatusPageOffset = 0x0000;
constexpr uint64_t kBootParamsOffset = 0x1000;
constexpr uint64_t kCmdlineOffset = 0x2000;
constexpr uint64_t kCmdlineCapacity = 0x2000;
constexpr uint64_t kAcpiOffset = 0x4000;
constexpr uint64_t kAcpiCapacity = 0xc000;
constexpr uint64_t kSharedOffset = MINT_SHARED_NODE_PAGE;
constexpr uint64_t kSharedSize = MINT_SHARED_END - MINT_SHARED_NODE_PAGE;
constexpr uint64_t kPageTablesOffset = MINT_SHARED_END;
constexpr uint64_t kPageTablesCapacity = 0x10000;
constexpr uint64_t kMintAreaSize = kPageTablesOffset + kPageTablesCapacity;
static_assert(kBootParamsOffset >= kStatusPageOffset + 0x1000);
static_assert(kCmdlineOffset >= kBootParamsOffset + sizeof(BootParams));
static_assert(kAcpiOffset >= kCmdlineOffset + kCmdlineCapacity);
static_assert(kSharedOffset == kAcpiOffset + kAcpiCapacity);
static_assert(kStatusPageOffset == 0, "the shared offsets in abi.h count from the status page");
static_assert(kPageTablesOffset == kSharedOffset + kSharedSize);
static_assert(kMintAreaSize == kPageTablesOffset + kPageTablesCapacity);

// Fixed holes every node's e820 shows below 1 MiB, as a PC's would: the EBDA's last KiB and
// the BIOS area. (Linux 6.1 panics without some RAM below 1 MiB for its real-mode trampoline.)
constexpr PhysRange kEbdaHole{0x9fc00, 0xa0000};
constexpr PhysRange kBiosHole{0xf0000, 0x100000};
// The smallest low slice a node boots with. Linux 6.1 takes its real-mode trampoline (AP
// startup, ~24 KiB for Debian's 6.1.0-56-cloud-amd64) from sub-1 MiB RAM and panics "Real mode
// trampoline was not allocated" without it; the decompressor also puts two pages at the top
// of low RAM, but only while it runs. Measured in the lab with one node and slices ending at
// 0x80000: 16 KiB and 24 KiB panic, 28 KiB and 32 KiB boot to userspace. So 28 KiB.
constexpr uint64_t kMinLowSlice = 0x7000;
// The slice a node gets when its plan names none (lib/plan.cc places them from the top of the
// low window down): the measured minimum plus a page for kernels whose trampoline is a little
// larger. The default window 0x10000-0x8ffff holds (512 KiB - 12 KiB of Mint's trampoline) /
// 32 KiB = 15 (docs/trampoline.md; docs/low-memory.md has what a node needs there and when).
constexpr uint64_t kDefaultLowSlice = 0x8000;

struct NodeLayout {
  uint64_t base = 0;  // start of the lowest memory range
  uint64_t status_page = 0;
  uint64_t boot_params = 0;
  uint64_t cmdline = 0;
  uint64_t acpi = 0;
  uint64_t shared = 0;       // the shared sections (node page, rings, mailbox)
  uint64_t page_tables = 0;  // the boot identity map (direct entry only)
  uint64_t kernel = 0;       // load address of the protected-mode code = 32-bit entry
  uint64_t kernel_room = 0;  // bytes reserved from `kernel` (init_size, or the code if larger)
  uint64_t initrd = 0;       // 0 when there is none
  uint64_t initrd_size = 0;
  std::vector<E820Entry> e820;
};

// memory: the node's ranges (any order); low: its slice below 1 MiB.
Result<NodeLayout> PlanNodeLayout(const std::vector<PhysRange>& memory, const PhysRange& low,
                                  const KernelImage& kernel, uint64_t initrd_size);

}  // namespace mint
