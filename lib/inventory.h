// Inventory: what the running host really has, as far as a plan cares. Memory (RAM the host
// kernel uses, ranges it booted with memmap=SIZE$ADDR), cores (present in the firmware MADT,
// online in the host, their APIC IDs) and the TSC rate.
//
// The parsers here are pure functions over the text or bytes the host exposes; the CLI reads
// the files (cli/inventory.cc) and hands the contents in, so a saved inventory (JSON) checks a
// plan on another machine exactly as the live one would.
//
// Sources, and why each:
//   /proc/iomem                 the host kernel's view: top-level "System RAM" is memory the
//                               host uses; "Reserved" includes what memmap=$ took away (only
//                               root sees real addresses: others read zeros)
//   /sys/firmware/memmap/N/     the firmware's e820 as the kernel received it (before memmap=)
//   /sys/firmware/acpi/tables/APIC   the firmware MADT: every core the machine has, by APIC ID
//   /sys/devices/system/cpu/online   cores the host runs on (Linux CPU numbers)
//   /proc/cpuinfo               Linux CPU number -> APIC ID for online cores; "cpu MHz"
//   /sys/bus/pci/devices/*      PCI functions: class, bound driver, driver_override, and for
//                               bridges their bus range and windows (docs/devices.md)
//   /proc/iomem "PCI MMCONFIG"  where ECAM (memory-mapped configuration space) is
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "acpi.h"
#include "pci.h"
#include "plan.h"
#include "result.h"

namespace mint {

// One line of /proc/iomem: "  00100000-3fffffff : System RAM" (inclusive end in the text).
struct IomemEntry {
  PhysRange range;
  std::string name;
  int depth = 0;  // indentation level: 0 is a top-level resource
};
Result<std::vector<IomemEntry>> ParseIomem(std::string_view text);

// One firmware memory map entry (/sys/firmware/memmap/N/{start,end,type}; inclusive end).
struct FirmwareMemoryEntry {
  PhysRange range;
  std::string type;  // "System RAM", "Reserved", "ACPI Tables", ...
};
Result<FirmwareMemoryEntry> ParseFirmwareMemmapEntry(std::string_view start, std::string_view end,
                                                     std::string_view type);

// A processor entry of the MADT (local APIC or local x2APIC structure).
struct MadtCore {
  uint32_t apic_id = 0;
  uint32_t processor_uid = 0;
  bool enabled = false;         // flags bit 0
  bool online_capable = false;  // flags bit 1 (ACPI 6.3): can be enabled later
  bool x2apic = false;
};
// Parses a whole MADT ("APIC" table as /sys/firmware/acpi/tables/APIC holds it): signature,
// length and checksum, then every interrupt controller structure (MadtEntryReader, acpi_read.h).
// IO-APIC structures go to `io_apics` when given.
Result<std::vector<MadtCore>> ParseMadt(std::span<const uint8_t> table,
                                        std::vector<AcpiIoApic>* io_apics = nullptr);

// "0-1,3,5-7" (the kernel's cpulist format) -> sorted CPU numbers.
Result<std::vector<uint32_t>> ParseCpuList(std::string_view text);

// /proc/cpuinfo: Linux CPU number -> APIC ID for every processor listed, and the first
// "cpu MHz" (in kHz; 0 when absent).
struct CpuinfoSummary {
  std::vector<std::pair<uint32_t, uint32_t>> cpu_to_apic;  // (processor, apicid)
  uint64_t mhz_khz = 0;
};
Result<CpuinfoSummary> ParseCpuinfo(std::string_view text);

// A memory-mapped platform device the host's firmware describes (a virtio-mmio transport,
// "LNRO0005:00" in /proc/iomem and /sys/bus/platform/devices).
struct MmioDevice {
  PhysRange range;
  std::string name;
  std::string driver;  // bound driver, empty when none
  bool operator==(const MmioDevice&) const = default;
};

struct InventoryCore {
  uint32_t apic_id = 0;
  std::optional<uint32_t> cpu;  // Linux CPU number, when the host knows it (online cores)
  bool enabled = false;         // enabled in the MADT (a usable core)
  bool online = false;          // the host runs on it
};

struct Inventory {
  std::string source;                         // "live" or the file it was read from
  std::vector<PhysRange> ram;                 // iomem top-level System RAM: the host's memory
  std::vector<PhysRange> reserved;            // iomem top-level Reserved (memmap=$ and firmware)
  std::vector<FirmwareMemoryEntry> firmware;  // firmware e820, possibly empty
  std::vector<InventoryCore> cores;           // sorted by APIC ID
  bool cores_complete = true;  // false without the MADT: cores the host is not using are unknown
  uint64_t tsc_khz = 0;
  std::string tsc_source;               // "mint module", "/proc/cpuinfo"
  PciTopology pci;                      // empty when PCI was not read (or the machine has none)
  std::vector<AcpiIoApic> io_apics;     // the firmware MADT's IO-APICs
  std::vector<MmioDevice> virtio_mmio;  // virtio-mmio transports the firmware describes

  const InventoryCore* FindCore(uint32_t apic_id) const;
};

// What the CLI read, raw; BuildInventory combines it. Absent pieces are empty/nullopt, and
// BuildInventory says in `notes` what it could not learn.
struct InventorySources {
  std::string iomem;
  std::vector<FirmwareMemoryEntry> firmware;
  std::optional<std::vector<uint8_t>> madt;
  std::string cpu_online;  // /sys/devices/system/cpu/online
  std::string cpuinfo;
  uint64_t module_tsc_khz = 0;   // from /dev/mint INFO, 0 when there is no module
  std::vector<PciFunction> pci;  // read by the CLI from /sys/bus/pci/devices
  // Platform devices from /proc/iomem entries named LNRO0005:NN, with their bound driver from
  // /sys/bus/platform/devices (the CLI reads it; empty driver when none).
  std::vector<MmioDevice> virtio_mmio;
};
struct BuiltInventory {
  Inventory inventory;
  std::vector<std::string> notes;
};
Result<BuiltInventory> BuildInventory(const InventorySources& sources);

// A saved inventory: `mint inventory --json` output, read back by `mint check --inventory`.
std::string InventoryToJson(const Inventory& inventory);
Result<Inventory> ParseInventoryJson(std::string_view text, std::string_view origin);

}  // namespace mint
