// Plan files: one TOML file describes the whole machine, the host's share and every node.
// Format: docs/plan.md. Reading a plan runs three steps, each in its own file:
//   plan_parse.cc      TOML text -> Plan (and back), from one table of keys per section;
//   plan_rules.cc      what the file alone must satisfy (types aside): names, ownership,
//                      overlaps, alignment, low slices, explicit-arch memory rules;
//   plan_placement.cc  sizes and missing low slices placed in the host's windows.
// Checks against kernel images and a real machine live in plan_check.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "network.h"
#include "phys_range.h"
#include "result.h"

namespace mint {

// Cores one node may list in all, its own and receivable (MINT_MAX_CPUS in the module's ABI).
inline constexpr size_t kMaxNodeCores = 16;
// The unit of memory a node receives: the memory block of a node whose RAM ends below 64 GiB
// (docs/memory-handover.md "Block size"). The node module reports its kernel's own.
inline constexpr uint64_t kMemoryBlock = 128ull << 20;

struct HostPlan {
  std::vector<PhysRange> reserved;  // booted with memmap=SIZE$ADDR: never host RAM
  PhysRange low_window{0x10000, 0x90000};
  std::optional<PhysRange> store;
  std::vector<uint32_t> cpus{0};  // APIC IDs the host keeps online (maxcpus = count)
  bool operator==(const HostPlan&) const = default;
};

// A virtio-mmio transport a node owns (docs/devices.md): its register range and the global
// system interrupt (GSI) its interrupt line is wired to, on the IO-APIC the node owns.
struct VirtioMmioTransport {
  PhysRange range;
  uint32_t gsi = 0;
  bool operator==(const VirtioMmioTransport&) const = default;
};
// "0xfeb00000-0xfeb001ff@24"
Result<VirtioMmioTransport> ParseVirtioMmio(std::string_view text);
std::string FormatVirtioMmio(const VirtioMmioTransport& transport);

// The plan's [network] (docs/plan.md): a host bridge and the subnet of the links between the
// host and its nodes (docs/network.md).
struct NetworkPlan {
  std::string bridge = "mint0";      // the host's bridge, created when missing
  Ipv4Subnet subnet;                 // required in the file
  std::optional<uint32_t> host;      // the bridge's address; none: subnet.FirstHost()
  uint64_t ring = kDefaultLinkRing;  // each side's ring, per link
  uint32_t HostAddress() const { return host ? *host : subnet.FirstHost(); }
  bool operator==(const NetworkPlan&) const = default;
};

struct NodePlan {
  std::string name;
  std::string arch;    // "x86_64", "i386", or empty: read from the image
  std::string kernel;  // path to a bzImage on the machine running mint
  std::string initrd;  // optional
  // A diskless node's root file system (docs/diskless.md): a raw image file on the machine
  // running mint, which the host serves to the node over its link as an NBD export with a
  // copy-on-write overlay of the node's own; empty: the node runs from its initramfs.
  std::string root;
  // The root file's SHA-256 (64 hex digits), checked before every boot: a truncated or changed
  // image is refused, naming both sums. Empty: not checked.
  std::string root_sha256;
  // The mint_node.ko to add to the initramfs (lib/node_module.h): a path, "none" to boot the
  // node without one, or empty: the initramfs's own, else the kernel cache's (kernel =
  // "debian:RELEASE").
  std::string node_module;
  std::string cmdline;         // the user's part; Mint adds what a node must have
  std::vector<uint32_t> cpus;  // APIC IDs; cpus[0] is the boot core
  // Cores the node may receive while it runs (`mint cpu give`, docs/cores.md): its MADT lists
  // them after its own and its kernel starts only its own (maxcpus=).
  std::vector<uint32_t> receive_cpus;
  // Ranges of the host's reserved memory the node may be given while it runs (`mint mem give`,
  // docs/memory-handover.md): its kernel adds them as movable memory. Several nodes may list
  // one range; the host module gives each byte to one kernel at a time.
  std::vector<PhysRange> receive_memory;
  std::vector<PhysRange> memory;       // explicit ranges (sizes are placed by the planner)
  std::vector<uint64_t> memory_sizes;  // "512M" entries still to be placed
  std::optional<PhysRange> low;        // low slice below 1 MiB; assigned when absent
  std::string console = "ttyS1";       // "ttySn" (a UART of its own) or "shared"
  // An x86_64 node needs kMinDma32 below 4 GiB for 32-bit DMA bounce buffers (swiotlb);
  // `dma32 = false` in the plan says this node does without.
  bool dma32 = true;
  // `kaslr = true`: a directly entered kernel (decompressor skipped) goes to a random 2 MiB
  // aligned base in the node's memory (lib/artifacts.h). Through the decompressor, the kernel
  // randomizes its own placement unless the command line says nokaslr.
  bool kaslr = false;
  // PCI functions the node owns, "0000:01:00.0" (docs/devices.md): every function on the bus
  // behind one root port. `unbind_host_drivers = true` lets Mint unbind a host driver bound to
  // them.
  std::vector<std::string> pci;
  bool unbind_host_drivers = false;
  // An IO-APIC (by its ID in the machine's MADT) the node owns outright, listed in its MADT,
  // and the virtio-mmio transports wired to it, described in its DSDT.
  std::optional<uint32_t> io_apic;
  std::vector<VirtioMmioTransport> virtio_mmio;
  // `address`: the node's IPv4 address in [network]'s subnet; a node with one has a link to
  // the host, in `link` (placed in the host's reserved memory when the plan does not fix it).
  std::optional<uint32_t> address;
  std::optional<PhysRange> link;
  bool operator==(const NodePlan&) const = default;
};

// A [[link]] (docs/plan.md, docs/network.md "Direct links"): a link between two nodes that
// skips the host. nodes[0] is side 0 and gets addresses[0]; nodes[1] side 1, addresses[1].
struct DirectLinkPlan {
  std::vector<std::string> nodes;    // exactly two, in the file
  Ipv4Subnet subnet;                 // required in the file; its own, apart from [network]'s
  std::vector<uint32_t> addresses;   // none in the file: the subnet's first two host addresses
  std::optional<PhysRange> region;   // placed in the host's reserved memory when absent
  uint64_t ring = kDefaultLinkRing;  // each side's ring
  // Side `side`'s address: addresses[side], else subnet.FirstHost() + side.
  uint32_t Address(size_t side) const;
  // "alpha-beta": in messages, the host's claim and the node's log.
  std::string Name() const;
  bool operator==(const DirectLinkPlan&) const = default;
};

struct Plan {
  HostPlan host;
  std::optional<NetworkPlan> network;
  std::vector<NodePlan> nodes;
  std::vector<DirectLinkPlan> links;  // [[link]], in file order

