#include "plan_parse.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <tuple>
#include <utility>

#include <toml++/toml.h>

#include "node_module.h"
#include "pci.h"
#include "plan_rules.h"
#include "remote_image.h"
#include "store.h"

namespace mint {

int SectionLines::Of(std::string_view key) const {
  auto it = keys.find(key);
  return it != keys.end() && it->second != 0 ? it->second : line;
}

const SectionLines& PlanLines::Node(size_t index) const {
  static const SectionLines none;
  return index < nodes.size() ? nodes[index] : none;
}

const SectionLines& PlanLines::LinkAt(size_t index) const {
  static const SectionLines none;
  return index < links.size() ? links[index] : none;
}

int PlanLines::Reserved(size_t index) const {
  return index < reserved.size() ? reserved[index] : host.line;
}

namespace {

int LineOf(const toml::node* node) {
  return node == nullptr ? 0 : static_cast<int>(node->source().begin.line);
}

// Expands ${NAME} from `variables` (the environment, then Mint's defaults: plan_variables.h);
// a variable without a value is an error naming it.
Result<std::string> ExpandVariables(std::string_view text, std::string_view where,
                                    const PlanVariables& variables) {
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
    auto value = variables.Value(name);
    if (!value)
      return Fail(std::string(where), ": '", std::string(text), "': ", value.error().message);
    out.append(*value);
    pos = close + 1;
  }
  return out;
}

}  // namespace

// A key's value as its row reads it, with the helpers every row shares. Problems start with
// the section's name ("[host]", "node alpha") and go to the key's line unless a row says.
class KeyReader {
 public:
  KeyReader(const toml::node* value, std::string_view key, size_t index, std::string& where,
            PlanLines& lines, SectionLines& section, std::vector<PlanProblem>& problems,
            const PlanVariables& variables)
      : value_(value),
        key_(key),
        index_(index),
        where_(where),
        lines_(lines),
        section_(section),
        problems_(problems),
        variables_(variables) {}

  bool Present() const { return value_ != nullptr; }
  // The node's position in the file (0 for [host]).
  size_t NodeIndex() const { return index_; }
  // Later problems of the section start with `where` (a node once its name is known).
  void SetWhere(std::string where) { where_ = std::move(where); }
  // The key's line, or the section header's when the key is absent.
  int Line() const { return section_.Of(key_); }
  int HeaderLine() const { return section_.line; }
  // The whole plan's lines, for values with a line each (the host's reserved ranges).
  PlanLines& Lines() { return lines_; }
  // Later problems about this key name the section header instead: for a value the plan
  // ignores (an empty low_window leaves the default window, which has no line of its own).
  void ForgetLine() { section_.keys.erase(std::string(key_)); }

  // "where: what" at `line`.
  void Problem(int line, const std::string& what) { Raw(line, where_ + ": " + what); }

  // A failed result becomes a problem "where key: message" at `line`; true when it held a
  // value, now in `out`.
  template <typename T>
  bool Take(Result<T> result, int line, T& out) {
    if (!result.ok()) {
      Raw(line, where_ + " " + std::string(key_) + ": " + result.error().message);
      return false;
    }
    out = std::move(result.value());
    return true;
  }

  // A string, into `out` when present; false (with a problem) when the value is no string.
  bool String(std::string& out) {
    if (value_ == nullptr) return true;
    if (!value_->is_string()) {
      Problem(Line(), "'" + std::string(key_) + "' must be a string");
      return false;
    }
    out = std::string(value_->as_string()->get());
    return true;
  }

  // `text` with ${VAR} taken from the environment or its default (paths), into `out`.
  void Expand(const std::string& text, std::string& out) {
    auto expanded = ExpandVariables(text, where_, variables_);
    if (!expanded)
      Raw(Line(), expanded.error().message);
    else
      out = std::move(*expanded);
  }

