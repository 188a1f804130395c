// Devices of their own in the lab (docs/devices.md). For the k-th node of a plan (in plan
// order) that owns PCI functions, the lab machine gets a PCIe root port on q35's root bus and,
// behind it, a virtio-blk-pci disk (function 0) and a virtio-net-pci NIC (function 1) on
// user-mode networking whose built-in TFTP server serves one file. SeaBIOS numbers the root
// ports' buses in slot order and nothing else on the root bus is a bridge, so the k-th such
// node's functions are 0000:0k:00.0 (disk) and 0000:0k:00.1 (NIC): what its plan must list.
//
// The disk and the served file hold deterministic bytes; the host finds their size and SHA-256
// in /mint/lab/devices/NODE.env (disk_bytes, disk_sha256, net_file, net_bytes, net_sha256) to
// check what the node reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan.h"
#include "result.h"

namespace mint {

inline constexpr char kLabDevicesDir[] = "/mint/lab/devices";
inline constexpr uint64_t kLabNodeDiskBytes = uint64_t{4} << 20;
inline constexpr uint64_t kLabNodeNetBytes = uint64_t{512} << 10;
// The k-th device-owning node's root port sits at this slot + k - 1 of the root bus.
inline constexpr int kLabRootPortFirstSlot = 0x10;

struct LabDevices {
  std::vector<std::string> qemu_args;
  std::vector<uint8_t> cpio_overlay;  // /mint/lab/devices/NODE.env for every such node
  size_t nodes = 0;                   // how many nodes got devices
};

// Builds the disks and TFTP folders under `work_dir`. Nothing for a plan without PCI nodes.
Result<LabDevices> BuildLabDevices(const Plan& plan, const std::string& work_dir);

}  // namespace mint
