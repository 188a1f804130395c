#include "host_run.h"

#include "devices.h"
#include "disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace mint {
namespace {

// Lines of console shown when a run fails.
constexpr size_t kContextLines = 25;
// Memory the lab machine gets unless asked otherwise.
constexpr uint64_t kDefaultMemory = uint64_t{2} << 30;

std::string FromEnv(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

// KEY=VALUE lines as scripts/setup writes them.
std::string ReadKernelEnv(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
  }
  return "";
}

bool Readable(const std::string& path) {
  return !path.empty() && access(path.c_str(), R_OK) == 0;
}

std::string NewMarker() {
  std::random_device random;
  std::ostringstream out;
  out << std::hex << random() << random();
  return out.str();
}

std::string SecondsText(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", seconds);
  return text;
}

}  // namespace

LabArtifacts DefaultLabArtifacts() {
  std::string kernel_env = std::string(MINT_LAB_CACHE_DIR) + "/kernel.env";
  std::string kernel = ReadKernelEnv(kernel_env, "MINT_KERNEL");
  return LabArtifacts{
      .host_kernel = FromEnv("MINT_LAB_HOST_KERNEL", kernel),
      .mint = FromEnv("MINT_LAB_MINT", MINT_LAB_MINT_PATH),
      .module = FromEnv("MINT_LAB_MODULE", MINT_LAB_MODULE_PATH),
      .busybox = FromEnv("MINT_LAB_BUSYBOX", MINT_LAB_BUSYBOX_PATH),
      .qemu = FromEnv("MINT_LAB_QEMU", "qemu-system-x86_64"),
      .node_kernel = kernel,
      .node_initrd = MINT_LAB_NODE_INITRD_PATH,
  };
}

void SetPlanEnvironmentDefaults(const LabArtifacts& artifacts) {
  if (!artifacts.node_kernel.empty()) setenv("MINT_KERNEL", artifacts.node_kernel.c_str(), 0);
  if (!artifacts.node_initrd.empty()) setenv("MINT_NODE_INITRD", artifacts.node_initrd.c_str(), 0);
  // The i386 node's images (examples/i386-node.toml): scripts/setup's kernel.env and this build.
  std::string i386_kernel =
      ReadKernelEnv(std::string(MINT_LAB_CACHE_DIR) + "/kernel.env", "MINT_I386_KERNEL");
  if (!i386_kernel.empty()) setenv("MINT_I386_KERNEL", i386_kernel.c_str(), 0);
  setenv("MINT_I386_NODE_INITRD", MINT_LAB_I386_NODE_INITRD_PATH, 0);
  // Debian kernels a plan names as "debian:RELEASE", each with its node module (`mint kernel`):
  // scripts/setup fetches the suite's into the build's cache and the build makes their modules.
  setenv("MINT_KERNEL_CACHE", MINT_LAB_CACHE_DIR, 0);
  // The node image with virtio drivers, for nodes with devices of their own (docs/devices.md).
  setenv("MINT_NODE_DEVICES_INITRD", MINT_LAB_NODE_DEVICES_INITRD_PATH, 0);
  // Diskless nodes (docs/diskless.md): the image with the NBD client, and the suite's root.
  setenv("MINT_NODE_DISKLESS_INITRD", MINT_LAB_NODE_DISKLESS_INITRD_PATH, 0);
  setenv("MINT_NODE_ROOT_BUSYBOX", MINT_LAB_NODE_ROOT_BUSYBOX_PATH, 0);
}

Result<std::vector<std::string>> PlanConsoles(const Plan& plan) {
  std::vector<std::string> consoles{"host"};
  for (const NodePlan& node : plan.nodes) {
    if (node.console == "shared") continue;
    int port = -1;
    if (node.console.size() == 5 && node.console.starts_with("ttyS") && node.console[4] >= '0' &&
        node.console[4] <= '9')
      port = node.console[4] - '0';
    if (port < 1 || port > 3)
      return Fail("node ", node.name, ": console '", node.console,
                  "' is not one the lab offers: ttyS0 is the host's, nodes use ttyS1..ttyS3 "
                  "(COM2..COM4) or \"shared\"");
    if (node.name == "host" || node.name == "qemu")
      return Fail("node ", node.name, ": the lab names its own consoles '", node.name,
                  "'; rename the node");
    if (consoles.size() <= static_cast<size_t>(port)) consoles.resize(port + 1);
    if (!consoles[port].empty())
      return Fail("node ", node.name, ": console ", node.console, " is already node ",
                  consoles[port], "'s");
    consoles[port] = node.name;
  }
  return consoles;
}

