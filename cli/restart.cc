// mint restart NODE [PLAN]: stop the node if it is still there (parked, hung or running),
// then boot it again from the same plan. `mint boot` remembers each node's plan under
// /run/mint (hostio/node_access.cc); PLAN overrides it. The images come from wherever `mint boot`
// takes them: the resident store when the plan has one (docs/store.md), else the disk.
#include <chrono>
#include <iomanip>
#include <iostream>

#include "app.h"
#include "lifecycle.h"
#include "node_access.h"

namespace mint::cli {
namespace {

struct RestartArgs {
  std::string node;
  std::string plan;     // default: the one remembered for the node
  std::string timeout;  // passed to mint boot as typed; empty: boot's default
  bool json = false;
  std::string device = "/dev/mint";
};

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

Result<int> RunRestart(const RestartArgs& args) {
  const std::string& name = args.node;
  std::string plan = args.plan;
  if (plan.empty()) {
    auto remembered = RememberedPlan(name);
    if (!remembered)
      return Fail("no plan is remembered for node ", name, " (", RunDir(), "/", name,
                  ".plan); name it: mint restart ", name, " PLAN");
    plan = *remembered;
  }

  auto start = std::chrono::steady_clock::now();
  {
    auto host = MINT_TRY(HostDevice::Open(args.device));
    // The whole stop, devices included: the node's PCI functions are reset and handed to the
    // host before the boot fences them again, as after mint stop.
    MINT_TRY_VOID(StopNodeNamed(*host, name));
  }
  double stop_ms = MsSince(start);
  // The boot is mint boot's own, options and output included: one path boots a node.
  std::vector<std::string> boot = {"boot", plan, name, "--device", args.device};
  if (!args.timeout.empty()) boot.insert(boot.end(), {"--timeout", args.timeout});
  if (args.json) boot.push_back("--json");
  int status = Main(boot);
  if (status != 0) return status;
  double total_ms = MsSince(start);
  if (!args.json)
    std::cout << "mint: node " << name << " restarted in " << std::fixed << std::setprecision(1)
              << total_ms << " ms (stop " << stop_ms << " ms, boot to ready " << total_ms - stop_ms
              << " ms)\n";
  return 0;
}

}  // namespace

void AddRestart(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<RestartArgs>();
  CLI::App* cmd = app.add_subcommand("restart", "stop a node if it is there, then boot it again");
  cmd->footer(
      "Stops NODE if the host module still owns it (parks its cores with INIT and frees its\n"
      "cores and memory, as mint stop), then boots it again as mint boot PLAN NODE would. PLAN\n"
      "defaults to the plan the node was last booted from (remembered in /run/mint/NODE.plan).");
  cmd->add_option("NODE", args->node, "the node")->required();
  cmd->add_option("PLAN", args->plan, "the plan to boot it from (default: its last one)");
  cmd->add_option("--timeout", args->timeout,
                  "seconds to wait for the node to be ready (default: mint boot's, 120)")
      ->check(PositiveSeconds());
  cmd->add_flag("--json", args->json, "print the boot's timeline as JSON (as mint boot --json)");
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunRestart(*args); }; });
}

}  // namespace mint::cli
