// Devices of their own in the lab (docs/devices.md). For the k-th node of a plan (in plan
// order) that owns PCI functions, the lab machine gets a PCIe root port on q35's root bus and,
// behind it, a virtio-blk-pci disk (function 0) and a virtio-net-pci NIC (function 1) on
// user-mode networking whose built-in TFTP server serves one file. SeaBIOS numbers the root
// ports' buses in slot order and nothing else on the root bus is a bridge, so the k-th such
// node's functions are 0000:0k:00.0 (disk) and 0000:0k:00.1 (NIC): what its plan must list.
//
// On the microvm machine (--machine microvm), the k-th node of a plan that owns virtio-mmio
// transports gets the same two devices as virtio-blk-device and virtio-net-device on transports
// 25 - 2k and 24 - 2k (microvm places transport N at 0xfeb00000 + N * 0x200, wired to GSI
// 24 + N on its second IO-APIC): for the first node the disk at 0xfeb02e00 (GSI 47) and the NIC
// at 0xfeb02c00 (GSI 46), what its plan's virtio_mmio must list. These are the transports QEMU
// fills first when no bus is named; a disk on transport 0 (GSI 24) never raised its interrupt
// in QEMU 7.2 TCG, for the host as for a node.
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

// microvm's virtio-mmio transports (QEMU 7.2 hw/i386/microvm.c with ioapic2=on).
inline constexpr uint64_t kMicrovmVirtioBase = 0xfeb00000;
inline constexpr uint64_t kMicrovmVirtioSize = 0x200;
inline constexpr uint32_t kMicrovmVirtioFirstGsi = 24;
inline constexpr size_t kMicrovmTransports = 24;

// Builds the disks and TFTP folders under `work_dir`. Nothing for a plan without device nodes.
Result<LabDevices> BuildLabDevices(const Plan& plan, const std::string& work_dir, bool microvm);

}  // namespace mint
