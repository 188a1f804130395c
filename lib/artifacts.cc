#include "artifacts.h"
#include "format.h"

#include <algorithm>
#include <cstdio>

#include "boot_params.h"

namespace mint {
namespace {

constexpr uint64_t kDirectAlign = 0x200000;  // startup_64 needs a 2 MiB aligned base

// splitmix64's finalizer: spreads any seed (a counter, a time) over all 64 bits.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// Physical KASLR for a directly entered kernel spanning `span` bytes (artifacts.h).
Result<uint64_t> PickKaslrBase(const NodeInputs& in, const NodeLayout& layout, uint64_t span,
                               NodeArtifacts& out) {
  const PhysRange* range = nullptr;
  for (const PhysRange& r : in.node->memory) {
    if (layout.kernel >= r.start && layout.kernel < r.end) range = &r;
  }
  if (range == nullptr) return Fail("node ", in.node->name, ": no memory range holds the kernel");
  uint64_t limit = std::min(range->end, k4GiB);
  if (layout.initrd_size > 0 && layout.initrd > layout.kernel)
    limit = std::min(limit, layout.initrd);
  if (limit < layout.kernel + span)
    return Fail("node ", in.node->name, ": no room for the kernel's ", Hex(span), " bytes from ",
                Hex(layout.kernel));
  out.kaslr_slots = (limit - span - layout.kernel) / kDirectAlign + 1;
  return layout.kernel + Mix(in.kaslr_seed) % out.kaslr_slots * kDirectAlign;
}

// Direct entry: the ELF's segments in place of the protected-mode code, the identity map,
// the 64-bit entry.
Result<void> AddDirectEntry(const NodeInputs& in, const DirectKernel& direct, NodeArtifacts& out) {
  const NodePlan& node = *in.node;
  const KernelImage& kernel = *in.kernel;
  const KernelElf& elf = *direct.elf;
  const NodeLayout& layout = out.layout;
  if (!kernel.is_64bit)
    return Fail("node ", node.name, ": direct entry needs an x86_64 kernel; ", node.kernel, " is ",
                kernel.arch, " (use --entry=decompress)");
  uint64_t link_base = kernel.header.pref_address;  // LOAD_PHYSICAL_ADDR
  if (layout.kernel % kDirectAlign != 0)
    return Fail("node ", node.name, ": kernel base ", Hex(layout.kernel),
                " is not 2 MiB aligned; startup_64 would hang");
  if (elf.phys_start < link_base || elf.phys_end - link_base > layout.kernel_room)
    return Fail("node ", node.name, ": the kernel's segments ", Hex(elf.phys_start), "-",
                Hex(elf.phys_end), " do not fit ", Hex(link_base), " + ", Hex(layout.kernel_room));
  uint64_t base = layout.kernel;
  if (node.kaslr) base = MINT_TRY(PickKaslrBase(in, layout, elf.phys_end - link_base, out));
  out.kernel_base = base;
  uint64_t tail = 0;
  for (const ElfSegment& s : elf.segments) tail = std::max(tail, s.memsz - s.filesz);
  out.zeros.assign(tail, 0);
  std::vector<Segment> segments;
  for (const ElfSegment& s : elf.segments) {
    uint64_t phys = base + (s.paddr - link_base);
    if (s.filesz > 0)
      segments.push_back(
          {SegmentKind::kKernelElf, phys, direct.elf_bytes.subspan(s.offset, s.filesz), s.paddr});
    if (s.memsz > s.filesz)
      segments.push_back({SegmentKind::kKernelZeroTail, phys + s.filesz,
                          std::span<const uint8_t>(out.zeros).first(s.memsz - s.filesz)});
  }
  // Low memory (the trampoline runs there while paging turns on) and all of the node's.
  std::vector<PhysRange> mapped = {{0, 0x100000}};
  mapped.insert(mapped.end(), node.memory.begin(), node.memory.end());
  auto map = BuildIdentityMap(layout.page_tables, kPageTablesCapacity, mapped);
  if (!map) return Fail("node ", node.name, ": ", map.error().message);
  out.page_tables = std::move(*map);
  out.long_mode = true;
  out.entry = base + (elf.entry - link_base);
  // Replace the protected-mode code with the segments; page tables before them.
  auto at = std::find_if(out.segments.begin(), out.segments.end(),
                         [](const Segment& s) { return s.kind == SegmentKind::kKernel; });
  if (at == out.segments.end()) return Fail("node ", node.name, ": no kernel segment to replace");
  at = out.segments.erase(at);
  at = out.segments.insert(
           at, {SegmentKind::kPageTables, out.page_tables.phys, out.page_tables.bytes}) +
       1;
  out.segments.insert(at, segments.begin(), segments.end());
  return Ok{};
}

}  // namespace

std::string SegmentName(const Segment& segment) {
  switch (segment.kind) {
    case SegmentKind::kStatusPage:
      return "status page";
    case SegmentKind::kBootParams:
      return "boot_params";
    case SegmentKind::kCmdline:
      return "cmdline";
    case SegmentKind::kAcpi:
      return "acpi";
    case SegmentKind::kShared:
      return "shared";
    case SegmentKind::kKernel:
      return "kernel";
    case SegmentKind::kInitrd:
      return "initrd";
    case SegmentKind::kPageTables:
      return "page tables";
    case SegmentKind::kKernelElf:
      return "kernel " + Hex(segment.elf_paddr);
    case SegmentKind::kKernelZeroTail:
      return "kernel zero tail";
  }
  return "?";
}

Result<NodeArtifacts> BuildNodeArtifacts(const NodeInputs& in, const DirectKernel* direct) {
  const NodePlan& node = *in.node;
  const KernelImage& kernel = *in.kernel;
  if (!node.arch.empty() && node.arch != kernel.arch)
    return Fail("node ", node.name, ": the plan says arch ", node.arch, " but ", node.kernel,
                " is an ", kernel.arch, " kernel");
  if (!node.low) return Fail("node ", node.name, ": no low slice was assigned");
  if (!node.memory_sizes.empty())
    return Fail("node ", node.name, ": memory sizes were not placed yet");

  NodeArtifacts out;
  out.layout = MINT_TRY(PlanNodeLayout(node.memory, *node.low, kernel, in.initrd_bytes.size()));
  std::vector<PhysRange> link_regions;
  if (in.link != nullptr) link_regions.push_back(in.link->region);
  if (in.direct_links != nullptr) {
    for (const NodeDirectLink& link : *in.direct_links) link_regions.push_back(link.region);
  }
  if (!link_regions.empty()) {
    // Each link's region is announced in the node's e820 as reserved (docs/network.md): the
    // node's kernel never takes it as RAM, and /proc/iomem shows it.
    for (const PhysRange& region : link_regions)
      out.layout.e820.push_back(
          {region.start, region.size(), static_cast<uint32_t>(E820Type::kReserved)});
    std::sort(out.layout.e820.begin(), out.layout.e820.end(),
              [](const E820Entry& a, const E820Entry& b) { return a.addr < b.addr; });
    if (out.layout.e820.size() > kE820MaxEntries)
      return Fail("node ", node.name, ": the memory map has ",
                  std::to_string(out.layout.e820.size()),
                  " entries with the link; the zero page holds ", std::to_string(kE820MaxEntries));
  }
  const NodeLayout& layout = out.layout;

  NodeCommandLine options;
  options.user = node.cmdline;
  options.hostname = node.name;
  options.tsc_khz = in.tsc_khz;
  options.cpus = static_cast<uint32_t>(node.cpus.size() + node.receive_cpus.size());
  options.own_cpus = static_cast<uint32_t>(node.cpus.size());
  options.receives_memory = !node.receive_memory.empty();
  options.console = node.console;
  options.status_page = layout.status_page;
  // Debian's i386 kernel parses MP tables (the x86_64 cloud kernel does not): boot_params.h.
  options.noapic = kernel.arch == "i386";
  const bool owns_pci = in.pci != nullptr && !in.pci->empty();
  options.owns_pci = owns_pci;
  if (in.link != nullptr) {
    options.link = LinkCommandLine(*in.link);
    out.link = *in.link;
  }
  if (in.direct_links != nullptr && !in.direct_links->empty()) {
    options.link += (options.link.empty() ? "" : " ") + DirectLinkCommandLine(*in.direct_links);
    out.direct_links = *in.direct_links;
  }
  if (in.root != nullptr) {
    options.link += (options.link.empty() ? "" : " ") + RootCommandLine(*in.root);
    out.root = *in.root;
  }
  uint32_t cmdline_size = std::min<uint32_t>(kernel.header.cmdline_size, kCmdlineCapacity);
  auto cmdline = BuildCommandLine(options, cmdline_size);
  if (!cmdline) return Fail("node ", node.name, ": ", cmdline.error().message);
  out.cmdline = *cmdline;
  out.cmdline_bytes.assign(out.cmdline.begin(), out.cmdline.end());
  out.cmdline_bytes.push_back(0);

  AcpiNodeConfig acpi_config;
  acpi_config.base = layout.acpi;
  acpi_config.apic_ids = node.cpus;
  acpi_config.apic_ids.insert(acpi_config.apic_ids.end(), node.receive_cpus.begin(),
                              node.receive_cpus.end());
  // Listed first so that 6.12 keeps the node's cores (AcpiNodeConfig): the lowest APIC ID
  // that is not the node's, 0 (the machine's BSP) on every machine whose nodes leave it to
  // the host.
  for (uint32_t id = 0; id <= kMaxXapicId; ++id) {
    if (std::find(acpi_config.apic_ids.begin(), acpi_config.apic_ids.end(), id) ==
        acpi_config.apic_ids.end()) {
      acpi_config.foreign_first_apic_id = id;
      break;
    }
  }
  // Suspend to RAM with the host as the firmware (docs/suspend.md), then the devices the node
  // owns (docs/devices.md): one DSDT holds both.
  acpi_config.sleep_control = layout.status_page + MINT_STATUS_SLEEP_CONTROL;
  std::vector<aml::Term> dsdt = SleepStates();
  if (owns_pci) {
    NodePciAcpi pci = DescribeNodePci(*in.pci);
    acpi_config.ecam = pci.ecam;
    for (aml::Term& term : pci.dsdt) dsdt.push_back(std::move(term));
  }
  if (in.mmio != nullptr) {
    for (const NodeMmio& mmio : *in.mmio) {
      acpi_config.io_apics.push_back(mmio.io_apic);
      for (aml::Term& term : DescribeNodeMmio(mmio)) dsdt.push_back(std::move(term));
    }
  }
  auto aml = aml::Encode(dsdt);
  if (!aml) return Fail("node ", node.name, ": DSDT: ", aml.error().message);
  acpi_config.dsdt_aml = std::move(*aml);
  auto acpi = BuildAcpiTables(acpi_config);
  if (!acpi) return Fail("node ", node.name, ": ACPI tables: ", acpi.error().message);
  out.acpi = std::move(*acpi);
  if (out.acpi.blob.size() > kAcpiCapacity)
    return Fail("node ", node.name, ": ACPI tables take ", std::to_string(out.acpi.blob.size()),
                " bytes, more than the ", std::to_string(kAcpiCapacity), " reserved for them");

  BootParamsInput params;
  params.cmdline_addr = layout.cmdline;
  params.cmdline_length = static_cast<uint32_t>(out.cmdline.size());
  params.rsdp_addr = out.acpi.rsdp_address;
  params.direct_entry = direct != nullptr;
  out.boot_params = MINT_TRY(BuildBootParams(kernel, layout, params));
  out.status_page.assign(0x1000, 0);
  out.shared.assign(kSharedSize, 0);
  out.entry = layout.kernel;
  out.kernel_base = layout.kernel;

  std::span<const uint8_t> protected_mode = in.kernel_bytes.subspan(kernel.setup_bytes);
  out.segments = {
      {SegmentKind::kStatusPage, layout.status_page, out.status_page},
      {SegmentKind::kBootParams, layout.boot_params, out.boot_params},
      {SegmentKind::kCmdline, layout.cmdline, out.cmdline_bytes},
      {SegmentKind::kAcpi, layout.acpi, out.acpi.blob},
      {SegmentKind::kShared, layout.shared, out.shared},
      {SegmentKind::kKernel, layout.kernel, protected_mode},
  };
  if (!in.initrd_bytes.empty())
    out.segments.push_back({SegmentKind::kInitrd, layout.initrd, in.initrd_bytes});
  if (direct != nullptr) MINT_TRY_VOID(AddDirectEntry(in, *direct, out));
  return out;
}

}  // namespace mint
