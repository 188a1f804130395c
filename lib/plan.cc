#include "plan.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "byte_reader.h"

namespace mint {
namespace {

constexpr uint64_t kPage = 0x1000;
constexpr uint64_t kOneMiB = 0x100000;
// The trampoline takes the first two pages of the low window (boot/layout.h).
constexpr uint64_t kTrampolineBytes = 0x2000;
// Default low slice a node gets when the plan names none: 64 KiB booted Debian 6.1 nodes.
constexpr uint64_t kDefaultLowSlice = 0x10000;
// Mint places sized memory at 2 MiB boundaries, the kernel's own alignment.
constexpr uint64_t kPlacementAlign = 0x200000;

std::string Hex(uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

Result<uint64_t> ParseNumber(std::string_view text, std::string_view what) {
  uint64_t value = 0;
  int base = 10;
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return Fail("'", std::string(text), "' is not a number (", std::string(what), ")");
  return value;
}

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

class PlanParser {
 public:
  explicit PlanParser(std::string_view origin) : origin_(origin) {}

  Result<Plan> Parse(std::string_view text) {
    // Plans are ASCII. Besides keeping paths and names simple, this keeps toml++ 3.3.0 away
    // from a bug: some non-ASCII characters reach a __builtin_unreachable() in its whitespace
    // classifier (found by lib/plan_fuzz.cc; fixture tests/fuzz/plan_fuzz/toml-unicode-ws).
    size_t line = 1, column = 1;
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x80 || (byte < 0x20 && c != '\n' && c != '\t' && c != '\r')) {
        std::ostringstream hex;
        hex << "0x" << std::hex << int{byte};
        return Fail(origin_, ":", std::to_string(line), ":", std::to_string(column), ": byte ",
                    hex.str(), " is not printable ASCII; plan files are plain ASCII text");
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
      return Fail(origin_, ":", std::to_string(err.source().begin.line), ":",
                  std::to_string(err.source().begin.column), ": ", std::string(err.description()));
    }
    const toml::table& root = parsed.table();
    for (const auto& [key, value] : root) {
      if (key != "host" && key != "node")
        return Fail(origin_, ": unknown section '", std::string(key.str()),
                    "' (expected [host] and [[node]])");
    }
    Plan plan;
    if (const toml::node* host = root.get("host")) {
      if (!host->is_table()) return Fail(origin_, ": 'host' must be a table ([host])");
      MINT_TRY_VOID(ParseHost(*host->as_table(), plan.host));
    }
    if (const toml::node* nodes = root.get("node")) {
      if (!nodes->is_array_of_tables())
        return Fail(origin_, ": 'node' must be an array of tables ([[node]])");
      for (const toml::node& node : *nodes->as_array()) {
        NodePlan parsed_node;
        MINT_TRY_VOID(ParseNode(*node.as_table(), plan.nodes.size(), parsed_node));
        plan.nodes.push_back(std::move(parsed_node));
      }
    }
    MINT_TRY_VOID(Check(plan));
    return plan;
  }

 private:
  Result<std::string> String(const toml::table& table, std::string_view key,
                             std::string_view where) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::string();
    if (!node->is_string()) return Fail(where, ": '", std::string(key), "' must be a string");
    return std::string(node->as_string()->get());
  }

  Result<std::vector<std::string>> Strings(const toml::table& table, std::string_view key,
                                           std::string_view where) {
    std::vector<std::string> out;
    const toml::node* node = table.get(key);
    if (node == nullptr) return out;
    if (const toml::value<std::string>* one = node->as_string()) {
      out.push_back(one->get());
      return out;
    }
    if (!node->is_array())
      return Fail(where, ": '", std::string(key), "' must be a list of strings");
    for (const toml::node& item : *node->as_array()) {
      if (!item.is_string())
        return Fail(where, ": '", std::string(key), "' must be a list of strings");
      out.push_back(std::string(item.as_string()->get()));
    }
    return out;
  }

