#include "plan.h"
#include "format.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "boot_protocol.h"
#include "byte_reader.h"
#include "layout.h"
#include "pci.h"
#include "plan_check.h"

namespace mint {
namespace {

constexpr uint64_t kOneMiB = 0x100000;
// Mint places sized memory at 2 MiB boundaries, the kernel's own alignment.
constexpr uint64_t kPlacementAlign = 0x200000;

// Expands ${NAME} from the environment; an unset variable is an error naming it.
Result<std::string> ExpandEnv(std::string_view text, std::string_view where) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("${", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    size_t close = text.find('}', open);
    if (close == std::string_view::npos)
      return Fail(std::string(where), ": unterminated ${ in '", std::string(text), "'");
    out.append(text.substr(pos, open - pos));
    std::string name(text.substr(open + 2, close - open - 2));
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0')
      return Fail(std::string(where), ": '", std::string(text), "' uses ${", name,
                  "}, which is not set in the environment");
    out.append(value);
    pos = close + 1;
  }
  return out;
}

int LineOf(const toml::node* node) {
  return node == nullptr ? 0 : static_cast<int>(node->source().begin.line);
}

// Parses a plan and checks every whole-plan rule, recording every problem it finds instead of
// stopping at the first: a user fixing a plan sees the whole list at once.
class PlanParser {
 public:
  explicit PlanParser(std::string_view origin) : origin_(origin) {}

  PlanCheck Parse(std::string_view text) {
    PlanCheck out;
    // Plans are ASCII. Besides keeping paths and names simple, this keeps toml++ 3.3.0 away
    // from a bug: some non-ASCII characters reach a __builtin_unreachable() in its whitespace
    // classifier (found by lib/plan_fuzz.cc; fixture tests/fuzz/plan_fuzz/toml-unicode-ws).
    size_t line = 1, column = 1;
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x80 || (byte < 0x20 && c != '\n' && c != '\t' && c != '\r')) {
        std::ostringstream hex;
        hex << "0x" << std::hex << int{byte};
        out.problems.push_back(
            {static_cast<int>(line),
             "byte " + hex.str() + " is not printable ASCII; plan files are plain ASCII text",
             static_cast<int>(column)});
        return out;
      }
      if (c == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    toml::parse_result parsed = toml::parse(text, origin_);
    if (!parsed) {
      const auto& err = parsed.error();
      out.problems.push_back({static_cast<int>(err.source().begin.line),
                              std::string(err.description()),
                              static_cast<int>(err.source().begin.column)});
      return out;
    }
    const toml::table& root = parsed.table();
    for (const auto& [key, value] : root) {
      if (key != "host" && key != "node")
        Problem(LineOf(&value),
                "unknown section '" + std::string(key.str()) + "' (expected [host] and [[node]])");
    }
    Plan& plan = out.plan;
    if (const toml::node* host = root.get("host")) {
      if (host->is_table())
        ParseHost(*host->as_table(), plan.host);
      else
        Problem(LineOf(host), "'host' must be a table ([host])");
    }
    if (const toml::node* nodes = root.get("node")) {
      if (!nodes->is_array_of_tables()) {
        Problem(LineOf(nodes), "'node' must be an array of tables ([[node]])");
      } else {
        for (const toml::node& node : *nodes->as_array()) {
          NodePlan parsed_node;
          if (ParseNode(*node.as_table(), plan.nodes.size(), parsed_node))
            plan.nodes.push_back(std::move(parsed_node));
        }
      }
    }
    Check(plan);
    out.problems = std::move(problems_);
    std::stable_sort(out.problems.begin(), out.problems.end(),
                     [](const PlanProblem& a, const PlanProblem& b) { return a.line < b.line; });
    return out;
  }

 private:
  void Problem(int line, std::string message) { problems_.push_back({line, std::move(message)}); }

  // Records a failed result as a problem at `line`; true when it held a value.
  template <typename T>
  bool Take(Result<T> result, int line, const std::string& where, T& out) {
    if (!result.ok()) {
      Problem(line, where.empty() ? result.error().message : where + ": " + result.error().message);
      return false;
    }
    out = std::move(result.value());
    return true;
  }

