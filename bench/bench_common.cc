#include "bench_common.h"
#include "plan_site.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace mint::cli {

void AddBenchTargetOptions(CLI::App* cmd, BenchArgs& args) {
  cmd->add_option("PLAN", args.plan, "the plan file")->required();
  cmd->add_option("NODE", args.node, "the node to time (default: the plan's first)");
  cmd->add_option("--rounds", args.rounds, "rounds")->capture_default_str()->check(PositiveCount());
  cmd->add_option("--json", args.json_path,
                  "write every run and the summary as JSON ('-': one stdout line, BENCH-JSON)");
  cmd->add_option("--device", args.device, "the host module's device")->capture_default_str();
}

Result<BenchTarget> LoadBenchTarget(const BenchArgs& args) {
  BenchTarget target;
  target.plan_path = args.plan;
  target.rounds = args.rounds;
  target.json_path = args.json_path;
  target.device = args.device;
  target.plan = MINT_TRY(LoadHostPlan(args.plan));
  if (target.plan.nodes.empty()) return Fail(args.plan, " has no nodes");
  if (!args.node.empty()) {
    const NodePlan* node = target.plan.FindNode(args.node);
    if (node == nullptr) return Fail(args.plan, " has no node named '", args.node, "'");
    target.node_index = static_cast<size_t>(node - target.plan.nodes.data());
  }
  return target;
}

Result<void> WriteBenchJson(const nlohmann::json& out, const std::string& path) {
  if (path == "-") {
    std::cout << "BENCH-JSON " << out.dump() << std::endl;
    return Ok{};
  }
  std::ofstream file(path);
  file << out.dump(2) << "\n";
  if (!file) return Fail("cannot write ", path);
  return Ok{};
}

}  // namespace mint::cli
