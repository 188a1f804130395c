#include "devices.h"

#include <cstdio>
#include <filesystem>

#include "cpio.h"
#include "initramfs.h"
#include "store.h"

namespace mint {
namespace {

// Joins text without the temporaries of a chain of operator+.
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string text;
  (text.append(parts), ...);
  return text;
}

// xorshift64: bytes that do not compress and are the same on every run.
std::vector<uint8_t> PatternBytes(uint64_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    for (size_t j = 0; j < 8 && i + j < bytes.size(); ++j)
      bytes[i + j] = static_cast<uint8_t>(state >> (8 * j));
  }
  return bytes;
}

}  // namespace

Result<LabDevices> BuildLabDevices(const Plan& plan, const std::string& work_dir, bool microvm) {
  LabDevices out;
  CpioArchive overlay;
  MINT_TRY_VOID(overlay.AddDirectory("/mint/lab", 0755));
  MINT_TRY_VOID(overlay.AddDirectory(kLabDevicesDir, 0755));
  for (const NodePlan& node : plan.nodes) {
    if (microvm ? node.virtio_mmio.empty() : node.pci.empty()) continue;
    size_t k = ++out.nodes;
    if (k > 8) return Fail("the lab gives devices to at most 8 nodes");
    std::string id = std::to_string(k);
    char slot[8];
    std::snprintf(slot, sizeof(slot), "0x%x", kLabRootPortFirstSlot + static_cast<int>(k) - 1);

    std::vector<uint8_t> disk = PatternBytes(kLabNodeDiskBytes, 2 * k);
    std::string disk_path = Cat(work_dir, "/node", id, "-disk.img");
    MINT_TRY_VOID(WriteWholeFile(disk_path, disk));
    std::string tftp_dir = Cat(work_dir, "/node", id, "-tftp");
    std::error_code ec;
    std::filesystem::create_directories(tftp_dir, ec);
    if (ec) return Fail("cannot create ", tftp_dir, ": ", ec.message());
    std::vector<uint8_t> served = PatternBytes(kLabNodeNetBytes, 2 * k + 1);
    MINT_TRY_VOID(WriteWholeFile(tftp_dir + "/data.bin", served));

    std::string drive = Cat("file=", disk_path, ",format=raw,if=none,id=mint_disk", id);
    std::string netdev = Cat("user,id=mint_net", id, ",restrict=on,tftp=", tftp_dir);
    if (microvm) {
      std::string disk_bus = std::to_string(kMicrovmTransports - 2 * k + 1);
      std::string net_bus = std::to_string(kMicrovmTransports - 2 * k);
      out.qemu_args.insert(
          out.qemu_args.end(),
          {"-drive", drive, "-device",
           Cat("virtio-blk-device,drive=mint_disk", id, ",bus=virtio-mmio-bus.", disk_bus),
           "-netdev", netdev, "-device",
           Cat("virtio-net-device,netdev=mint_net", id, ",bus=virtio-mmio-bus.", net_bus)});
    } else {
      // Modern-only virtio (disable-legacy=on): no I/O BAR, since the node's root bridge forwards
      // memory windows only; no option ROM to map.
      out.qemu_args.insert(out.qemu_args.end(),
                           {"-device",
                            Cat("pcie-root-port,id=mint_rp", id, ",bus=pcie.0,chassis=", id,
                                ",slot=", id, ",addr=", slot),
                            "-drive", drive, "-device",
                            Cat("virtio-blk-pci,drive=mint_disk", id, ",bus=mint_rp", id,
                                ",addr=0x0.0,multifunction=on,disable-legacy=on,romfile="),
                            "-netdev", netdev, "-device",
                            Cat("virtio-net-pci,netdev=mint_net", id, ",bus=mint_rp", id,
                                ",addr=0x0.1,disable-legacy=on,romfile=")});
    }

    std::string env =
        Cat("disk_bytes=", std::to_string(disk.size()), "\ndisk_sha256=", HexDigest(Sha256Of(disk)),
            "\nnet_file=data.bin\nnet_bytes=", std::to_string(served.size()),
            "\nnet_sha256=", HexDigest(Sha256Of(served)), "\n");
    MINT_TRY_VOID(overlay.AddFile(std::string(kLabDevicesDir) + "/" + node.name + ".env", env));
  }
  if (out.nodes > 0) out.cpio_overlay = overlay.Serialize();
  return out;
}

}  // namespace mint
