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

Result<ExecOutcome> ExecInNode(HostDevice& host, const mint_node_status& node,
                               const std::vector<std::string>& command, double timeout_s) {
  std::string name(node.name, strnlen(node.name, sizeof(node.name)));
  uint32_t id = node.id;
  std::string argv_bytes;
  for (const std::string& arg : command) argv_bytes += arg + '\0';
  if (argv_bytes.size() > MINT_EXEC_ARGV_MAX)
    return Fail("the command is ", std::to_string(argv_bytes.size()),
                " bytes with its NULs; the mailbox takes ", std::to_string(MINT_EXEC_ARGV_MAX));
  auto lock = MINT_TRY(RunLock::Take(name + ".exec"));
  auto page = ReadNodePage(host, id);
  if (page && page->condition == MINT_NODE_PARKED)
    return Fail("node ", name, " is parked (", page->reason_text, "); 'mint restart ", name,
                "' boots it again");
  if (node.state == MINT_STATE_SUSPENDED)
    return Fail("node ", name, " is suspended; 'mint resume ", name, "' wakes it");

  auto host_page = MINT_TRY(host.ReadSharedAs<mint_host_page>(id, MINT_SHARED_HOST_PAGE));
  auto result = MINT_TRY(host.ReadSharedAs<mint_exec_result>(id, MINT_SHARED_EXEC_RESULT));
  uint64_t seq = std::max<uint64_t>(host_page.exec_seq, result.done_seq) + 1;
  // The request first, its sequence number last: the agent starts on the number.
  struct {
    uint32_t argc;
    uint32_t len;
  } header{static_cast<uint32_t>(command.size()), static_cast<uint32_t>(argv_bytes.size())};
  static_assert(offsetof(mint_host_page, exec_len) == offsetof(mint_host_page, exec_argc) + 4);
  MINT_TRY_VOID(host.WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_argc),
                                 {reinterpret_cast<const uint8_t*>(&header), sizeof(header)}));
  MINT_TRY_VOID(
      host.WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_argv),
                       {reinterpret_cast<const uint8_t*>(argv_bytes.data()), argv_bytes.size()}));
  MINT_TRY_VOID(host.WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_seq),
                                 {reinterpret_cast<const uint8_t*>(&seq), sizeof(seq)}));

  auto start = std::chrono::steady_clock::now();
  bool picked_up = false;
  for (;;) {
    result = MINT_TRY(host.ReadSharedAs<mint_exec_result>(id, MINT_SHARED_EXEC_RESULT));
    if (result.started_seq == seq) picked_up = true;
    if (result.done_seq == seq) break;
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    page = ReadNodePage(host, id);
    if (page && page->condition == MINT_NODE_PARKED)
      return Fail("node ", name, " parked while running the command (", page->reason_text, ")");
    if (waited >= timeout_s) {
      ExecOutcome outcome;
      outcome.timed_out = true;
      outcome.picked_up = picked_up;
      return outcome;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ExecOutcome outcome;
  outcome.picked_up = true;
  outcome.status = result.status;
  outcome.truncated = result.truncated != 0;
  outcome.output.resize(std::min<uint32_t>(result.out_len, MINT_EXEC_OUTPUT_MAX));
  if (!outcome.output.empty())
    MINT_TRY_VOID(
        host.ReadShared(id, MINT_SHARED_EXEC_RESULT + sizeof(mint_exec_result), outcome.output));
  return outcome;
}

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
