#include "boot_compare.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace mint {
namespace {

// A decimal number at the start of `text` (digits and one point), and how many characters it
// took; nothing when there is none.
std::optional<double> LeadingNumber(std::string_view text) {
  size_t end = 0;
  bool point = false;
  while (end < text.size() &&
         ((text[end] >= '0' && text[end] <= '9') || (text[end] == '.' && !point))) {
    point = point || text[end] == '.';
    ++end;
  }
  if (end == 0 || text.substr(0, end) == ".") return std::nullopt;
  double value = 0;
  auto [ptr, error] = std::from_chars(text.data(), text.data() + end, value);
  if (error != std::errc() || ptr != text.data() + end) return std::nullopt;
  return value;
}

std::string Seconds(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", value);
  return text;
}

// "min / median / max" in seconds, or "-" for a path without samples.
std::string SpreadText(const std::vector<double>& values) {
  if (values.empty()) return "-";
  Spread spread = SpreadOf(values);
  return Seconds(spread.min) + " / " + Seconds(spread.median) + " / " + Seconds(spread.max);
}

std::string RatioText(std::optional<double> ratio) {
  if (!ratio) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fx", *ratio);
  return text;
}

nlohmann::json SpreadJson(const std::vector<double>& values) {
  if (values.empty()) return nullptr;
  Spread spread = SpreadOf(values);
  return {{"min", spread.min}, {"median", spread.median}, {"max", spread.max}, {"samples", values}};
}

nlohmann::json RatioJson(std::optional<double> ratio) {
  return ratio ? nlohmann::json(*ratio) : nlohmann::json(nullptr);
}

std::string OptionalSeconds(std::optional<double> value) {
  return value ? Seconds(*value) : "-";
}

std::string FormatNodePhases(const BootComparison& c);
nlohmann::json NodePhasesJson(const BootComparison& c);

}  // namespace

std::optional<double> KernelLogStamp(std::string_view line) {
  if (!line.starts_with("[")) return std::nullopt;
  size_t close = line.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view inside = line.substr(1, close - 1);
  while (!inside.empty() && inside.front() == ' ') inside.remove_prefix(1);
  // The whole stamp must be the number: LeadingNumber stops at a second point.
  if (inside.find_first_not_of("0123456789.") != std::string_view::npos ||
      std::count(inside.begin(), inside.end(), '.') > 1)
    return std::nullopt;
  return LeadingNumber(inside);
}

std::optional<double> KernelInitStamp(std::string_view line) {
  size_t at = line.find(kKernelInitLine);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + kKernelInitLine.size());
  auto value = LeadingNumber(rest);
  if (!value || rest.find(" s") == std::string_view::npos) return std::nullopt;
  return value;
}

std::optional<double> KernelInitOnReaderClock(double marker_seconds, std::string_view marker_line,
                                              std::string_view kernel_init_line) {
  auto marker = KernelLogStamp(marker_line);
  auto init = KernelInitStamp(kernel_init_line);
  if (!marker || !init || *init > *marker) return std::nullopt;
  return marker_seconds - (*marker - *init);
}

std::optional<Initcall> ParseInitcallLine(std::string_view line) {
  constexpr std::string_view kInitcall = "initcall ";
  constexpr std::string_view kReturned = " returned ";
  constexpr std::string_view kAfter = " after ";
  // After the stamp, or at the start of a line without one.
  size_t at = line.starts_with("[") ? line.find("] ") : std::string_view::npos;
  std::string_view rest = at == std::string_view::npos ? line : line.substr(at + 2);
  if (!rest.starts_with(kInitcall)) return std::nullopt;
  rest.remove_prefix(kInitcall.size());
  size_t returned = rest.find(kReturned);
  if (returned == std::string_view::npos || returned == 0) return std::nullopt;
  std::string_view name = rest.substr(0, returned);
  name = name.substr(0, name.find('+'));  // "pci_init+0x0/0x40" and "f+0x0/0x9 [mod]"
  if (name.empty() || name.find(' ') != std::string_view::npos) return std::nullopt;
  rest.remove_prefix(returned + kReturned.size());
  size_t after = rest.find(kAfter);
  if (after == std::string_view::npos) return std::nullopt;
  rest.remove_prefix(after + kAfter.size());
  auto usecs = LeadingNumber(rest);
  if (!usecs || !rest.substr(rest.find_first_not_of("0123456789.")).starts_with(" usecs"))
    return std::nullopt;
  return Initcall{std::string(name), *usecs / 1000};
}

std::vector<Initcall> ReadInitcalls(const std::vector<std::string>& lines) {
  std::vector<Initcall> calls;
  for (const std::string& line : lines)
    if (auto call = ParseInitcallLine(line)) calls.push_back(std::move(*call));
  return calls;
}

std::optional<double> KernelClockZero(const std::vector<std::pair<double, std::string>>& lines) {
  std::optional<double> zero;
  for (const auto& [arrival, text] : lines) {
    auto stamp = KernelLogStamp(text);
    // A line stamped 0 was printed before the clock started, at a time its stamp does not say.
    if (!stamp || *stamp <= 0) continue;
    if (!zero || arrival - *stamp < *zero) zero = arrival - *stamp;
  }
  return zero;
}