  Result<std::vector<uint32_t>> Cpus(const toml::table& table, std::string_view where) {
    std::vector<uint32_t> out;
    const toml::node* node = table.get("cpus");
    if (node == nullptr) return out;
    if (!node->is_array()) return Fail(where, ": 'cpus' must be a list of APIC IDs, e.g. [1]");
    for (const toml::node& item : *node->as_array()) {
      if (!item.is_integer()) return Fail(where, ": 'cpus' must be a list of APIC IDs, e.g. [1]");
      int64_t id = item.as_integer()->get();
      if (id < 0 || id > 254)
        return Fail(where, ": APIC ID ", std::to_string(id),
                    " is out of range (xAPIC IDs are 0..254; 255 is broadcast)");
      if (std::find(out.begin(), out.end(), static_cast<uint32_t>(id)) != out.end())
        return Fail(where, ": APIC ID ", std::to_string(id), " is listed twice");
      out.push_back(static_cast<uint32_t>(id));
    }
    return out;
  }

  Result<void> CheckKeys(const toml::table& table, std::string_view where,
                         std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : table) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        std::string list;
        for (auto k : known) list.append(list.empty() ? "" : ", ").append(k);
        return Fail(where, ": unknown key '", std::string(key.str()), "' (known: ", list, ")");
      }
    }
    return Ok{};
  }

  Result<void> ParseHost(const toml::table& table, HostPlan& host) {
    std::string where = origin_ + ": [host]";
    MINT_TRY_VOID(CheckKeys(table, where, {"reserved", "low_window", "store", "cpus"}));
    for (const std::string& text : MINT_TRY(Strings(table, "reserved", where))) {
      PhysRange range = MINT_TRY(Annotate(ParseRange(text), where + " reserved"));
      host.reserved.push_back(range);
    }
    std::string low = MINT_TRY(String(table, "low_window", where));
    if (!low.empty()) host.low_window = MINT_TRY(Annotate(ParseRange(low), where + " low_window"));
    std::string store = MINT_TRY(String(table, "store", where));
    if (!store.empty()) host.store = MINT_TRY(Annotate(ParseRange(store), where + " store"));
    if (table.get("cpus") != nullptr) host.cpus = MINT_TRY(Cpus(table, where));
    if (host.cpus.empty()) return Fail(where, ": the host must keep at least one core");
    return Ok{};
  }

  Result<void> ParseNode(const toml::table& table, size_t index, NodePlan& node) {
    std::string where = origin_ + ": node #" + std::to_string(index + 1);
    MINT_TRY_VOID(CheckKeys(
        table, where,
        {"name", "arch", "kernel", "initrd", "cmdline", "cpus", "memory", "low", "console"}));
    node.name = MINT_TRY(String(table, "name", where));
    if (node.name.empty()) return Fail(where, ": every node needs a name");
    if (node.name.size() > 31)
      return Fail(where, ": name '", node.name, "' is longer than 31 characters");
    for (char c : node.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        return Fail(where, ": name '", node.name, "' may only use letters, digits, '-' and '_'");
    }
    where = origin_ + ": node " + node.name;
    node.arch = MINT_TRY(String(table, "arch", where));
    if (!node.arch.empty() && node.arch != "x86_64" && node.arch != "i386")
      return Fail(where, ": arch '", node.arch, "' is not x86_64 or i386");
    std::string kernel = MINT_TRY(String(table, "kernel", where));
    node.kernel = MINT_TRY(ExpandEnv(kernel, where));
    if (node.kernel.empty()) return Fail(where, ": 'kernel' (path to a bzImage) is missing");
    std::string initrd = MINT_TRY(String(table, "initrd", where));
    node.initrd = MINT_TRY(ExpandEnv(initrd, where));
    node.cmdline = MINT_TRY(String(table, "cmdline", where));
    node.cpus = MINT_TRY(Cpus(table, where));
    if (node.cpus.empty()) return Fail(where, ": 'cpus' must list at least one APIC ID");
    std::vector<std::string> memory = MINT_TRY(Strings(table, "memory", where));
    if (memory.empty()) return Fail(where, ": 'memory' must list at least one range or size");
    for (const std::string& text : memory) {
      if (text.find('-') != std::string::npos) {
        PhysRange range = MINT_TRY(Annotate(ParseRange(text), where + " memory"));
        if (range.start % kPage != 0 || range.end % kPage != 0)
          return Fail(where, ": memory ", text, " is not 4 KiB aligned at both ends");
        node.memory.push_back(range);
      } else {
        uint64_t size = MINT_TRY(Annotate(ParseSize(text), where + " memory"));
        if (size == 0 || size % kPage != 0)
          return Fail(where, ": memory size ", text, " must be a non-zero multiple of 4 KiB");
        node.memory_sizes.push_back(size);
      }
    }
    std::string low = MINT_TRY(String(table, "low", where));
    if (!low.empty()) node.low = MINT_TRY(Annotate(ParseRange(low), where + " low"));
    std::string console = MINT_TRY(String(table, "console", where));
    if (!console.empty()) node.console = console;
    if (node.console != "shared" &&
        !(node.console.size() == 5 && node.console.starts_with("ttyS") && node.console[4] >= '1' &&
          node.console[4] <= '3'))
      return Fail(where, ": console '", node.console,
                  "' must be ttyS1, ttyS2, ttyS3 (a UART of its own) or \"shared\"");
    return Ok{};
  }

  template <typename T>
  static Result<T> Annotate(Result<T> result, const std::string& where) {
    if (result.ok()) return result;
    return Fail(where, ": ", result.error().message);
  }

  // Whole-plan rules: every node's resources are its own, inside what the host gave away.
  Result<void> Check(Plan& plan) {
    HostPlan& host = plan.host;
    const PhysRange& window = host.low_window;
    if (window.end > kOneMiB)
      return Fail(origin_, ": [host] low_window ", FormatRange(window), " must lie below 1 MiB");
    if (window.start % kPage != 0 || window.end % kPage != 0)
      return Fail(origin_, ": [host] low_window ", FormatRange(window), " must be 4 KiB aligned");
    if (window.size() < kTrampolineBytes)
      return Fail(origin_, ": [host] low_window ", FormatRange(window),
                  " is too small for the trampoline (", Hex(kTrampolineBytes), " bytes)");
    const PhysRange trampoline{window.start, window.start + kTrampolineBytes};
    for (size_t i = 0; i < host.reserved.size(); ++i) {
      for (size_t j = i + 1; j < host.reserved.size(); ++j) {
        if (host.reserved[i].Overlaps(host.reserved[j]))
          return Fail(origin_, ": [host] reserved ranges ", FormatRange(host.reserved[i]), " and ",
                      FormatRange(host.reserved[j]), " overlap");
      }
    }
    if (host.store) {
      bool inside = std::any_of(host.reserved.begin(), host.reserved.end(),
                                [&](const PhysRange& r) { return r.Contains(*host.store); });
      if (!inside)
        return Fail(origin_, ": [host] store ", FormatRange(*host.store),
                    " is not inside a reserved range");
    }

    std::set<std::string> names;
    std::set<std::string> consoles;
    std::vector<std::pair<PhysRange, std::string>> taken;  // memory owned so far, by node
    if (host.store) taken.emplace_back(*host.store, "the store");
    std::vector<std::pair<PhysRange, std::string>> low_taken{{trampoline, "the trampoline"}};
    std::vector<std::pair<uint32_t, std::string>> cpus_taken;
    for (uint32_t cpu : host.cpus) cpus_taken.emplace_back(cpu, "the host");

    for (NodePlan& node : plan.nodes) {
      std::string where = origin_ + ": node " + node.name;
      if (!names.insert(node.name).second) return Fail(where, ": the name is used twice");
      if (node.console != "shared" && !consoles.insert(node.console).second)
        return Fail(where, ": console ", node.console, " is already another node's");
      for (uint32_t cpu : node.cpus) {
        for (const auto& [other, owner] : cpus_taken) {
          if (other == cpu)
            return Fail(where, ": APIC ID ", std::to_string(cpu), " already belongs to ", owner);
        }
        cpus_taken.emplace_back(cpu, "node " + node.name);
      }
      for (const PhysRange& range : node.memory) {
        MINT_TRY_VOID(CheckOwned(where, range, host, taken));
        taken.emplace_back(range, "node " + node.name);
      }
      if (node.low) {
        if (!window.Contains(*node.low))
          return Fail(where, ": low slice ", FormatRange(*node.low), " is outside the low window ",
                      FormatRange(window));
        if (node.low->start % kPage != 0 || node.low->end % kPage != 0)
          return Fail(where, ": low slice ", FormatRange(*node.low), " is not 4 KiB aligned");
        for (const auto& [other, owner] : low_taken) {
          if (other.Overlaps(*node.low))
            return Fail(where, ": low slice ", FormatRange(*node.low), " overlaps ", owner, " (",
                        FormatRange(other), ")");
        }
        low_taken.emplace_back(*node.low, "node " + node.name);
      }
    }
    // Second pass: place what the plan left to Mint, around what it fixed.
    for (NodePlan& node : plan.nodes) {
      std::string where = origin_ + ": node " + node.name;
      for (uint64_t size : node.memory_sizes) {
        PhysRange placed = MINT_TRY(Place(where, size, host, taken));
        node.memory.push_back(placed);
        taken.emplace_back(placed, "node " + node.name);
      }
      node.memory_sizes.clear();
      if (!node.low) {
        node.low = MINT_TRY(PlaceLow(where, window, low_taken));
        low_taken.emplace_back(*node.low, "node " + node.name);
      }
    }
    return Ok{};
  }

  Result<void> CheckOwned(const std::string& where, const PhysRange& range, const HostPlan& host,
                          const std::vector<std::pair<PhysRange, std::string>>& taken) {
    if (!host.reserved.empty()) {
      bool inside = std::any_of(host.reserved.begin(), host.reserved.end(),
                                [&](const PhysRange& r) { return r.Contains(range); });
      if (!inside) {
        std::string list;
        for (const auto& r : host.reserved)
          list.append(list.empty() ? "" : ", ").append(FormatRange(r));
        return Fail(where, ": memory ", FormatRange(range),
                    " is not inside a range the host reserved (", list, ")");
      }
    }
    for (const auto& [other, owner] : taken) {
      if (other.Overlaps(range))
        return Fail(where, ": memory ", FormatRange(range), " overlaps ", owner, " (",
                    FormatRange(other), ")");
    }
    return Ok{};
  }

  Result<PhysRange> Place(const std::string& where, uint64_t size, const HostPlan& host,
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
    return Fail(where, ": no free ", Hex(size),
                "-byte range is left in the host's reserved memory for this node");
  }

  Result<PhysRange> PlaceLow(const std::string& where, const PhysRange& window,
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
    return Fail(where, ": the low window ", FormatRange(window), " has no free ",
                Hex(kDefaultLowSlice), "-byte slice left for this node");
  }

  std::string origin_;
};

}  // namespace