  // A string or a list of strings, with each one's line.
  std::vector<std::pair<std::string, int>> Strings() {
    std::vector<std::pair<std::string, int>> out;
    if (value_ == nullptr) return out;
    if (const toml::value<std::string>* one = value_->as_string()) {
      out.emplace_back(one->get(), Line());
      return out;
    }
    const std::string type_problem = "'" + std::string(key_) + "' must be a list of strings";
    if (!value_->is_array()) {
      Problem(Line(), type_problem);
      return out;
    }
    for (const toml::node& item : *value_->as_array()) {
      if (!item.is_string()) {
        Problem(LineOf(&item), type_problem);
        continue;
      }
      out.emplace_back(std::string(item.as_string()->get()), LineOf(&item));
    }
    return out;
  }

  // A list of distinct APIC IDs.
  std::vector<uint32_t> ApicIds() {
    std::vector<uint32_t> out;
    if (value_ == nullptr) return out;
    const std::string type_problem =
        "'" + std::string(key_) + "' must be a list of APIC IDs, e.g. [1]";
    if (!value_->is_array()) {
      Problem(Line(), type_problem);
      return out;
    }
    for (const toml::node& item : *value_->as_array()) {
      if (!item.is_integer()) {
        Problem(LineOf(&item), type_problem);
        continue;
      }
      int64_t id = item.as_integer()->get();
      if (std::string problem = ApicIdProblem(id); !problem.empty()) {
        Problem(LineOf(&item), problem);
        continue;
      }
      if (std::find(out.begin(), out.end(), static_cast<uint32_t>(id)) != out.end()) {
        Problem(LineOf(&item), "APIC ID " + std::to_string(id) + " is listed twice");
        continue;
      }
      out.push_back(static_cast<uint32_t>(id));
    }
    return out;
  }

  void Bool(bool& out) {
    if (value_ == nullptr) return;
    if (!value_->is_boolean())
      Problem(Line(), "'" + std::string(key_) + "' must be true or false");
    else
      out = value_->as_boolean()->get();
  }

  std::optional<int64_t> Integer() const {
    if (value_ == nullptr || !value_->is_integer()) return std::nullopt;
    return value_->as_integer()->get();
  }

 private:
  void Raw(int line, std::string message) { problems_.push_back({line, std::move(message)}); }

  const toml::node* value_;  // null: the section does not have the key
  std::string_view key_;
  size_t index_;
  std::string& where_;
  PlanLines& lines_;
  SectionLines& section_;
  std::vector<PlanProblem>& problems_;
  const PlanVariables& variables_;
};

namespace {

// The code point of the UTF-8 sequence at text[at], and its length; nullopt when the bytes
// are no valid sequence (toml++ hands the parser valid UTF-8 only).
std::optional<std::pair<uint32_t, size_t>> Utf8At(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  size_t length = byte(0) >= 0xf0 ? 4 : byte(0) >= 0xe0 ? 3 : byte(0) >= 0xc0 ? 2 : 0;
  if (length == 0 || byte(0) >= 0xf8 || at + length > text.size()) return std::nullopt;
  uint32_t code = byte(0) & (0x7f >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return std::nullopt;
    code = (code << 6) | (byte(i) & 0x3f);
  }
  return std::pair{code, length};
}

// A value as TOML text, in the form ParsePlan reads back. A string is a basic string with
// quotes, backslashes and control characters escaped and anything beyond ASCII as \uXXXX or
// \UXXXXXXXX: a plan file is ASCII, while its strings may hold any character by escape.
std::string Toml(const std::string& text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.append({'\\', c});
      ++i;
      continue;
    }
    if (c == '\t' || (byte >= 0x20 && byte < 0x7f)) {
      out.push_back(c);
      ++i;
      continue;
    }
    uint32_t code = byte;
    size_t length = 1;
    if (byte >= 0x80) {
      auto decoded = Utf8At(text, i);
      if (!decoded) {  // not UTF-8: no escape can say it, keep the byte
        out.push_back(c);
        ++i;
        continue;
      }
      std::tie(code, length) = *decoded;
    }
    char escape[16];
    std::snprintf(escape, sizeof(escape), code > 0xffff ? "\\U%08x" : "\\u%04x", code);
    out.append(escape);
    i += length;
  }
  return out + "\"";
}
std::string Toml(bool value) {
  return value ? "true" : "false";
}
std::string Toml(uint32_t value) {
  return std::to_string(value);
}
std::string Toml(const PhysRange& range) {
  return Toml(FormatRange(range));
}
std::string Toml(const VirtioMmioTransport& transport) {
  return Toml(FormatVirtioMmio(transport));
}
template <typename T>
std::string Toml(const std::vector<T>& items) {
  std::string list;
  for (const T& item : items) list.append(list.empty() ? "" : ", ").append(Toml(item));
  return "[" + list + "]";
}

}  // namespace

