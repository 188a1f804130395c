// mint restart NODE [PLAN]: stop the node if it is still there (parked, hung or running),
// then boot it again from the same plan. `mint boot` remembers each node's plan under
// /run/mint (cli/node_access.cc); PLAN overrides it. The images come from wherever `mint boot`
// takes them: the resident store when the plan has one (docs/store.md), else the disk.
#include <chrono>
#include <iomanip>
#include <iostream>

#include "app.h"
#include "commands.h"
#include "lifecycle.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kRestartUsage =
    "usage: mint restart NODE [PLAN] [--timeout S] [--json] [--device PATH]\n"
    "\n"
    "Stops NODE if the host module still owns it (parks its cores with INIT and frees its\n"
    "cores and memory, as mint stop), then boots it again as mint boot PLAN NODE would. PLAN\n"
    "defaults to the plan the node was last booted from (remembered in /run/mint/NODE.plan).\n";

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int Restart(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kRestartUsage, 0);
  std::string device = "/dev/mint", timeout;
  bool json = TakeFlag(args, "--json");
  bool ok = true;
  TakeValue(args, "--device", device, ok);
  TakeValue(args, "--timeout", timeout, ok);
  if (!ok) return 2;
  if (args.empty() || args.size() > 2 || args[0].starts_with("-")) return Usage(kRestartUsage, 2);
  const std::string& name = args[0];
  std::string plan;
  if (args.size() == 2) {
    plan = args[1];
  } else if (auto remembered = RememberedPlan(name)) {
    plan = *remembered;
  } else {
    return Error("no plan is remembered for node " + name + " (" + RunDir() + "/" + name +
                 ".plan); name it: mint restart " + name + " PLAN");
  }

  auto start = std::chrono::steady_clock::now();
  {
    auto host = HostDevice::Open(device);
    if (!host) return Error(host.error().message);
    // The whole stop, devices included: the node's PCI functions are reset and handed to the
    // host before the boot fences them again, as after mint stop.
    auto stopped = StopNodeNamed(**host, name);
    if (!stopped) return Error(stopped.error().message);
  }
  double stop_ms = MsSince(start);
  Args boot_args = {plan, name, "--device", device};
  if (!timeout.empty()) boot_args.insert(boot_args.end(), {"--timeout", timeout});
  if (json) boot_args.push_back("--json");
  boot_args.insert(boot_args.begin(), "boot");
  int status = Main(boot_args);
  if (status != 0) return status;
  double total_ms = MsSince(start);
  if (!json)
    std::cout << "mint: node " << name << " restarted in " << std::fixed << std::setprecision(1)
              << total_ms << " ms (stop " << stop_ms << " ms, boot to ready " << total_ms - stop_ms
              << " ms)\n";
  return 0;
}

}  // namespace mint::cli
