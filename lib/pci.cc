#include "pci.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <sstream>

#include "byte_reader.h"
#include "format.h"

namespace mint {
namespace {

constexpr uint64_t kEcamBusBytes = uint64_t{1} << 20;  // PCIe Base Specification 7.2.2

std::optional<uint64_t> ParseHex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// PCI Local Bus Specification 3.0, section 6.2.1: bits 6:0 of the header type give the
// header's layout, 1 for a PCI-to-PCI bridge.
constexpr uint8_t kHeaderLayoutMask = 0x7F;
constexpr uint8_t kBridgeLayout = 1;
// PCI-to-PCI Bridge Architecture Specification 1.2, section 3.2.5.9: the low nibble of the
// prefetchable base says whether the window's upper 32 bits are implemented.
constexpr uint16_t kPrefetchableKindMask = 0xF;
constexpr uint16_t kPrefetchable64 = 1;
// Memory windows move in 1 MiB steps: base and limit registers hold address bits 31:20.
constexpr uint16_t kWindowAddressMask = 0xFFF0;
constexpr uint64_t kWindowGranule = uint64_t{1} << 20;

// A base or limit register's address bits 31:20, in place.
uint64_t WindowAddress(uint16_t reg) {
  return (uint64_t{reg} & kWindowAddressMask) << 16;
}

// The window from a base and a limit register, with the upper halves already in bits 63:32:
// [base, limit + 1 MiB), or nullopt when the limit is below the base (the window is closed).
// A window reaching the top of the 64-bit space is taken as closed too: its end does not fit
// a PhysRange, and no node could be given it.
std::optional<PhysRange> BridgeWindow(uint64_t base, uint64_t limit) {
  uint64_t last = limit | (kWindowGranule - 1);
  if (last <= base) return std::nullopt;
  auto end = CheckedAdd(last, 1);
  if (!end) return std::nullopt;
  return PhysRange{base, *end};
}

}  // namespace

Result<PciAddress> ParsePciAddress(std::string_view text) {
  auto bad = [&] {
    return Fail("PCI address '", text,
                "' is not domain:bus:device.function like 0000:01:00.0 (or bus:device.function)");
  };
  std::vector<std::string_view> parts;
  std::string_view rest = text;
  size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos) return bad();
  std::string_view function = rest.substr(dot + 1);
  rest = rest.substr(0, dot);
  while (true) {
    size_t colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (parts.size() == 2) parts.insert(parts.begin(), "0000");
  if (parts.size() != 3) return bad();
  auto domain = ParseHex(parts[0]);
  auto bus = ParseHex(parts[1]);
  auto device = ParseHex(parts[2]);
  auto fn = ParseHex(function);
  if (!domain || !bus || !device || !fn || parts[1].size() > 2 || parts[2].size() > 2 ||
      function.size() != 1 || *domain > 0xFFFF || *bus > 0xFF || *device > 31 || *fn > 7)
    return bad();
  return PciAddress{static_cast<uint16_t>(*domain), static_cast<uint8_t>(*bus),
                    static_cast<uint8_t>(*device), static_cast<uint8_t>(*fn)};
}

std::string FormatPciAddress(const PciAddress& address) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04x:%02x:%02x.%x", address.domain, address.bus,
                address.device, address.function);
  return text;
}

const PciFunction* PciTopology::Find(const PciAddress& address) const {
  for (const PciFunction& function : functions)
    if (function.address == address) return &function;
  return nullptr;
}

Result<std::optional<PciBridgeHeader>> ParsePciBridge(std::span<const uint8_t> config) {
  ByteReader reader(config);
  constexpr size_t kTypeAt = offsetof(PciType1Header, header_type);
  auto type = reader.ReadAt<uint8_t>(kTypeAt);
  if (!type)
    return Fail("PCI configuration space of ", std::to_string(config.size()),
                " bytes ends before its header type at ", Hex(kTypeAt),
                " (sysfs gives anyone the first 64 bytes: did the function go away?)");
  if ((*type & kHeaderLayoutMask) != kBridgeLayout) return std::optional<PciBridgeHeader>();
  auto raw = reader.ReadAt<PciType1Header>(0);
  if (!raw)
    return Fail("PCI bridge configuration space of ", std::to_string(config.size()),
                " bytes ends before its ", std::to_string(sizeof(PciType1Header)),
                "-byte header does (sysfs gives anyone the first 64 bytes: did the function go "
                "away?)");
  PciBridgeHeader bridge;
  bridge.secondary_bus = raw->secondary_bus;
  bridge.subordinate_bus = raw->subordinate_bus;
  bridge.memory_window =
      BridgeWindow(WindowAddress(raw->memory_base), WindowAddress(raw->memory_limit));
  uint64_t base = WindowAddress(raw->prefetchable_base);
  uint64_t limit = WindowAddress(raw->prefetchable_limit);
  if ((raw->prefetchable_base & kPrefetchableKindMask) == kPrefetchable64) {
    base |= uint64_t{raw->prefetchable_base_upper} << 32;
    limit |= uint64_t{raw->prefetchable_limit_upper} << 32;
  }
  bridge.prefetch_window = BridgeWindow(base, limit);
  return std::optional<PciBridgeHeader>(bridge);
}