uint32_t PlanVcpus(const Plan& plan) {
  uint32_t highest = 0;
  for (uint32_t apic : plan.host.cpus) highest = std::max(highest, apic);
  for (const NodePlan& node : plan.nodes) {
    for (uint32_t apic : node.cpus) highest = std::max(highest, apic);
    for (uint32_t apic : node.receive_cpus) highest = std::max(highest, apic);
  }
  return highest + 1;
}

Result<void> CheckPlanFitsMemory(const Plan& plan, uint64_t memory_bytes) {
  std::vector<LabRamRange> ram = Q35RamLayout(memory_bytes);
  std::string ram_text;
  for (const LabRamRange& range : ram)
    ram_text += (ram_text.empty() ? "" : " and ") + FormatRange(PhysRange{range.start, range.end});
  auto check = [&](const PhysRange& range, const std::string& what) -> Result<void> {
    for (const LabRamRange& piece : ram) {
      if (range.start >= piece.start && range.end <= piece.end) return Ok{};
    }
    return Fail(what, " ", FormatRange(range), " is not inside the lab machine's RAM (", ram_text,
                " for ", std::to_string(memory_bytes >> 20),
                " MiB); give --mem large enough or move the range");
  };
  for (const PhysRange& range : plan.host.reserved)
    MINT_TRY_VOID(check(range, "host reserved range"));
  if (plan.host.store) MINT_TRY_VOID(check(*plan.host.store, "host store"));
  return Ok{};
}

HostRun::~HostRun() {
  if (!keep_ && !work_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(work_dir, ignored);
  }
}

namespace {

// This machine's TSC rate from /proc/cpuinfo's "cpu MHz", 0 when it is not there.
uint64_t LabMachineTscKhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("cpu MHz")) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) return 0;
    return static_cast<uint64_t>(std::strtod(line.c_str() + colon + 1, nullptr) * 1000);
  }
  return 0;
}

// Every file and symlink under `root` as a cpio archive with the same paths below its root,
// appended to the host's initramfs (the kernel unpacks concatenated archives in turn).
Result<std::vector<uint8_t>> TreeArchive(const std::string& root) {
  CpioArchive archive;
  auto added = AddTree(archive, root);
  if (!added)
    return Fail(added.error().message, " for the host's initramfs",
                root.find("/cache/") != std::string::npos
                    ? "; run scripts/setup (it fetches the programs the lab adds)"
                    : "");
  return archive.Serialize();
}

}  // namespace

