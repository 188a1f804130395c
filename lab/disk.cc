#include "disk.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "cpio.h"
#include "initramfs.h"

namespace mint {
namespace {

// Debian 6.1 cloud: virtio_blk and virtio_pci are modules, loaded in dependency order.
constexpr const char* kModules[][2] = {
    {"virtio_ring", "drivers/virtio/virtio_ring.ko"},
    {"virtio", "drivers/virtio/virtio.ko"},
    {"virtio_pci_modern_dev", "drivers/virtio/virtio_pci_modern_dev.ko"},
    {"virtio_pci_legacy_dev", "drivers/virtio/virtio_pci_legacy_dev.ko"},
    {"virtio_pci", "drivers/virtio/virtio_pci.ko"},
    {"virtio_blk", "drivers/block/virtio_blk.ko"},
};

std::string KernelVersion(const std::string& cache_dir) {
  std::ifstream in(cache_dir + "/kernel.env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("MINT_KVER=")) return line.substr(10);
  }
  return "";
}

}  // namespace

Result<LabDisk> BuildImageDisk(const Plan& plan, const std::string& work_dir,
                               const std::string& command, const std::string& cache_dir) {
  namespace fs = std::filesystem;
  LabDisk disk;
  disk.guest_plan = plan;
  std::string dir = work_dir + "/disk";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail("cannot create ", dir, ": ", ec.message());

  // Every image once per source path, under its own name where it is free.
  std::map<std::string, std::string> guest_path_of;
  uint64_t total = 0;
  auto place = [&](const std::string& source) -> Result<std::string> {
    if (auto it = guest_path_of.find(source); it != guest_path_of.end()) return it->second;
    std::string name = fs::path(source).filename().string();
    for (int n = 2; fs::exists(dir + "/" + name); ++n)
      name = std::to_string(n) + "-" + fs::path(source).filename().string();
    fs::copy_file(source, dir + "/" + name, ec);
    if (ec) return Fail("cannot copy ", source, " onto the lab disk: ", ec.message());
    total += fs::file_size(source);
    std::string guest = std::string(kHostDiskMount) + "/" + name;
    guest_path_of.emplace(source, guest);
    return guest;
  };
  for (NodePlan& node : disk.guest_plan.nodes) {
    node.kernel = MINT_TRY(place(node.kernel));
    if (!node.initrd.empty()) node.initrd = MINT_TRY(place(node.initrd));
    if (!node.node_module.empty() && node.node_module != "none")
      node.node_module = MINT_TRY(place(node.node_module));
    if (!node.root.empty() && node.root.find("://") == std::string::npos)
      node.root = MINT_TRY(place(node.root));
  }

  // Room for the files plus ext4's own metadata (journal, inode tables).
  uint64_t mib = total / (1 << 20) + total / (5 << 20) + 16;
  disk.image_path = work_dir + "/images.ext4";
  std::string mke2fs = "mke2fs -q -F -t ext4 -E root_owner=0:0 -d '" + dir + "' '" +
                       disk.image_path + "' " + std::to_string(mib) + "M";
  int status = std::system(mke2fs.c_str());
  if (status != 0)
    return Fail("`", mke2fs, "` failed (status ", std::to_string(status),
                "); install e2fsprogs (scripts/setup does)");
  fs::remove_all(dir, ec);
  disk.qemu_args = {"-drive", "file=" + disk.image_path + ",format=raw,if=virtio"};

  std::string kver = KernelVersion(cache_dir);
  if (kver.empty()) return Fail(cache_dir, "/kernel.env names no MINT_KVER; run scripts/setup");
  CpioArchive overlay;
  std::string script =
      "#!/bin/sh\n# Loads virtio-blk and mounts the lab's image disk (lab/disk.h).\n";
  MINT_TRY_VOID(overlay.AddDirectory("/lib/mint/disk", 0755));
  for (const auto& [name, rel] : kModules) {
    std::string path = cache_dir + "/root/lib/modules/" + kver + "/kernel/" + rel;
    auto bytes = ReadWholeFile(path);
    if (!bytes.ok())
      return Fail(bytes.error().message, " (the host kernel's ", name,
                  " module, unpacked by scripts/setup)");
    std::string guest = std::string("/lib/mint/disk/") + name + ".ko";
    MINT_TRY_VOID(overlay.AddFile(guest, *bytes, 0644));
    script += "insmod " + guest + " || exit 1\n";
  }
  script += "i=0\nwhile [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done\n";
  script += "mkdir -p " + std::string(kHostDiskMount) + "\n";
  script += "mount -t ext4 -o ro /dev/vda " + std::string(kHostDiskMount) + " || exit 1\n";
  MINT_TRY_VOID(overlay.AddFile("/mint/mount-disk", script, 0755));
  MINT_TRY_VOID(overlay.AddFile(kHostPlanPath, SerializePlan(disk.guest_plan), 0644));
  std::string prefixed =
      "/mint/mount-disk || { echo 'mint-lab: cannot mount the image disk' >&2; exit 125; }\n" +
      command;
  MINT_TRY_VOID(overlay.AddFile(kHostCommandPath, prefixed, 0644));
  disk.cpio_overlay = overlay.Serialize();
  return disk;
}

}  // namespace mint
