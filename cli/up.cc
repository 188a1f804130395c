// mint up PLAN: boot every node of a plan, in parallel.
#include "parallel_boot.h"

#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "artifacts.h"
#include "commands.h"
#include "devices.h"
#include "images.h"
#include "lifecycle.h"
#include "node_access.h"
#include "store_session.h"

namespace mint::cli {
namespace {

constexpr const char* kUpUsage =
    "usage: mint up PLAN [NODE...] [--sequential] [--timeout S] [--json] [--svg FILE]\n"
    "                    [--device PATH] [--entry auto|decompress|direct]\n"
    "\n"
    "Boots the plan's nodes (all, or those named) in parallel: the host prepares one node at\n"
    "a time (read images, build boot data, claim cores and memory, copy) and wakes each as\n"
    "soon as it is in place, so the nodes' kernels boot side by side. Shows each node's phase\n"
    "as it changes, then a table of every node's timings. A node that fails does not stop the\n"
    "others; the exit status is 1 if any failed.\n"
    "  --sequential  wait for each node to be ready before preparing the next\n"
    "  --timeout S   seconds for every node to be ready (default 120)\n"
    "  --json        print the result as JSON instead of the table\n"
    "  --svg FILE    draw the run's timeline, one lane per node\n"
    "  --device P    the host module's device (default /dev/mint)\n"
    "  --entry E     auto (default: direct when the store holds the unpacked kernel),\n"
    "                decompress, or direct (see mint boot --help)\n";

}  // namespace

void PrintUpTable(const UpResult& result) {
  std::printf("\n  %-12s %5s %9s %9s %9s %12s %12s %10s\n", "NODE", "CORE", "HOST ms", "COPY ms",
              "WAKE ms", "BOOT ms", "INIT->READY", "READY AT");
  for (const NodeRun& run : result.nodes) {
    if (!run.ready) {
      std::printf("  %-12s %5u  failed: %s\n", run.node->name.c_str(), run.node->cpus[0],
                  run.error.c_str());
      continue;
    }
    std::printf("  %-12s %5u %9.1f %9.1f %9.1f %12.1f %10.2f s %8.2f s\n", run.node->name.c_str(),
                run.node->cpus[0], run.woken_ms - run.host_start_ms, run.copy_ms,
                run.trampoline_ms - run.woken_ms, run.ready_ms - run.trampoline_ms,
                (run.ready_ms - run.woken_ms) / 1000, run.ready_ms / 1000);
  }
  if (result.ok)
    std::printf("  all %zu node(s) ready %.2f s after the run began\n", result.nodes.size(),
                result.all_ready_ms / 1000);
}

namespace {

nlohmann::json RunJson(const NodeRun& run) {
  return {{"node", run.node->name},
          {"core", run.node->cpus[0]},
          {"ready", run.ready},
          {"error", run.error},
          {"host_start_ms", run.host_start_ms},
          {"woken_ms", run.woken_ms},
          {"trampoline_ms", run.trampoline_ms},
          {"ready_ms", run.ready_ms},
          {"read_ms", run.read_ms},
          {"build_ms", run.build_ms},
          {"claim_ms", run.claim_ms},
          {"copy_ms", run.copy_ms}};
}

}  // namespace

int Up(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kUpUsage, 0);
  UpOptions options;
  bool json = TakeFlag(args, "--json");
  options.sequential = TakeFlag(args, "--sequential");
  std::string timeout_text = "120", device = "/dev/mint", svg, entry_text = "auto";
  bool ok = true;
  TakeValue(args, "--timeout", timeout_text, ok);
  TakeValue(args, "--device", device, ok);
  TakeValue(args, "--svg", svg, ok);
  TakeValue(args, "--entry", entry_text, ok);
  if (!ok) return 2;
  auto entry_mode = ParseEntryMode(entry_text);
  if (!entry_mode) return Error(entry_mode.error().message);
  options.entry = *entry_mode;
  char* end = nullptr;
  long timeout = std::strtol(timeout_text.c_str(), &end, 10);
  if (*end != '\0' || timeout <= 0)
    return Error("--timeout '" + timeout_text + "' must be a positive number of seconds");
  options.timeout_s = static_cast<int>(timeout);
  if (!json)
    options.on_phase = [](double at_ms, const NodeRun& run, const std::string& what) {
      std::printf("  [%6.2f s] %-12s %s\n", at_ms / 1000, run.node->name.c_str(), what.c_str());
      std::fflush(stdout);
    };
  if (args.empty()) return Usage(kUpUsage, 2);
  for (const std::string& arg : args)
    if (arg.starts_with("-")) return Error("unknown option '" + arg + "' (see mint up --help)");
  auto plan = LoadPlanFile(args[0]);
  if (!plan) return Error(plan.error().message);
  std::vector<const NodePlan*> nodes;
  for (size_t i = 1; i < args.size(); ++i) {
    const NodePlan* node = plan->FindNode(args[i]);
    if (node == nullptr) return Error(args[0] + " has no node named '" + args[i] + "'");
    nodes.push_back(node);
  }
  if (nodes.empty())
    for (const NodePlan& node : plan->nodes) nodes.push_back(&node);
  if (nodes.empty()) return Error(args[0] + " has no nodes to boot");

  auto session = HostSession::Open(*plan, device);
  if (!session) return Error(session.error().message);
  if (!json)
    std::printf("mint: bringing up %zu node(s) from %s %s\n", nodes.size(), args[0].c_str(),
                options.sequential ? "one after the other" : "in parallel");
  auto result = BootNodes(*session, nodes, options);
  if (!result) return Error(result.error().message);
  for (const NodeRun& run : result->nodes)
    if (run.started) RememberPlan(args[0], run.node->name);  // for mint restart
  if (json) {
    nlohmann::json out = {{"plan", args[0]},
                          {"sequential", options.sequential},
                          {"all_ready_ms", result->all_ready_ms},
                          {"ok", result->ok},
                          {"nodes", nlohmann::json::array()}};
    for (const NodeRun& run : result->nodes) out["nodes"].push_back(RunJson(run));
    std::cout << out.dump(2) << "\n";
  } else {
    PrintUpTable(*result);
  }
  if (!svg.empty()) {
    std::ofstream file(svg);
    file << RenderTimelineSvg(result->ToTimeline(
        "mint up " + args[0] + (options.sequential ? " (sequential)" : " (parallel)")));
    if (!file) return Error("cannot write " + svg);
  }
  return result->ok ? 0 : 1;
}

}  // namespace mint::cli
