// mint-lab: boots the host a plan describes under QEMU, runs one command in it, and exits with
// that command's status. See lab/README.md.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "host_run.h"

namespace {

constexpr char kUsage[] =
    R"(usage: mint-lab run --plan FILE [--vcpus N] [--mem SIZE] [--timeout S] [--quiet] [OPTIONS] -- COMMAND...
       mint-lab --help

Boots the host the plan describes in a QEMU TCG machine (q35, -cpu max), with mint, mint.ko,
the plan and every image it names in the host's initramfs, runs COMMAND there with `sh -c`
(words joined by spaces) and $MINT_PLAN set to the host's copy of the plan, and exits with
COMMAND's status. Console lines are printed as they arrive: "[host] ..." for COM1, "[NAME] ..."
for a node whose console is ttyS1..ttyS3 (COM2..COM4), "[qemu] ..." for QEMU itself.

  --disk            put the plan's images on a virtio disk (ext4 at /mint/disk in the host)
                    instead of the initramfs, so reading them is real block I/O
  --scratch FILE    attach FILE raw as a second virtio disk, /dev/vdb in the host (with
                    --disk; created empty, 256 MiB, if missing); it outlives the run, so one
                    run can leave a file (a memory image) for a later one
  --plan FILE       the plan; kernel/initrd paths may use ${MINT_KERNEL} and ${MINT_NODE_INITRD},
                    which default to this build's Debian kernel and node initramfs, and
                    ${MINT_I386_KERNEL}, ${MINT_I386_NODE_INITRD} (the i386 node's)
  --vcpus N         vCPUs (default: the plan's highest APIC ID + 1)
  --mem SIZE        memory, e.g. 2G or 3072M (default 2G); must hold the plan's reserved ranges
  --timeout S       bound on the whole run in seconds (default 180); when it passes, QEMU is
                    killed and mint-lab exits 124 naming what it was waiting for
  --quiet           do not print console lines (failures still show the last ones)
  --log-dir DIR     write every console's full text to DIR (host.log, NAME.log, qemu.log),
                    plus qemu-cmdline.txt and the host's plan.toml
  --no-module       leave mint.ko out (for use before the host module is built)
  --no-mint         leave the mint CLI out (for use before it is built)
  --append ARGS     more host kernel command-line arguments
  --machine M       q35 (default) or microvm (QEMU's microvm with a second IO-APIC, ioapic2=on,
                    whose pins carry the virtio-mmio transports; no PCI)
  --keep            keep the work folder (host initramfs, sockets) and print its path
  --host-kernel P, --mint P, --module P, --busybox P, --qemu P
                    artifact paths (defaults: this build tree; environment MINT_LAB_HOST_KERNEL,
                    MINT_LAB_MINT, MINT_LAB_MODULE, MINT_LAB_BUSYBOX, MINT_LAB_QEMU)

Exit status: COMMAND's; 124 on timeout; 125 when the lab itself failed; 2 on bad usage.
)";

constexpr int kUsageError = 2;

struct Parsed {
  mint::HostRunOptions options;
  bool help = false;
};

mint::Result<Parsed> ParseArgs(int argc, char** argv) {
  Parsed parsed;
  mint::HostRunOptions& options = parsed.options;
  if (argc >= 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    parsed.help = true;
    return parsed;
  }
  if (argc < 2 || std::string_view(argv[1]) != "run")
    return mint::Fail("expected `run` or `--help` as the first argument");
  int i = 2;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    auto value = [&]() -> mint::Result<std::string> {
      if (i + 1 >= argc) return mint::Fail(std::string(arg), " needs a value");
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return parsed;
    } else if (arg == "--plan") {
      options.plan_path = MINT_TRY(value());
    } else if (arg == "--vcpus") {
      std::string text = MINT_TRY(value());
      char* end = nullptr;
      unsigned long count = std::strtoul(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || count == 0 || count > 255)
        return mint::Fail("--vcpus '", text, "' is not a count from 1 to 255");
      options.vcpus = static_cast<uint32_t>(count);
    } else if (arg == "--mem") {
      std::string text = MINT_TRY(value());
      auto size = mint::ParseSize(text);
      if (!size.ok()) return mint::Fail("--mem: ", size.error().message);
      options.memory_bytes = *size;
    } else if (arg == "--timeout") {
      std::string text = MINT_TRY(value());
      char* end = nullptr;
      double seconds = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(seconds > 0))
        return mint::Fail("--timeout '", text, "' is not a positive number of seconds");
      options.timeout_seconds = seconds;
    } else if (arg == "--quiet") {
      options.echo = false;
    } else if (arg == "--log-dir") {
      options.log_dir = MINT_TRY(value());
    } else if (arg == "--no-module") {
      options.with_module = false;
    } else if (arg == "--disk") {
      options.images_on_disk = true;
    } else if (arg == "--scratch") {
      options.scratch_disk = MINT_TRY(value());
    } else if (arg == "--no-mint") {
      options.with_mint = false;
    } else if (arg == "--append") {
      options.extra_append = MINT_TRY(value());
    } else if (arg == "--machine") {
      options.machine = MINT_TRY(value());
      if (options.machine != "q35" && options.machine != "microvm")
        return mint::Fail("--machine '", options.machine, "' is not q35 or microvm");
    } else if (arg == "--keep") {
      options.keep_work_dir = true;
    } else if (arg == "--host-kernel") {
      options.artifacts.host_kernel = MINT_TRY(value());
    } else if (arg == "--mint") {
      options.artifacts.mint = MINT_TRY(value());
    } else if (arg == "--module") {
      options.artifacts.module = MINT_TRY(value());
    } else if (arg == "--busybox") {
      options.artifacts.busybox = MINT_TRY(value());
    } else if (arg == "--qemu") {
      options.artifacts.qemu = MINT_TRY(value());
    } else {
      return mint::Fail("unknown option '", std::string(arg), "'");
    }
  }
  for (; i < argc; ++i)
    options.command += (options.command.empty() ? "" : " ") + std::string(argv[i]);
  if (options.plan_path.empty()) return mint::Fail("--plan FILE is required");
  if (options.command.empty()) return mint::Fail("no COMMAND after --");
  return parsed;
}