Result<std::unique_ptr<HostRun>> PrepareHostRun(const HostRunOptions& options) {
  const LabArtifacts& artifacts = options.artifacts;
  if (artifacts.host_kernel.empty())
    return Fail("no host kernel: ", MINT_LAB_CACHE_DIR,
                "/kernel.env is missing; run scripts/setup (it unpacks Debian's kernel into the "
                "build cache), or set MINT_LAB_HOST_KERNEL");
  if (!Readable(artifacts.host_kernel))
    return Fail("cannot read the host kernel ", artifacts.host_kernel,
                "; run scripts/setup, or set MINT_LAB_HOST_KERNEL");
  if (options.with_mint && !Readable(artifacts.mint))
    return Fail("no mint CLI at ", artifacts.mint,
                ": build it with `cmake --build build --target mint`, or run with --no-mint");
  if (options.with_module && !Readable(artifacts.module))
    return Fail("no host module at ", artifacts.module,
                ": build it with `cmake --build build --target mint_host_ko`, or run with "
                "--no-module");

  std::unique_ptr<HostRun> run(new HostRun());
  run->keep_ = options.keep_work_dir;
  run->plan = MINT_TRY(LoadPlanFile(options.plan_path));
  for (const NodePlan& node : run->plan.nodes) {
    for (const std::string* image : {&node.kernel, &node.initrd, &node.node_module, &node.root}) {
      if (image->empty() || *image == "none" || Readable(*image)) continue;
      if (image == &node.root && image->find("://") != std::string::npos) continue;  // a URL
      std::string hint = *image == artifacts.node_initrd
                             ? "; build it with `cmake --build build --target node_initrd`"
                             : "";
      return Fail(options.plan_path, ": node ", node.name, ": cannot read ", *image, hint);
    }
  }

  uint32_t needed = PlanVcpus(run->plan);
  uint32_t vcpus = options.vcpus.value_or(needed);
  if (vcpus < needed)
    return Fail("--vcpus ", std::to_string(vcpus), " is too few: the plan uses APIC ID ",
                std::to_string(needed - 1), ", so the machine needs at least ",
                std::to_string(needed));
  uint64_t memory = options.memory_bytes.value_or(kDefaultMemory);
  MINT_TRY_VOID(CheckPlanFitsMemory(run->plan, memory));
  std::vector<std::string> consoles = MINT_TRY(PlanConsoles(run->plan));

  run->marker = NewMarker();
  HostInitramfsSpec spec{
      .busybox = artifacts.busybox,
      .mint = options.with_mint ? artifacts.mint : "",
      .module = options.with_module ? artifacts.module : "",
      .kernel_modules = {},
      .plan = run->plan,
      .command = options.command,
      .marker = run->marker,
  };
  // A plan with a [network] needs the host's bridge (docs/network.md), and `mint bench net`
  // a veth pair to compare with: Debian builds them as modules.
  if (run->plan.network) {
    std::string kver = ReadKernelEnv(std::string(MINT_LAB_CACHE_DIR) + "/kernel.env", "MINT_KVER");
    if (kver.empty())
      return Fail(MINT_LAB_CACHE_DIR, "/kernel.env names no MINT_KVER; run scripts/setup");
    for (const char* module :
         {"net/llc/llc.ko", "net/802/stp.ko", "net/bridge/bridge.ko", "drivers/net/veth.ko"})
      spec.kernel_modules.push_back(std::string(MINT_LAB_CACHE_DIR) + "/root/lib/modules/" + kver +
                                    "/kernel/" + module);
  }
  run->initramfs = MINT_TRY(BuildHostInitramfs(spec));
  std::vector<std::string> trees;
  if (!options.extra_tree.empty()) trees.push_back(options.extra_tree);
  // Diskless nodes' root server (docs/diskless.md): Debian's qemu-nbd and qemu-img with their
  // libraries, fetched by scripts/setup (scripts/closure).
  if (std::any_of(run->plan.nodes.begin(), run->plan.nodes.end(),
                  [](const NodePlan& node) { return !node.root.empty(); }))
    trees.push_back(std::string(MINT_LAB_CACHE_DIR) + "/qemu-nbd/root");
  for (const std::string& tree : trees) {
    std::vector<uint8_t> overlay = MINT_TRY(TreeArchive(tree));
    run->initramfs.cpio.insert(run->initramfs.cpio.end(), overlay.begin(), overlay.end());
  }

  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/mint-lab.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr)
    return Fail("cannot create a temporary folder like ", pattern, ": ", std::strerror(errno));
  run->work_dir = pattern;
  std::vector<std::string> disk_args;
  if (options.images_on_disk) {
    LabDisk disk =
        MINT_TRY(BuildImageDisk(run->plan, run->work_dir, options.command, MINT_LAB_CACHE_DIR));
    run->initramfs.cpio.insert(run->initramfs.cpio.end(), disk.cpio_overlay.begin(),
                               disk.cpio_overlay.end());
    run->initramfs.guest_plan = disk.guest_plan;
    disk_args = disk.qemu_args;
  }
  if (!options.scratch_disk.empty()) {
    if (!options.images_on_disk)
      return Fail("a scratch disk needs the image disk too (--disk): its virtio modules load it");
    struct stat st {};
    if (::stat(options.scratch_disk.c_str(), &st) != 0) {
      int fd = ::open(options.scratch_disk.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(options.scratch_size)) != 0) {
        int err = errno;
        if (fd >= 0) ::close(fd);
        return Fail("cannot create the scratch disk ", options.scratch_disk, ": ",
                    std::strerror(err));
      }
      ::close(fd);
    }
    disk_args.insert(disk_args.end(),
                     {"-drive", "file=" + options.scratch_disk + ",format=raw,if=virtio"});
  }
  // Devices of their own: a root port with a disk and a NIC per device-owning node.
  LabDevices devices =
      MINT_TRY(BuildLabDevices(run->plan, run->work_dir, options.machine == "microvm"));
  run->initramfs.cpio.insert(run->initramfs.cpio.end(), devices.cpio_overlay.begin(),
                             devices.cpio_overlay.end());
  disk_args.insert(disk_args.end(), devices.qemu_args.begin(), devices.qemu_args.end());
  std::string initrd_path = run->work_dir + "/host-initrd.cpio";
  MINT_TRY_VOID(WriteWholeFile(initrd_path, run->initramfs.cpio));

  std::string append =
      "console=ttyS0,115200 8250.nr_uarts=1 " + HostKernelArgs(run->plan.host) + " panic=-1";
  if (options.machine == "microvm") {
    // microvm has no HPET or PM timer, so the host calibrates its TSC against the PIT alone,
    // which fails on a busy lab machine (and the boot then stalls). Under TCG the guest's TSC
    // is this machine's, so its rate is known here.
    if (uint64_t khz = LabMachineTscKhz(); khz != 0)
      append += " tsc_early_khz=" + std::to_string(khz);
  }
  if (!options.extra_append.empty()) append += " " + options.extra_append;
  // microvm: a second IO-APIC (GSI 24 and up) wired to the virtio-mmio transports, no PCI,
  // and the ISA serial ports the fixture adds itself (isa-serial=off drops microvm's own COM1).
  std::string machine = options.machine == "microvm"
                            ? "microvm,ioapic2=on,isa-serial=off,acpi=on,pcie=on"
                            : options.machine;
  run->config = LabConfig{
      .qemu = artifacts.qemu,
      .machine = machine,
      .kernel = artifacts.host_kernel,
      .initrd = initrd_path,
      .append = append,
      .vcpus = vcpus,
      .memory_bytes = memory,
      .consoles = consoles,
      .extra_args = disk_args,
      .echo = options.echo,
      .work_dir = run->work_dir,
      .live_log_dir = options.log_dir,
  };
  return run;
}

