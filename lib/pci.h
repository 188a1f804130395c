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

#include <cstdint>
#include <optional>
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
