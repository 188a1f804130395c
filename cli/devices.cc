#include "devices.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "format.h"

namespace mint::cli {
namespace {

constexpr char kPciDevices[] = "/sys/bus/pci/devices";
constexpr char kFencedDir[] = "/run/mint/devices";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  if (in) buffer << in.rdbuf();
  return buffer.str();
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

Result<void> WriteSysfs(const std::string& path, const std::string& value) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return Fail("cannot open ", path, " for writing: ", std::strerror(errno));
  out << value;
  out.flush();
  if (!out) return Fail("writing '", Trim(value), "' to ", path, " failed: ", std::strerror(errno));
  return Ok{};
}

template <typename T>
T Le(const std::string& bytes, size_t offset) {
  T value{};
  if (offset + sizeof(T) <= bytes.size()) std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// A type 1 (bridge) header's windows, PCI-to-PCI Bridge Architecture Specification 1.2,
// section 3.2: memory base/limit at 0x20/0x22 (bits 31:20), prefetchable at 0x24/0x26 with
// upper halves at 0x28/0x2C when the low nibble says 64-bit. A limit below its base is closed.
void ReadBridgeWindows(const std::string& config, PciFunction& function) {
  function.secondary_bus = static_cast<uint8_t>(config.size() > 0x19 ? config[0x19] : 0);
  function.subordinate_bus = static_cast<uint8_t>(config.size() > 0x1A ? config[0x1A] : 0);
  uint64_t base = uint64_t{Le<uint16_t>(config, 0x20) & 0xFFF0u} << 16;
  uint64_t limit = (uint64_t{Le<uint16_t>(config, 0x22) & 0xFFF0u} << 16) | 0xFFFFF;
  if (limit > base) function.memory_window = PhysRange{base, limit + 1};
  uint16_t pbase = Le<uint16_t>(config, 0x24);
  uint16_t plimit = Le<uint16_t>(config, 0x26);
  base = uint64_t{pbase & 0xFFF0u} << 16;
  limit = (uint64_t{plimit & 0xFFF0u} << 16) | 0xFFFFF;
  if ((pbase & 0xF) == 1) {
    base |= uint64_t{Le<uint32_t>(config, 0x28)} << 32;
    limit |= uint64_t{Le<uint32_t>(config, 0x2C)} << 32;
  }
  if (limit > base) function.prefetch_window = PhysRange{base, limit + 1};
}

std::string FencedPath(const std::string& node_name) {
  return std::string(kFencedDir) + "/" + node_name;
}

}  // namespace

std::vector<PciFunction> ReadPciFunctions() {
  std::vector<PciFunction> functions;
  DIR* dir = opendir(kPciDevices);
  if (dir == nullptr) return functions;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    auto address = ParsePciAddress(entry->d_name);
    if (!address) continue;
    std::string base = std::string(kPciDevices) + "/" + entry->d_name + "/";
    PciFunction function;
    function.address = *address;
    function.class_code =
        static_cast<uint32_t>(std::strtoul(Trim(ReadText(base + "class")).c_str(), nullptr, 16));
    char target[256];
    ssize_t length = readlink((base + "driver").c_str(), target, sizeof(target) - 1);
    if (length > 0) {
      target[length] = '\0';
      const char* slash = std::strrchr(target, '/');
      function.driver = slash ? slash + 1 : target;
    }
    function.driver_override = Trim(ReadText(base + "driver_override"));
    if (function.driver_override == "(null)") function.driver_override.clear();
    std::string config = ReadText(base + "config");  // the first 64 bytes: anyone may read
    function.is_bridge = config.size() > 0x0E && (config[0x0E] & 0x7F) == 1;
    if (function.is_bridge) ReadBridgeWindows(config, function);
    functions.push_back(function);
  }
  closedir(dir);
  std::sort(functions.begin(), functions.end(),
            [](const PciFunction& a, const PciFunction& b) { return a.address < b.address; });
  return functions;
}

Result<PciTopology> ReadPciTopology() {
  PciTopology topology;
  topology.functions = ReadPciFunctions();
  if (topology.functions.empty())
    return Fail("no PCI functions under ", kPciDevices, " (is sysfs mounted? is PCI enabled?)");
  topology.ecam = FindEcam(ReadText("/proc/iomem"));
  return topology;
}

Result<std::vector<NodePciBus>> ResolveNodeDevices(const NodePlan& node) {
  if (node.pci.empty()) return std::vector<NodePciBus>{};
  PciTopology topology = MINT_TRY(ReadPciTopology());
  return ResolveNodePci(node, topology);
}

Result<std::vector<NodePciBus>> FenceNodeDevices(const NodePlan& node) {
  if (node.pci.empty()) return std::vector<NodePciBus>{};
  PciTopology topology = MINT_TRY(ReadPciTopology());
  std::vector<NodePciBus> buses = MINT_TRY(ResolveNodePci(node, topology));
  std::vector<std::string> refused = HostBindingProblems(node, topology);
  if (!refused.empty()) return Fail(refused.front());

  mkdir("/run/mint", 0755);
  mkdir(kFencedDir, 0755);
  std::ofstream record(FencedPath(node.name), std::ios::trunc);
  for (const NodePciBus& bus : buses) {
    for (const PciAddress& address : bus.functions) {
      std::string name = FormatPciAddress(address);
      std::string base = std::string(kPciDevices) + "/" + name + "/";
      // First the override, so no driver (a module loading now, a rescan) can bind it after
      // the unbind below; then the unbind, if a driver holds it.
      MINT_TRY_VOID(WriteSysfs(base + "driver_override", "none"));
      record << name << "\n";
      record.flush();
      const PciFunction* function = topology.Find(address);
      if (function != nullptr && !function->driver.empty())
        MINT_TRY_VOID(WriteSysfs(base + "driver/unbind", name));
    }
  }
  return buses;
}

void GiveBackNodeDevices(const std::string& node_name) {
  std::string path = FencedPath(node_name);
  std::ifstream record(path);
  if (!record) return;
  for (std::string name; std::getline(record, name);) {
    if (name.empty()) continue;
    std::string base = std::string(kPciDevices) + "/" + name + "/";
    // A function reset (FLR, or the bus reset the kernel picks) ends whatever the node left
    // running: DMA into memory that is no longer the node's, MSI-X aimed at its cores.
    if (access((base + "reset").c_str(), W_OK) == 0) {
      if (auto reset = WriteSysfs(base + "reset", "1"); !reset)
        std::cerr << "mint: " << name << ": " << reset.error().message << "\n";
    }
    if (auto cleared = WriteSysfs(base + "driver_override", "\n"); !cleared)
      std::cerr << "mint: " << name << ": " << cleared.error().message << "\n";
    if (auto probed = WriteSysfs("/sys/bus/pci/drivers_probe", name); !probed)
      std::cerr << "mint: " << name << ": " << probed.error().message << "\n";
  }
  record.close();
  unlink(path.c_str());
}

}  // namespace mint::cli
