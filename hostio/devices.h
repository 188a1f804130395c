// The host side of devices a node owns (docs/devices.md): reading the PCI topology from sysfs,
// fencing the host's drivers off a node's functions before it boots, and giving them back
// after it stops.
#pragma once

#include <string>
#include <vector>

#include "inventory.h"
#include "pci.h"
#include "plan.h"
#include "result.h"
#include "virtio_mmio.h"

namespace mint {

// Every function under /sys/bus/pci/devices, and the ECAM region from /proc/iomem.
Result<PciTopology> ReadPciTopology();
// The functions alone, for the inventory.
std::vector<PciFunction> ReadPciFunctions();

// Platform devices the firmware describes as virtio-mmio transports ("LNRO0005:NN" in
// /proc/iomem), with the driver bound to each.
std::vector<MmioDevice> ReadVirtioMmioDevices();

// What a node owns, resolved against the live machine.
struct NodeDevices {
  std::vector<NodePciBus> pci;
  std::vector<NodeMmio> mmio;
};

// The node's devices as the live machine has them, without touching anything (dry runs).
Result<NodeDevices> ResolveNodeDevices(const NodePlan& node);

// Before a node boots: resolves its devices against the live machine, then sets each one's
// driver_override to "none" so no host driver binds it, and unbinds a bound host driver when
// the plan allows it (unbind_host_drivers = true; otherwise refuses). Remembers what it fenced
// in /run/mint/devices/NODE so the stop path can give the devices back. Returns what to
// describe to the node; empty when it owns no devices.
Result<NodeDevices> FenceNodeDevices(const NodePlan& node);

// After a node stops (or failed to start): resets each PCI function it owned (so nothing the
// node programmed, DMA or MSI-X, outlives it), clears driver_override and lets the host's
// drivers probe each device again. Does nothing for a node that owned none. Problems are only
// reported: the node is gone either way.
void GiveBackNodeDevices(const std::string& node_name);

// Whether FenceNodeDevices holds devices for this node now (its record in /run/mint/devices).
bool NodeOwnsDevices(const std::string& node_name);

}  // namespace mint