const BootPathResult* BootComparison::Find(std::string_view name) const {
  for (const BootPathResult& path : paths)
    if (path.name == name) return &path;
  return nullptr;
}

std::optional<double> RatioTo(const BootPathResult& path, const BootPathResult* reference,
                              bool kernel_init) {
  if (reference == nullptr) return std::nullopt;
  const std::vector<double>& mine = kernel_init ? path.kernel_init_s : path.user_s;
  const std::vector<double>& theirs = kernel_init ? reference->kernel_init_s : reference->user_s;
  if (mine.empty() || theirs.empty() || Median(theirs) <= 0) return std::nullopt;
  return Median(mine) / Median(theirs);
}

std::string FormatBootComparison(const BootComparison& c) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line),
                "boot paths compared: %s, initramfs %s, tail \"%s\", %u core(s), %llu MiB; %d "
                "round(s), paths alternating\n",
                c.kernel.c_str(), c.initrd.c_str(), c.tail.c_str(), c.cores,
                static_cast<unsigned long long>(c.memory_bytes >> 20), c.rounds);
  out += line;
  std::snprintf(line, sizeof(line), "  %-16s %-11s %-27s %-27s %-13s %-13s %s\n", "PATH", "FROM",
                "-> kernel_init s min/med/max", "-> userspace s min/med/max", "x kexec k/u",
                "x cold k/u", "host side before FROM, s (median)");
  out += line;
  const BootPathResult* kexec = c.Find("kexec");
  const BootPathResult* cold = c.Find("cold");
  for (const BootPathResult& path : c.paths) {
    std::string to_kexec =
        RatioText(RatioTo(path, kexec, true)) + "/" + RatioText(RatioTo(path, kexec, false));
    std::string to_cold =
        RatioText(RatioTo(path, cold, true)) + "/" + RatioText(RatioTo(path, cold, false));
    std::string host =
        path.host_s.empty() ? "-" : Seconds(Median(path.host_s)) + " " + path.host_what;
    std::snprintf(line, sizeof(line), "  %-16s %-11s %-27s %-27s %-13s %-13s %s\n",
                  path.name.c_str(), path.start.c_str(), SpreadText(path.kernel_init_s).c_str(),
                  SpreadText(path.user_s).c_str(), to_kexec.c_str(), to_cold.c_str(), host.c_str());
    out += line;
  }
  for (const BootPathResult& path : c.paths) {
    for (const std::string& failure : path.failures)
      out += "  " + path.name + " did not work: " + failure + "\n";
  }
  for (const std::string& note : c.notes) out += "  " + note + "\n";
  out += FormatNodePhases(c);
  return out;
}

nlohmann::json BootComparisonJson(const BootComparison& c) {
  nlohmann::json paths = nlohmann::json::array();
  const BootPathResult* kexec = c.Find("kexec");
  const BootPathResult* cold = c.Find("cold");
  for (const BootPathResult& path : c.paths) {
    paths.push_back({{"name", path.name},
                     {"from", path.start},
                     {"clock", path.clock},
                     {"kernel_init_s", SpreadJson(path.kernel_init_s)},
                     {"userspace_s", SpreadJson(path.user_s)},
                     {"host_s", SpreadJson(path.host_s)},
                     {"host_what", path.host_what},
                     {"kernel_init_over_kexec", RatioJson(RatioTo(path, kexec, true))},
                     {"userspace_over_kexec", RatioJson(RatioTo(path, kexec, false))},
                     {"kernel_init_over_cold", RatioJson(RatioTo(path, cold, true))},
                     {"userspace_over_cold", RatioJson(RatioTo(path, cold, false))},
                     {"failures", path.failures},
                     {"start_to_kernel_clock_s", SpreadJson(path.clock_s)}});
  }
  return {{"benchmark", "peers"}, {"kernel", c.kernel},
          {"initrd", c.initrd},   {"tail", c.tail},
          {"cores", c.cores},     {"memory_bytes", c.memory_bytes},
          {"rounds", c.rounds},   {"paths", paths},
          {"notes", c.notes},     {"where_the_time_goes", NodePhasesJson(c)}};
}