Result<std::vector<PhysRange>> ParsePciResources(std::string_view text) {
  std::vector<PhysRange> ranges;
  std::istringstream lines{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    std::istringstream words(line);
    std::string start_text, end_text, flags_text;
    words >> start_text >> end_text >> flags_text;
    auto start = ParseHex(start_text);
    auto end = ParseHex(end_text);
    auto flags = ParseHex(flags_text);
    if (!start || !end || !flags)
      return Fail("PCI resource line ", std::to_string(number), " '", line,
                  "' is not three hex numbers");
    if (*start == 0 && *end == 0) {
      ranges.push_back({});
    } else if (*end < *start || *end == UINT64_MAX) {
      return Fail("PCI resource line ", std::to_string(number), " '", line,
                  "' ends before it starts");
    } else {
      // Flags are not kept: what a bridge window forwards follows from its line (13 I/O,
      // 14 memory, 15 prefetchable memory).
      ranges.push_back({*start, *end + 1});
    }
  }
  return ranges;
}

std::optional<PciEcam> FindEcam(std::string_view iomem) {
  std::istringstream lines{std::string(iomem)};
  for (std::string line; std::getline(lines, line);) {
    size_t name = line.find("PCI MMCONFIG ");
    if (name == std::string::npos) continue;
    unsigned long long start = 0, end = 0;
    unsigned domain = 0, first = 0, last = 0;
    if (std::sscanf(line.c_str(), " %llx-%llx", &start, &end) != 2) continue;
    if (std::sscanf(line.c_str() + name, "PCI MMCONFIG %x [bus %x-%x]", &domain, &first, &last) !=
        3)
      continue;
    if (start == 0 || first > last || last > 0xFF || domain > 0xFFFF) continue;
    return PciEcam{start, static_cast<uint16_t>(domain), static_cast<uint8_t>(first),
                   static_cast<uint8_t>(last)};
  }
  return std::nullopt;
}

Result<std::vector<NodePciBus>> ResolveNodePci(const NodePlan& node, const PciTopology& topology) {
  std::map<std::pair<uint16_t, uint8_t>, NodePciBus> buses;
  const std::string where = "node " + node.name + ": ";
  for (const std::string& text : node.pci) {
    PciAddress address = MINT_TRY(ParsePciAddress(text));
    const std::string name = FormatPciAddress(address);
    const PciFunction* function = topology.Find(address);
    if (function == nullptr)
      return Fail(where, "PCI function ", name,
                  " does not exist on this machine (see /sys/bus/pci/devices or lspci)");
    if (function->is_bridge)
      return Fail(where, "PCI function ", name,
                  " is a bridge; give the node the functions behind a root port, not the port");
    auto [it, added] = buses.try_emplace({address.domain, address.bus});
    NodePciBus& bus = it->second;
    bus.functions.push_back(address);
    if (!added) continue;
    bus.bus = address.bus;
    const PciFunction* port = nullptr;
    for (const PciFunction& candidate : topology.functions) {
      if (candidate.is_bridge && candidate.address.domain == address.domain &&
          candidate.secondary_bus == address.bus && candidate.address.bus != address.bus) {
        port = &candidate;
      }
    }
    if (port == nullptr)
      return Fail(where, "PCI function ", name, " is on bus ", Hex(address.bus),
                  ", which is not behind a root port: a node owns the whole bus behind one "
                  "root port, never a bus the host's devices share");
    if (port->subordinate_bus != port->secondary_bus)
      return Fail(where, "PCI function ", name, " is behind root port ",
                  FormatPciAddress(port->address), ", which also forwards buses ",
                  Hex(port->secondary_bus + 1), "-", Hex(port->subordinate_bus),
                  "; a node owns one bus with no bridges below it");
    bus.root_port = port->address;
    if (port->memory_window && port->memory_window->size() != 0) {
      bus.windows.push_back(*port->memory_window);
      bus.prefetchable.push_back(false);
    }
    if (port->prefetch_window && port->prefetch_window->size() != 0) {
      bus.windows.push_back(*port->prefetch_window);
      bus.prefetchable.push_back(true);
    }
    if (bus.windows.empty())
      return Fail(where, "root port ", FormatPciAddress(port->address), " (bus ", Hex(address.bus),
                  ") forwards no memory window: its devices have nowhere to put their BARs");
    const std::optional<PciEcam>& ecam = topology.ecam;
    if (!ecam || ecam->domain != address.domain || address.bus < ecam->start_bus ||
        address.bus > ecam->end_bus)
      return Fail(where, "bus ", Hex(address.bus), " of PCI domain ", Hex(address.domain),
                  " is not covered by ECAM (no \"PCI MMCONFIG\" for it in /proc/iomem); a node "
                  "reaches configuration space only through ECAM");
    bus.ecam_bus = ecam->base + (uint64_t{address.bus} - ecam->start_bus) * kEcamBusBytes;
  }
  std::vector<NodePciBus> out;
  uint16_t segment = 1;
  for (auto& [key, bus] : buses) {
    for (const PciFunction& other : topology.functions) {
      if (other.address.domain != key.first || other.address.bus != key.second) continue;
      if (std::find(bus.functions.begin(), bus.functions.end(), other.address) ==
          bus.functions.end())
        return Fail(where, "bus ", Hex(key.second), " also holds ", FormatPciAddress(other.address),
                    ", which is not the node's: a node owns every function on its bus (add it "
                    "to the node's pci list or move the device)");
    }
    bus.segment = segment++;
    std::sort(bus.functions.begin(), bus.functions.end());
    out.push_back(std::move(bus));
  }
  return out;
}

