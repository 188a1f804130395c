// One kernel booted by several paths (a cold machine, a kexec reboot, a Mint node) and compared:
// the console lines the comparison reads its end points from, and the report (text table, JSON,
// and a timeline picture). Pure: `mint-lab bench peers` (lab/bench_peers.h) runs the machines and
// fills a BootComparison; docs/boot-time.md describes the method.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats.h"
#include "timeline.h"

namespace mint {

// The node initramfs's /init (guest/node/init) prints these through /dev/kmsg, so they reach
// whichever console the kernel has: the first is the userspace marker every path is timed to;
// the second gives the kernel's own stamp of its "Run /init as init process" record, which
// "quiet" keeps off the console.
inline constexpr std::string_view kUserspaceMarker = "mint-node: init on ";
inline constexpr std::string_view kKernelInitLine = "mint-node: kernel_init at ";

// The printk stamp a console line starts with ("[    2.345678] text" -> 2.345678 s).
std::optional<double> KernelLogStamp(std::string_view line);
// The stamp a kernel_init line carries ("... mint-node: kernel_init at 2.210000 s" -> 2.21).
std::optional<double> KernelInitStamp(std::string_view line);
// When the kernel reached the end of kernel_init (it ran /init) on the clock that saw the marker
// line arrive at `marker_seconds`: that time less the gap between the two records on the
// kernel's own clock. Nothing when either line lacks its stamp or the gap is negative.
std::optional<double> KernelInitOnReaderClock(double marker_seconds, std::string_view marker_line,
                                              std::string_view kernel_init_line);

// What a phases round adds to the node's command line: the kernel then prints
// "initcall NAME+0x0/0x40 returned 0 after N usecs" for each initcall, at KERN_DEBUG, which the
// node's "quiet" would keep off the console without the loglevel (the later option wins).
inline constexpr std::string_view kInitcallDebugArgs = "initcall_debug loglevel=8";

// One initcall as initcall_debug reports it.
struct Initcall {
  std::string name;  // the function, without its "+0x0/0x40" offset
  double ms = 0;
};
// The initcall of a console line ("[    0.5] initcall pci_init+0x0/0x40 returned 0 after 1234
// usecs" -> pci_init, 1.234 ms); nothing for any other line.
std::optional<Initcall> ParseInitcallLine(std::string_view line);
// Every initcall on one boot's console, in order.
std::vector<Initcall> ReadInitcalls(const std::vector<std::string>& lines);

// Where on the reader's clock the kernel's own clock read 0 (its printk stamps count from the
// TSC's calibration in setup_arch, tsc_early_init): the earliest arrival less the stamp over the
// lines stamped after 0, since a line arrives after it is printed. Each entry: a line's arrival
// (s) and its text. Nothing when no line has such a stamp.
std::optional<double> KernelClockZero(const std::vector<std::pair<double, std::string>>& lines);

// One path's samples, one per round it ran, in seconds from its start point.
struct BootPathResult {
  std::string name;   // "cold", "kexec", "kexec-s", "kexec-i", "node-decompress", ...
  std::string start;  // what its clock starts at: "QEMU start", "kexec -e", "INIT", ...
  std::string clock;  // where the times come from ("lab consoles", "host TSC")
  std::vector<double> kernel_init_s;  // start -> the kernel ran /init
  std::vector<double> user_s;         // start -> the userspace marker
  std::vector<double> host_s;         // what the host did before the start point
  std::string host_what;              // what host_s covers
  std::vector<std::string> failures;  // rounds in which the path did not work, and why
  std::vector<double> clock_s;        // start -> the kernel's clock starts (KernelClockZero)
  std::vector<Initcall> initcalls;    // with initcall_debug: its last round's initcalls
};

struct BootComparison {
  std::string kernel;  // the kernel image every path booted
  std::string initrd;  // the same initramfs
  std::string tail;    // the same command-line tail
  uint32_t cores = 1;
  uint64_t memory_bytes = 0;
  int rounds = 0;
  std::vector<BootPathResult> paths;
  std::vector<std::string> notes;    // printed under the table
  double initcall_threshold_ms = 1;  // initcalls listed by name: those that took this or more
  size_t top_initcalls = 15;         // and at most this many, the longest first
  // The path named `name`, or null.
  const BootPathResult* Find(std::string_view name) const;
};

// Median userspace (or kernel_init) time of `path` over that of `reference`; nothing when
// either has no sample.
std::optional<double> RatioTo(const BootPathResult& path, const BootPathResult* reference,
                              bool kernel_init);

// The table: per path min/median/max to kernel_init and to the marker, the ratios of the
// medians to "kexec" and to "cold", and the host side's median.
std::string FormatBootComparison(const BootComparison& comparison);
nlohmann::json BootComparisonJson(const BootComparison& comparison);
// Where a node's boot time goes, from the medians of each path that has its kernel clock's start:
// INIT -> the kernel's clock starts (decompression, startup_64, early setup_arch up to the TSC's
// calibration), -> kernel_init (the kernel's initcalls), -> the userspace marker; decompression
// as node-decompress less node-direct; and the initcalls of a path that has them (initcall_debug),
// the longest over the threshold by name, with their sum and the sum of all.
struct PathPhases {
  std::string path;
  std::optional<double> early_s, kernel_s, userspace_s;
};
struct InitcallSummary {
  std::string path;
  size_t count = 0;
  double sum_ms = 0;
  size_t over = 0;  // of the threshold or more
  double over_sum_ms = 0;
  std::vector<Initcall> top;  // the longest of those, at most top_initcalls
  double top_sum_ms = 0;
};
struct NodePhases {
  std::vector<PathPhases> paths;
  std::optional<double> decompression_s;
  std::optional<InitcallSummary> initcalls;
};
NodePhases NodePhasesOf(const BootComparison& comparison);

// One lane per path: host side (median), then start -> kernel_init and kernel_init ->
// userspace (medians).
Timeline BootComparisonTimeline(const BootComparison& comparison);

}  // namespace mint
