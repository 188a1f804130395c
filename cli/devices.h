// The host side of devices a node owns (docs/devices.md): reading the PCI topology from sysfs,
// fencing the host's drivers off a node's functions before it boots, and giving them back
// after it stops.
#pragma once

#include <string>
#include <vector>

#include "pci.h"
#include "plan.h"
#include "result.h"

namespace mint::cli {

// Every function under /sys/bus/pci/devices, and the ECAM region from /proc/iomem.
Result<PciTopology> ReadPciTopology();
// The functions alone, for the inventory.
std::vector<PciFunction> ReadPciFunctions();

// The node's buses as the live topology has them, without touching anything (dry runs).
Result<std::vector<NodePciBus>> ResolveNodeDevices(const NodePlan& node);

// Before a node boots: resolves its functions against the live topology, then sets each one's
// driver_override to "none" so no host driver binds it, and unbinds a bound host driver when
// the plan allows it (unbind_host_drivers = true; otherwise refuses). Remembers what it fenced in
// /run/mint/devices/NODE so the stop path can give the functions back. Returns the buses to
// describe to the node; empty when the node owns no PCI.
Result<std::vector<NodePciBus>> FenceNodeDevices(const NodePlan& node);

// After a node stops (or failed to start): resets each function it owned (so nothing the node
// programmed, DMA or MSI-X, outlives it), clears driver_override and lets the host's drivers
// probe it again. Does nothing for a node that owned none. Problems are only reported: the
// node is gone either way.
void GiveBackNodeDevices(const std::string& node_name);

}  // namespace mint::cli
