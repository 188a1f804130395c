// PCI devices a node owns (docs/devices.md): the host's PCI topology as sysfs shows it, the
// rules a node's functions must meet, and what the node is told about them.
//
// A node owns whole buses: the secondary bus of one PCIe root port whose functions all belong
// to it. Its synthetic DSDT describes a PCI root bridge (PNP0A08) for exactly that bus, with
// the memory windows the firmware gave the root port, plus a PNP0C02 device reserving the
// bus's ECAM range; its MCFG covers only that bus. The bus is declared in PCI segment 1 and up
// (never 0), so the node makes every configuration access through ECAM and never through the
// legacy CF8/CFC ports the host uses (one probe of CF8 at boot, pci_check_type1, remains).
// MSI-X messages go straight to the node's cores: no IO-APIC is involved.
//
// Pure functions over what the CLI reads from /sys/bus/pci and /proc/iomem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "acpi.h"
#include "aml.h"
#include "plan.h"
#include "result.h"

namespace mint {

// Domain:bus:device.function, as sysfs names a function ("0000:01:00.0").
struct PciAddress {
  uint16_t domain = 0;
  uint8_t bus = 0;
  uint8_t device = 0;    // 0..31
  uint8_t function = 0;  // 0..7
  bool operator==(const PciAddress&) const = default;
  bool operator<(const PciAddress& other) const {
    return std::tie(domain, bus, device, function) <
           std::tie(other.domain, other.bus, other.device, other.function);
  }
};
// Accepts "0000:01:00.0" and "01:00.0" (domain 0); hex, case-insensitive.
Result<PciAddress> ParsePciAddress(std::string_view text);
std::string FormatPciAddress(const PciAddress& address);  // "0000:01:00.0"

// One function as the host sees it.
struct PciFunction {
  PciAddress address;
  uint32_t class_code = 0;      // sysfs "class": 0x060400 is a PCI-to-PCI bridge
  std::string driver;           // bound driver's name, empty when none
  std::string driver_override;  // sysfs driver_override, empty when "(null)"
  // Bridges only: the bus range behind it and its forwarding windows (sysfs "resource" lines
  // 13-15: I/O, memory, prefetchable memory; an empty range when the window is closed).
  bool is_bridge = false;
  uint8_t secondary_bus = 0;
  uint8_t subordinate_bus = 0;
  std::optional<PhysRange> memory_window;
  std::optional<PhysRange> prefetch_window;
  bool operator==(const PciFunction&) const = default;
};

// Where configuration space is memory mapped (the firmware's MCFG, as /proc/iomem shows it:
// "b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]").
struct PciEcam {
  uint64_t base = 0;  // bus start_bus's configuration space; bus B is at base + (B - start) << 20
  uint16_t domain = 0;
  uint8_t start_bus = 0;
  uint8_t end_bus = 0;
  bool operator==(const PciEcam&) const = default;
};

struct PciTopology {
  std::vector<PciFunction> functions;  // sorted by address
  std::optional<PciEcam> ecam;
  const PciFunction* Find(const PciAddress& address) const;
};

// The first 64 bytes of a type 1 (PCI-to-PCI bridge) configuration header: PCI-to-PCI Bridge
// Architecture Specification 1.2, section 3.2, figure 3-1. Little-endian, like x86.
struct [[gnu::packed]] PciType1Header {
  uint16_t vendor_id;
  uint16_t device_id;
  uint16_t command;
  uint16_t status;
  uint8_t revision_id;
  uint8_t class_code[3];
  uint8_t cache_line_size;
  uint8_t latency_timer;
  uint8_t header_type;  // bits 6:0 the layout (1: this one), bit 7 multi-function
  uint8_t bist;
  uint32_t bar[2];
  uint8_t primary_bus;
  uint8_t secondary_bus;
  uint8_t subordinate_bus;
  uint8_t secondary_latency_timer;
  uint8_t io_base;
  uint8_t io_limit;
  uint16_t secondary_status;
  uint16_t memory_base;        // bits 15:4 are address bits 31:20 (section 3.2.5.8)
  uint16_t memory_limit;       // likewise; the window ends at limit | 0xFFFFF
  uint16_t prefetchable_base;  // bits 3:0 = 1: 64-bit, the upper halves below (3.2.5.9)
  uint16_t prefetchable_limit;
  uint32_t prefetchable_base_upper;   // address bits 63:32
  uint32_t prefetchable_limit_upper;  // address bits 63:32
  uint16_t io_base_upper;
  uint16_t io_limit_upper;
  uint8_t capabilities_pointer;
  uint8_t reserved[3];
  uint32_t expansion_rom_base;
  uint8_t interrupt_line;
  uint8_t interrupt_pin;
  uint16_t bridge_control;
};
static_assert(sizeof(PciType1Header) == 0x40);
static_assert(offsetof(PciType1Header, header_type) == 0x0E);
static_assert(offsetof(PciType1Header, secondary_bus) == 0x19);
static_assert(offsetof(PciType1Header, subordinate_bus) == 0x1A);
static_assert(offsetof(PciType1Header, memory_base) == 0x20);
static_assert(offsetof(PciType1Header, memory_limit) == 0x22);
static_assert(offsetof(PciType1Header, prefetchable_base) == 0x24);
static_assert(offsetof(PciType1Header, prefetchable_limit) == 0x26);
static_assert(offsetof(PciType1Header, prefetchable_base_upper) == 0x28);
static_assert(offsetof(PciType1Header, prefetchable_limit_upper) == 0x2C);
static_assert(offsetof(PciType1Header, bridge_control) == 0x3E);

// What a bridge's configuration header says it forwards: the buses behind it and its memory
// windows (nullopt when a window is closed: its limit below its base).
struct PciBridgeHeader {
  uint8_t secondary_bus = 0;
  uint8_t subordinate_bus = 0;
  std::optional<PhysRange> memory_window;
  std::optional<PhysRange> prefetch_window;
  bool operator==(const PciBridgeHeader&) const = default;
};

// A function's configuration space as sysfs "config" gives it (the first 64 bytes to anyone,
// all of it to root). nullopt when the header is not a PCI-to-PCI bridge's (an endpoint, a
// CardBus bridge). Fails when the bytes end before the header type, or before the end of a
// bridge's 64-byte header. I/O windows are not read: no node is given I/O ports.
Result<std::optional<PciBridgeHeader>> ParsePciBridge(std::span<const uint8_t> config);

// A sysfs "resource" file: one "0x<start> 0x<end> 0x<flags>" line per resource; an unused
// resource is all zeros. Returns [start, end) ranges (empty ranges for unused lines).
Result<std::vector<PhysRange>> ParsePciResources(std::string_view text);
// The ECAM region from /proc/iomem's text ("PCI MMCONFIG dddd [bus bb-bb]"), when there is one.
std::optional<PciEcam> FindEcam(std::string_view iomem);

// What one node's PCI buses look like to the node.
struct NodePciBus {
  PciAddress root_port;               // the host's root port whose secondary bus this is
  uint8_t bus = 0;                    // that bus number (the node sees the same number)
  uint16_t segment = 1;               // the node's PCI segment for it (1, 2, ...)
  uint64_t ecam_bus = 0;              // physical address of this bus's 1 MiB of configuration space
  std::vector<PhysRange> windows;     // the root port's memory windows: memory, then prefetchable
  std::vector<bool> prefetchable;     // parallel to windows
  std::vector<PciAddress> functions;  // the node's functions on it
};

// The node's functions grouped by bus and checked against the host's topology: every function
// exists, is not a bridge, sits on the secondary bus of a root port on bus 0 (so the node owns
// the whole bus), every function on that bus is the node's, the root port has a memory window,
// and ECAM covers the bus. Errors name the function and say what to do.
Result<std::vector<NodePciBus>> ResolveNodePci(const NodePlan& node, const PciTopology& topology);

// Host-side rule for booting: a function bound to a host driver may be taken only when the
// plan says so (unbind_host_drivers = true). Empty when every function may be fenced.
std::vector<std::string> HostBindingProblems(const NodePlan& node, const PciTopology& topology);

// The DSDT terms and MCFG entries that describe `buses` to the node.
struct NodePciAcpi {
  std::vector<aml::Term> dsdt;
  std::vector<AcpiEcamRange> ecam;
};
NodePciAcpi DescribeNodePci(const std::vector<NodePciBus>& buses);

}  // namespace mint