// Where a row writes its key: `name = value` lines of TOML.
class KeyWriter {
 public:
  KeyWriter(std::string_view key, std::string& out) : key_(key), out_(out) {}

  template <typename T>
  void Value(const T& value) {
    out_.append(key_).append(" = ").append(Toml(value)).append("\n");
  }
  // Nothing for an empty optional: the file leaves the key out.
  template <typename T>
  void Value(const std::optional<T>& value) {
    if (value) Value(*value);
  }

 private:
  std::string_view key_;
  std::string& out_;
};

namespace {

// Rows for a plain value: the field it lives in, read and written as its type says.
template <auto kMember, typename Section>
void ReadString(KeyReader& in, Section& section) {
  in.String(section.*kMember);
}
template <auto kMember, typename Section>
void ReadBool(KeyReader& in, Section& section) {
  in.Bool(section.*kMember);
}
template <auto kMember, typename Section>
void Write(const Section& section, KeyWriter& out) {
  out.Value(section.*kMember);
}

// [host]

void ReadReserved(KeyReader& in, HostPlan& host) {
  for (const auto& [text, line] : in.Strings()) {
    PhysRange range;
    if (in.Take(ParseRange(text), line, range)) {
      host.reserved.push_back(range);
      in.Lines().reserved.push_back(line);
    }
  }
}

void ReadLowWindow(KeyReader& in, HostPlan& host) {
  std::string text;
  if (in.String(text) && !text.empty())
    in.Take(ParseRange(text), in.Line(), host.low_window);
  else
    in.ForgetLine();
}

void ReadStore(KeyReader& in, HostPlan& host) {
  std::string text;
  PhysRange range;
  if (in.String(text) && !text.empty() && in.Take(ParseRange(text), in.Line(), range))
    host.store = range;
}

void ReadHostCpus(KeyReader& in, HostPlan& host) {
  if (!in.Present()) return;
  host.cpus = in.ApicIds();
  if (host.cpus.empty()) in.Problem(in.Line(), "the host must keep at least one core");
}

constexpr auto kWritten = AtDefault::kWritten;

constexpr PlanKey<HostPlan> kHostKeys[] = {
    {"reserved", ReadReserved, Write<&HostPlan::reserved>, kWritten},
    {"low_window", ReadLowWindow, Write<&HostPlan::low_window>, kWritten},
    {"store", ReadStore, Write<&HostPlan::store>},
    {"cpus", ReadHostCpus, Write<&HostPlan::cpus>, kWritten},
};

// [[node]]

void ReadName(KeyReader& in, NodePlan& node) {
  in.String(node.name);
  if (node.name.empty()) {
    in.Problem(in.HeaderLine(), "every node needs a name");
    node.name = "#" + std::to_string(in.NodeIndex() + 1);
  } else if (std::string problem = NodeNameProblem(node.name); !problem.empty()) {
    in.Problem(in.Line(), problem);
  } else {
    in.SetWhere("node " + node.name);
  }
}

void ReadArch(KeyReader& in, NodePlan& node) {
  in.String(node.arch);
  if (std::string problem = ArchProblem(node.arch); !problem.empty()) {
    in.Problem(in.Line(), problem);
    node.arch.clear();
  }
}

void ReadKernel(KeyReader& in, NodePlan& node) {
  std::string text;
  in.String(text);
  if (text.empty()) {
    in.Problem(in.HeaderLine(), "'kernel' (path to a bzImage) is missing");
  } else if (text.starts_with(kDebianKernelPrefix)) {
    // A Debian kernel from the kernel cache (`mint kernel fetch`), with its node module.
    std::string spec = text.substr(kDebianKernelPrefix.size());
    std::string dir = KernelCacheDir() + "/kernels/" + spec;
    std::error_code error;
    if (spec.empty() || spec.find('/') != std::string::npos || spec.starts_with('.'))
      in.Problem(in.Line(), "kernel '" + text +
                                "': name a Debian kernel release or package after 'debian:', "
                                "e.g. debian:6.12.118+deb12-cloud-amd64");
    else if (!std::filesystem::exists(dir + "/vmlinuz", error))
      in.Problem(in.Line(), "kernel '" + text + "' is not in the kernel cache " + KernelCacheDir() +
                                ": run `mint kernel fetch " + spec +
                                "` (MINT_KERNEL_CACHE names another cache)");
    node.kernel = dir + "/vmlinuz";
    if (node.node_module.empty()) node.node_module = dir + "/mint_node.ko";
  } else {
    in.Expand(text, node.kernel);
  }
}

void ReadInitrd(KeyReader& in, NodePlan& node) {
  std::string text;
  in.String(text);
  in.Expand(text, node.initrd);
}

void ReadRoot(KeyReader& in, NodePlan& node) {
  std::string text;
  if (!in.String(text) || !in.Present()) return;
  if (text.starts_with("http://") || text.starts_with("https://"))
    node.root = text;  // fetched on demand by the host's root server (docs/diskless.md)
  else if (text.find("://") != std::string::npos)
    in.Problem(in.Line(), "root '" + text +
                              "': a root image is a file on the host or an http:// or https:// "
                              "URL");
  else if (text.empty())
    in.Problem(in.Line(), "root: name a raw image file (or leave the key out)");
  else
    in.Expand(text, node.root);
}

void ReadRootSha256(KeyReader& in, NodePlan& node) {
  std::string text;
  if (!in.String(text) || !in.Present()) return;
  if (auto digest = ParseSha256Hex(text); !digest)
    in.Problem(in.Line(), "root_sha256 '" + text + "': " + digest.error().message);
  else
    node.root_sha256 = HexDigest(*digest);
}

void ReadNodeModule(KeyReader& in, NodePlan& node) {
  std::string text;
  // Absent, it keeps what a kernel = "debian:..." chose (ReadKernel runs first).
  if (!in.String(text) || !in.Present()) return;
  if (text == kNoNodeModule)
    node.node_module = text;
  else
    in.Expand(text, node.node_module);
}

void ReadNodeCpus(KeyReader& in, NodePlan& node) {
  node.cpus = in.ApicIds();
  if (node.cpus.empty()) in.Problem(in.Line(), "'cpus' must list at least one APIC ID");
}

void ReadReceiveCpus(KeyReader& in, NodePlan& node) {
  node.receive_cpus = in.ApicIds();
}

void ReadReceiveMemory(KeyReader& in, NodePlan& node) {
  for (const auto& [text, line] : in.Strings()) {
    PhysRange range;
    if (in.Take(ParseRange(text), line, range)) node.receive_memory.push_back(range);
  }
}

// Ranges ("0x40000000-0x4fffffff") are fixed; sizes ("256M") are placed later.
void ReadMemory(KeyReader& in, NodePlan& node) {
  auto memory = in.Strings();
  if (memory.empty() && !in.Present())
    in.Problem(in.HeaderLine(), "'memory' must list at least one range or size");
  for (const auto& [text, line] : memory) {
    if (text.find('-') != std::string::npos) {
      PhysRange range;
      if (!in.Take(ParseRange(text), line, range)) continue;
      if (std::string problem = MemoryRangeProblem(text, range); !problem.empty()) {
        in.Problem(line, problem);
        continue;
      }
      node.memory.push_back(range);
    } else {
      uint64_t size = 0;
      if (!in.Take(ParseSize(text), line, size)) continue;
      if (std::string problem = MemorySizeProblem(text, size); !problem.empty()) {
        in.Problem(line, problem);
        continue;
      }
      node.memory_sizes.push_back(size);
    }
  }
}

// Placed memory is written as ranges; sizes still to place (a plan built in code) as bytes.
void WriteMemory(const NodePlan& node, KeyWriter& out) {
  std::vector<std::string> texts;
  for (const PhysRange& range : node.memory) texts.push_back(FormatRange(range));
  for (uint64_t size : node.memory_sizes) texts.push_back(std::to_string(size));
  out.Value(texts);
}

void ReadLow(KeyReader& in, NodePlan& node) {
  std::string text;
  PhysRange range;
  if (in.String(text) && !text.empty() && in.Take(ParseRange(text), in.Line(), range))
    node.low = range;
}

void ReadConsole(KeyReader& in, NodePlan& node) {
  std::string console;
  in.String(console);
  if (!console.empty()) node.console = console;
  if (std::string problem = ConsoleProblem(node.console); !problem.empty()) {
    in.Problem(in.Line(), problem);
    node.console = "shared";
  }
}

void ReadPci(KeyReader& in, NodePlan& node) {
  for (const auto& [text, line] : in.Strings()) {
    PciAddress address;
    if (!in.Take(ParsePciAddress(text), line, address)) continue;
    std::string name = FormatPciAddress(address);
    if (std::find(node.pci.begin(), node.pci.end(), name) != node.pci.end()) {
      in.Problem(line, "PCI function " + name + " is listed twice");
      continue;
    }
    node.pci.push_back(name);
  }
}

void ReadIoApic(KeyReader& in, NodePlan& node) {
  if (!in.Present()) return;
  std::optional<int64_t> id = in.Integer();
  if (std::string problem = IoApicProblem(id); !problem.empty())
    in.Problem(in.Line(), problem);
  else
    node.io_apic = static_cast<uint32_t>(*id);
}

void ReadVirtioMmio(KeyReader& in, NodePlan& node) {
  for (const auto& [text, line] : in.Strings()) {
    VirtioMmioTransport transport;
    if (in.Take(ParseVirtioMmio(text), line, transport)) node.virtio_mmio.push_back(transport);
  }
  if (std::string problem = VirtioMmioProblem(node); !problem.empty())
    in.Problem(in.Line(), problem);
}

void ReadAddress(KeyReader& in, NodePlan& node) {
  std::string text;
  uint32_t address = 0;
  if (in.String(text) && in.Present() && in.Take(ParseIpv4(text), in.Line(), address))
    node.address = address;
}

void WriteAddress(const NodePlan& node, KeyWriter& out) {
  if (node.address) out.Value(FormatIpv4(*node.address));
}

void ReadLink(KeyReader& in, NodePlan& node) {
  std::string text;
  PhysRange range;
  if (in.String(text) && in.Present() && in.Take(ParseRange(text), in.Line(), range))
    node.link = range;
}

constexpr PlanKey<NodePlan> kNodeKeys[] = {
    {"name", ReadName, Write<&NodePlan::name>, kWritten},
    {"arch", ReadArch, Write<&NodePlan::arch>},
    {"kernel", ReadKernel, Write<&NodePlan::kernel>, kWritten},
    {"initrd", ReadInitrd, Write<&NodePlan::initrd>},
    {"root", ReadRoot, Write<&NodePlan::root>},
    {"root_sha256", ReadRootSha256, Write<&NodePlan::root_sha256>},
    {"node_module", ReadNodeModule, Write<&NodePlan::node_module>},
    {"cmdline", ReadString<&NodePlan::cmdline>, Write<&NodePlan::cmdline>, kWritten},
    {"cpus", ReadNodeCpus, Write<&NodePlan::cpus>, kWritten},
    {"receive_cpus", ReadReceiveCpus, Write<&NodePlan::receive_cpus>},
    {"memory", ReadMemory, WriteMemory, kWritten},
    {"receive_memory", ReadReceiveMemory, Write<&NodePlan::receive_memory>},
    {"low", ReadLow, Write<&NodePlan::low>},
    {"console", ReadConsole, Write<&NodePlan::console>, kWritten},
    {"dma32", ReadBool<&NodePlan::dma32>, Write<&NodePlan::dma32>},
    {"kaslr", ReadBool<&NodePlan::kaslr>, Write<&NodePlan::kaslr>},
    {"pci", ReadPci, Write<&NodePlan::pci>},
    {"unbind_host_drivers", ReadBool<&NodePlan::unbind_host_drivers>,
     Write<&NodePlan::unbind_host_drivers>},
    {"io_apic", ReadIoApic, Write<&NodePlan::io_apic>},
    {"virtio_mmio", ReadVirtioMmio, Write<&NodePlan::virtio_mmio>},
    {"address", ReadAddress, WriteAddress},
    {"link", ReadLink, Write<&NodePlan::link>},
};

// [network]

void ReadBridge(KeyReader& in, NetworkPlan& network) {
  std::string text;
  if (!in.String(text) || !in.Present()) return;
  if (std::string problem = InterfaceNameProblem(text); !problem.empty())
    in.Problem(in.Line(), "bridge: " + problem);
  else
    network.bridge = text;
}

void ReadSubnet(KeyReader& in, NetworkPlan& network) {
  std::string text;
  if (!in.String(text)) return;
  if (!in.Present()) {
    in.Problem(in.HeaderLine(), "'subnet' (an IPv4 subnet like \"10.77.0.0/24\") is missing");
    return;
  }
  in.Take(ParseSubnet(text), in.Line(), network.subnet);
}

void WriteSubnet(const NetworkPlan& network, KeyWriter& out) {
  out.Value(FormatSubnet(network.subnet));
}

void ReadNetworkHost(KeyReader& in, NetworkPlan& network) {
  std::string text;
  uint32_t address = 0;
  if (in.String(text) && in.Present() && in.Take(ParseIpv4(text), in.Line(), address))
    network.host = address;
}

void WriteNetworkHost(const NetworkPlan& network, KeyWriter& out) {
  if (network.host) out.Value(FormatIpv4(*network.host));
}

// A ring size key ([network] ring, a [[link]]'s ring): a size RingProblem accepts, or nothing
// (the problem recorded at the key's line).
std::optional<uint64_t> ReadRingSize(KeyReader& in) {
  std::string text;
  uint64_t ring = 0;
  if (!in.String(text) || !in.Present() || !in.Take(ParseSize(text), in.Line(), ring))
    return std::nullopt;
  if (std::string problem = RingProblem(ring); !problem.empty()) {
    in.Problem(in.Line(), problem);
    return std::nullopt;
  }
  return ring;
}

void ReadRing(KeyReader& in, NetworkPlan& network) {
  if (auto ring = ReadRingSize(in)) network.ring = *ring;
}

std::string RingText(uint64_t ring);

void WriteRing(const NetworkPlan& network, KeyWriter& out) {
  out.Value(RingText(network.ring));
}

constexpr PlanKey<NetworkPlan> kNetworkKeys[] = {
    {"bridge", ReadBridge, Write<&NetworkPlan::bridge>},
    {"subnet", ReadSubnet, WriteSubnet, kWritten},
    {"host", ReadNetworkHost, WriteNetworkHost},
    {"ring", ReadRing, WriteRing},
};

// [[link]]

void ReadLinkNodes(KeyReader& in, DirectLinkPlan& link) {
  if (!in.Present()) {
    in.Problem(in.HeaderLine(),
               "'nodes' (the two nodes it joins, e.g. [\"alpha\", \"beta\"]) is missing");
    return;
  }
  for (const auto& [text, line] : in.Strings()) link.nodes.push_back(text);
  if (link.nodes.size() != 2) {
    in.Problem(in.Line(), "'nodes' must name exactly two nodes, e.g. [\"alpha\", \"beta\"]");
    return;
  }
  in.SetWhere("link " + link.Name());
}

void ReadLinkSubnet(KeyReader& in, DirectLinkPlan& link) {
  std::string text;
  if (!in.String(text)) return;
  if (!in.Present()) {
    in.Problem(in.HeaderLine(),
               "'subnet' (an IPv4 subnet of its own, like \"10.78.0.0/30\") is missing");
    return;
  }
  in.Take(ParseSubnet(text), in.Line(), link.subnet);
}

void WriteLinkSubnet(const DirectLinkPlan& link, KeyWriter& out) {
  out.Value(FormatSubnet(link.subnet));
}

void ReadLinkAddresses(KeyReader& in, DirectLinkPlan& link) {
  if (!in.Present()) return;
  for (const auto& [text, line] : in.Strings()) {
    uint32_t address = 0;
    if (in.Take(ParseIpv4(text), line, address)) link.addresses.push_back(address);
  }
  if (link.addresses.size() != 2) {
    in.Problem(in.Line(),
               "'addresses' must give two addresses, the first node's then the second's");
    link.addresses.clear();
  }
}

void WriteLinkAddresses(const DirectLinkPlan& link, KeyWriter& out) {
  if (link.addresses.empty()) return;
  std::vector<std::string> texts;
  for (uint32_t address : link.addresses) texts.push_back(FormatIpv4(address));
  out.Value(texts);
}

void ReadLinkRegion(KeyReader& in, DirectLinkPlan& link) {
  std::string text;
  PhysRange range;
  if (in.String(text) && in.Present() && in.Take(ParseRange(text), in.Line(), range))
    link.region = range;
}

void ReadLinkRing(KeyReader& in, DirectLinkPlan& link) {
  if (auto ring = ReadRingSize(in)) link.ring = *ring;
}

std::string RingText(uint64_t ring) {
  return ring % (1 << 20) == 0   ? std::to_string(ring >> 20) + "M"
         : ring % (1 << 10) == 0 ? std::to_string(ring >> 10) + "K"
                                 : std::to_string(ring);
}

void WriteLinkRing(const DirectLinkPlan& link, KeyWriter& out) {
  out.Value(RingText(link.ring));
}

constexpr PlanKey<DirectLinkPlan> kLinkKeys[] = {
    {"nodes", ReadLinkNodes, Write<&DirectLinkPlan::nodes>, kWritten},
    {"subnet", ReadLinkSubnet, WriteLinkSubnet, kWritten},
    {"addresses", ReadLinkAddresses, WriteLinkAddresses},
    {"region", ReadLinkRegion, Write<&DirectLinkPlan::region>},
    {"ring", ReadLinkRing, WriteLinkRing},
};

// Reads one section through its key table: unknown keys first (typos), then every row in
// table order.
template <typename Section>
void ReadSection(const toml::table& table, std::span<const PlanKey<Section>> keys, size_t index,
                 std::string where, Section& section, SectionLines& section_lines, PlanLines& lines,
                 std::vector<PlanProblem>& problems, const PlanVariables& variables) {
  section_lines.line = LineOf(&table);
  for (const auto& [key, value] : table) {
    const std::string_view name = key.str();
    bool known = std::any_of(keys.begin(), keys.end(),
                             [name](const PlanKey<Section>& row) { return row.name == name; });
    if (known) {
      section_lines.keys[std::string(name)] = LineOf(&value);
      continue;
    }
    std::string list;
    for (const PlanKey<Section>& row : keys) list.append(list.empty() ? "" : ", ").append(row.name);
    problems.push_back({LineOf(&value),
                        where + ": unknown key '" + std::string(name) + "' (known: " + list + ")"});
  }
  for (const PlanKey<Section>& row : keys) {
    KeyReader in(table.get(row.name), row.name, index, where, lines, section_lines, problems,
                 variables);
    row.read(in, section);
  }
}

// Plans are ASCII. Besides keeping paths and names simple, this keeps toml++ 3.3.0 away from
// a bug: some non-ASCII characters reach a __builtin_unreachable() in its whitespace
// classifier (found by lib/plan_fuzz.cc; fixture tests/fuzz/plan_fuzz/toml-unicode-ws).
std::optional<PlanProblem> NonAscii(std::string_view text) {
  size_t line = 1, column = 1;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || (byte < 0x20 && c != '\n' && c != '\t' && c != '\r')) {
      std::ostringstream hex;
      hex << "0x" << std::hex << int{byte};
      return PlanProblem{
          static_cast<int>(line),
          "byte " + hex.str() + " is not printable ASCII; plan files are plain ASCII text",
          static_cast<int>(column)};
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::nullopt;
}

}  // namespace

