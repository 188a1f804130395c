// The lab host's image disk: with `mint-lab run --disk`, the plan's kernels and initrds live on
// an ext4 filesystem that the host mounts from a virtio disk, so reading them is real block I/O.
// (A file in the host's initramfs is already in memory: a store-vs-disk comparison against it
// would be meaningless.) Built without root: `mke2fs -t ext4 -d DIR IMAGE`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan.h"
#include "result.h"

namespace mint {

// Where the host mounts the disk (read-only).
inline constexpr char kHostDiskMount[] = "/mint/disk";

struct LabDisk {
  std::string image_path;              // the raw ext4 image in the run's work folder
  std::vector<std::string> qemu_args;  // attach it as a virtio-blk disk
  // A second newc archive to append to the host's initramfs (the kernel unpacks both, later
  // files replacing earlier ones): the plan with paths under kHostDiskMount, the virtio modules
  // from the kernel cache, and /mint/command prefixed with loading them and mounting the disk.
  std::vector<uint8_t> cpio_overlay;
  Plan guest_plan;
};

// `cache_dir` is scripts/setup's kernel cache (kernel.env names the host kernel's version,
// whose virtio_pci and virtio_blk are modules in Debian's cloud kernel; ext4 is built in).
Result<LabDisk> BuildImageDisk(const Plan& plan, const std::string& work_dir,
                               const std::string& command, const std::string& cache_dir);

}  // namespace mint
