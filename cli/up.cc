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

#include "app.h"
#include "artifacts.h"
#include "commands.h"
#include "devices.h"
#include "images.h"
#include "lifecycle.h"
#include "node_access.h"
#include "plan_site.h"
#include "store_session.h"

namespace mint::cli {

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

struct UpArgs {
  std::string plan;
  std::vector<std::string> nodes;
  bool sequential = false;
  int timeout_s = 120;
  bool json = false;
  std::string svg;
  std::string device = "/dev/mint";
  std::string entry = "auto";
};

Result<int> RunUp(const UpArgs& a) {
  UpOptions options;
  bool json = a.json;
  options.sequential = a.sequential;
  options.entry = MINT_TRY(ParseEntryMode(a.entry));
  options.timeout_s = a.timeout_s;
  if (!json)
    options.on_phase = [](double at_ms, const NodeRun& run, const std::string& what) {
      std::printf("  [%6.2f s] %-12s %s\n", at_ms / 1000, run.node->name.c_str(), what.c_str());
      std::fflush(stdout);
    };
  auto plan = MINT_TRY(LoadHostPlan(a.plan));
  std::vector<const NodePlan*> nodes = MINT_TRY(PickNodes(plan, a.plan, a.nodes));
  const std::string& plan_path = a.plan;

  auto session = MINT_TRY(HostSession::Open(plan, a.device));
  if (!json)
    std::printf("mint: bringing up %zu node(s) from %s %s\n", nodes.size(), plan_path.c_str(),
                options.sequential ? "one after the other" : "in parallel");
  auto result = MINT_TRY(BootNodes(session, nodes, options));
  for (const NodeRun& run : result.nodes)
    if (run.started) RememberPlan(plan_path, run.node->name);  // for mint restart
  if (json) {
    nlohmann::json out = {{"plan", plan_path},
                          {"sequential", options.sequential},
                          {"all_ready_ms", result.all_ready_ms},
                          {"ok", result.ok},
                          {"nodes", nlohmann::json::array()}};
    for (const NodeRun& run : result.nodes) out["nodes"].push_back(RunJson(run));
    std::cout << out.dump(2) << "\n";
  } else {
    PrintUpTable(result);
  }
  if (!a.svg.empty()) {
    std::ofstream file(a.svg);
    file << RenderTimelineSvg(result.ToTimeline(
        "mint up " + plan_path + (options.sequential ? " (sequential)" : " (parallel)")));
    if (!file) return Fail("cannot write ", a.svg);
  }
  return result.ok ? 0 : 1;
}

}  // namespace

void AddUp(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<UpArgs>();
  CLI::App* cmd = app.add_subcommand(
      "up", "boot the plan's nodes in parallel, with live phases and a timing table");
  cmd->footer(
      "Boots the plan's nodes (all, or those named) in parallel: the host prepares one node at\n"
      "a time (read images, build boot data, claim cores and memory, copy) and wakes each as\n"
      "soon as it is in place, so the nodes' kernels boot side by side. Shows each node's phase\n"
      "as it changes, then a table of every node's timings. A node that fails does not stop the\n"
      "others; the exit status is 1 if any failed.");
  cmd->add_option("PLAN", args->plan, "the plan file")->required();
  cmd->add_option("NODE", args->nodes, "the nodes to boot (default: every node of the plan)");
  cmd->add_flag("--sequential", args->sequential,
                "wait for each node to be ready before preparing the next");
  cmd->add_option("--timeout", args->timeout_s, "seconds for every node to be ready")
      ->capture_default_str()
      ->check(PositiveSeconds());
  cmd->add_flag("--json", args->json, "print the result as JSON instead of the table");
  cmd->add_option("--svg", args->svg, "draw the run's timeline, one lane per node");
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->add_option("--entry", args->entry,
                  "auto (direct when the store holds the unpacked kernel), decompress, or "
                  "direct (see mint boot --help)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "decompress", "direct"}));
  cmd->callback([args, &chosen] { chosen = [args] { return RunUp(*args); }; });
}

}  // namespace mint::cli
