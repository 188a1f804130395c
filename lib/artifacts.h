// Everything the host must write into memory to start one node, built from its plan and its
// kernel image: the write step of parse -> plan -> write. Pure: the caller reads files and
// hands the bytes in; nothing here touches the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "acpi_build.h"
#include "bzimage.h"
#include "elf.h"
#include "layout.h"
#include "network.h"
#include "page_tables.h"
#include "pci.h"
#include "plan.h"
#include "result.h"
#include "virtio_mmio.h"

namespace mint {

// What a segment holds.
enum class SegmentKind {
  kStatusPage,      // the node's status page, zeroed
  kBootParams,      // boot_params (the zero page)
  kCmdline,         // the command line, NUL-terminated
  kAcpi,            // the ACPI table set (acpi_build.h)
  kShared,          // the shared-memory area, zeroed
  kKernel,          // the bzImage's protected-mode code (entry through the decompressor)
  kInitrd,          // the initramfs, as given
  kPageTables,      // direct entry: the identity map
  kKernelElf,       // direct entry: one PT_LOAD segment of the ELF vmlinux (Segment::elf_paddr)
  kKernelZeroTail,  // direct entry: the zeroed part of a PT_LOAD segment past its file bytes
};

// One piece to copy to physical memory. `bytes` either owns its data or points into the
// caller's kernel/initrd buffers (which must outlive the segment list).
struct Segment {
  SegmentKind kind = SegmentKind::kKernel;
  uint64_t phys = 0;
  std::span<const uint8_t> bytes;
  uint64_t elf_paddr = 0;  // kKernelElf: the ELF segment's p_paddr (link-time physical address)
};

// The name a person sees for a segment (mint boot --dry-run, its JSON "what", error messages):
// "status page", "boot_params", "cmdline", "acpi", "shared", "kernel", "initrd", "page tables",
// "kernel 0x1000000" (an ELF segment, by p_paddr), "kernel zero tail".
std::string SegmentName(const Segment& segment);

struct NodeArtifacts {
  NodeLayout layout;
  std::string cmdline;
  std::vector<uint8_t> cmdline_bytes;  // with its NUL
  std::vector<uint8_t> boot_params;
  std::vector<uint8_t> status_page;  // zeroed: the node's agent fills it
  std::vector<uint8_t> shared;       // zeroed: no earlier tenant's rings or mailbox count
  AcpiTables acpi;
  uint64_t entry = 0;             // the kernel's 32-bit entry (= layout.kernel), or startup_64
  uint64_t kernel_base = 0;       // where the kernel runs: layout.kernel, or the KASLR slot
  uint64_t kaslr_slots = 0;       // direct entry with kaslr: how many bases there were to pick
  bool long_mode = false;         // direct entry: 64-bit, on page_tables
  IdentityMap page_tables;        // direct entry only
  std::vector<uint8_t> zeros;     // direct entry: the zero tails of segments (memsz > filesz)
  std::vector<Segment> segments;  // in copy order; spans point into this object or the inputs
  std::optional<NodeLink> link;   // what the host asks the module for (its link ioctl)
  std::vector<NodeDirectLink> direct_links;  // its links to other nodes (DirectLinksOf)
  std::optional<NodeRoot> root;              // a diskless node's root export (NodeRootOf)
};

struct NodeInputs {
  const NodePlan* node = nullptr;
  std::span<const uint8_t> kernel_bytes;  // the whole bzImage
  const KernelImage* kernel = nullptr;    // ParseBzImage(kernel_bytes)
  std::span<const uint8_t> initrd_bytes;  // may be empty
  uint64_t tsc_khz = 0;
  // Direct entry with `kaslr = true` in the node's plan: picks the kernel's base among the
  // 2 MiB aligned slots that fit (any value; the same seed gives the same base).
  uint64_t kaslr_seed = 0;
  // The node's PCI buses (ResolveNodePci against the host's topology), or null when it owns
  // none: then it runs with pci=off and its DSDT and MCFG describe no PCI.
  const std::vector<NodePciBus>* pci = nullptr;
  // The IO-APIC and virtio-mmio transports it owns (ResolveNodeMmio), or null when none.
  const std::vector<NodeMmio>* mmio = nullptr;
  // Its link to the host (NodeLinkOf), or null when it has none: the command line then says
  // where the link's region is and the node's address (LinkCommandLine).
  const NodeLink* link = nullptr;
  // Its direct links to other nodes (DirectLinksOf), or null when none: each is reserved in
  // its e820 and named on its command line (DirectLinkCommandLine).
  const std::vector<NodeDirectLink>* direct_links = nullptr;
  // A diskless node's root (NodeRootOf), or null: the command line names its export
  // (RootCommandLine), which the node's /init mounts and switches to.
  const NodeRoot* root = nullptr;
};

// Direct entry (x86_64 only): the kernel's ELF vmlinux (ExtractKernelElf of the bzImage) and
// its parse. The node skips the decompressor: each segment goes to
// base + p_paddr - pref_address, the tail past p_filesz is zeroed, and the core enters
// startup_64 in long mode on an identity map in Mint's area. The base is layout.kernel, or with
// `kaslr = true` a 2 MiB aligned slot (a misaligned one hangs silently) picked by kaslr_seed
// among those from layout.kernel up to the initrd, the range's end or 4 GiB, whichever is
// lowest. Only the physical placement is random: the decompressor, which would also randomize
// the virtual one, is skipped, and the kernel sees the KASLR flag clear.
struct DirectKernel {
  std::span<const uint8_t> elf_bytes;
  const KernelElf* elf = nullptr;
};

// Builds every artifact. The returned object holds spans into itself: do not copy it (moves
// are fine: vectors keep their buffers).
// With `direct`, the node is entered directly (see DirectKernel); otherwise through the
// bzImage's 32-bit entry and its decompressor.
Result<NodeArtifacts> BuildNodeArtifacts(const NodeInputs& inputs,
                                         const DirectKernel* direct = nullptr);

}  // namespace mint
