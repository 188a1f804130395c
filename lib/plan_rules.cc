#include "plan_rules.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "boot_protocol.h"
#include "format.h"
#include "layout.h"
#include "node_module.h"

namespace mint {
namespace {

constexpr uint64_t kOneMiB = 0x100000;

// Who owns what so far, for "already belongs to" messages.
template <typename T>
using Owners = std::vector<std::pair<T, std::string>>;

void CheckOwned(int line, const std::string& where, const PhysRange& range, const HostPlan& host,
                const Owners<PhysRange>& taken, std::vector<PlanProblem>& problems) {
  if (!host.reserved.empty()) {
    bool inside = std::any_of(host.reserved.begin(), host.reserved.end(),
                              [&](const PhysRange& r) { return r.Contains(range); });
    if (!inside) {
      std::string list;
      for (const auto& r : host.reserved)
        list.append(list.empty() ? "" : ", ").append(FormatRange(r));
      problems.push_back({line, where + ": memory " + FormatRange(range) +
                                    " is not inside a range the host reserved (" + list + ")"});
    }
  }
  for (const auto& [other, owner] : taken) {
    if (other.Overlaps(range))
      problems.push_back({line, where + ": memory " + FormatRange(range) + " overlaps " + owner +
                                    " (" + FormatRange(other) + ")"});
  }
}

// The host's own values: the low window, the reserved ranges, the store.
void CheckHost(const HostPlan& host, const PlanLines& lines, std::vector<PlanProblem>& problems) {
  const PhysRange& window = host.low_window;
  const int wline = lines.host.Of("low_window");
  if (window.end > kOneMiB)
    problems.push_back(
        {wline, "[host] low_window " + FormatRange(window) + " must lie below 1 MiB"});
  if (window.start % kPage != 0 || window.end % kPage != 0)
    problems.push_back(
        {wline, "[host] low_window " + FormatRange(window) + " must be 4 KiB aligned"});
  if (window.size() < kTrampolineBytes)
    problems.push_back({wline, "[host] low_window " + FormatRange(window) +
                                   " is too small for the trampoline (" + Hex(kTrampolineBytes) +
                                   " bytes)"});
  for (size_t i = 0; i < host.reserved.size(); ++i) {
    for (size_t j = i + 1; j < host.reserved.size(); ++j) {
      if (host.reserved[i].Overlaps(host.reserved[j]))
        problems.push_back({lines.Reserved(j), "[host] reserved ranges " +
                                                   FormatRange(host.reserved[i]) + " and " +
                                                   FormatRange(host.reserved[j]) + " overlap"});
    }
  }
  if (host.store) {
    bool inside = std::any_of(host.reserved.begin(), host.reserved.end(),
                              [&](const PhysRange& r) { return r.Contains(*host.store); });
    if (!inside)
      problems.push_back({lines.host.line, "[host] store " + FormatRange(*host.store) +
                                               " is not inside a reserved range"});
  }
}

// Every [[link]] between two nodes: its nodes, subnet, addresses and region. `addresses` and
// `links` hold what [network] and the nodes took; each link adds its own.
void CheckDirectLinks(const Plan& plan, const PlanLines& lines, const Owners<PhysRange>& taken,
                      Owners<uint32_t>& addresses, Owners<PhysRange>& links,
                      std::vector<PlanProblem>& problems) {
  const PhysRange& window = plan.host.low_window;
  Owners<Ipv4Subnet> subnets;
  if (plan.network && plan.network->subnet.prefix != 0)
    subnets.emplace_back(plan.network->subnet, "[network]'s");
  std::map<std::string, size_t, std::less<>> per_node;
  for (size_t index = 0; index < plan.links.size(); ++index) {
    const DirectLinkPlan& link = plan.links[index];
    const SectionLines& at = lines.LinkAt(index);
    const std::string where =
        link.nodes.size() == 2 ? "link " + link.Name() : "link #" + std::to_string(index + 1);
    auto problem = [&](int line, const std::string& what) {
      problems.push_back({line, where + ": " + what});
    };
    if (link.nodes.size() == 2) {
      if (link.nodes[0] == link.nodes[1])
        problem(at.Of("nodes"),
                "joins node " + link.nodes[0] + " to itself; a link joins two different nodes");
      for (const std::string& name : link.nodes) {
        if (plan.FindNode(name) == nullptr) {
          problem(at.Of("nodes"), "no node is named '" + name + "'");
          continue;
        }
        if (link.nodes[0] == link.nodes[1] && &name != &link.nodes[0]) continue;
        if (++per_node[name] == kMaxDirectLinks + 1)
          problem(at.Of("nodes"), "node " + name + " is in more than " +
                                      std::to_string(kMaxDirectLinks) +
                                      " links (mint_node.ko makes mint1..mint" +
                                      std::to_string(kMaxDirectLinks) + ")");
      }
    }
    const Ipv4Subnet& subnet = link.subnet;
    if (subnet.prefix != 0) {
      for (const auto& [other, owner] : subnets) {
        if (other.Contains(subnet.network) || subnet.Contains(other.network))
          problem(at.Of("subnet"), "subnet " + FormatSubnet(subnet) + " overlaps " + owner +
                                       " subnet " + FormatSubnet(other) +
                                       "; each link needs a subnet of its own");
      }
      subnets.emplace_back(subnet, "link " + link.Name() + "'s");
      for (size_t side = 0; side < 2; ++side) {
        const uint32_t address = link.Address(side);
        const std::string text = "address " + FormatIpv4(address);
        const int line = at.Of(link.addresses.empty() ? "subnet" : "addresses");
        if (!subnet.Contains(address))
          problem(line, text + " is outside the subnet " + FormatSubnet(subnet));
        else if (address == subnet.network)
          problem(line, text + " is the network address of " + FormatSubnet(subnet));
        else if (address == subnet.Broadcast())
          problem(line, text + " is the broadcast address of " + FormatSubnet(subnet));
        for (const auto& [other, owner] : addresses) {
          if (other == address) problem(line, text + " is already " + owner);
        }
        const std::string node = side < link.nodes.size() ? link.nodes[side] : "?";
        addresses.emplace_back(address, "node " + node + "'s on link " + link.Name());
      }
    }
    if (!link.region) continue;
    const PhysRange& region = *link.region;
    const int line = at.Of("region");
    const std::string text = "region " + FormatRange(region);
    if (region.start % kPage != 0 || region.end % kPage != 0)
      problem(line, text + " is not 4 KiB aligned at both ends");
    if (region.size() < LinkRegionBytes(link.ring))
      problem(line, text + " is " + Hex(region.size()) + " bytes; a ring of " + Hex(link.ring) +
                        " needs " + Hex(LinkRegionBytes(link.ring)));
    const std::vector<PhysRange>& reserved = plan.host.reserved;
    if (std::none_of(reserved.begin(), reserved.end(),
                     [&](const PhysRange& r) { return r.Contains(region); })) {
      std::string list;
      for (const auto& r : reserved) list.append(list.empty() ? "" : ", ").append(FormatRange(r));
      problem(line, text + " is not inside a range the host reserved (" +
                        (list.empty() ? std::string("none") : list) + ")");
    }
    if (region.Overlaps(window))
      problem(line, text + " overlaps the low window " + FormatRange(window));
    for (const Owners<PhysRange>* owners :
         std::initializer_list<const Owners<PhysRange>*>{&taken, &links}) {
      for (const auto& [other, owner] : *owners) {
        if (other.Overlaps(region))
          problem(line, text + " overlaps " + owner + " (" + FormatRange(other) + ")");
      }
    }
    links.emplace_back(region, "link " + link.Name());
  }
}

// [network] and every node's address and link. `taken` holds the store and every node's fixed
// memory; links must stay clear of it, of the low window and of each other.
void CheckNetwork(const Plan& plan, const PlanLines& lines, const Owners<PhysRange>& taken,
                  std::vector<PlanProblem>& problems) {
  const std::optional<NetworkPlan>& network = plan.network;
  const bool subnet_ok = network && network->subnet.prefix != 0;
  // What an address may not be, besides outside the subnet: the host's, or one with a meaning.
  auto address_problem = [&](uint32_t address) -> std::string {
    const Ipv4Subnet& subnet = network->subnet;
    const std::string text = FormatIpv4(address);
    if (!subnet.Contains(address))
      return "address " + text + " is outside the subnet " + FormatSubnet(subnet);
    if (address == subnet.network)
      return "address " + text + " is the network address of " + FormatSubnet(subnet);
    if (address == subnet.Broadcast())
      return "address " + text + " is the broadcast address of " + FormatSubnet(subnet);
    return "";
  };
  if (subnet_ok && network->host) {
    if (std::string problem = address_problem(*network->host); !problem.empty())
      problems.push_back({lines.network.Of("host"), "[network] host " + problem});
  }
  const uint64_t region = network ? LinkRegionBytes(network->ring) : 0;
  const PhysRange& window = plan.host.low_window;
  Owners<uint32_t> addresses;
  if (subnet_ok) addresses.emplace_back(network->HostAddress(), "the host's (the bridge's)");
  Owners<PhysRange> links;
  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    const NodePlan& node = plan.nodes[index];
    const SectionLines& at = lines.Node(index);
    auto problem = [&](int line, const std::string& what) {
      problems.push_back({line, "node " + node.name + ": " + what});
    };
    if (node.address) {
      const int line = at.Of("address");
      const std::string text = FormatIpv4(*node.address);
      if (!network) {
        problem(line, "address " + text +
                          " needs a [network] section (the subnet and the host's bridge)");
      } else if (subnet_ok) {
        if (std::string what = address_problem(*node.address); !what.empty()) problem(line, what);
        for (const auto& [other, owner] : addresses) {
          if (other == *node.address) problem(line, "address " + text + " is already " + owner);
        }
        addresses.emplace_back(*node.address, "node " + node.name + "'s");
      }
      if (node.name.size() > kMaxLinkedNodeName)
        problem(line, "name '" + node.name + "' is longer than " +
                          std::to_string(kMaxLinkedNodeName) +
                          " characters: a node with an address gets the host device '" +
                          LinkInterfaceName(node.name) +
                          "', and Linux interface names have at "
                          "most 15");
    }
    if (!node.root_sha256.empty() &&
        (node.root.empty() || node.root.find("://") != std::string::npos))
      problem(at.Of("root_sha256"),
              node.root.empty() ? "root_sha256 without a root"
                                : "root_sha256 is checked for a root file; a URL root is read on "
                                  "demand, never whole (fetch it first to check its sum)");
    if (!node.root.empty()) {
      // A diskless node reaches its root over its link (docs/diskless.md).
      const int line = at.Of("root");
      if (!node.address)
        problem(line, "root " + node.root +
                          " is served over the node's link to the host: give the node an "
                          "'address' in [network]'s subnet");
      if (node.arch == "i386")
        problem(line, "root " + node.root +
                          ": diskless nodes are x86_64 (the NBD client in the node's initramfs "
                          "is Debian's amd64 one)");
    }
    if (!node.link) continue;
    const PhysRange& link = *node.link;
    const int line = at.Of("link");
    const std::string text = "link " + FormatRange(link);
    if (!node.address) problem(line, "'link' needs an 'address' (the node's, in [network])");
    if (link.start % kPage != 0 || link.end % kPage != 0)
      problem(line, text + " is not 4 KiB aligned at both ends");
    if (network && link.size() < region)
      problem(line, text + " is " + Hex(link.size()) + " bytes; a ring of " + Hex(network->ring) +
                        " needs " + Hex(region));
    const std::vector<PhysRange>& reserved = plan.host.reserved;
    if (std::none_of(reserved.begin(), reserved.end(),
                     [&](const PhysRange& r) { return r.Contains(link); })) {
      std::string list;
      for (const auto& r : reserved) list.append(list.empty() ? "" : ", ").append(FormatRange(r));
      problem(line, text + " is not inside a range the host reserved (" +
                        (list.empty() ? std::string("none") : list) + ")");
    }
    if (link.Overlaps(window))
      problem(line, text + " overlaps the low window " + FormatRange(window));
    for (const Owners<PhysRange>* owners :
         std::initializer_list<const Owners<PhysRange>*>{&taken, &links}) {
      for (const auto& [other, owner] : *owners) {
        if (other.Overlaps(link))
          problem(line, text + " overlaps " + owner + " (" + FormatRange(other) + ")");
      }
    }
    links.emplace_back(link, "node " + node.name + "'s link");
  }
  CheckDirectLinks(plan, lines, taken, addresses, links, problems);
}

// A node's receive_cpus (docs/cores.md): cores it may be given while it runs. Any core but
// its own, the host's boot core and another node's boot core (those never move); several
// nodes may list one core, the host's other cores and other nodes' other cores included.
void CheckReceiveCpus(const Plan& plan, size_t index, int line,
                      std::vector<PlanProblem>& problems) {
  const NodePlan& node = plan.nodes[index];
  if (node.receive_cpus.empty()) return;
  auto problem = [&](const std::string& what) {
    problems.push_back({line, "node " + node.name + ": " + what});
  };
  if (node.node_module == kNoNodeModule)
    problem(
        "receive_cpus needs the node's mint_node.ko (node_module = \"none\"): without it "
        "nothing in the node stops its kernel from waking a core it was not given");
  if (node.cpus.size() + node.receive_cpus.size() > kMaxNodeCores)
    problem(std::to_string(node.cpus.size()) + " own and " +
            std::to_string(node.receive_cpus.size()) + " receivable cores; at most " +
            std::to_string(kMaxNodeCores) + " in all");
  for (uint32_t cpu : node.receive_cpus) {
    const std::string id = "receivable APIC ID " + std::to_string(cpu);
    if (std::find(node.cpus.begin(), node.cpus.end(), cpu) != node.cpus.end())
      problem(id + " is already one of its own cores ('cpus')");
    if (!plan.host.cpus.empty() && plan.host.cpus[0] == cpu)
      problem(id + " is the host's boot core, which never moves");
    for (const NodePlan& other : plan.nodes) {
      if (&other != &node && !other.cpus.empty() && other.cpus[0] == cpu)
        problem(id + " is node " + other.name + "'s boot core, which never moves");
    }
  }
}

// Every node's receive_memory (docs/memory-handover.md): whole 128 MiB blocks of the host's
// reserved memory, clear of what the plan gives out at boot (`taken`: the store, nodes' memory,
// links) and of the low window. Nodes may share a range: the host module gives it to one at a
// time.
void CheckReceiveMemory(const Plan& plan, const PlanLines& lines, const Owners<PhysRange>& taken,
                        std::vector<PlanProblem>& problems) {
  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    const NodePlan& node = plan.nodes[index];
    if (node.receive_memory.empty()) continue;
    const int line = lines.Node(index).Of("receive_memory");
    const std::string where = "node " + node.name + ": receive_memory";
    auto problem = [&](const std::string& what) {
      problems.push_back({line, where + ": " + what});
    };
    if (node.node_module == kNoNodeModule)
      problem("needs the node's mint_node.ko (node_module = \"none\"): it adds the memory");
    if (node.arch == "i386")
      problem(
          "an i386 node cannot take memory at run time (Debian's 686 kernel has no memory "
          "hotplug)");
    for (const PhysRange& range : node.receive_memory) {
      if (range.start % kMemoryBlock != 0 || range.end % kMemoryBlock != 0)
        problem(FormatRange(range) +
                " is not whole 128 MiB blocks (start and end on a multiple of " +
                Hex(kMemoryBlock) + ")");
      if (range.start < 0x100000000ull && range.Overlaps(plan.host.low_window))
        problem(FormatRange(range) + " overlaps the low window");
    }
    for (const PhysRange& range : node.receive_memory) {
      std::vector<PlanProblem> found;
      CheckOwned(line, where, range, plan.host, taken, found);
      problems.insert(problems.end(), found.begin(), found.end());
    }
  }
}

}  // namespace