  bool String(const toml::table& table, std::string_view key, const std::string& where,
              std::string& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return true;
    if (!node->is_string()) {
      Problem(LineOf(node), where + ": '" + std::string(key) + "' must be a string");
      return false;
    }
    out = std::string(node->as_string()->get());
    return true;
  }

  // A string or a list of strings, with each one's line.
  std::vector<std::pair<std::string, int>> Strings(const toml::table& table, std::string_view key,
                                                   const std::string& where) {
    std::vector<std::pair<std::string, int>> out;
    const toml::node* node = table.get(key);
    if (node == nullptr) return out;
    if (const toml::value<std::string>* one = node->as_string()) {
      out.emplace_back(one->get(), LineOf(node));
      return out;
    }
    if (!node->is_array()) {
      Problem(LineOf(node), where + ": '" + std::string(key) + "' must be a list of strings");
      return out;
    }
    for (const toml::node& item : *node->as_array()) {
      if (!item.is_string()) {
        Problem(LineOf(&item), where + ": '" + std::string(key) + "' must be a list of strings");
        continue;
      }
      out.emplace_back(std::string(item.as_string()->get()), LineOf(&item));
    }
    return out;
  }

  std::vector<uint32_t> Cpus(const toml::table& table, const std::string& where) {
    std::vector<uint32_t> out;
    const toml::node* node = table.get("cpus");
    if (node == nullptr) return out;
    if (!node->is_array()) {
      Problem(LineOf(node), where + ": 'cpus' must be a list of APIC IDs, e.g. [1]");
      return out;
    }
    for (const toml::node& item : *node->as_array()) {
      if (!item.is_integer()) {
        Problem(LineOf(&item), where + ": 'cpus' must be a list of APIC IDs, e.g. [1]");
        continue;
      }
      int64_t id = item.as_integer()->get();
      if (id < 0 || id > 254) {
        Problem(LineOf(&item), where + ": APIC ID " + std::to_string(id) +
                                   " is out of range (xAPIC IDs are 0..254; 255 is broadcast)");
        continue;
      }
      if (std::find(out.begin(), out.end(), static_cast<uint32_t>(id)) != out.end()) {
        Problem(LineOf(&item), where + ": APIC ID " + std::to_string(id) + " is listed twice");
        continue;
      }
      out.push_back(static_cast<uint32_t>(id));
    }
    return out;
  }

