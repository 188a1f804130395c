#include "inventory.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "acpi_read.h"
#include "byte_reader.h"
#include "format.h"

namespace mint {
namespace {

std::optional<uint64_t> ParseUnsigned(std::string_view text, int base) {
  if (base == 16 && (text.starts_with("0x") || text.starts_with("0X"))) text.remove_prefix(2);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "START-END" in hex with an inclusive end, as /proc/iomem and the plan format write ranges.
Result<PhysRange> ParseHexRange(std::string_view text, std::string_view what) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos)
    return Fail(what, ": '", std::string(text), "' is not a range START-END");
  auto start = ParseUnsigned(TrimBlanks(text.substr(0, dash)), 16);
  auto last = ParseUnsigned(TrimBlanks(text.substr(dash + 1)), 16);
  if (!start || !last) return Fail(what, ": '", std::string(text), "' is not a hex range");
  if (*last < *start) return Fail(what, ": range '", std::string(text), "' ends before it starts");
  if (*last == UINT64_MAX)
    return Fail(what, ": range '", std::string(text), "' reaches the top of memory");
  return PhysRange{*start, *last + 1};
}

void SplitLines(std::string_view text, std::vector<std::string_view>& lines) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

Result<std::vector<IomemEntry>> ParseIomem(std::string_view text) {
  std::vector<IomemEntry> out;
  std::vector<std::string_view> lines;
  SplitLines(text, lines);
  size_t number = 0;
  bool all_zero = true;
  for (std::string_view line : lines) {
    ++number;
    if (TrimBlanks(line).empty()) continue;
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    size_t colon = line.find(" : ");
    if (colon == std::string_view::npos || colon < indent)
      return Fail("/proc/iomem line ", std::to_string(number), ": '", std::string(line),
                  "' is not 'START-END : NAME'");
    std::string where = "/proc/iomem line " + std::to_string(number);
    PhysRange range = MINT_TRY(ParseHexRange(line.substr(indent, colon - indent), where));
    if (range.start != 0 || range.end != 1) all_zero = false;
    out.push_back(IomemEntry{range, std::string(TrimBlanks(line.substr(colon + 3))),
                             static_cast<int>(indent / 2)});
  }
  if (!out.empty() && all_zero)
    return Fail("/proc/iomem shows every address as 0 (only root sees them): run as root");
  return out;
}

Result<FirmwareMemoryEntry> ParseFirmwareMemmapEntry(std::string_view start, std::string_view end,
                                                     std::string_view type) {
  auto first = ParseUnsigned(TrimBlanks(start), 16);
  auto last = ParseUnsigned(TrimBlanks(end), 16);
  if (!first || !last)
    return Fail("firmware memmap entry '", std::string(TrimBlanks(start)), "'-'",
                std::string(TrimBlanks(end)), "' is not a hex range");
  if (*last < *first || *last == UINT64_MAX)
    return Fail("firmware memmap entry ", std::string(TrimBlanks(start)), "-",
                std::string(TrimBlanks(end)), " is not a valid range");
  std::string_view kind = TrimBlanks(type);
  if (kind.empty()) return Fail("firmware memmap entry has no type");
  return FirmwareMemoryEntry{PhysRange{*first, *last + 1}, std::string(kind)};
}

Result<std::vector<MadtCore>> ParseMadt(std::span<const uint8_t> table,
                                        std::vector<AcpiIoApic>* io_apics) {
  ByteReader reader(table);
  auto header = reader.ReadAt<AcpiMadt>(0);
  if (!header)
    return Fail("MADT: ", std::to_string(table.size()), " bytes, shorter than its header");
  if (std::string_view(header->header.signature, 4) != "APIC")
    return Fail("MADT: signature is not 'APIC'");
  uint32_t length = header->header.length;
  if (length < sizeof(AcpiMadt) || length > table.size())
    return Fail("MADT: length ", std::to_string(length), " does not fit the ",
                std::to_string(table.size()), " bytes read");
  if (AcpiByteSum(table.subspan(0, length)) != 0) return Fail("MADT: bad checksum");
  std::vector<MadtCore> cores;
  MadtEntryReader entries(table.first(length));
  while (auto entry = entries.Next()) {
    const std::string offset = std::to_string(entry->offset);
    if (entry->type == kMadtTypeLocalApic) {
      auto lapic = entry->As<AcpiMadtLocalApic>();
      if (!lapic) return Fail("MADT: local APIC structure at offset ", offset, " is too short");
      cores.push_back({lapic->apic_id, lapic->acpi_processor_uid,
                       (lapic->flags & kMadtLocalApicEnabled) != 0,
                       (lapic->flags & kMadtLocalApicOnlineCapable) != 0, false});
    } else if (entry->type == kMadtTypeLocalX2Apic) {
      auto x2 = entry->As<AcpiMadtLocalX2Apic>();
      if (!x2) return Fail("MADT: local x2APIC structure at offset ", offset, " is too short");
      cores.push_back({x2->x2apic_id, x2->acpi_processor_uid,
                       (x2->flags & kMadtLocalApicEnabled) != 0,
                       (x2->flags & kMadtLocalApicOnlineCapable) != 0, true});
    } else if (entry->type == kMadtTypeIoApic && io_apics != nullptr) {
      auto io_apic = entry->As<AcpiMadtIoApic>();
      if (!io_apic) return Fail("MADT: IO-APIC structure at offset ", offset, " is too short");
      io_apics->push_back(
          {io_apic->io_apic_id, io_apic->io_apic_address, io_apic->global_system_interrupt_base});
    }
  }
  if (const std::optional<MadtFault>& fault = entries.fault()) {
    if (fault->kind == MadtFault::Kind::kCutOff)
      return Fail("MADT: truncated structure at offset ", std::to_string(fault->offset));
    return Fail("MADT: structure at offset ", std::to_string(fault->offset), " has length ",
                std::to_string(fault->length));
  }
  return cores;
}

Result<std::vector<uint32_t>> ParseCpuList(std::string_view text) {
  std::vector<uint32_t> out;
  text = TrimBlanks(text);
  if (text.empty()) return out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view part = TrimBlanks(text.substr(0, comma));
    size_t dash = part.find('-');
    auto first = ParseUnsigned(part.substr(0, dash), 10);
    auto last = dash == std::string_view::npos ? first : ParseUnsigned(part.substr(dash + 1), 10);
    if (!first || !last || *last < *first || *last >= 65536)
      return Fail("CPU list '", std::string(text), "': '", std::string(part), "' is not N or N-M");
    for (uint64_t cpu = *first; cpu <= *last; ++cpu) out.push_back(static_cast<uint32_t>(cpu));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<CpuinfoSummary> ParseCpuinfo(std::string_view text) {
  CpuinfoSummary out;
  std::vector<std::string_view> lines;
  SplitLines(text, lines);
  std::optional<uint64_t> processor;
  for (std::string_view line : lines) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = TrimBlanks(line.substr(0, colon));
    std::string_view value = TrimBlanks(line.substr(colon + 1));
    if (key == "processor") {
      processor = ParseUnsigned(value, 10);
      if (!processor || *processor >= 65536)
        return Fail("/proc/cpuinfo: processor '", std::string(value), "' is not a CPU number");
    } else if (key == "apicid") {
      auto apic = ParseUnsigned(value, 10);
      if (!processor || !apic || *apic > UINT32_MAX)
        return Fail("/proc/cpuinfo: apicid '", std::string(value),
                    "' without a processor line before it, or not a number");
      out.cpu_to_apic.emplace_back(static_cast<uint32_t>(*processor), static_cast<uint32_t>(*apic));
    } else if (key == "cpu MHz" && out.mhz_khz == 0) {
      // "2495.998": whole MHz and up to three decimals, in kHz without floating point.
      size_t dot = value.find('.');
      auto mhz = ParseUnsigned(value.substr(0, dot), 10);
      uint64_t frac = 0;
      if (dot != std::string_view::npos) {
        std::string digits(value.substr(dot + 1, 3));
        digits.resize(3, '0');
        frac = ParseUnsigned(digits, 10).value_or(0);
      }
      if (mhz && *mhz < 1000000) out.mhz_khz = *mhz * 1000 + frac;
    }
  }
  return out;
}

const InventoryCore* Inventory::FindCore(uint32_t apic_id) const {
  for (const InventoryCore& core : cores) {
    if (core.apic_id == apic_id) return &core;
  }
  return nullptr;
}

Result<BuiltInventory> BuildInventory(const InventorySources& sources) {
  BuiltInventory out;
  Inventory& inv = out.inventory;
  inv.source = "live";
  for (const IomemEntry& entry : MINT_TRY(ParseIomem(sources.iomem))) {
    if (entry.depth != 0) continue;
    if (entry.name == "System RAM") inv.ram.push_back(entry.range);
    if (entry.name == "Reserved") inv.reserved.push_back(entry.range);
  }
  if (inv.ram.empty()) out.notes.push_back("no System RAM in /proc/iomem");
  inv.firmware = sources.firmware;
  inv.pci.functions = sources.pci;
  std::sort(inv.pci.functions.begin(), inv.pci.functions.end(),
            [](const PciFunction& a, const PciFunction& b) { return a.address < b.address; });
  inv.pci.ecam = FindEcam(sources.iomem);
  inv.virtio_mmio = sources.virtio_mmio;
  if (inv.firmware.empty()) out.notes.push_back("no firmware memory map (/sys/firmware/memmap)");

  std::vector<uint32_t> online = MINT_TRY(ParseCpuList(sources.cpu_online));
  CpuinfoSummary cpuinfo = MINT_TRY(ParseCpuinfo(sources.cpuinfo));
  std::map<uint32_t, InventoryCore> by_apic;
  if (sources.madt) {
    for (const MadtCore& core : MINT_TRY(ParseMadt(*sources.madt, &inv.io_apics))) {
      InventoryCore& entry = by_apic[core.apic_id];
      entry.apic_id = core.apic_id;
      entry.enabled = entry.enabled || core.enabled || core.online_capable;
    }
  } else {
    inv.cores_complete = false;
    out.notes.push_back(
        "no MADT (/sys/firmware/acpi/tables/APIC, root only): cores the host does not run on "
        "are unknown");
  }
  for (const auto& [cpu, apic] : cpuinfo.cpu_to_apic) {
    InventoryCore& entry = by_apic[apic];
    entry.apic_id = apic;
    entry.cpu = cpu;
    if (!sources.madt) entry.enabled = true;
    entry.online = std::binary_search(online.begin(), online.end(), cpu);
  }
  for (auto& [apic, core] : by_apic) inv.cores.push_back(core);
  if (sources.module_tsc_khz) {
    inv.tsc_khz = sources.module_tsc_khz;
    inv.tsc_source = "mint module";
  } else {
    inv.tsc_khz = cpuinfo.mhz_khz;
    inv.tsc_source = "/proc/cpuinfo";
  }
  return out;
}

std::string InventoryToJson(const Inventory& inv) {
  nlohmann::ordered_json out;
  auto ranges = [](const std::vector<PhysRange>& list) {
    nlohmann::json array = nlohmann::json::array();
    for (const PhysRange& r : list) array.push_back(FormatRange(r));
    return array;
  };
  out["ram"] = ranges(inv.ram);
  out["reserved"] = ranges(inv.reserved);
  nlohmann::json firmware = nlohmann::json::array();
  for (const FirmwareMemoryEntry& e : inv.firmware)
    firmware.push_back({{"range", FormatRange(e.range)}, {"type", e.type}});
  out["firmware"] = firmware;
  nlohmann::ordered_json cores = nlohmann::ordered_json::array();
  for (const InventoryCore& c : inv.cores) {
    nlohmann::ordered_json core;
    core["apic_id"] = c.apic_id;
    if (c.cpu) core["cpu"] = *c.cpu;
    core["enabled"] = c.enabled;
    core["online"] = c.online;
    cores.push_back(core);
  }
  out["cores"] = cores;
  out["cores_complete"] = inv.cores_complete;
  out["tsc_khz"] = inv.tsc_khz;
  out["tsc_source"] = inv.tsc_source;
  nlohmann::ordered_json pci;
  if (inv.pci.ecam) {
    pci["ecam"] = {{"base", Hex(inv.pci.ecam->base)},
                   {"domain", inv.pci.ecam->domain},
                   {"start_bus", inv.pci.ecam->start_bus},
                   {"end_bus", inv.pci.ecam->end_bus}};
  }
  nlohmann::ordered_json functions = nlohmann::ordered_json::array();
  for (const PciFunction& f : inv.pci.functions) {
    nlohmann::ordered_json function;
    function["address"] = FormatPciAddress(f.address);
    function["class"] = Hex(f.class_code);
    function["driver"] = f.driver;
    function["driver_override"] = f.driver_override;
    if (f.is_bridge) {
      function["secondary_bus"] = f.secondary_bus;
      function["subordinate_bus"] = f.subordinate_bus;
      if (f.memory_window) function["memory_window"] = FormatRange(*f.memory_window);
      if (f.prefetch_window) function["prefetch_window"] = FormatRange(*f.prefetch_window);
    }
    functions.push_back(function);
  }
  pci["functions"] = functions;
  out["pci"] = pci;
  nlohmann::ordered_json io_apics = nlohmann::ordered_json::array();
  for (const AcpiIoApic& a : inv.io_apics)
    io_apics.push_back({{"id", a.id}, {"address", Hex(a.address)}, {"gsi_base", a.gsi_base}});
  out["io_apics"] = io_apics;
  nlohmann::ordered_json mmio = nlohmann::ordered_json::array();
  for (const MmioDevice& d : inv.virtio_mmio)
    mmio.push_back({{"range", FormatRange(d.range)}, {"name", d.name}, {"driver", d.driver}});
  out["virtio_mmio"] = mmio;
  return out.dump(2);
}

namespace {

// The "pci" object of a saved inventory (InventoryToJson writes it).
Result<void> ParsePciJson(const nlohmann::json& pci, const std::string& where, PciTopology& out) {
  if (!pci.is_object()) return Fail(where, ": 'pci' must be an object");
  auto number = [&](const nlohmann::json& object, const char* key, uint64_t max,
                    uint64_t& value) -> Result<void> {
    auto it = object.find(key);
    if (it == object.end()) return Ok{};
    if (!it->is_number_unsigned() || it->get<uint64_t>() > max)
      return Fail(where, ": pci: '", key, "' must be an integer up to ", std::to_string(max));
    value = it->get<uint64_t>();
    return Ok{};
  };
  auto hex = [&](const nlohmann::json& object, const char* key) -> Result<uint64_t> {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string())
      return Fail(where, ": pci: '", key, "' must be a hex string");
    const std::string& text = it->get_ref<const std::string&>();
    char* end = nullptr;
    uint64_t value = std::strtoull(text.c_str(), &end, 16);
    if (text.empty() || *end != '\0')
      return Fail(where, ": pci: '", key, "' value '", text, "' is not hex");
    return value;
  };
  if (auto it = pci.find("ecam"); it != pci.end()) {
    if (!it->is_object()) return Fail(where, ": pci: 'ecam' must be an object");
    PciEcam ecam;
    ecam.base = MINT_TRY(hex(*it, "base"));
    uint64_t domain = 0, start = 0, end = 0;
    MINT_TRY_VOID(number(*it, "domain", 0xFFFF, domain));
    MINT_TRY_VOID(number(*it, "start_bus", 0xFF, start));
    MINT_TRY_VOID(number(*it, "end_bus", 0xFF, end));
    ecam.domain = static_cast<uint16_t>(domain);
    ecam.start_bus = static_cast<uint8_t>(start);
    ecam.end_bus = static_cast<uint8_t>(end);
    out.ecam = ecam;
  }
  if (auto it = pci.find("functions"); it != pci.end()) {
    if (!it->is_array()) return Fail(where, ": pci: 'functions' must be a list");
    for (const auto& item : *it) {
      if (!item.is_object() || !item.contains("address") || !item["address"].is_string())
        return Fail(where, ": pci: each function needs an 'address'");
      PciFunction f;
      auto address = ParsePciAddress(item["address"].get_ref<const std::string&>());
      if (!address) return Fail(where, ": pci: ", address.error().message);
      f.address = *address;
      f.class_code = static_cast<uint32_t>(MINT_TRY(hex(item, "class")));
      for (auto [key, field] :
           {std::pair{"driver", &f.driver}, std::pair{"driver_override", &f.driver_override}}) {
        if (item.contains(key) && item[key].is_string()) *field = item[key].get<std::string>();
      }
      f.is_bridge = item.contains("secondary_bus");
      uint64_t secondary = 0, subordinate = 0;
      MINT_TRY_VOID(number(item, "secondary_bus", 0xFF, secondary));
      MINT_TRY_VOID(number(item, "subordinate_bus", 0xFF, subordinate));
      f.secondary_bus = static_cast<uint8_t>(secondary);
      f.subordinate_bus = static_cast<uint8_t>(subordinate);
      for (auto [key, field] : {std::pair{"memory_window", &f.memory_window},
                                std::pair{"prefetch_window", &f.prefetch_window}}) {
        if (!item.contains(key)) continue;
        if (!item[key].is_string()) return Fail(where, ": pci: '", key, "' must be a range");
        *field = MINT_TRY(ParseHexRange(item[key].get_ref<const std::string&>(), where));
      }
      out.functions.push_back(f);
    }
    std::sort(out.functions.begin(), out.functions.end(),
              [](const PciFunction& a, const PciFunction& b) { return a.address < b.address; });
  }
  return Ok{};
}

}  // namespace