Result<HostRunResult> RunHostCommand(const HostRunOptions& options) {
  auto run = MINT_TRY(PrepareHostRun(options));
  auto machine = MINT_TRY(LabMachine::Create(run->config));
  auto after = [](double seconds) {
    return LabClock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  };
  LabDeadline deadline = after(options.timeout_seconds);
  LabDeadline boot_deadline = options.boot_timeout_seconds > 0
                                  ? std::min(deadline, after(options.boot_timeout_seconds))
                                  : deadline;

  HostRunResult result;
  if (options.keep_work_dir) result.work_dir = run->work_dir;
  auto finish = [&](HostRunResult::Outcome outcome, int status, std::string message) {
    machine->Kill();
    result.outcome = outcome;
    result.exit_status = status;
    result.message = std::move(message);
    result.seconds_total = machine->SecondsSinceStart();
  };
  auto timed_out = [&](const std::string& waiting_for) {
    finish(HostRunResult::Outcome::kTimedOut, kLabTimedOut,
           "timed out after " + SecondsText(machine->SecondsSinceStart()) + " s waiting for " +
               waiting_for + "; QEMU was killed. Last console lines:\n" +
               machine->LastLines(kContextLines));
  };

  MINT_TRY_VOID(machine->Start(boot_deadline));
  std::optional<HostMarkerLine> last_marker;
  size_t next_line = 0;
  auto is_marker = [&](const ConsoleLine& line) {
    return ParseHostMarker(line.text, run->marker).has_value();
  };
  while (true) {
    LabWait wait = machine->WaitForLine(
        "host", is_marker, result.seconds_to_command ? deadline : boot_deadline, next_line);
    if (wait.kind == LabWait::Kind::kTimedOut) {
      timed_out(result.seconds_to_command
                    ? "COMMAND to finish (it started " + SecondsText(*result.seconds_to_command) +
                          " s into the run)"
                    : std::string("the host to boot and start COMMAND"));
      break;
    }
    if (wait.kind == LabWait::Kind::kExited) {
      finish(HostRunResult::Outcome::kMachineDied, kLabFailed,
             "QEMU exited (status " + std::to_string(machine->WaitForExit(deadline).value_or(-1)) +
                 ") before COMMAND finished. Last console lines:\n" +
                 machine->LastLines(kContextLines));
      break;
    }
    next_line = wait.index + 1;
    HostMarkerLine marker = *ParseHostMarker(wait.line.text, run->marker);
    if (marker.kind == HostMarkerLine::Kind::kCommandStart) {
      result.seconds_to_command = wait.line.seconds;
      continue;
    }
    if (marker.kind == HostMarkerLine::Kind::kSetupFailed) {
      finish(HostRunResult::Outcome::kSetupFailed, kLabFailed,
             "the host /init failed before COMMAND: " + marker.detail + ". Last console lines:\n" +
                 machine->LastLines(kContextLines));
      break;
    }
    // The command finished; the host powers off next.
    if (!machine->WaitForExit(deadline)) {
      timed_out("QEMU to exit after the host's poweroff (COMMAND had exited with " +
                std::to_string(marker.status) + ")");
      break;
    }
    finish(HostRunResult::Outcome::kCommandExited, marker.status, "");
    break;
  }

  if (!options.log_dir.empty()) {
    MINT_TRY_VOID(machine->WriteLogs(options.log_dir));
    std::string plan_text = SerializePlan(run->initramfs.guest_plan);
    MINT_TRY_VOID(WriteWholeFile(
        options.log_dir + "/plan.toml",
        std::span(reinterpret_cast<const uint8_t*>(plan_text.data()), plan_text.size())));
  }
  return result;
}

}  // namespace mint
