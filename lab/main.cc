// mint-lab: boots the host a plan describes under QEMU, runs one command in it, and exits with
// that command's status; `mint-lab bench peers` compares a Mint node's boot with a kexec reboot
// and a cold boot of the same kernel. See lab/README.md and docs/boot-time.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include "bench_peers.h"
#include "host_run.h"

namespace {

constexpr char kUsage[] =
    R"(usage: mint-lab run --plan FILE [--vcpus N] [--mem SIZE] [--timeout S] [--quiet] [OPTIONS] -- COMMAND...
       mint-lab bench peers [--rounds N] [--kernel K] [OPTIONS]   (mint-lab bench peers --help)
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

constexpr char kPeersUsage[] =
    R"(usage: mint-lab bench peers [--rounds N] [--kernel K] [--plan FILE] [--node NAME]
                             [--paths P,...] [--json FILE] [--svg FILE] [--log-dir DIR]
                             [--timeout S] [--phases] [--verbose]

Boots one kernel with one initramfs and one command-line tail by every path, in rounds whose
order turns by one each time, in QEMU TCG lab machines of one shape, and prints per path the
min / median / max time to the kernel's kernel_init (it ran /init) and to the userspace marker
(the node init's first line), the ratios of the medians to a kexec reboot and to a cold boot,
and what the host did before the start point. Paths (docs/boot-time.md):
  cold             a fresh QEMU machine, -kernel/-initrd      QEMU start -> marker
  kexec            a lab host: Debian's kexec -l, kexec -e    kexec -e -> marker
  kexec-s          the same, loaded with kexec -s (kexec_file_load)
  kexec-i          the same, loaded with kexec -i (no checks in purgatory)
  node-decompress  a Mint node through the decompressor       INIT -> marker
  node-direct      a Mint node entered at startup_64          INIT -> marker
  node-image       a Mint node resumed from a memory image    SIPI -> its userspace (host TSC)
  node-initcalls   node-direct with initcall_debug (only with --phases; not timed cleanly)
The cold and kexec kernels get the node's core count and memory size on their command line
(nr_cpus=, mem=) and the console a node has (earlyprintk on COM1, no 8250 driver).

  --rounds N       rounds (default 3); every path runs once per round
  --kernel K       the kernel every path boots (default: the node's, this build's Debian kernel)
  --plan FILE      the node host's plan (default: examples/store.toml of the source tree); its
                   node's initrd, cmdline, cores and memory are every path's
  --node NAME      the plan's node (default: its first)
  --paths P,...    only these paths (default: all)
  --json FILE      write the results as JSON ('-': stdout, after the table)
  --svg FILE       write a bar chart of the medians
  --log-dir DIR    keep every machine's consoles in DIR/roundN-MACHINE/
  --timeout S      bound on each lab machine's run in seconds (default 300)
  --phases         also boot node-initcalls and print where a node's time goes: start -> the
                   kernel's clock, -> kernel_init, -> userspace per node path, decompression,
                   and the initcalls over 1 ms with their sum (one more node boot per round)
  --verbose        print console lines live

Exit status: 0 when every path gave at least one sample; 1 when one gave none; 125 when the
lab itself failed; 2 on bad usage.
)";

constexpr int kUsageError = 2;

// The value after the flag argv[i] (i moves on to it), or an error naming the flag.
mint::Result<std::string> FlagValue(int argc, char** argv, int& i) {
  if (i + 1 >= argc) return mint::Fail(argv[i], " needs a value");
  return std::string(argv[++i]);
}

mint::Result<double> PositiveSeconds(std::string_view flag, const std::string& text) {
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(seconds > 0))
    return mint::Fail(std::string(flag), " '", text, "' is not a positive number of seconds");
  return seconds;
}

struct PeersArgs {
  mint::PeersOptions options;
  std::string json_path;
  std::string svg_path;
  bool help = false;
};

