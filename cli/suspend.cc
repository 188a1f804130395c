// mint suspend NODE / mint resume NODE: suspend to RAM, with the host in the firmware's place
// (docs/suspend.md). The node suspends itself (its agent writes "mem" to /sys/power/state);
// the host module parks its cores once its ACPI sleep control byte says S3 and, on resume,
// sends its boot core back to its kernel's wakeup code.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "node_access.h"
#include "sleep.h"

namespace mint::cli {
namespace {

// What mint suspend and mint resume both take.
struct SleepArgs {
  std::string node;
  double timeout_s = 20;
  bool json = false;
  std::string device = "/dev/mint";
};

Result<int> RunSuspend(const SleepArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto node = MINT_TRY(FindNodeByName(*host, args.node));
  auto done = MINT_TRY(SuspendNode(*host, node, args.timeout_s));
  if (args.json) {
    std::cout << nlohmann::json{{"node", args.node},
                                {"state", "suspended"},
                                {"request_to_s3_ms", done.request_to_s3_ms},
                                {"s3_to_parked_ms", done.s3_to_parked_ms},
                                {"suspends", done.status.suspends}}
                     .dump()
              << "\n";
  } else {
    std::printf(
        "mint: node %s suspended to RAM: its kernel asked for S3 %.1f ms after the agent's "
        "request, its cores were parked %.1f ms later\n",
        args.node.c_str(), done.request_to_s3_ms, done.s3_to_parked_ms);
  }
  return 0;
}

Result<int> RunResume(const SleepArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto node = MINT_TRY(FindNodeByName(*host, args.node));
  auto times = MINT_TRY(ResumeNode(*host, node, args.timeout_s));
  if (args.json) {
    std::cout << nlohmann::json{{"node", args.node},
                                {"state", "running"},
                                {"slept_s", times.slept_s},
                                {"sipi_to_kernel_ms", times.sipi_to_kernel_ms},
                                {"sipi_to_user_ms", times.sipi_to_user_ms},
                                {"user_measured_by", times.agent_asked ? "agent" : "exec"},
                                {"wakeup", times.wakeup}}
                     .dump()
              << "\n";
  } else {
    std::printf(
        "mint: node %s resumed after %.1f s asleep: kernel back %.1f ms after the SIPI "
        "(seen within the host's 4 ms poll), userspace %.1f ms (%s)\n",
        args.node.c_str(), times.slept_s, times.sipi_to_kernel_ms, times.sipi_to_user_ms,
        times.agent_asked ? "its agent's request returned" : "a command ran through its agent");
  }
  return 0;
}

// The options both commands share.
std::shared_ptr<SleepArgs> AddSleepOptions(CLI::App* cmd) {
  auto args = std::make_shared<SleepArgs>();
  cmd->add_option("NODE", args->node, "the node")->required();
  cmd->add_option("--timeout", args->timeout_s, "give up after S seconds")
      ->check(PositiveSeconds())
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "print the timings as JSON");
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  return args;
}

}  // namespace

void AddSuspend(CLI::App& app, Command& chosen) {
  CLI::App* cmd = app.add_subcommand("suspend", "suspend a running node to RAM (ACPI S3)");
  cmd->footer(
      "Asks a running node to suspend itself to RAM (ACPI S3: its agent writes 'mem' to\n"
      "/sys/power/state) and waits until the host module has parked its cores. The node keeps\n"
      "its cores and memory; 'mint ps' shows it suspended and for how long; 'mint resume NODE'\n"
      "wakes it where it left off. A node may also suspend itself (echo mem > /sys/power/state).");
  auto args = AddSleepOptions(cmd);
  cmd->callback([args, &chosen] { chosen = [args] { return RunSuspend(*args); }; });
}

void AddResume(CLI::App& app, Command& chosen) {
  CLI::App* cmd = app.add_subcommand("resume", "wake a suspended node");
  cmd->footer(
      "Wakes a suspended node: its boot core goes straight back to its kernel's wakeup code, the\n"
      "kernel brings its other cores back, and its processes carry on. Prints how long after the\n"
      "SIPI the kernel was back (it wrote S0 to its sleep control register) and its userspace\n"
      "was (the agent's suspend request returned, or a command ran through the agent).");
  auto args = AddSleepOptions(cmd);
  cmd->callback([args, &chosen] { chosen = [args] { return RunResume(*args); }; });
}

}  // namespace mint::cli