  const NodePlan* FindNode(std::string_view name) const;
  bool operator==(const Plan&) const = default;
};

// Where a section's values came from in the plan file (0: not in the file), for error
// messages. Lines live beside the plan, not in it, so that two plans with the same content
// compare equal wherever their files put it.
struct SectionLines {
  int line = 0;                                  // the [host] or [[node]] header
  std::map<std::string, int, std::less<>> keys;  // each key the file gives the section
  // The key's line, or the header's when the file leaves the key out.
  int Of(std::string_view key) const;
};

struct PlanLines {
  SectionLines host;
  SectionLines network;             // [network]: none when the file has no such section
  std::vector<int> reserved;        // each [host] reserved range's line, parallel to it
  std::vector<SectionLines> nodes;  // parallel to Plan::nodes
  std::vector<SectionLines> links;  // parallel to Plan::links
  // A node's lines; no lines at all (every line 0) for a node the file did not give.
  const SectionLines& Node(size_t index) const;
  const SectionLines& LinkAt(size_t index) const;
  // The line of [host] reserved range `index`, else the [host] header's.
  int Reserved(size_t index) const;
};

// One thing wrong with a plan, at a line of its file (0 when no line applies).
struct PlanProblem {
  int line = 0;
  std::string message;  // "node alpha: memory 0x... overlaps node beta (0x...)"
  int column = 0;       // 0 unless it matters (syntax errors)
};

// A parsed plan with every problem found in it. `plan` holds what could be read even when
// there are problems (nodes with unreadable fields keep what was readable).
struct PlanCheck {
  Plan plan;
  std::vector<PlanProblem> problems;
  PlanLines lines;  // where the plan's values are in its file