mint::Result<PeersArgs> ParsePeersArgs(int argc, char** argv) {
  PeersArgs parsed;
  mint::PeersOptions& options = parsed.options;
  for (int i = 3; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&] { return FlagValue(argc, argv, i); };
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return parsed;
    } else if (arg == "--rounds") {
      std::string text = MINT_TRY(value());
      char* end = nullptr;
      long rounds = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || rounds < 1 || rounds > 100)
        return mint::Fail("--rounds '", text, "' is not a count from 1 to 100");
      options.rounds = static_cast<int>(rounds);
    } else if (arg == "--kernel") {
      options.kernel = MINT_TRY(value());
    } else if (arg == "--plan") {
      options.plan_path = MINT_TRY(value());
    } else if (arg == "--node") {
      options.node = MINT_TRY(value());
    } else if (arg == "--paths") {
      std::string text = MINT_TRY(value());
      for (size_t pos = 0; pos <= text.size();) {
        size_t comma = std::min(text.find(',', pos), text.size());
        options.paths.push_back(text.substr(pos, comma - pos));
        pos = comma + 1;
      }
    } else if (arg == "--json") {
      parsed.json_path = MINT_TRY(value());
    } else if (arg == "--svg") {
      parsed.svg_path = MINT_TRY(value());
    } else if (arg == "--log-dir") {
      options.log_dir = MINT_TRY(value());
    } else if (arg == "--timeout") {
      std::string text = MINT_TRY(value());
      options.timeout_seconds = MINT_TRY(PositiveSeconds("--timeout", text));
    } else if (arg == "--phases") {
      options.phases = true;
    } else if (arg == "--verbose") {
      options.echo = true;
    } else {
      return mint::Fail("unknown option '", std::string(arg), "'");
    }
  }
  parsed.options = MINT_TRY(mint::CheckPeersOptions(std::move(parsed.options)));
  return parsed;
}

int BenchPeers(int argc, char** argv) {
  auto parsed = ParsePeersArgs(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "mint-lab bench peers: %s\n\n%s", parsed.error().message.c_str(),
                 kPeersUsage);
    return kUsageError;
  }
  if (parsed->help) {
    std::fputs(kPeersUsage, stdout);
    return 0;
  }
  auto result = mint::RunPeersBench(parsed->options);
  if (!result.ok()) {
    std::fprintf(stderr, "mint-lab bench peers: %s\n", result.error().message.c_str());
    return mint::kLabFailed;
  }
  std::fputs(mint::FormatBootComparison(*result).c_str(), stdout);
  std::fflush(stdout);
  auto write = [](const std::string& path, const std::string& text) {
    if (path == "-") {
      std::fputs(text.c_str(), stdout);
      return true;
    }
    std::ofstream file(path);
    file << text;
    file.close();
    if (!file) std::fprintf(stderr, "mint-lab bench peers: cannot write %s\n", path.c_str());
    return static_cast<bool>(file);
  };
  bool written = true;
  if (!parsed->json_path.empty())
    written = write(parsed->json_path, mint::BootComparisonJson(*result).dump(2) + "\n");
  if (!parsed->svg_path.empty())
    written =
        write(parsed->svg_path, mint::RenderTimelineSvg(mint::BootComparisonTimeline(*result))) &&
        written;
  if (!written) return mint::kLabFailed;
  bool every_path = std::all_of(result->paths.begin(), result->paths.end(),
                                [](const mint::BootPathResult& p) { return !p.user_s.empty(); });
  return every_path ? 0 : 1;
}

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
    return mint::Fail("expected `run`, `bench peers` or `--help` as the first argument");
  int i = 2;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    auto value = [&] { return FlagValue(argc, argv, i); };
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
      options.timeout_seconds = MINT_TRY(PositiveSeconds("--timeout", text));
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
  if (argc >= 2 && std::string_view(argv[1]) == "bench") {
    if (argc >= 3 && std::string_view(argv[2]) == "peers") return BenchPeers(argc, argv);
    std::fprintf(stderr, "mint-lab: `bench` has one benchmark, `peers`%s%s%s\n\n%s",
                 argc >= 3 ? " (not '" : "", argc >= 3 ? argv[2] : "", argc >= 3 ? "')" : "",
                 kUsage);
    return kUsageError;
  }
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