std::string NodeNameProblem(std::string_view name) {
  if (name.size() > 31) return "name '" + std::string(name) + "' is longer than 31 characters";
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      }))
    return "name '" + std::string(name) + "' may only use letters, digits, '-' and '_'";
  return "";
}

std::string ArchProblem(std::string_view arch) {
  if (arch.empty() || arch == "x86_64" || arch == "i386") return "";
  return "arch '" + std::string(arch) + "' is not x86_64 or i386";
}

std::string ApicIdProblem(int64_t apic_id) {
  if (apic_id >= 0 && apic_id <= 254) return "";
  return "APIC ID " + std::to_string(apic_id) +
         " is out of range (xAPIC IDs are 0..254; 255 is broadcast)";
}

std::string MemoryRangeProblem(std::string_view text, const PhysRange& range) {
  if (range.start % kPage == 0 && range.end % kPage == 0) return "";
  return "memory " + std::string(text) + " is not 4 KiB aligned at both ends";
}

std::string MemorySizeProblem(std::string_view text, uint64_t size) {
  if (size != 0 && size % kPage == 0) return "";
  return "memory size " + std::string(text) + " must be a non-zero multiple of 4 KiB";
}

std::string ConsoleProblem(std::string_view console) {
  if (console == "shared" || (console.size() == 5 && console.starts_with("ttyS") &&
                              console[4] >= '1' && console[4] <= '3'))
    return "";
  return "console '" + std::string(console) +
         "' must be ttyS1, ttyS2, ttyS3 (a UART of its own) or \"shared\"";
}