std::string FormatRange(const PhysRange& range) {
  return Hex(range.start) + "-" + Hex(range.end - 1);
}

Result<PhysRange> ParseRange(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos)
    return Fail("'", std::string(text), "' is not a range like 0x40000000-0x7fffffff");
  uint64_t start = MINT_TRY(ParseNumber(text.substr(0, dash), "range start"));
  uint64_t last = MINT_TRY(ParseNumber(text.substr(dash + 1), "range end"));
  if (last < start) return Fail("range '", std::string(text), "' ends before it starts");
  if (last == UINT64_MAX) return Fail("range '", std::string(text), "' reaches the top of memory");
  return PhysRange{start, last + 1};
}

Result<uint64_t> ParseSize(std::string_view text) {
  if (text.empty()) return Fail("an empty size");
  uint64_t shift = 0;
  char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (unit == 'K') shift = 10;
  if (unit == 'M') shift = 20;
  if (unit == 'G') shift = 30;
  std::string_view digits = shift ? text.substr(0, text.size() - 1) : text;
  uint64_t value = MINT_TRY(ParseNumber(digits, "size such as 512M"));
  if (shift && value > (UINT64_MAX >> shift))
    return Fail("size '", std::string(text), "' is too large");
  return value << shift;
}

const NodePlan* Plan::FindNode(std::string_view name) const {
  for (const NodePlan& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

Result<Plan> ParsePlan(std::string_view text, std::string_view origin) {
  return PlanParser(origin).Parse(text);
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
  }
  return out.str();
}

std::string HostKernelArgs(const HostPlan& host) {
  std::ostringstream out;
  out << "maxcpus=" << host.cpus.size();
  for (const PhysRange& range : host.reserved) {
    out << " memmap=" << Hex(range.size()) << "$" << Hex(range.start);
  }
  return out.str();
}

}  // namespace mint
