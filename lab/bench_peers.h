// mint-lab bench peers: one Debian kernel, one node initramfs and one command-line tail, booted
// by every path a user could choose, in alternating rounds on the same lab machine:
//   cold             a fresh QEMU machine with -kernel/-initrd (QEMU start -> marker)
//   kexec            a lab host, Debian's `kexec -l` then `kexec -e` (kexec -e -> marker)
//   kexec-s, kexec-i the same with `kexec -s` (kexec_file_load) and `kexec -i` (no checks)
//   node-decompress  a Mint node through the bzImage's decompressor (INIT -> marker)
//   node-direct      a Mint node entered at startup_64 (INIT -> marker)
//   node-image       a Mint node resumed from a memory image (SIPI -> its userspace is back)
// Every path gets the node's core count and memory size, and the same tail. Times come from
// the lab's one clock where it reads the consoles (docs/boot-time.md says what each point is).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "boot_compare.h"
#include "host_run.h"
#include "machine.h"
#include "result.h"

namespace mint {

struct PeersOptions {
  std::string plan_path;  // the node host's plan; empty: examples/store.toml of this source tree
  std::string node;       // the plan's node to boot; empty: its first
  std::string kernel;     // the kernel every path boots; empty: the node's (the build's 6.1)
  int rounds = 3;
  std::vector<std::string> paths;  // empty: all of PeerPathNames()
  double timeout_seconds = 300;    // bounds each lab machine's run
  bool echo = false;               // print console lines live
  std::string log_dir;             // when set: each machine's consoles, in a folder per run
  std::string kexec_root;          // Debian's kexec and its libraries (scripts/closure)
  bool phases = false;             // add the node-initcalls path (kInitcallsPath)
  LabArtifacts artifacts = DefaultLabArtifacts();
};

// One Mint path's run in the node host, read from its consoles: the host's command prints
// "mint-peers: path NAME" before it and "mint-peers: json ..." (mint boot --json) after it;
// mint.ko's "mint: node NODE started on APIC ID" line is the start, the node console's marker
// and kernel_init lines the end points. Seconds; nothing where a line was missing.
struct NodePathRun {
  std::string path;
  std::optional<double> start_s;        // on the lab's clock
  std::optional<double> kernel_init_s;  // from start_s
  std::optional<double> user_s;         // from start_s (an image's: the host's TSC, from SIPI)
  std::optional<double> host_s;         // the host side before the start, from mint's JSON
  std::string failure;                  // the command's "mint-peers: failed: ..." text
  std::optional<double> clock_s;        // from start_s to the kernel's clock's 0 (KernelClockZero)
  std::vector<std::string> node_lines;  // the node's console from start_s on
};
std::vector<NodePathRun> ReadNodePathRuns(const std::vector<ConsoleLine>& lines,
                                          const std::string& node);

// Every path, in the order the table lists them.
const std::vector<std::string>& PeerPathNames();
// The path --phases adds: node-direct with kInitcallDebugArgs on the node's command line, in a
// boot of its own so that the printing does not slow the other paths' (0.7-1.5 s more under
// TCG), for the initcalls' times. Not among the default paths.
inline constexpr char kInitcallsPath[] = "node-initcalls";
// Fills in the defaults and checks every value, naming a bad one.
Result<PeersOptions> CheckPeersOptions(PeersOptions options);

// Runs options.rounds rounds; in each, every machine (the cold one, one lab host per kexec
// variant, one node host for the Mint paths) runs once, the order turned by one each round. A
// path that fails in a round is reported as such and the bench goes on; an Error is a problem
// found before anything ran, or a lab machine that could not be started.
Result<BootComparison> RunPeersBench(const PeersOptions& options);

}  // namespace mint
