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

}  // namespace

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
