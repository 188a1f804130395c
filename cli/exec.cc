// mint exec NODE -- COMMAND...: runs a command in a node through its agent's exec mailbox
// (docs/shared-memory.md) and returns its output and exit status.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

#include "commands.h"
#include "console_ring.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kExecUsage =
    "usage: mint exec NODE [--timeout S] [--device PATH] -- COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND in the node (through its mint-agent; stdin is /dev/null, stdout and stderr\n"
    "come back together, at most 52 KiB), prints its output and exits with its status.\n"
    "Exits 124 when the command has not finished after S seconds (default 60), 125 when the\n"
    "node cannot run it (no agent, parked, no such node).\n";

constexpr int kTimedOut = 124;
constexpr int kCannotRun = 125;

int Fail125(const std::string& message) {
  Error(message);
  return kCannotRun;
}

}  // namespace

int Exec(const Args& in) {
  Args args = in;
  Args command;
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == "--") {
      command.assign(it + 1, args.end());
      args.erase(it, args.end());
      break;
    }
  }
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kExecUsage, 0);
  std::string device = "/dev/mint", timeout_text = "60";
  bool ok = true;
  TakeValue(args, "--device", device, ok);
  TakeValue(args, "--timeout", timeout_text, ok);
  if (!ok) return 2;
  if (args.size() != 1 || command.empty()) return Usage(kExecUsage, 2);
  char* end = nullptr;
  double timeout_s = std::strtod(timeout_text.c_str(), &end);
  if (end == timeout_text.c_str() || *end != '\0' || timeout_s <= 0)
    return Error("--timeout '" + timeout_text + "' is not a positive number of seconds");
  const std::string& name = args[0];

  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto node = FindNodeByName(**host, name);
  if (!node) return Fail125(node.error().message);
  auto outcome = ExecInNode(**host, *node, command, timeout_s);
  if (!outcome) return Fail125(outcome.error().message);
  if (outcome->timed_out) {
    Error(std::string("the command did not finish in ") + timeout_text + " s" +
          (outcome->picked_up
               ? ""
               : " (the node's agent never picked it up: is mint-agent serve running?)"));
    return outcome->picked_up ? kTimedOut : kCannotRun;
  }
  std::cout.write(reinterpret_cast<const char*>(outcome->output.data()),
                  static_cast<std::streamsize>(outcome->output.size()));
  std::cout.flush();
  if (outcome->truncated)
    std::cerr << "mint: output truncated to " << outcome->output.size() << " bytes\n";
  return outcome->status >= 0 && outcome->status < 256 ? outcome->status : kCannotRun;
}

}  // namespace mint::cli