NodePhases NodePhasesOf(const BootComparison& c) {
  NodePhases phases;
  auto median = [](const std::vector<double>& values) {
    return values.empty() ? std::nullopt : std::optional<double>(Median(values));
  };
  for (const BootPathResult& path : c.paths) {
    auto early = median(path.clock_s);
    if (!early) continue;
    auto init = median(path.kernel_init_s);
    auto user = median(path.user_s);
    PathPhases row{path.name, early, std::nullopt, std::nullopt};
    if (init) row.kernel_s = *init - *early;
    if (init && user) row.userspace_s = *user - *init;
    phases.paths.push_back(row);
  }
  const BootPathResult* decompress = c.Find("node-decompress");
  const BootPathResult* direct = c.Find("node-direct");
  if (decompress && direct && !decompress->clock_s.empty() && !direct->clock_s.empty())
    phases.decompression_s = Median(decompress->clock_s) - Median(direct->clock_s);
  for (const BootPathResult& path : c.paths) {
    if (path.initcalls.empty()) continue;
    InitcallSummary summary{path.name, path.initcalls.size(), 0, 0, 0, {}, 0};
    for (const Initcall& call : path.initcalls) {
      summary.sum_ms += call.ms;
      if (call.ms < c.initcall_threshold_ms) continue;
      summary.top.push_back(call);
      ++summary.over;
      summary.over_sum_ms += call.ms;
    }
    std::stable_sort(summary.top.begin(), summary.top.end(),
                     [](const Initcall& a, const Initcall& b) { return a.ms > b.ms; });
    if (summary.top.size() > c.top_initcalls) summary.top.resize(c.top_initcalls);
    for (const Initcall& call : summary.top) summary.top_sum_ms += call.ms;
    phases.initcalls = std::move(summary);
    break;
  }
  return phases;
}

namespace {

std::string FormatNodePhases(const BootComparison& c) {
  NodePhases phases = NodePhasesOf(c);
  if (phases.paths.empty() && !phases.initcalls) return "";
  std::string out = "where a node's boot time goes (medians, s):\n";
  char line[512];
  std::snprintf(line, sizeof(line), "  %-16s %-24s %-24s %s\n", "PATH", "start -> kernel clock",
                "kernel clock -> /init", "/init -> userspace");
  out += line;
  for (const PathPhases& row : phases.paths) {
    std::snprintf(line, sizeof(line), "  %-16s %-24s %-24s %s\n", row.path.c_str(),
                  OptionalSeconds(row.early_s).c_str(), OptionalSeconds(row.kernel_s).c_str(),
                  OptionalSeconds(row.userspace_s).c_str());
    out += line;
  }
  if (phases.decompression_s)
    out += "  decompression (node-decompress less node-direct, start -> kernel clock): " +
           Seconds(*phases.decompression_s) + "\n";
  if (const auto& calls = phases.initcalls) {
    std::snprintf(line, sizeof(line),
                  "  initcalls of %s (initcall_debug on): %zu, %.1f ms in all; %zu of %.1f ms or "
                  "more, %.1f ms; the longest %zu, %.1f ms:\n",
                  calls->path.c_str(), calls->count, calls->sum_ms, calls->over,
                  c.initcall_threshold_ms, calls->over_sum_ms, calls->top.size(),
                  calls->top_sum_ms);
    out += line;
    for (const Initcall& call : calls->top) {
      std::snprintf(line, sizeof(line), "    %-40s %8.1f ms\n", call.name.c_str(), call.ms);
      out += line;
    }
  }
  return out;
}

nlohmann::json NodePhasesJson(const BootComparison& c) {
  NodePhases phases = NodePhasesOf(c);
  auto optional = [](std::optional<double> v) { return v ? nlohmann::json(*v) : nullptr; };
  nlohmann::json paths = nlohmann::json::array();
  for (const PathPhases& row : phases.paths)
    paths.push_back({{"name", row.path},
                     {"start_to_kernel_clock_s", optional(row.early_s)},
                     {"kernel_clock_to_kernel_init_s", optional(row.kernel_s)},
                     {"kernel_init_to_userspace_s", optional(row.userspace_s)}});
  nlohmann::json initcalls = nullptr;
  if (const auto& calls = phases.initcalls) {
    nlohmann::json top = nlohmann::json::array();
    for (const Initcall& call : calls->top) top.push_back({{"name", call.name}, {"ms", call.ms}});
    initcalls = {{"path", calls->path},
                 {"count", calls->count},
                 {"sum_ms", calls->sum_ms},
                 {"threshold_ms", c.initcall_threshold_ms},
                 {"over_threshold", calls->over},
                 {"over_threshold_sum_ms", calls->over_sum_ms},
                 {"top", top},
                 {"top_sum_ms", calls->top_sum_ms}};
  }
  return {{"paths", paths},
          {"decompression_s", optional(phases.decompression_s)},
          {"initcalls", initcalls}};
}

}  // namespace

Timeline BootComparisonTimeline(const BootComparison& c) {
  Timeline timeline{
      "One kernel, booted by each path (medians of " + std::to_string(c.rounds) + " round(s))",
      {},
      {{"host", "host side before the start point"},
       {"boot", "start -> kernel_init (ran /init)"},
       {"ready", "kernel_init -> userspace marker"}}};
  for (const BootPathResult& path : c.paths) {
    TimelineLane lane{path.name, {}};
    double host = path.host_s.empty() ? 0 : Median(path.host_s) * 1000;
    if (host > 0) lane.phases.push_back({"host", 0, host});
    double user = path.user_s.empty() ? 0 : Median(path.user_s) * 1000;
    double init = path.kernel_init_s.empty() ? user : Median(path.kernel_init_s) * 1000;
    if (init > 0) lane.phases.push_back({"boot", host, host + init});
    if (user > init) lane.phases.push_back({"ready", host + init, host + user});
    timeline.lanes.push_back(std::move(lane));
  }
  return timeline;
}

}  // namespace mint
