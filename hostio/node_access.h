// What mint ps / exec / console / restart share: finding a node by name, reading its node
// page, the host's TSC, and where the CLI remembers each booted node's plan.
#pragma once

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

// What a command run through the node's agent gave back (mint exec, mint suspend).
struct ExecOutcome {
  bool timed_out = false;  // not finished in time; picked_up says whether it had started
  bool picked_up = false;
  int32_t status = 0;  // exit code, 128 + signal, 127 if it could not run
  bool truncated = false;
  std::vector<uint8_t> output;  // stdout and stderr together
};

// Runs `command` in `node` through its agent's exec mailbox (docs/shared-memory.md), one
// exec per node at a time, waiting at most `timeout_s`. Errors: a parked or suspended node,
// a mailbox the module cannot reach.
Result<ExecOutcome> ExecInNode(HostDevice& host, const mint_node_status& node,
                               const std::vector<std::string>& command, double timeout_s);

// /run/mint: the CLI's own state (one file per booted node naming its plan, lock files).
std::string RunDir();
// Records that `node` was booted from `plan_path`, for mint restart. Failures are only
// reported on stderr: a boot never fails because of it.
void RememberPlan(const std::string& plan_path, const std::string& node);
std::optional<std::string> RememberedPlan(const std::string& node);

// An flock()ed file under RunDir(), held for the object's life: one `mint console` writer
// (or one `mint exec`) per node at a time.
class RunLock {
 public:
  static Result<RunLock> Take(const std::string& name);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace mint
