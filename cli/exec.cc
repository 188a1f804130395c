// mint exec NODE -- COMMAND...: runs a command in a node through its agent's exec mailbox
// (docs/shared-memory.md) and returns its output and exit status.
#include <iostream>
#include <sstream>
#include <vector>

#include "app.h"
#include "commands.h"
#include "node_access.h"

namespace mint::cli {
namespace {

struct ExecArgs {
  std::string node;
  std::vector<std::string> command;
  double timeout_s = 60;
  std::string device = "/dev/mint";
};

constexpr int kTimedOut = 124;
constexpr int kCannotRun = 125;

// Says why the node cannot run the command; the status tells it apart from the command's own
// failures (as env(1) and timeout(1) do).
int CannotRun(const std::string& message) {
  Error(message);
  return kCannotRun;
}

Result<int> RunExec(const ExecArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto node = FindNodeByName(*host, args.node);
  if (!node) return CannotRun(node.error().message);
  auto outcome = ExecInNode(*host, *node, args.command, args.timeout_s);
  if (!outcome) return CannotRun(outcome.error().message);
  if (outcome->timed_out) {
    std::ostringstream seconds;
    seconds << args.timeout_s;
    std::string passed = "node " + args.node + ": " + seconds.str() + " s passed ";
    switch (outcome->stage) {
      case ExecStage::kQueued:
        Error(passed + "waiting for another mint exec to finish");
        return kTimedOut;
      case ExecStage::kBehindEarlier:
        Error(passed +
              "waiting for its agent to finish a command an earlier, timed-out mint exec left "
              "(it still runs in the node)");
        return kTimedOut;
      case ExecStage::kNotPickedUp:
        Error(passed + "and its agent never picked the command up: is mint-agent serve running?");
        return kCannotRun;
      case ExecStage::kRunning:
        Error("the command did not finish in " + seconds.str() + " s");
        return kTimedOut;
    }
  }
  std::cout.write(reinterpret_cast<const char*>(outcome->output.data()),
                  static_cast<std::streamsize>(outcome->output.size()));
  std::cout.flush();
  if (outcome->truncated)
    std::cerr << "mint: output truncated to " << outcome->output.size() << " bytes\n";
  return outcome->status >= 0 && outcome->status < 256 ? outcome->status : kCannotRun;
}

}  // namespace

void AddExec(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<ExecArgs>();
  CLI::App* cmd = app.add_subcommand("exec", "run a command in a node (mint exec NODE -- CMD...)");
  cmd->footer(
      "Runs COMMAND in the node (through its mint-agent; stdin is /dev/null, stdout and stderr\n"
      "come back together, at most 52 KiB), prints its output and exits with its status.\n"
      "A node runs one command at a time: concurrent execs into one node queue, each getting\n"
      "its own output and status, and the wait counts against --timeout.\n"
      "Exits 124 when S seconds (default 60) pass before the command finishes, waiting in the\n"
      "queue included (the message says which); 125 when the node cannot run it (no agent,\n"
      "parked, suspended, no such node) or is stopped before it finishes. Put -- before\n"
      "COMMAND when it has options of its own: mint exec NODE -- ls -l /");
  cmd->add_option("NODE", args->node, "the node to run it in")->required();
  cmd->add_option("COMMAND", args->command, "the command and its arguments, after --")->required();
  cmd->add_option("--timeout", args->timeout_s,
                  "give up after S seconds, queueing included (exit 124)")
      ->check(PositiveSeconds())
      ->capture_default_str();
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunExec(*args); }; });
}

}  // namespace mint::cli
