// A lab run: boot the host described by a plan under QEMU, with mint, mint.ko, the plan and
// every image it names inside the host's initramfs, run one command there and report its exit
// status. mint-lab is a thin CLI over RunHostCommand; tests that need more control use
// PrepareHostRun and drive the LabMachine themselves (lab/README.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "initramfs.h"
#include "machine.h"
#include "plan.h"
#include "result.h"

namespace mint {

// Paths of what the lab puts into the machine. Defaults come from the build tree this lab was
// built in (known at compile time) and the kernel cache's kernel.env; each can be overridden by
// the environment (names below) or by mint-lab's flags.
struct LabArtifacts {
  std::string host_kernel;  // MINT_LAB_HOST_KERNEL, else MINT_KERNEL from kernel.env
  std::string mint;         // MINT_LAB_MINT: the static mint CLI
  std::string module;       // MINT_LAB_MODULE: mint.ko
  std::string busybox;      // MINT_LAB_BUSYBOX: a static busybox
  std::string qemu;         // MINT_LAB_QEMU
  // Defaults for plans that name images through ${MINT_KERNEL} and ${MINT_NODE_INITRD}.
  std::string node_kernel;
  std::string node_initrd;
};
LabArtifacts DefaultLabArtifacts();

// Sets MINT_KERNEL and MINT_NODE_INITRD (and MINT_I386_KERNEL, MINT_I386_NODE_INITRD for the
// i386 node) in this process's environment to the artifacts' node images, where they are not
// set already, so example plans load as they are.
void SetPlanEnvironmentDefaults(const LabArtifacts& artifacts);

struct HostRunOptions {
  std::string plan_path;
  std::string command;                   // run in the host with `sh -c`
  std::optional<uint32_t> vcpus;         // default: highest APIC ID in the plan + 1
  std::optional<uint64_t> memory_bytes;  // default: 2 GiB
  double timeout_seconds = 180;          // bounds the whole run, QEMU start to exit
  // Bounds QEMU start to COMMAND's start (the host's boot), within the whole run's bound;
  // 0: only the whole run's bound applies.
  double boot_timeout_seconds = 0;
  bool echo = true;          // print console lines live
  bool with_module = true;   // put mint.ko in and insmod it
  bool with_mint = true;     // put the mint CLI in
  std::string extra_append;  // more host kernel arguments
  // "q35", or "microvm": QEMU's microvm with a second IO-APIC (ioapic2=on) whose pins carry the
  // virtio-mmio transports, for nodes with virtio-mmio devices (lab/devices.h).
  std::string machine = "q35";
  // Put the plan's images on a virtio disk (ext4, mounted read-only at /mint/disk) instead of
  // into the initramfs, so reading them is real block I/O (lab/disk.h).
  bool images_on_disk = false;
  // A file attached raw as a second virtio disk (/dev/vdb in the host; needs images_on_disk,
  // whose virtio modules it uses), created empty at scratch_size if missing. It outlives the
  // run: how one lab run hands a later one a file (a memory image).
  std::string scratch_disk;
  uint64_t scratch_size = 256 << 20;
  // When set: a folder whose files (and symlinks) go into the host's initramfs at the same
  // paths, modes kept (Debian's kexec and its libraries for `mint-lab bench peers`).
  std::string extra_tree;
  std::string log_dir;         // when set: every console's full text goes there
  bool keep_work_dir = false;  // keep the initramfs and sockets for inspection
  LabArtifacts artifacts = DefaultLabArtifacts();
};

// Everything a host run needs before QEMU starts. Owns its work folder (removed on
// destruction unless kept).
class HostRun {
 public:
  ~HostRun();
  HostRun(const HostRun&) = delete;
  HostRun& operator=(const HostRun&) = delete;

  Plan plan;                // as loaded from the plan file
  HostInitramfs initramfs;  // its guest_plan is what the host sees at $MINT_PLAN
  std::string marker;       // this run's token in the host /init's protocol lines
  std::string work_dir;     // holds host-initrd.cpio and the console sockets
  LabConfig config;         // ready for LabMachine::Create

 private:
  friend Result<std::unique_ptr<HostRun>> PrepareHostRun(const HostRunOptions& options);
  HostRun() = default;
  bool keep_ = false;
};
Result<std::unique_ptr<HostRun>> PrepareHostRun(const HostRunOptions& options);

// The lab machine's console layout for a plan: COM1 is "host", COM(n+1) is the node whose
// console is "ttySn" (n = 1..3), others unconnected.
Result<std::vector<std::string>> PlanConsoles(const Plan& plan);
// vCPUs the plan needs: its highest APIC ID + 1.
uint32_t PlanVcpus(const Plan& plan);
// Checks that every range the host reserves lies in the RAM QEMU gives `memory_bytes`.
Result<void> CheckPlanFitsMemory(const Plan& plan, uint64_t memory_bytes);

struct HostRunResult {
  enum class Outcome {
    kCommandExited,  // exit_status is the command's
    kTimedOut,       // exit_status 124
    kSetupFailed,    // the host /init could not get to the command; exit_status 125
    kMachineDied,    // QEMU ended before the command finished; exit_status 125
  } outcome = Outcome::kMachineDied;
  int exit_status = 125;
  std::string message;                       // what happened, when it is not kCommandExited
  double seconds_total = 0;                  // QEMU start to QEMU exit (or kill)
  std::optional<double> seconds_to_command;  // QEMU start to the host's "command start"
  std::string work_dir;                      // set when the options asked to keep it
};

// Exit statuses mint-lab uses for itself.
inline constexpr int kLabTimedOut = 124;
inline constexpr int kLabFailed = 125;

// Prepares, boots, runs the command, waits for poweroff; writes logs when asked. An Error is a
// problem found before QEMU ran (plan, artifacts, QEMU missing).
Result<HostRunResult> RunHostCommand(const HostRunOptions& options);

}  // namespace mint
