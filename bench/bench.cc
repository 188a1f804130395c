// mint bench: the benchmarks. `parallel` lives here; `load` in bench_load.cc, `entry` in
// bench_entry.cc, `image` in bench_image.cc.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "commands.h"
#include "parallel_boot.h"

namespace mint::cli {
namespace {

constexpr const char* kBenchListUsage =
    "usage: mint bench BENCHMARK [ARGS...]   (mint bench BENCHMARK --help for its options)\n"
    "\n"
    "Each benchmark alternates what it compares within one run and prints minimum, median\n"
    "and their ratio:\n"
    "  parallel PLAN   N nodes booted one after the other vs in parallel\n"
    "  load [PLAN]     a node's image load: cold disk vs store first boot vs store later boot\n"
    "  entry PLAN      INIT -> ready through the decompressor vs direct 64-bit entry\n"
    "  image PLAN      a node up from a memory image vs booted normally or cold, and resume\n";

constexpr const char* kBenchUsage =
    "usage: mint bench parallel PLAN [--max N] [--rounds R] [--json FILE] [--svg FILE]\n"
    "\n"
    "For N = 1 .. max nodes (the plan's first N), boots them one after the other and in\n"
    "parallel, alternating which goes first in each round, and measures the time from the\n"
    "start of the host-side work to the last node's ready stamp. Nodes are stopped between\n"
    "runs. Prints minimum and median per mode and the parallel/sequential ratio of the\n"
    "medians; writes the numbers as JSON and the timeline of the largest parallel run as SVG.\n"
    "  --max N      most nodes at once (default: every node of the plan)\n"
    "  --rounds R   runs of each mode per N (default 3)\n"
    "  --json FILE  write every measurement (default: none)\n"
    "  --svg FILE   the largest parallel run's timeline (default: none)\n";

void StopAll(HostDevice& host, const UpResult& result) {
  StopStarted(host, result);
  // Let the parked cores settle before the next run wakes them again.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

int BenchParallel(Args args) {
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kBenchUsage, 0);
  std::string max_text, rounds_text = "3", json_path, svg_path, device = "/dev/mint";
  bool ok = true;
  TakeValue(args, "--max", max_text, ok);
  TakeValue(args, "--rounds", rounds_text, ok);
  TakeValue(args, "--json", json_path, ok);
  TakeValue(args, "--svg", svg_path, ok);
  TakeValue(args, "--device", device, ok);
  if (!ok) return 2;
  if (args.size() != 1 || args[0].starts_with("-")) return Usage(kBenchUsage, 2);
  auto plan = LoadPlanFile(args[0]);
  if (!plan) return Error(plan.error().message);
  size_t max_nodes = plan->nodes.size();
  if (!max_text.empty()) max_nodes = std::strtoul(max_text.c_str(), nullptr, 10);
  if (max_nodes == 0 || max_nodes > plan->nodes.size())
    return Error("--max " + max_text + ": the plan has " + std::to_string(plan->nodes.size()) +
                 " node(s)");
  int rounds = std::atoi(rounds_text.c_str());
  if (rounds <= 0) return Error("--rounds '" + rounds_text + "' must be a positive number");
  auto session = HostSession::Open(*plan, device);
  if (!session) return Error(session.error().message);
  HostDevice* host = session->host.get();

  nlohmann::json out = {
      {"plan", args[0]}, {"rounds", rounds}, {"results", nlohmann::json::array()}};
  std::printf("mint bench parallel: %zu size(s) x %d round(s) x 2 modes\n", max_nodes, rounds);
  struct Row {
    size_t n;
    std::vector<double> seq, par;
  };
  std::vector<Row> rows;
  UpResult last_parallel;
  for (size_t n = 1; n <= max_nodes; ++n) {
    std::vector<const NodePlan*> nodes;
    for (size_t i = 0; i < n; ++i) nodes.push_back(&plan->nodes[i]);
    Row row{n, {}, {}};
    for (int round = 0; round < rounds; ++round) {
      for (int k = 0; k < 2; ++k) {
        bool sequential = (round % 2 == 0) == (k == 0);  // alternate which mode goes first
        UpOptions options;
        options.sequential = sequential;
        options.timeout_s = 60 + 30 * static_cast<int>(n);
        auto result = BootNodes(*session, nodes, options);
        if (!result) return Error(result.error().message);
        StopAll(*host, *result);
        if (!result->ok) {
          for (const NodeRun& run : result->nodes)
            if (!run.ready) return Error("node " + run.node->name + ": " + run.error);
        }
        double ms = result->all_ready_ms;
        (sequential ? row.seq : row.par).push_back(ms);
        std::printf("  N=%zu round %d %-10s all ready in %8.1f ms\n", n, round + 1,
                    sequential ? "sequential" : "parallel", ms);
        std::fflush(stdout);
        out["results"].push_back({{"n", n},
                                  {"round", round},
                                  {"mode", sequential ? "sequential" : "parallel"},
                                  {"all_ready_ms", ms}});
        if (!sequential && n == max_nodes) last_parallel = *result;
      }
    }
    rows.push_back(row);
  }
  std::printf("\n  %3s %22s %22s %10s\n", "N", "sequential min/median", "parallel min/median",
              "par/seq");
  for (const Row& row : rows) {
    double ratio = Median(row.par) / Median(row.seq);
    std::printf("  %3zu %10.0f / %7.0f ms %10.0f / %7.0f ms %9.0f%%\n", row.n, Min(row.seq),
                Median(row.seq), Min(row.par), Median(row.par), ratio * 100);
    out["summary"].push_back({{"n", row.n},
                              {"sequential_min_ms", Min(row.seq)},
                              {"sequential_median_ms", Median(row.seq)},
                              {"parallel_min_ms", Min(row.par)},
                              {"parallel_median_ms", Median(row.par)},
                              {"ratio", ratio}});
  }
  std::printf("  (the research this comes from: two nodes in parallel took 55%% of sequential)\n");
  if (!json_path.empty()) {
    std::ofstream file(json_path);
    file << out.dump(2) << "\n";
    if (!file) return Error("cannot write " + json_path);
  }
  if (!svg_path.empty()) {
    std::ofstream file(svg_path);
    file << RenderTimelineSvg(last_parallel.ToTimeline(
        std::to_string(max_nodes) + " nodes booted in parallel (mint bench parallel)"));
    if (!file) return Error("cannot write " + svg_path);
  }
  return 0;
}

}  // namespace

int Bench(const Args& in) {
  Args args = in;
  if (args.empty() || args[0] == "--help" || args[0] == "-h")
    return Usage(kBenchListUsage, args.empty() ? 2 : 0);
  std::string what = args[0];
  args.erase(args.begin());
  if (what == "parallel") return BenchParallel(args);
  if (what == "entry") return BenchEntry(args);  // cli/bench_entry.cc
  if (what == "image") return BenchImage(args);  // cli/bench_image.cc
  return Error("unknown benchmark '" + what + "' (known: parallel, load, entry, image)");
}

}  // namespace mint::cli
