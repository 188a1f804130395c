// What the benchmarks (cli/bench*.cc) share: statistics, the PLAN [NODE] arguments, and where
// their JSON goes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "plan.h"
#include "result.h"

namespace mint::cli {

double Median(std::vector<double> values);  // 0 for none; the mean of the middle two for even
double Min(const std::vector<double>& values);

// PLAN [NODE] [--rounds R] [--json FILE] [--device PATH]: the plan and the node to time (the
// plan's first unless named).
struct BenchTarget {
  Plan plan;
  size_t node_index = 0;
  int rounds = 3;
  std::string json_path;
  std::string device = "/dev/mint";
  const NodePlan& node() const { return plan.nodes[node_index]; }
};
// Parses `in`; nullopt after printing the usage or the error, with the exit status in *status.
std::optional<BenchTarget> ParseBenchTarget(const Args& in, const char* usage, int* status);

// Writes `out` to `path`, or with "-" prints it on one stdout line prefixed "BENCH-JSON " (how
// the lab's bench targets fish it out of the host's console).
Result<void> WriteBenchJson(const nlohmann::json& out, const std::string& path);

}  // namespace mint::cli