  // The line of the [[node]] header of `node`, one of plan.nodes (0 when not from the file).
  int NodeLine(const NodePlan& node) const;
};

// "origin:LINE: message" per problem, one a line.
std::string FormatProblems(const std::vector<PlanProblem>& problems, std::string_view origin);

// Reads a plan (plan_parse.h), checks every rule that needs only the file (syntax, types,
// names, ownership and overlaps, alignment, low slices, explicit-arch memory rules:
// plan_rules.h) and places sized memory and missing low slices (plan_placement.h), recording
// every problem.
PlanCheck ParsePlanAll(std::string_view text, std::string_view origin);

// Parses and checks a plan: fails listing every problem ParsePlanAll found, one a line.
// `origin` names the file in error messages.
Result<Plan> ParsePlan(std::string_view text, std::string_view origin);
Result<Plan> LoadPlanFile(const std::string& path);
// Low slices: nodes without a `low` get kDefaultLowSlice (lib/layout.h) bytes from the
// window's top down. The window's first 12 KiB hold the trampoline: 4 KiB of code and the
// 8 KiB table (MINT_TRAMPOLINE_SIZE, asserted in lib/trampoline.cc).
inline constexpr uint64_t kTrampolineBytes = 0x3000;
// How many nodes with default slices the window holds, after the trampoline
// (plan_placement.cc).
uint64_t LowWindowCapacity(const PhysRange& window);

// A node's link as its boot needs it (network.h), or none when the node has no address or
// its link is not placed yet.
std::optional<NodeLink> NodeLinkOf(const Plan& plan, const NodePlan& node);

// A diskless node's root as its boot needs it (docs/diskless.md): the image, where the host
// serves it (the bridge's address; a port of the node's own: kRootPortBase + the node's index
// in the plan) and under which export name (the node's name). None when the node has no root
// or no link.
inline constexpr uint16_t kRootPortBase = 10810;
struct NodeRoot {
  std::string image;
  uint32_t address = 0;
  uint16_t port = 0;
  std::string export_name;
  std::string sha256;  // the plan's root_sha256: what the image must hash to, or empty
  bool operator==(const NodeRoot&) const = default;
};
std::optional<NodeRoot> NodeRootOf(const Plan& plan, const NodePlan& node);
// "mint_root=nbd:10.77.0.1:10810:alpha": what the node's /init connects to.
std::string RootCommandLine(const NodeRoot& root);

// The node's direct links ([[link]]s naming it) as its boot needs them, in plan order: the
// node's devices are mint1, mint2, ... in this order. Links not placed yet are left out.
std::vector<NodeDirectLink> DirectLinksOf(const Plan& plan, const NodePlan& node);

// Writes a plan back as TOML that ParsePlan reads to an equal Plan (==): every key of the
// tables in plan_parse.h that is not at its default.
std::string SerializePlan(const Plan& plan);

// The host kernel's command-line options the plan asks for: maxcpus=N and one
// memmap=SIZE$START per reserved range, and no_ipi_broadcast=1 so the host's stop IPIs never
// reach a node's cores (the lab passes these to the host it boots; mint host-setup writes
// them into GRUB's configuration, lib/host_cmdline.h).
std::vector<std::string> HostKernelOptions(const HostPlan& host);
// The same joined by spaces, as mint plan prints them.
std::string HostKernelArgs(const HostPlan& host);

}  // namespace mint
