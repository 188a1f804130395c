// The live machine's inventory: /proc/iomem, the firmware memory map, the MADT, the online
// cores, the PCI functions and virtio-mmio transports, and the module's TSC rate.
#include "live_inventory.h"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "devices.h"
#include "host_device.h"

namespace mint {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  if (in) buffer << in.rdbuf();
  return buffer.str();
}

// A sysfs value: its first word, without the newline ("" when unreadable, as carrier is
// while the device is down).
std::string ReadWord(const std::string& path) {
  std::istringstream in(ReadText(path));
  std::string word;
  in >> word;
  return word;
}

uint64_t ReadCounter(const std::string& path) {
  std::string word = ReadWord(path);
  char* end = nullptr;
  unsigned long long value = std::strtoull(word.c_str(), &end, 10);
  return word.empty() || *end != '\0' ? 0 : value;
}

}  // namespace

std::optional<LinkStatus> ReadLinkStatus(const std::string& sys_root, const std::string& ifname) {
  if (ifname.empty() || ifname.find('/') != std::string::npos || ifname == "." || ifname == "..")
    return std::nullopt;
  const std::string dir = sys_root + "/class/net/" + ifname;
  DIR* exists = ::opendir(dir.c_str());
  if (exists == nullptr) return std::nullopt;
  ::closedir(exists);
  LinkStatus status;
  const std::string operstate = ReadWord(dir + "/operstate");
  const bool up =
      ReadWord(dir + "/carrier") == "1" && (operstate == "up" || operstate == "unknown");
  status.state = up ? "up" : "down";
  status.rx_bytes = ReadCounter(dir + "/statistics/rx_bytes");
  status.tx_bytes = ReadCounter(dir + "/statistics/tx_bytes");
  status.rx_packets = ReadCounter(dir + "/statistics/rx_packets");
  status.tx_packets = ReadCounter(dir + "/statistics/tx_packets");
  return status;
}

Result<BuiltInventory> ReadLiveInventory(const std::string& device) {
  InventorySources sources;
  sources.iomem = ReadText("/proc/iomem");
  if (sources.iomem.empty()) return Fail("cannot read /proc/iomem");
  if (DIR* dir = opendir("/sys/firmware/memmap")) {
    std::vector<std::pair<int, std::string>> entries;
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      entries.emplace_back(std::atoi(entry->d_name), entry->d_name);
    }
    closedir(dir);
    std::sort(entries.begin(), entries.end());
    for (const auto& [index, name] : entries) {
      std::string base = "/sys/firmware/memmap/" + name + "/";
      auto parsed = ParseFirmwareMemmapEntry(ReadText(base + "start"), ReadText(base + "end"),
                                             ReadText(base + "type"));
      if (!parsed) return Fail(base, ": ", parsed.error().message);
      sources.firmware.push_back(*parsed);
    }
  }
  std::ifstream madt("/sys/firmware/acpi/tables/APIC", std::ios::binary);
  if (madt) {
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(madt)),
                               std::istreambuf_iterator<char>());
    if (!bytes.empty()) sources.madt = std::move(bytes);
  }
  sources.cpu_online = ReadText("/sys/devices/system/cpu/online");
  sources.cpuinfo = ReadText("/proc/cpuinfo");
  sources.pci = ReadPciFunctions();
  sources.virtio_mmio = ReadVirtioMmioDevices();
  if (auto host = HostDevice::Open(device)) {
    if (auto info = (*host)->Info()) sources.module_tsc_khz = info->tsc_khz;
  }
  return BuildInventory(sources);
}

}  // namespace mint
