// What mint ps / exec / console / restart share: finding a node by name, reading its node
// page, the host's TSC, and where the CLI remembers each booted node's plan.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host_device.h"
#include "mint/abi.h"
#include "result.h"

namespace mint {

// The module's view of the node called `name`, or an error naming the nodes there are.
Result<mint_node_status> FindNodeByName(HostDevice& host, const std::string& name);

// The node page, if the node module has written one (magic checked).
std::optional<mint_node_page> ReadNodePage(HostDevice& host, uint32_t id);

// The node page's reason_text, made printable (lib/node_text.h): the node wrote it.
std::string ReasonText(const mint_node_page& page);

// Seconds from TSC `from` to now on this machine (the TSC is one clock for every core).
double SecondsSinceTsc(uint64_t from, uint64_t tsc_khz);

// The one clock every wait on a node is measured against.
using Deadline = std::chrono::steady_clock::time_point;
// `seconds` from now, as a Deadline (a day at most, so no caller's number can overflow it).
Deadline DeadlineIn(double seconds);

// /run/mint: the CLI's own state (one file per booted node naming its plan, lock files).
std::string RunDir();
// Records that `node` was booted from `plan_path`, for mint restart. Failures are only
// reported on stderr: a boot never fails because of it.
void RememberPlan(const std::string& plan_path, const std::string& node);
std::optional<std::string> RememberedPlan(const std::string& node);

// An flock()ed file under RunDir(), held for the object's life: one `mint console` writer
// (or one `mint exec`) per node at a time. Whoever comes second waits for it, bounded.
class RunLock {
 public:
  // Takes the lock on RunDir()/`name`, waiting for the process that holds it until `deadline`
  // (a deadline already past tries once). Absent when another process still held it at the
  // deadline; an error when the file cannot be created or opened.
  static Result<std::optional<RunLock>> Take(const std::string& name, Deadline deadline);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

// Where the time of an exec that did not finish went (mint exec says which, and its exit
// status follows from it).
enum class ExecStage {
  kQueued,         // another mint exec (or mint suspend) held the node's mailbox all the time
  kBehindEarlier,  // the agent still ran a command an earlier, timed-out exec had left
  kNotPickedUp,    // the request was written; the agent never started it (is it running?)
  kRunning,        // the command was running
};

// What a command run through the node's agent gave back (mint exec, mint suspend).
struct ExecOutcome {
  bool timed_out = false;  // not finished by the deadline; `stage` says where it was
  ExecStage stage = ExecStage::kRunning;
  int32_t status = 0;  // exit code, 128 + signal, 127 if it could not run
  bool truncated = false;
  std::vector<uint8_t> output;  // stdout and stderr together
};

// Runs `command` in `node` through its agent's exec mailbox (docs/shared-memory.md), waiting
// at most `timeout_s` in all. Execs of one node queue: each waits (within its timeout) for the
// node's exec lock, then for the agent to finish any command an earlier, timed-out exec left,
// then for its own command, so every exec gets its own output and status. Errors: a node that
// is parked, suspended or not running, or stops, parks or suspends before the answer (said at
// once, not at the deadline); a mailbox the module cannot reach.
Result<ExecOutcome> ExecInNode(HostDevice& host, const mint_node_status& node,
                               const std::vector<std::string>& command, double timeout_s);

// The lock that makes its holder the node's only exec writer (RunDir()/NODE.exec), waited for
// until `deadline`; absent when another process still held it then.
Result<std::optional<RunLock>> TakeExecLock(const std::string& node, Deadline deadline);
// ExecInNode for a caller that holds the node's exec lock already (mint suspend keeps it until
// the node sleeps, so that no exec leaves a request the sleep would strand). `node` is looked
// up again by name: it may have been restarted while the caller waited.
Result<ExecOutcome> ExecInNodeLocked(HostDevice& host, const std::string& node, const RunLock& held,
                                     const std::vector<std::string>& command, Deadline deadline);

}  // namespace mint
