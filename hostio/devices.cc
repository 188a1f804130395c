#include "devices.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <sstream>

#include "format.h"

namespace mint {
namespace {

constexpr char kPciDevices[] = "/sys/bus/pci/devices";
constexpr char kFencedDir[] = "/run/mint/devices";
constexpr char kPlatformDevices[] = "/sys/bus/platform/devices";
// Lines of a fence record name PCI functions as they are and platform devices with this prefix.
constexpr char kPlatformKey[] = "platform:";

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
    // A header that cannot be read whole (the function went away) is taken as an endpoint's,
    // as an unreadable one always was.
    auto bridge =
        ParsePciBridge(std::span(reinterpret_cast<const uint8_t*>(config.data()), config.size()));
    if (bridge.ok() && bridge->has_value()) {
      const PciBridgeHeader& header = **bridge;
      function.is_bridge = true;
      function.secondary_bus = header.secondary_bus;
      function.subordinate_bus = header.subordinate_bus;
      function.memory_window = header.memory_window;
      function.prefetch_window = header.prefetch_window;
    }
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

std::vector<MmioDevice> ReadVirtioMmioDevices() {
  std::vector<MmioDevice> devices;
  auto entries = ParseIomem(ReadText("/proc/iomem"));
  if (!entries) return devices;
  for (const IomemEntry& entry : *entries) {
    if (!entry.name.starts_with("LNRO0005:")) continue;
    MmioDevice device{entry.range, entry.name, ""};
    std::string link = std::string(kPlatformDevices) + "/" + entry.name + "/driver";
    char target[256];
    ssize_t length = readlink(link.c_str(), target, sizeof(target) - 1);
    if (length > 0) {
      target[length] = '\0';
      const char* slash = std::strrchr(target, '/');
      device.driver = slash ? slash + 1 : target;
    }
    devices.push_back(device);
  }
  return devices;
}

Result<NodeDevices> ResolveNodeDevices(const NodePlan& node) {
  NodeDevices devices;
  if (!node.pci.empty()) {
    PciTopology topology = MINT_TRY(ReadPciTopology());
    devices.pci = MINT_TRY(ResolveNodePci(node, topology));
  }
  if (node.io_apic || !node.virtio_mmio.empty()) {
    std::vector<AcpiIoApic> io_apics;
    std::ifstream madt("/sys/firmware/acpi/tables/APIC", std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(madt)),
                               std::istreambuf_iterator<char>());
    if (bytes.empty())
      return Fail(
          "cannot read the firmware MADT (/sys/firmware/acpi/tables/APIC, root only) "
          "to find IO-APIC ",
          std::to_string(*node.io_apic));
    MINT_TRY(ParseMadt(bytes, &io_apics));
    devices.mmio = MINT_TRY(ResolveNodeMmio(node, io_apics, ReadVirtioMmioDevices()));
  }
  return devices;
}

Result<NodeDevices> FenceNodeDevices(const NodePlan& node) {
  NodeDevices devices = MINT_TRY(ResolveNodeDevices(node));
  if (devices.pci.empty() && devices.mmio.empty()) return devices;
  std::vector<std::string> refused;
  if (!devices.pci.empty()) {
    PciTopology topology = MINT_TRY(ReadPciTopology());
    refused = HostBindingProblems(node, topology);
  }
  std::vector<MmioDevice> mmio_devices = ReadVirtioMmioDevices();
  for (std::string& problem : MmioBindingProblems(node, mmio_devices))
    refused.push_back(std::move(problem));
  if (!refused.empty()) return Fail(refused.front());

  mkdir("/run/mint", 0755);
  mkdir(kFencedDir, 0755);
  std::ofstream record(FencedPath(node.name), std::ios::trunc);
  // First the override, so no driver (a module loading now, a rescan) can bind the device after
  // the unbind; then the unbind, if a driver holds it.
  auto fence = [&](const std::string& base, const std::string& name, const std::string& key,
                   bool bound) -> Result<void> {
    MINT_TRY_VOID(WriteSysfs(base + "driver_override", "none"));
    record << key << "\n";
    record.flush();
    if (bound) MINT_TRY_VOID(WriteSysfs(base + "driver/unbind", name));
    return Ok{};
  };
  for (const NodePciBus& bus : devices.pci) {
    for (const PciAddress& address : bus.functions) {
      std::string name = FormatPciAddress(address);
      std::string base = std::string(kPciDevices) + "/" + name + "/";
      MINT_TRY_VOID(fence(base, name, name, access((base + "driver").c_str(), F_OK) == 0));
    }
  }
  for (const NodeMmio& mmio : devices.mmio) {
    for (const std::string& name : mmio.host_names) {
      std::string base = std::string(kPlatformDevices) + "/" + name + "/";
      MINT_TRY_VOID(fence(base, name, std::string(kPlatformKey) + name,
                          access((base + "driver").c_str(), F_OK) == 0));
    }
  }
  return devices;
}

bool NodeOwnsDevices(const std::string& node_name) {
  return access(FencedPath(node_name).c_str(), F_OK) == 0;
}

void GiveBackNodeDevices(const std::string& node_name) {
  std::string path = FencedPath(node_name);
  std::ifstream record(path);
  if (!record) return;
  for (std::string name; std::getline(record, name);) {
    if (name.empty()) continue;
    if (name.starts_with(kPlatformKey)) {
      // A virtio-mmio transport: no reset through sysfs. A host driver that binds it resets
      // the device itself (virtio's status register) before using it.
      name = name.substr(std::strlen(kPlatformKey));
      std::string base = std::string(kPlatformDevices) + "/" + name + "/";
      if (auto cleared = WriteSysfs(base + "driver_override", "\n"); !cleared)
        std::cerr << "mint: " << name << ": " << cleared.error().message << "\n";
      if (auto probed = WriteSysfs("/sys/bus/platform/drivers_probe", name); !probed)
        std::cerr << "mint: " << name << ": " << probed.error().message << "\n";
      continue;
    }
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

}  // namespace mint
