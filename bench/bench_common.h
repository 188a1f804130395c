// What the benchmarks (cli/bench*.cc) share: the PLAN [NODE] arguments and where their JSON
// goes. Their statistics are lib/stats.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app.h"
#include "commands.h"
#include "plan.h"
#include "result.h"
#include "stats.h"  // Median, Min (namespace mint, found from mint::cli)

namespace mint::cli {

// PLAN [NODE] [--rounds R] [--json FILE] [--device PATH], as given.
struct BenchArgs {
  std::string plan;
  std::string node;
  int rounds = 3;
  std::string json_path;
  std::string device = "/dev/mint";
};
// Declares them on a benchmark's subcommand.
void AddBenchTargetOptions(CLI::App* cmd, BenchArgs& args);

// The plan and the node to time (the plan's first unless named).
struct BenchTarget {
  std::string plan_path;
  Plan plan;
  size_t node_index = 0;
  int rounds = 3;
  std::string json_path;
  std::string device = "/dev/mint";
  const NodePlan& node() const { return plan.nodes[node_index]; }
};
// Loads the plan and finds the node.
Result<BenchTarget> LoadBenchTarget(const BenchArgs& args);

// The benchmarks (bench/bench_*.cc), run by AddBench's subcommands.
Result<int> BenchEntry(const BenchTarget& target);
Result<int> BenchImage(const BenchTarget& target);
struct BenchLoadArgs {
  std::string plan;  // empty: $MINT_PLAN
  std::string node;
  int rounds = 5;
  std::string json_path;
  std::string device = "/dev/mint";
  std::string store_file;
  std::string store_size;
};
Result<int> BenchLoad(const BenchLoadArgs& args);
// mint bench net PLAN (bench_net.cc): the plan's first two nodes with an address, running.
struct BenchNetArgs {
  std::string plan;
  int rounds = 3;
  int mib = 64;    // per transfer
  int pings = 50;  // per round trip figure
  std::string json_path;
  std::string device = "/dev/mint";
};
Result<int> RunBenchNet(const BenchNetArgs& args);
// mint bench cpu NODE CORE (bench_cpu.cc): give/take of a core vs the host's own hotplug.
struct BenchCpuArgs {
  std::string node;
  uint32_t core = 0;
  int rounds = 50;
  double timeout_s = 10;
  std::string json_path;
  std::string device = "/dev/mint";
};
Result<int> RunBenchCpu(const BenchCpuArgs& args);

// Writes `out` to `path`, or with "-" prints it on one stdout line prefixed "BENCH-JSON " (how
// the lab's bench targets fish it out of the host's console).
Result<void> WriteBenchJson(const nlohmann::json& out, const std::string& path);

}  // namespace mint::cli