std::span<const PlanKey<HostPlan>> HostKeys() {
  return kHostKeys;
}
std::span<const PlanKey<NodePlan>> NodeKeys() {
  return kNodeKeys;
}
std::span<const PlanKey<NetworkPlan>> NetworkKeys() {
  return kNetworkKeys;
}
std::span<const PlanKey<DirectLinkPlan>> LinkKeys() {
  return kLinkKeys;
}

bool ReadPlan(std::string_view text, std::string_view origin, PlanCheck& out,
              const PlanVariables& variables) {
  if (auto problem = NonAscii(text)) {
    out.problems.push_back(std::move(*problem));
    return false;
  }
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const auto& err = parsed.error();
    out.problems.push_back({static_cast<int>(err.source().begin.line),
                            std::string(err.description()),
                            static_cast<int>(err.source().begin.column)});
    return false;
  }
  const toml::table& root = parsed.table();
  for (const auto& [key, value] : root) {
    if (key != "host" && key != "node" && key != "network" && key != "link")
      out.problems.push_back(
          {LineOf(&value), "unknown section '" + std::string(key.str()) +
                               "' (expected [host], [network], [[node]] and [[link]])"});
  }
  if (const toml::node* network = root.get("network")) {
    if (network->is_table())
      ReadSection(*network->as_table(), NetworkKeys(), 0, "[network]", out.plan.network.emplace(),
                  out.lines.network, out.lines, out.problems, variables);
    else
      out.problems.push_back(
          {LineOf(network), "'network' must be one table ([network]), not a list"});
  }
  if (const toml::node* host = root.get("host")) {
    if (host->is_table())
      ReadSection(*host->as_table(), HostKeys(), 0, "[host]", out.plan.host, out.lines.host,
                  out.lines, out.problems, variables);
    else
      out.problems.push_back({LineOf(host), "'host' must be a table ([host])"});
  }
  // [[node]] and [[link]]: arrays of tables, each read into the next entry of its list.
  auto read_array = [&](const char* name, auto keys, auto& sections, auto& section_lines) {
    const toml::node* array = root.get(name);
    if (array == nullptr) return;
    if (!array->is_array_of_tables()) {
      out.problems.push_back(
          {LineOf(array),
           "'" + std::string(name) + "' must be an array of tables ([[" + name + "]])"});
      return;
    }
    for (const toml::node& table : *array->as_array()) {
      size_t index = sections.size();
      ReadSection(*table.as_table(), keys, index, name + (" #" + std::to_string(index + 1)),
                  sections.emplace_back(), section_lines.emplace_back(), out.lines, out.problems,
                  variables);
    }
  };
  read_array("node", NodeKeys(), out.plan.nodes, out.lines.nodes);
  read_array("link", LinkKeys(), out.plan.links, out.lines.links);
  return true;
}