Result<Inventory> ParseInventoryJson(std::string_view text, std::string_view origin) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::string where(origin);
  if (doc.is_discarded() || !doc.is_object())
    return Fail(where, ": not an inventory (a JSON object as 'mint inventory --json' writes)");
  Inventory inv;
  inv.source = where;
  auto ranges = [&](const char* key, std::vector<PhysRange>& outv) -> Result<void> {
    auto it = doc.find(key);
    if (it == doc.end()) return Ok{};
    if (!it->is_array()) return Fail(where, ": '", key, "' must be a list of ranges");
    for (const auto& item : *it) {
      if (!item.is_string()) return Fail(where, ": '", key, "' must be a list of ranges");
      outv.push_back(MINT_TRY(ParseHexRange(item.get_ref<const std::string&>(), where)));
    }
    return Ok{};
  };
  MINT_TRY_VOID(ranges("ram", inv.ram));
  MINT_TRY_VOID(ranges("reserved", inv.reserved));
  if (auto it = doc.find("firmware"); it != doc.end()) {
    if (!it->is_array()) return Fail(where, ": 'firmware' must be a list");
    for (const auto& item : *it) {
      if (!item.is_object() || !item.contains("range") || !item["range"].is_string() ||
          !item.contains("type") || !item["type"].is_string())
        return Fail(where, ": each 'firmware' entry needs a string 'range' and 'type'");
      PhysRange range = MINT_TRY(ParseHexRange(item["range"].get_ref<const std::string&>(), where));
      inv.firmware.push_back({range, item["type"].get<std::string>()});
    }
  }
  if (auto it = doc.find("cores"); it != doc.end()) {
    if (!it->is_array()) return Fail(where, ": 'cores' must be a list");
    for (const auto& item : *it) {
      if (!item.is_object() || !item.contains("apic_id") || !item["apic_id"].is_number_unsigned() ||
          item["apic_id"].get<uint64_t>() > UINT32_MAX)
        return Fail(where, ": each core needs an 'apic_id' (a non-negative integer)");
      InventoryCore core;
      core.apic_id = static_cast<uint32_t>(item["apic_id"].get<uint64_t>());
      if (item.contains("cpu")) {
        if (!item["cpu"].is_number_unsigned() || item["cpu"].get<uint64_t>() > UINT32_MAX)
          return Fail(where, ": core ", std::to_string(core.apic_id), ": bad 'cpu'");
        core.cpu = static_cast<uint32_t>(item["cpu"].get<uint64_t>());
      }
      for (const char* flag : {"enabled", "online"}) {
        if (!item.contains(flag)) continue;
        if (!item[flag].is_boolean())
          return Fail(where, ": core ", std::to_string(core.apic_id), ": '", flag,
                      "' must be true or false");
        (std::string_view(flag) == "enabled" ? core.enabled : core.online) = item[flag].get<bool>();
      }
      if (inv.FindCore(core.apic_id) != nullptr)
        return Fail(where, ": APIC ID ", std::to_string(core.apic_id), " is listed twice");
      inv.cores.push_back(core);
    }
    std::sort(inv.cores.begin(), inv.cores.end(),
              [](const InventoryCore& a, const InventoryCore& b) { return a.apic_id < b.apic_id; });
  }
  if (auto it = doc.find("cores_complete"); it != doc.end()) {
    if (!it->is_boolean()) return Fail(where, ": 'cores_complete' must be true or false");
    inv.cores_complete = it->get<bool>();
  }
  if (auto it = doc.find("tsc_khz"); it != doc.end()) {
    if (!it->is_number_unsigned()) return Fail(where, ": 'tsc_khz' must be a positive integer");
    inv.tsc_khz = it->get<uint64_t>();
  }
  if (auto it = doc.find("tsc_source"); it != doc.end() && it->is_string())
    inv.tsc_source = it->get<std::string>();
  if (auto it = doc.find("pci"); it != doc.end()) {
    MINT_TRY_VOID(ParsePciJson(*it, where, inv.pci));
  }
  if (auto it = doc.find("io_apics"); it != doc.end()) {
    if (!it->is_array()) return Fail(where, ": 'io_apics' must be a list");
    for (const auto& item : *it) {
      if (!item.is_object() || !item.contains("id") || !item["id"].is_number_unsigned() ||
          item["id"].get<uint64_t>() > 255 || !item.contains("address") ||
          !item["address"].is_string() || !item.contains("gsi_base") ||
          !item["gsi_base"].is_number_unsigned())
        return Fail(where, ": each IO-APIC needs an 'id', an 'address' and a 'gsi_base'");
      uint64_t address = std::strtoull(item["address"].get<std::string>().c_str(), nullptr, 16);
      inv.io_apics.push_back({static_cast<uint8_t>(item["id"].get<uint64_t>()),
                              static_cast<uint32_t>(address),
                              static_cast<uint32_t>(item["gsi_base"].get<uint64_t>())});
    }
  }
  if (auto it = doc.find("virtio_mmio"); it != doc.end()) {
    if (!it->is_array()) return Fail(where, ": 'virtio_mmio' must be a list");
    for (const auto& item : *it) {
      if (!item.is_object() || !item.contains("range") || !item["range"].is_string() ||
          !item.contains("name") || !item["name"].is_string())
        return Fail(where, ": each virtio-mmio device needs a 'range' and a 'name'");
      MmioDevice device;
      device.range = MINT_TRY(ParseHexRange(item["range"].get_ref<const std::string&>(), where));
      device.name = item["name"].get<std::string>();
      if (item.contains("driver") && item["driver"].is_string())
        device.driver = item["driver"].get<std::string>();
      inv.virtio_mmio.push_back(device);
    }
  }
  return inv;
}

}  // namespace mint
