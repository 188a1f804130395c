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
                     {"failures", path.failures}});
  }
  return {{"benchmark", "peers"}, {"kernel", c.kernel}, {"initrd", c.initrd},
          {"tail", c.tail},       {"cores", c.cores},   {"memory_bytes", c.memory_bytes},
          {"rounds", c.rounds},   {"paths", paths},     {"notes", c.notes}};
}

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