namespace {

// Writes a section's rows, each unless it is at its default and its row leaves it out then.
template <typename Section>
void WriteSection(const Section& section, std::span<const PlanKey<Section>> keys,
                  std::string& out) {
  static const Section defaults{};
  for (const PlanKey<Section>& row : keys) {
    std::string text;
    KeyWriter writer(row.name, text);
    row.write(section, writer);
    if (row.at_default == AtDefault::kLeftOut) {
      std::string default_text;
      KeyWriter default_writer(row.name, default_text);
      row.write(defaults, default_writer);
      if (text == default_text) continue;
    }
    out += text;
  }
}

}  // namespace

std::string WritePlan(const Plan& plan, std::span<const PlanKey<HostPlan>> host_keys,
                      std::span<const PlanKey<NodePlan>> node_keys,
                      std::span<const PlanKey<NetworkPlan>> network_keys,
                      std::span<const PlanKey<DirectLinkPlan>> link_keys) {
  std::string out = "[host]\n";
  WriteSection(plan.host, host_keys, out);
  if (plan.network) {
    out += "\n[network]\n";
    WriteSection(*plan.network, network_keys, out);
  }
  for (const NodePlan& node : plan.nodes) {
    out += "\n[[node]]\n";
    WriteSection(node, node_keys, out);
  }
  for (const DirectLinkPlan& link : plan.links) {
    out += "\n[[link]]\n";
    WriteSection(link, link_keys, out);
  }
  return out;
}

std::string SerializePlan(const Plan& plan) {
  return WritePlan(plan, HostKeys(), NodeKeys(), NetworkKeys(), LinkKeys());
}

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

}  // namespace mint
