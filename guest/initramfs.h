// How Mint's initramfs images are put together: the node image (busybox + /init +
// mint-agent, built once by CMake through mint-mkinitrd) and the lab's host image (busybox +
// a generated /init + mint + mint.ko + the plan and every image it names, built by mint-lab
// for each run). Both share one base: a static busybox and the few device nodes init needs
// before devtmpfs is mounted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpio.h"
#include "plan.h"
#include "result.h"

namespace mint {

// Whole-file I/O with errors that name the path.
Result<std::vector<uint8_t>> ReadWholeFile(const std::string& path);
Result<void> WriteWholeFile(const std::string& path, std::span<const uint8_t> bytes);

// gzip with a fixed header (no name, mtime 0), so equal input gives equal bytes.
Result<std::vector<uint8_t>> Gzip(std::span<const uint8_t> bytes);

// Checks that `bytes` is a statically linked x86-64 (or i386) ELF executable (no PT_INTERP): a
// guest image has no dynamic loader. `path` and `hint` (what to install or build) go into the
// error.
Result<void> CheckStaticExecutable(std::span<const uint8_t> bytes, const std::string& path,
                                   std::string_view hint);

// /bin/busybox (and /bin/sh pointing at it), /dev/{console,null,kmsg,mem} as device nodes,
// and the empty mount points /proc /sys /tmp /run /root.
Result<void> AddInitramfsBase(CpioArchive& archive, const std::string& busybox_path);

// Every file and symlink under the folder `root`, at the same paths below the archive's root,
// modes kept (a program and its libraries laid out as in Debian by scripts/closure). Entries
// are added in sorted order, so the same folder gives the same bytes.
Result<void> AddTree(CpioArchive& archive, const std::string& root);

// The lab's host initramfs.
struct HostInitramfsSpec {
  std::string busybox;  // a static busybox
  std::string mint;     // the mint CLI (static), or empty to leave it out
  std::string module;   // mint.ko, or empty to leave it out
  // Host kernel modules /init loads first, in this order (the bridge a network plan needs).
  std::vector<std::string> kernel_modules;
  Plan plan;            // as loaded on the machine running the lab
  std::string command;  // run by the host's /init with `sh -c`
  std::string marker;   // unique per run, see HostInitScript
};

// Where things live inside the host image.
inline constexpr char kHostPlanPath[] = "/mint/plan.toml";
inline constexpr char kHostImageDir[] = "/mint/images";
inline constexpr char kHostCommandPath[] = "/mint/command";
inline constexpr char kHostModulePath[] = "/lib/mint/mint.ko";
inline constexpr char kHostMintPath[] = "/bin/mint";
inline constexpr char kHostKernelModuleDir[] = "/lib/mint/kernel";

struct HostInitramfs {
  std::vector<uint8_t> cpio;  // uncompressed newc: the kernel unpacks it without inflating
  Plan guest_plan;            // the plan with every image path rewritten to the host's copy
  std::string init_script;
};
Result<HostInitramfs> BuildHostInitramfs(const HostInitramfsSpec& spec);

// The host's /init. Protocol (lab/README.md): it prints
//   "mint-lab[MARKER]: command start"        just before COMMAND runs,
//   "mint-lab[MARKER]: exit STATUS"          with COMMAND's exit status, then powers off;
//   "mint-lab[MARKER]: setup failed: WHAT"   instead, when it cannot get that far.
std::string HostInitScript(const std::string& marker, bool with_module);

// Recognizes the host /init's protocol lines on the host console.
struct HostMarkerLine {
  enum class Kind { kCommandStart, kExit, kSetupFailed } kind;
  int status = 0;      // kExit
  std::string detail;  // kSetupFailed
};
std::optional<HostMarkerLine> ParseHostMarker(std::string_view line, std::string_view marker);

}  // namespace mint
