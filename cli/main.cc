// mint: the command users type on the host.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "format.h"

namespace mint::cli {

int Usage(const char* text, int status) {
  (status == 0 ? std::cout : std::cerr) << text;
  return status;
}

int Error(const std::string& message) {
  std::cerr << "mint: " << message << "\n";
  return 1;
}

bool TakeFlag(Args& args, const std::string& flag) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == flag) {
      args.erase(it);
      return true;
    }
  }
  return false;
}

bool TakeValue(Args& args, const std::string& flag, std::string& value, bool& ok) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == flag) {
      if (it + 1 == args.end()) {
        Error(flag + " needs a value");
        ok = false;
        return false;
      }
      value = *(it + 1);
      args.erase(it, it + 2);
      return true;
    }
    if (it->starts_with(flag + "=")) {
      value = it->substr(flag.size() + 1);
      args.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace mint::cli

namespace {

constexpr const char* kUsage =
    "usage: mint COMMAND [ARGS...]\n"
    "\n"
    "Runs independent Linux kernels (nodes) on spare cores of this machine.\n"
    "\n"
    "commands:\n"
    "  inspect IMAGE [--json]             show a kernel image's boot header\n"
    "  inventory [--json]                 what this machine has: host RAM, reserved ranges,\n"
    "                                     cores by APIC ID, online or free, TSC rate\n"
    "  check PLAN [--inventory FILE|--live] [--json]\n"
    "                                     validate a plan, listing every problem\n"
    "  plan PLAN [--svg FILE]             draw a plan's memory map and core map\n"
    "  down PLAN                          stop every running node of a plan\n"
    "  boot PLAN [NODE...] [--timeout S] [--dry-run] [--json] [--image NAME|FILE]\n"
    "                                     boot the plan's nodes (all, or those named) and\n"
    "                                     print each one's timeline; or resume a memory image\n"
    "  up PLAN [NODE...] [--sequential] [--svg FILE] [--json]\n"
    "                                     boot the plan's nodes in parallel, with a live\n"
    "                                     phase display and a final timing table\n"
    "  ps [--json]                        the nodes: state, cores, memory, uptime, heartbeat,\n"
    "                                     why a node stopped (also: mint status)\n"
    "  stop NODE                          park a node's cores and give its resources back\n"
    "  restart NODE [PLAN]                stop the node if needed and boot it again\n"
    "  suspend NODE                       put a node to sleep (ACPI S3): cores parked,\n"
    "                                     memory kept\n"
    "  resume NODE                        wake a suspended node where it left off\n"
    "  snapshot NODE [--out FILE]         save a suspended node's memory as an image that\n"
    "                                     mint boot PLAN --image resumes\n"
    "  console NODE                       the node's shared-memory console (Ctrl-] leaves)\n"
    "  exec NODE -- COMMAND...            run a command in the node, with its output and status\n"
    "  store add|ls|rm|verify ...         the resident image store (mint store --help)\n"
    "  bench parallel|load|entry|image .. benchmarks, each comparing within one run\n"
    "                                     (mint bench --help)\n"
    "\n"
    "Run 'mint COMMAND --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace mint::cli;
  if (argc < 2) return Usage(kUsage, 2);
  std::string command = argv[1];
  Args args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") return Usage(kUsage, 0);
  if (command == "store") return Store(args);
  if (command == "bench" && !args.empty() && args[0] == "load")  // cli/bench_load.cc
    return BenchLoad(Args(args.begin() + 1, args.end()));
  if (command == "inspect") return Inspect(args);
  if (command == "boot") return Boot(args);
  if (command == "up") return Up(args);
  if (command == "bench") return Bench(args);
  if (command == "check") return Check(args);
  if (command == "inventory") return ShowInventory(args);
  if (command == "plan") return PlanMap(args);
  if (command == "down") return Down(args);
  if (command == "status" || command == "ps") return Ps(args);
  if (command == "exec") return Exec(args);
  if (command == "console") return Console(args);
  if (command == "restart") return Restart(args);
  if (command == "stop") return Stop(args);
  if (command == "suspend") return Suspend(args);
  if (command == "resume") return Resume(args);
  if (command == "snapshot") return Snapshot(args);
  std::cerr << "mint: unknown command '" << command << "'\n\n";
  return Usage(kUsage, 2);
}