  void CheckKeys(const toml::table& table, const std::string& where,
                 std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : table) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        std::string list;
        for (auto k : known) list.append(list.empty() ? "" : ", ").append(k);
        Problem(LineOf(&value),
                where + ": unknown key '" + std::string(key.str()) + "' (known: " + list + ")");
      }
    }
  }

  void ParseHost(const toml::table& table, HostPlan& host) {
    std::string where = "[host]";
    host.line = LineOf(&table);
    CheckKeys(table, where, {"reserved", "low_window", "store", "cpus"});
    for (const auto& [text, line] : Strings(table, "reserved", where)) {
      PhysRange range;
      if (Take(ParseRange(text), line, where + " reserved", range)) {
        host.reserved.push_back(range);
        host.reserved_lines.push_back(line);
      }
    }
    std::string low;
    if (String(table, "low_window", where, low) && !low.empty()) {
      host.low_window_line = LineOf(table.get("low_window"));
      Take(ParseRange(low), host.low_window_line, where + " low_window", host.low_window);
    }
    std::string store;
    if (String(table, "store", where, store) && !store.empty()) {
      PhysRange range;
      if (Take(ParseRange(store), LineOf(table.get("store")), where + " store", range))
        host.store = range;
    }
    if (const toml::node* cpus = table.get("cpus")) {
      host.cpus = Cpus(table, where);
      if (host.cpus.empty())
        Problem(LineOf(cpus), where + ": the host must keep at least one core");
    }
  }

  // False when the node is too broken to check further (no usable name).
  bool ParseNode(const toml::table& table, size_t index, NodePlan& node) {
    std::string where = "node #" + std::to_string(index + 1);
    node.line = LineOf(&table);
    auto line_of = [&](std::string_view key) {
      int line = LineOf(table.get(key));
      return line ? line : node.line;
    };
    CheckKeys(table, where,
              {"name", "arch", "kernel", "initrd", "cmdline", "cpus", "memory", "low", "console",
               "dma32", "kaslr", "pci", "unbind_host_drivers", "io_apic", "virtio_mmio"});
    String(table, "name", where, node.name);
    if (node.name.empty()) {
      Problem(node.line, where + ": every node needs a name");
      node.name = "#" + std::to_string(index + 1);
    } else if (node.name.size() > 31) {
      Problem(line_of("name"), where + ": name '" + node.name + "' is longer than 31 characters");
    } else if (!std::all_of(node.name.begin(), node.name.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
               })) {
      Problem(line_of("name"),
              where + ": name '" + node.name + "' may only use letters, digits, '-' and '_'");
    } else {
      where = "node " + node.name;
    }
    String(table, "arch", where, node.arch);
    if (!node.arch.empty() && node.arch != "x86_64" && node.arch != "i386") {
      Problem(line_of("arch"), where + ": arch '" + node.arch + "' is not x86_64 or i386");
      node.arch.clear();
    }
    std::string kernel;
    String(table, "kernel", where, kernel);
    if (kernel.empty())
      Problem(node.line, where + ": 'kernel' (path to a bzImage) is missing");
    else
      Take(ExpandEnv(kernel, where), line_of("kernel"), "", node.kernel);
    std::string initrd;
    String(table, "initrd", where, initrd);
    Take(ExpandEnv(initrd, where), line_of("initrd"), "", node.initrd);
    String(table, "cmdline", where, node.cmdline);
    node.cpus = Cpus(table, where);
    node.cpus_line = line_of("cpus");
    if (node.cpus.empty() && table.get("cpus") == nullptr)
      Problem(node.line, where + ": 'cpus' must list at least one APIC ID");
    else if (node.cpus.empty())
      Problem(line_of("cpus"), where + ": 'cpus' must list at least one APIC ID");
    auto memory = Strings(table, "memory", where);
    if (memory.empty() && table.get("memory") == nullptr)
      Problem(node.line, where + ": 'memory' must list at least one range or size");
    for (const auto& [text, line] : memory) {
      if (text.find('-') != std::string::npos) {
        PhysRange range;
        if (!Take(ParseRange(text), line, where + " memory", range)) continue;
        if (range.start % kPage != 0 || range.end % kPage != 0) {
          Problem(line, where + ": memory " + text + " is not 4 KiB aligned at both ends");
          continue;
        }
        node.memory.push_back(range);
      } else {
        uint64_t size = 0;
        if (!Take(ParseSize(text), line, where + " memory", size)) continue;
        if (size == 0 || size % kPage != 0) {
          Problem(line, where + ": memory size " + text + " must be a non-zero multiple of 4 KiB");
          continue;
        }
        node.memory_sizes.push_back(size);
      }
    }
    node.memory_line = line_of("memory");
    std::string low;
    if (String(table, "low", where, low) && !low.empty()) {
      PhysRange range;
      if (Take(ParseRange(low), line_of("low"), where + " low", range)) node.low = range;
    }
    node.low_line = line_of("low");
    std::string console;
    String(table, "console", where, console);
    if (!console.empty()) node.console = console;
    if (node.console != "shared" &&
        !(node.console.size() == 5 && node.console.starts_with("ttyS") && node.console[4] >= '1' &&
          node.console[4] <= '3')) {
      Problem(line_of("console"), where + ": console '" + node.console +
                                      "' must be ttyS1, ttyS2, ttyS3 (a UART of its own) or "
                                      "\"shared\"");
      node.console = "shared";
    }
    if (const toml::node* kaslr = table.get("kaslr")) {
      if (!kaslr->is_boolean())
        Problem(LineOf(kaslr), where + ": 'kaslr' must be true or false");
      else
        node.kaslr = kaslr->as_boolean()->get();
    }
    if (const toml::node* dma32 = table.get("dma32")) {
      if (!dma32->is_boolean())
        Problem(LineOf(dma32), where + ": 'dma32' must be true or false");
      else
        node.dma32 = dma32->as_boolean()->get();
    }
    node.pci_line = line_of("pci");
    for (const auto& [text, line] : Strings(table, "pci", where)) {
      PciAddress address;
      if (!Take(ParsePciAddress(text), line, where + " pci", address)) continue;
      std::string name = FormatPciAddress(address);
      if (std::find(node.pci.begin(), node.pci.end(), name) != node.pci.end()) {
        Problem(line, where + ": PCI function " + name + " is listed twice");
        continue;
      }
      node.pci.push_back(name);
    }
    node.io_apic_line = line_of("io_apic");
    if (const toml::node* io_apic = table.get("io_apic")) {
      if (!io_apic->is_integer() || io_apic->as_integer()->get() < 0 ||
          io_apic->as_integer()->get() > 255)
        Problem(LineOf(io_apic), where + ": 'io_apic' must be an IO-APIC ID (0-255)");
      else
        node.io_apic = static_cast<uint32_t>(io_apic->as_integer()->get());
    }
    node.virtio_mmio_line = line_of("virtio_mmio");
    for (const auto& [text, line] : Strings(table, "virtio_mmio", where)) {
      VirtioMmioTransport transport;
      if (!Take(ParseVirtioMmio(text), line, where + " virtio_mmio", transport)) continue;
      node.virtio_mmio.push_back(transport);
    }
    if (!node.virtio_mmio.empty() && !node.io_apic)
      Problem(node.virtio_mmio_line,
              where +
                  ": virtio_mmio transports need 'io_apic', the IO-APIC they are wired to "
                  "(the node must own it outright)");
    if (const toml::node* unbind = table.get("unbind_host_drivers")) {
      if (!unbind->is_boolean())
        Problem(LineOf(unbind), where + ": 'unbind_host_drivers' must be true or false");
      else
        node.unbind_host_drivers = unbind->as_boolean()->get();
    }
    return true;
  }

  // Whole-plan rules: every node's resources are its own, inside what the host gave away.
  void Check(Plan& plan) {
    HostPlan& host = plan.host;
    const PhysRange& window = host.low_window;
    const int wline = host.low_window_line ? host.low_window_line : host.line;
    bool window_ok = true;
    if (window.end > kOneMiB) {
      Problem(wline, "[host] low_window " + FormatRange(window) + " must lie below 1 MiB");
      window_ok = false;
    }
    if (window.start % kPage != 0 || window.end % kPage != 0) {
      Problem(wline, "[host] low_window " + FormatRange(window) + " must be 4 KiB aligned");
      window_ok = false;
    }
    if (window.size() < kTrampolineBytes) {
      Problem(wline, "[host] low_window " + FormatRange(window) +
                         " is too small for the trampoline (" + Hex(kTrampolineBytes) + " bytes)");
      window_ok = false;
    }
    const PhysRange trampoline{window.start, window.start + kTrampolineBytes};
    for (size_t i = 0; i < host.reserved.size(); ++i) {
      for (size_t j = i + 1; j < host.reserved.size(); ++j) {
        if (host.reserved[i].Overlaps(host.reserved[j]))
          Problem(host.reserved_lines[j], "[host] reserved ranges " +
                                              FormatRange(host.reserved[i]) + " and " +
                                              FormatRange(host.reserved[j]) + " overlap");
      }
    }
    if (host.store) {
      bool inside = std::any_of(host.reserved.begin(), host.reserved.end(),
                                [&](const PhysRange& r) { return r.Contains(*host.store); });
      if (!inside)
        Problem(host.line,
                "[host] store " + FormatRange(*host.store) + " is not inside a reserved range");
    }

    std::set<std::string> names;
    std::set<std::string> consoles;
    std::vector<std::pair<PhysRange, std::string>> taken;  // memory owned so far, by node
    if (host.store) taken.emplace_back(*host.store, "the store");
    std::vector<std::pair<PhysRange, std::string>> low_taken{{trampoline, "the trampoline"}};
    std::vector<std::pair<uint32_t, std::string>> cpus_taken;
    std::vector<std::pair<std::string, std::string>> pci_taken;  // function, owner
    std::vector<std::pair<uint32_t, std::string>> io_apics_taken;
    std::vector<std::pair<VirtioMmioTransport, std::string>> mmio_taken;
    for (uint32_t cpu : host.cpus) cpus_taken.emplace_back(cpu, "the host");

    for (NodePlan& node : plan.nodes) {
      std::string where = "node " + node.name;
      if (!names.insert(node.name).second) Problem(node.line, where + ": the name is used twice");
      if (node.console != "shared" && !consoles.insert(node.console).second)
        Problem(node.line, where + ": console " + node.console + " is already another node's");
      for (uint32_t cpu : node.cpus) {
        for (const auto& [other, owner] : cpus_taken) {
          if (other == cpu)
            Problem(node.cpus_line,
                    where + ": APIC ID " + std::to_string(cpu) + " already belongs to " + owner);
        }
        cpus_taken.emplace_back(cpu, "node " + node.name);
      }
      for (const std::string& function : node.pci) {
        for (const auto& [other, owner] : pci_taken) {
          if (other == function)
            Problem(node.pci_line,
                    where + ": PCI function " + function + " is already given to " + owner);
        }
        pci_taken.emplace_back(function, "node " + node.name);
      }
      if (node.io_apic) {
        for (const auto& [other, owner] : io_apics_taken) {
          if (other == *node.io_apic)
            Problem(node.io_apic_line, where + ": IO-APIC " + std::to_string(*node.io_apic) +
                                           " is already given to " + owner);
        }
        io_apics_taken.emplace_back(*node.io_apic, "node " + node.name);
      }
      for (const VirtioMmioTransport& transport : node.virtio_mmio) {
        for (const auto& [other, owner] : mmio_taken) {
          if (other.range.Overlaps(transport.range) || other.gsi == transport.gsi)
            Problem(node.virtio_mmio_line, where + ": virtio-mmio transport " +
                                               FormatVirtioMmio(transport) + " overlaps " + owner +
                                               "'s " + FormatVirtioMmio(other));
        }
        mmio_taken.emplace_back(transport, "node " + node.name);
      }
      for (const PhysRange& range : node.memory) {
        if (range.Overlaps(window))
          Problem(node.memory_line, where + ": memory " + FormatRange(range) +
                                        " overlaps the low window " + FormatRange(window));
        CheckOwned(node.memory_line, where, range, host, taken);
        taken.emplace_back(range, "node " + node.name);
      }
      if (node.low && window_ok) {
        const PhysRange& low = *node.low;
        if (!window.Contains(low))
          Problem(node.low_line, where + ": low slice " + FormatRange(low) +
                                     " is outside the low window " + FormatRange(window));
        if (low.start % kPage != 0 || low.end % kPage != 0)
          Problem(node.low_line,
                  where + ": low slice " + FormatRange(low) + " is not 4 KiB aligned");
        if (low.size() < kMinLowSlice)
          Problem(node.low_line, where + ": low slice " + FormatRange(low) + " is " +
                                     Hex(low.size()) + " bytes; a stock node needs at least " +
                                     Hex(kMinLowSlice) + " (" + std::to_string(kMinLowSlice >> 10) +
                                     " KiB) below 1 MiB");
        for (const auto& [other, owner] : low_taken) {
          if (other.Overlaps(low))
            Problem(node.low_line, where + ": low slice " + FormatRange(low) + " overlaps " +
                                       owner + " (" + FormatRange(other) + ")");
        }
        low_taken.emplace_back(low, "node " + node.name);
      }
    }
    // Second pass: place what the plan left to Mint, around what it fixed.
    size_t wanting_low = 0;
    for (const NodePlan& node : plan.nodes) wanting_low += node.low ? 0 : 1;
    bool low_full = false;
    for (NodePlan& node : plan.nodes) {
      std::string where = "node " + node.name;
      for (uint64_t size : node.memory_sizes) {
        PhysRange placed;
        if (!Take(Place(size, host, taken), node.memory_line, where, placed)) continue;
        node.memory.push_back(placed);
        taken.emplace_back(placed, "node " + node.name);
      }
      node.memory_sizes.clear();
      if (!node.low && window_ok && !low_full) {
        auto placed = PlaceLow(window, low_taken);
        if (placed.ok()) {
          node.low = *placed;
          low_taken.emplace_back(*node.low, "node " + node.name);
        } else {
          low_full = true;
          size_t fixed = low_taken.size() - 1;
          Problem(node.line, where + ": the low window " + FormatRange(window) +
                                 " is full: it holds " + std::to_string(LowWindowCapacity(window)) +
                                 " nodes of " + std::to_string(kDefaultLowSlice >> 10) +
                                 " KiB after the trampoline, " + std::to_string(fixed) +
                                 " slice(s) are taken and " + std::to_string(wanting_low) +
                                 " node(s) want one assigned; widen [host] low_window or give "
                                 "nodes smaller 'low' slices (at least " +
                                 std::to_string(kMinLowSlice >> 10) + " KiB)");
        }
      }
    }
    // Architecture rules that need only the plan (an arch read from the image is checked by
    // CheckPlan).
    for (const NodePlan& node : plan.nodes) CheckArchMemory(node, node.arch, problems_);
  }

  void CheckOwned(int line, const std::string& where, const PhysRange& range, const HostPlan& host,
                  const std::vector<std::pair<PhysRange, std::string>>& taken) {
    if (!host.reserved.empty()) {
      bool inside = std::any_of(host.reserved.begin(), host.reserved.end(),
                                [&](const PhysRange& r) { return r.Contains(range); });
      if (!inside) {
        std::string list;
        for (const auto& r : host.reserved)
          list.append(list.empty() ? "" : ", ").append(FormatRange(r));
        Problem(line, where + ": memory " + FormatRange(range) +
                          " is not inside a range the host reserved (" + list + ")");
      }
    }
    for (const auto& [other, owner] : taken) {
      if (other.Overlaps(range))
        Problem(line, where + ": memory " + FormatRange(range) + " overlaps " + owner + " (" +
                          FormatRange(other) + ")");
    }
  }

  Result<PhysRange> Place(uint64_t size, const HostPlan& host,
                          const std::vector<std::pair<PhysRange, std::string>>& taken) {
    for (const PhysRange& reserved : host.reserved) {
      uint64_t cursor = AlignUp(reserved.start, kPlacementAlign).value_or(reserved.end);
      while (cursor < reserved.end && reserved.end - cursor >= size) {
        PhysRange candidate{cursor, cursor + size};
        auto clash = std::find_if(taken.begin(), taken.end(),
                                  [&](const auto& t) { return t.first.Overlaps(candidate); });
        if (clash == taken.end()) return candidate;
        cursor = AlignUp(clash->first.end, kPlacementAlign).value_or(reserved.end);
      }
    }
    return Fail("no free ", Hex(size), "-byte (", std::to_string(size >> 20),
                " MiB) range is left in the host's reserved memory for this node");
  }

  Result<PhysRange> PlaceLow(const PhysRange& window,
                             const std::vector<std::pair<PhysRange, std::string>>& taken) {
    // From the top of the window down, so fixed slices named low in the window stay free.
    uint64_t end = window.end;
    while (end >= window.start + kDefaultLowSlice) {
      PhysRange candidate{end - kDefaultLowSlice, end};
      auto clash = std::find_if(taken.begin(), taken.end(),
                                [&](const auto& t) { return t.first.Overlaps(candidate); });
      if (clash == taken.end()) return candidate;
      end = AlignDown(clash->first.start, kPage);
    }
    return Fail("the low window ", FormatRange(window), " has no free ", Hex(kDefaultLowSlice),
                "-byte slice left for this node");
  }

  std::string origin_;
  std::vector<PlanProblem> problems_;
};

}  // namespace