std::string IoApicProblem(std::optional<int64_t> id) {
  if (id && *id >= 0 && *id <= 255) return "";
  return "'io_apic' must be an IO-APIC ID (0-255)";
}

std::string VirtioMmioProblem(const NodePlan& node) {
  if (node.virtio_mmio.empty() || node.io_apic) return "";
  return "virtio_mmio transports need 'io_apic', the IO-APIC they are wired to (the node must "
         "own it outright)";
}

bool LowWindowUsable(const PhysRange& window) {
  return window.end <= kOneMiB && window.start % kPage == 0 && window.end % kPage == 0 &&
         window.size() >= kTrampolineBytes;
}

void CheckPlanRules(const Plan& plan, const PlanLines& lines, std::vector<PlanProblem>& problems) {
  const HostPlan& host = plan.host;
  CheckHost(host, lines, problems);
  const PhysRange& window = host.low_window;
  const bool window_ok = LowWindowUsable(window);
  const PhysRange trampoline{window.start, window.start + kTrampolineBytes};

  std::set<std::string> names;
  std::set<std::string> consoles;
  Owners<PhysRange> taken;  // memory owned so far, by node
  if (host.store) taken.emplace_back(*host.store, "the store");
  Owners<PhysRange> low_taken{{trampoline, "the trampoline"}};
  Owners<uint32_t> cpus_taken;
  Owners<std::string> pci_taken;
  Owners<uint32_t> io_apics_taken;
  Owners<VirtioMmioTransport> mmio_taken;
  for (uint32_t cpu : host.cpus) cpus_taken.emplace_back(cpu, "the host");

  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    const NodePlan& node = plan.nodes[index];
    const SectionLines& at = lines.Node(index);
    auto problem = [&](int line, const std::string& what) {
      problems.push_back({line, "node " + node.name + ": " + what});
    };
    if (!names.insert(node.name).second) problem(at.line, "the name is used twice");
    if (node.console != "shared" && !consoles.insert(node.console).second)
      problem(at.line, "console " + node.console + " is already another node's");
    for (uint32_t cpu : node.cpus) {
      for (const auto& [other, owner] : cpus_taken) {
        if (other == cpu)
          problem(at.Of("cpus"), "APIC ID " + std::to_string(cpu) + " already belongs to " + owner);
      }
      cpus_taken.emplace_back(cpu, "node " + node.name);
    }
    CheckReceiveCpus(plan, index, at.Of("receive_cpus"), problems);
    for (const std::string& function : node.pci) {
      for (const auto& [other, owner] : pci_taken) {
        if (other == function)
          problem(at.Of("pci"), "PCI function " + function + " is already given to " + owner);
      }
      pci_taken.emplace_back(function, "node " + node.name);
    }
    if (node.io_apic) {
      for (const auto& [other, owner] : io_apics_taken) {
        if (other == *node.io_apic)
          problem(at.Of("io_apic"),
                  "IO-APIC " + std::to_string(*node.io_apic) + " is already given to " + owner);
      }
      io_apics_taken.emplace_back(*node.io_apic, "node " + node.name);
    }
    for (const VirtioMmioTransport& transport : node.virtio_mmio) {
      for (const auto& [other, owner] : mmio_taken) {
        if (other.range.Overlaps(transport.range) || other.gsi == transport.gsi)
          problem(at.Of("virtio_mmio"), "virtio-mmio transport " + FormatVirtioMmio(transport) +
                                            " overlaps " + owner + "'s " + FormatVirtioMmio(other));
      }
      mmio_taken.emplace_back(transport, "node " + node.name);
    }
    for (const PhysRange& range : node.memory) {
      if (range.Overlaps(window))
        problem(at.Of("memory"),
                "memory " + FormatRange(range) + " overlaps the low window " + FormatRange(window));
      CheckOwned(at.Of("memory"), "node " + node.name, range, host, taken, problems);
      taken.emplace_back(range, "node " + node.name);
    }
    if (node.low && window_ok) {
      const PhysRange& low = *node.low;
      const int line = at.Of("low");
      if (!window.Contains(low))
        problem(line, "low slice " + FormatRange(low) + " is outside the low window " +
                          FormatRange(window));
      if (low.start % kPage != 0 || low.end % kPage != 0)
        problem(line, "low slice " + FormatRange(low) + " is not 4 KiB aligned");
      if (low.size() < kMinLowSlice)
        problem(line, "low slice " + FormatRange(low) + " is " + Hex(low.size()) +
                          " bytes; a stock node needs at least " + Hex(kMinLowSlice) + " (" +
                          std::to_string(kMinLowSlice >> 10) + " KiB) below 1 MiB");
      for (const auto& [other, owner] : low_taken) {
        if (other.Overlaps(low))
          problem(line, "low slice " + FormatRange(low) + " overlaps " + owner + " (" +
                            FormatRange(other) + ")");
      }
      low_taken.emplace_back(low, "node " + node.name);
    }
  }
  CheckNetwork(plan, lines, taken, problems);
  Owners<PhysRange> fixed = taken;
  for (const NodePlan& node : plan.nodes) {
    if (node.link) fixed.emplace_back(*node.link, "node " + node.name + "'s link");
  }
  for (const DirectLinkPlan& link : plan.links) {
    if (link.region) fixed.emplace_back(*link.region, "link " + link.Name());
  }
  CheckReceiveMemory(plan, lines, fixed, problems);
}