std::vector<std::string> HostBindingProblems(const NodePlan& node, const PciTopology& topology) {
  std::vector<std::string> problems;
  if (node.unbind_host_drivers) return problems;
  for (const std::string& text : node.pci) {
    auto address = ParsePciAddress(text);
    if (!address.ok()) continue;
    const PciFunction* function = topology.Find(*address);
    if (function == nullptr || function->driver.empty()) continue;
    problems.push_back(
        "node " + node.name + ": PCI function " + FormatPciAddress(*address) +
        " is bound to the host's driver " + function->driver +
        "; unbind it first, or set unbind_host_drivers = true in the plan to let Mint do it");
  }
  return problems;
}

NodePciAcpi DescribeNodePci(const std::vector<NodePciBus>& buses) {
  NodePciAcpi out;
  std::vector<aml::Term> devices;
  for (const NodePciBus& bus : buses) {
    // PCnn and RSnn, nn the segment in hex: names of four characters, unique per bus.
    char suffix[3];
    std::snprintf(suffix, sizeof(suffix), "%02X", bus.segment & 0xFF);
    std::vector<aml::Resource> crs = {aml::WordBusNumber(bus.bus, bus.bus)};
    for (size_t i = 0; i < bus.windows.size(); ++i) {
      aml::MemoryWindow window{
          .first = bus.windows[i].start,
          .last = bus.windows[i].end - 1,
          .cache = bus.prefetchable[i] ? aml::Cache::kPrefetchable : aml::Cache::kNonCacheable};
      crs.push_back(window.last <= UINT32_MAX ? aml::DWordMemory(window)
                                              : aml::QWordMemory(window));
    }
    devices.push_back(aml::Device(std::string("PC") + suffix,
                                  {
                                      aml::Name("_HID", aml::EisaId("PNP0A08")),
                                      aml::Name("_CID", aml::EisaId("PNP0A03")),
                                      aml::Name("_UID", bus.segment),
                                      aml::Name("_SEG", bus.segment),
                                      aml::Name("_BBN", bus.bus),
                                      aml::Name("_CCA", 1),  // DMA is cache coherent (x86)
                                      aml::Name("_CRS", aml::ResourceTemplate(crs)),
                                  }));
    // The bus's ECAM range, reserved as a motherboard resource: Linux uses an MCFG region only
    // when ACPI or e820 reserves it (pci_mmcfg_reserved).
    aml::Resource ecam = bus.ecam_bus + kEcamBusBytes - 1 <= UINT32_MAX
                             ? aml::Memory32Fixed(static_cast<uint32_t>(bus.ecam_bus),
                                                  static_cast<uint32_t>(kEcamBusBytes))
                             : aml::QWordMemory({.first = bus.ecam_bus,
                                                 .last = bus.ecam_bus + kEcamBusBytes - 1,
                                                 .usage = aml::Usage::kConsumer});
    devices.push_back(aml::Device(std::string("RS") + suffix,
                                  {
                                      aml::Name("_HID", aml::EisaId("PNP0C02")),
                                      aml::Name("_UID", 0x100 + bus.segment),
                                      aml::Name("_CRS", aml::ResourceTemplate({ecam})),
                                  }));
    out.ecam.push_back({.base = bus.ecam_bus - uint64_t{bus.bus} * kEcamBusBytes,
                        .segment = bus.segment,
                        .start_bus = bus.bus,
                        .end_bus = bus.bus});
  }
  if (!devices.empty()) out.dsdt.push_back(aml::Scope("_SB", devices));
  return out;
}

}  // namespace mint