const NodePlan* Plan::FindNode(std::string_view name) const {
  for (const NodePlan& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

std::string FormatProblems(const std::vector<PlanProblem>& problems, std::string_view origin) {
  std::string out;
  for (const PlanProblem& problem : problems) {
    if (!out.empty()) out += "\n";
    out += std::string(origin);
    if (problem.line > 0) out += ":" + std::to_string(problem.line);
    if (problem.line > 0 && problem.column > 0) out += ":" + std::to_string(problem.column);
    out += ": " + problem.message;
  }
  return out;
}

PlanCheck ParsePlanAll(std::string_view text, std::string_view origin) {
  return PlanParser(origin).Parse(text);
}

Result<Plan> ParsePlan(std::string_view text, std::string_view origin) {
  PlanCheck check = ParsePlanAll(text, origin);
  if (!check.problems.empty()) return Fail(FormatProblems(check.problems, origin));
  return std::move(check.plan);
}

uint64_t LowWindowCapacity(const PhysRange& window) {
  if (window.size() <= kTrampolineBytes) return 0;
  return (window.size() - kTrampolineBytes) / kDefaultLowSlice;
}

Result<Plan> LoadPlanFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("cannot read plan file ", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParsePlan(buffer.str(), path);
}

namespace {
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}
}  // namespace

Result<VirtioMmioTransport> ParseVirtioMmio(std::string_view text) {
  size_t at = text.find('@');
  auto bad = [&] {
    return Fail("virtio-mmio transport '", text,
                "' is not START-END@GSI like \"0xfeb00000-0xfeb001ff@24\"");
  };
  if (at == std::string_view::npos) return bad();
  auto range = ParseRange(text.substr(0, at));
  if (!range) return Fail("virtio-mmio transport '", text, "': ", range.error().message);
  std::string_view gsi_text = text.substr(at + 1);
  uint32_t gsi = 0;
  auto [end, error] = std::from_chars(gsi_text.data(), gsi_text.data() + gsi_text.size(), gsi);
  if (gsi_text.empty() || error != std::errc() || end != gsi_text.data() + gsi_text.size())
    return bad();
  if (range->start > UINT32_MAX || range->end > (uint64_t{1} << 32))
    return Fail("virtio-mmio transport '", text, "' must lie below 4 GiB");
  return VirtioMmioTransport{*range, gsi};
}

std::string FormatVirtioMmio(const VirtioMmioTransport& transport) {
  return FormatRange(transport.range) + "@" + std::to_string(transport.gsi);
}

std::string SerializePlan(const Plan& plan) {
  std::ostringstream out;
  out << "[host]\nreserved = [";
  for (size_t i = 0; i < plan.host.reserved.size(); ++i)
    out << (i ? ", " : "") << Quote(FormatRange(plan.host.reserved[i]));
  out << "]\nlow_window = " << Quote(FormatRange(plan.host.low_window)) << "\n";
  if (plan.host.store) out << "store = " << Quote(FormatRange(*plan.host.store)) << "\n";
  out << "cpus = [";
  for (size_t i = 0; i < plan.host.cpus.size(); ++i) out << (i ? ", " : "") << plan.host.cpus[i];
  out << "]\n";
  for (const NodePlan& node : plan.nodes) {
    out << "\n[[node]]\nname = " << Quote(node.name) << "\n";
    if (!node.arch.empty()) out << "arch = " << Quote(node.arch) << "\n";
    out << "kernel = " << Quote(node.kernel) << "\n";
    if (!node.initrd.empty()) out << "initrd = " << Quote(node.initrd) << "\n";
    out << "cmdline = " << Quote(node.cmdline) << "\ncpus = [";
    for (size_t i = 0; i < node.cpus.size(); ++i) out << (i ? ", " : "") << node.cpus[i];
    out << "]\nmemory = [";
    size_t count = 0;
    for (const PhysRange& range : node.memory)
      out << (count++ ? ", " : "") << Quote(FormatRange(range));
    for (uint64_t size : node.memory_sizes)
      out << (count++ ? ", " : "") << Quote(std::to_string(size));
    out << "]\n";
    if (node.low) out << "low = " << Quote(FormatRange(*node.low)) << "\n";
    out << "console = " << Quote(node.console) << "\n";
    if (!node.dma32) out << "dma32 = false\n";
    if (node.kaslr) out << "kaslr = true\n";
    if (!node.pci.empty()) {
      out << "pci = [";
      for (size_t i = 0; i < node.pci.size(); ++i) out << (i ? ", " : "") << Quote(node.pci[i]);
      out << "]\n";
    }
    if (node.unbind_host_drivers) out << "unbind_host_drivers = true\n";
    if (node.io_apic) out << "io_apic = " << *node.io_apic << "\n";
    if (!node.virtio_mmio.empty()) {
      out << "virtio_mmio = [";
      for (size_t i = 0; i < node.virtio_mmio.size(); ++i)
        out << (i ? ", " : "") << Quote(FormatVirtioMmio(node.virtio_mmio[i]));
      out << "]\n";
    }
  }
  return out.str();
}

std::string HostKernelArgs(const HostPlan& host) {
  std::ostringstream out;
  out << "maxcpus=" << host.cpus.size();
  for (const PhysRange& range : host.reserved) {
    out << " memmap=" << Hex(range.size()) << "$" << Hex(range.start);
  }
  // With every possible core online, Linux sends its stop and reboot IPIs to "all but self"
  // by broadcast, which would also reach the cores nodes own (a host that onlined a core a
  // node gave back has all of them online). Directed IPIs keep the host to its own cores.
  out << " no_ipi_broadcast=1";
  return out.str();
}

}  // namespace mint