void CheckArchMemory(const NodePlan& node, std::string_view arch, int line,
                     std::vector<PlanProblem>& problems) {
  const std::string where = "node " + node.name;
  if (arch == "i386") {
    for (const PhysRange& range : node.memory) {
      if (range.end > k4GiB)
        problems.push_back({line, where + ": memory " + FormatRange(range) +
                                      " lies above 4 GiB, which an i386 node cannot address"});
      else if (range.end > kI386LowmemEnd)
        problems.push_back({line, where + ": memory " + FormatRange(range) + " ends above " +
                                      Hex(kI386LowmemEnd) +
                                      " (896 MiB): Debian's i386 kernel (686, non-PAE) maps "
                                      "only its lowmem below that; keep an i386 node's memory "
                                      "under it"});
    }
  } else if (arch == "x86_64" && node.dma32 && !node.memory.empty()) {
    uint64_t below = 0;
    for (const PhysRange& range : node.memory) {
      if (range.start < k4GiB) below += std::min(range.end, k4GiB) - range.start;
    }
    if (below < kMinDma32)
      problems.push_back({line, where + ": has " + MiBAtLeast(below) +
                                    " below 4 GiB; an x86_64 node " + "needs " +
                                    MiBAtLeast(kMinDma32) +
                                    " there for 32-bit DMA bounce buffers: give it a range "
                                    "below 4 GiB, or set dma32 = false if it has no 32-bit "
                                    "DMA devices"});
  }
}

}  // namespace mint