int Main(int argc, char** argv) {
  auto wall_start = std::chrono::steady_clock::now();
  auto parsed = ParseArgs(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "mint-lab: %s\n\n%s", parsed.error().message.c_str(), kUsage);
    return kUsageError;
  }
  if (parsed->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  mint::HostRunOptions& options = parsed->options;
  mint::SetPlanEnvironmentDefaults(options.artifacts);
  auto result = mint::RunHostCommand(options);
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!result.ok()) {
    std::fprintf(stderr, "mint-lab: %s\n", result.error().message.c_str());
    return mint::kLabFailed;
  }
  if (!result->work_dir.empty())
    std::fprintf(stderr, "mint-lab: work folder kept: %s\n", result->work_dir.c_str());
  if (!result->message.empty()) std::fprintf(stderr, "mint-lab: %s", result->message.c_str());
  std::string to_command = "the host never reached COMMAND";
  if (result->seconds_to_command) {
    char text[64];
    std::snprintf(text, sizeof(text), "host booted to COMMAND in %.2f s",
                  *result->seconds_to_command);
    to_command = text;
  }
  const char* what = result->outcome == mint::HostRunResult::Outcome::kCommandExited
                         ? "COMMAND exited with"
                         : "lab run failed, exit";
  std::fprintf(stderr, "mint-lab: %s %d; %s; QEMU ran %.2f s; whole run %.2f s\n", what,
               result->exit_status, to_command.c_str(), result->seconds_total, wall);
  return result->exit_status;
}
}  // namespace

int main(int argc, char** argv) {
  // libmint reports failures as Results; only the standard library (allocation) can throw.
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "mint-lab: %s\n", error.what());
    return mint::kLabFailed;
  }
}
