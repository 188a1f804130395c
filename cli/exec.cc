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

  std::string argv_bytes;
  for (const std::string& arg : command) argv_bytes += arg + '\0';
  if (argv_bytes.size() > MINT_EXEC_ARGV_MAX)
    return Error("the command is " + std::to_string(argv_bytes.size()) +
                 " bytes with its NULs; the mailbox takes " + std::to_string(MINT_EXEC_ARGV_MAX));

  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto node = FindNodeByName(**host, name);
  if (!node) return Fail125(node.error().message);
  uint32_t id = node->id;
  auto lock = RunLock::Take(name + ".exec");
  if (!lock) return Fail125(lock.error().message);
  auto page = ReadNodePage(**host, id);
  if (page && page->condition == MINT_NODE_PARKED) {
    Error("node " + name + " is parked (" + page->reason_text + "); 'mint restart " + name +
          "' boots it again");
    return kCannotRun;
  }

  auto host_page = (*host)->ReadSharedAs<mint_host_page>(id, MINT_SHARED_HOST_PAGE);
  auto result = (*host)->ReadSharedAs<mint_exec_result>(id, MINT_SHARED_EXEC_RESULT);
  if (!host_page || !result) {
    Error(!host_page ? host_page.error().message : result.error().message);
    return kCannotRun;
  }
  uint64_t seq = std::max<uint64_t>(host_page->exec_seq, result->done_seq) + 1;
  // The request first, its sequence number last: the agent starts on the number.
  struct {
    uint32_t argc;
    uint32_t len;
  } header{static_cast<uint32_t>(command.size()), static_cast<uint32_t>(argv_bytes.size())};
  static_assert(offsetof(mint_host_page, exec_len) == offsetof(mint_host_page, exec_argc) + 4);
  auto written =
      (*host)->WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_argc),
                           {reinterpret_cast<const uint8_t*>(&header), sizeof(header)});
  if (written)
    written = (*host)->WriteShared(
        id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_argv),
        {reinterpret_cast<const uint8_t*>(argv_bytes.data()), argv_bytes.size()});
  if (written)
    written = (*host)->WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_seq),
                                   {reinterpret_cast<const uint8_t*>(&seq), sizeof(seq)});
  if (!written) {
    Error(written.error().message);
    return kCannotRun;
  }

  auto start = std::chrono::steady_clock::now();
  bool picked_up = false;
  for (;;) {
    result = (*host)->ReadSharedAs<mint_exec_result>(id, MINT_SHARED_EXEC_RESULT);
    if (!result) return Fail125(result.error().message);
    if (result->started_seq == seq) picked_up = true;
    if (result->done_seq == seq) break;
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    page = ReadNodePage(**host, id);
    if (page && page->condition == MINT_NODE_PARKED) {
      Error("node " + name + " parked while running the command (" + page->reason_text + ")");
      return kCannotRun;
    }
    if (waited >= timeout_s) {
      Error(std::string("the command did not finish in ") + timeout_text + " s" +
            (picked_up ? ""
                       : " (the node's agent never picked it up: is mint-agent serve running?)"));
      return picked_up ? kTimedOut : kCannotRun;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  uint32_t out_len = std::min<uint32_t>(result->out_len, MINT_EXEC_OUTPUT_MAX);
  std::vector<uint8_t> output(out_len);
  if (out_len > 0) {
    auto read = (*host)->ReadShared(id, MINT_SHARED_EXEC_RESULT + sizeof(mint_exec_result), output);
    if (!read) return Fail125(read.error().message);
  }
  std::cout.write(reinterpret_cast<const char*>(output.data()),
                  static_cast<std::streamsize>(output.size()));
  std::cout.flush();
  if (result->truncated) std::cerr << "mint: output truncated to " << out_len << " bytes\n";
  return result->status >= 0 && result->status < 256 ? result->status : kCannotRun;
}

}  // namespace mint::cli
