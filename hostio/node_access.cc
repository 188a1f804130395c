#include "node_access.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include "console_ring.h"
#include "node_text.h"

namespace mint {

Result<mint_node_status> FindNodeByName(HostDevice& host, const std::string& name) {
  std::string names;
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    auto status = MINT_TRY(host.Status(id));
    if (status.state == MINT_STATE_FREE) continue;
    std::string found(status.name, strnlen(status.name, sizeof(status.name)));
    if (found == name) return status;
    names += (names.empty() ? "" : ", ") + found;
  }
  return Fail("no node named '", name, "' (the host runs: ", names.empty() ? "none" : names,
              "; see mint ps)");
}

std::string ReasonText(const mint_node_page& page) {
  return PrintableNodeText({page.reason_text, strnlen(page.reason_text, sizeof(page.reason_text))});
}

std::optional<mint_node_page> ReadNodePage(HostDevice& host, uint32_t id) {
  auto page = host.ReadSharedAs<mint_node_page>(id, MINT_SHARED_NODE_PAGE);
  if (!page || page->magic != MINT_NODE_PAGE_MAGIC) return std::nullopt;
  page->reason_text[sizeof(page->reason_text) - 1] = '\0';
  return *page;
}

double SecondsSinceTsc(uint64_t from, uint64_t tsc_khz) {
  uint64_t now = __rdtsc();
  if (tsc_khz == 0 || from == 0 || now < from) return 0;
  return static_cast<double>(now - from) / (static_cast<double>(tsc_khz) * 1000.0);
}

std::string RunDir() {
  const char* dir = std::getenv("MINT_RUN_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/run/mint";
}

namespace {

bool MakeRunDir() {
  std::string dir = RunDir();
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at == dir.size() || dir[at] == '/') {
      std::string part = dir.substr(0, at);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
  }
  return true;
}

std::string PlanRecord(const std::string& node) {
  return RunDir() + "/" + node + ".plan";
}

}  // namespace

void RememberPlan(const std::string& plan_path, const std::string& node) {
  char resolved[PATH_MAX];
  std::string path = realpath(plan_path.c_str(), resolved) != nullptr ? resolved : plan_path;
  if (!MakeRunDir()) {
    std::cerr << "mint: warning: cannot create " << RunDir() << ": " << std::strerror(errno)
              << "; 'mint restart " << node << "' will need the plan named\n";
    return;
  }
  std::ofstream out(PlanRecord(node), std::ios::trunc);
  out << path << "\n";
  if (!out)
    std::cerr << "mint: warning: cannot write " << PlanRecord(node) << "; 'mint restart " << node
              << "' will need the plan named\n";
}

std::optional<std::string> RememberedPlan(const std::string& node) {
  std::ifstream in(PlanRecord(node));
  std::string path;
  if (!std::getline(in, path) || path.empty()) return std::nullopt;
  return path;
}

Deadline DeadlineIn(double seconds) {
  double bounded = seconds > 0 ? std::min(seconds, 86400.0) : 0.0;  // NaN too
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             std::chrono::duration<double>(bounded));
}

Result<std::optional<RunLock>> RunLock::Take(const std::string& name, Deadline deadline) {
  if (!MakeRunDir()) return Fail("cannot create ", RunDir(), ": ", std::strerror(errno));
  std::string path = RunDir() + "/" + name;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("cannot open ", path, ": ", std::strerror(errno));
  // Polled rather than blocking: a blocking flock can only be bounded with a signal, and a
  // library has no business owning one. The pause grows to 20 ms, so a queue of waiters costs
  // little and the next one starts within 20 ms of the holder letting go.
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return std::optional<RunLock>(RunLock(fd));
    int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd);
      return Fail("cannot lock ", path, ": ", std::strerror(err));
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      ::close(fd);
      return std::optional<RunLock>();
    }
    std::this_thread::sleep_for(std::min<Deadline::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

std::string NameOf(const mint_node_status& node) {
  return {node.name, strnlen(node.name, sizeof(node.name))};
}

std::string StateName(const mint_node_status& node) {
  NodeView view;
  view.module_state = node.state;
  return NodeStateName(view);
}

// Why `node` cannot take a request now, or nothing when it can: only a booting or running
// node whose kernel has not parked itself can.
std::optional<std::string> CannotTakeRequest(HostDevice& host, const mint_node_status& node) {
  std::string name = NameOf(node);
  auto page = ReadNodePage(host, node.id);
  if (page && page->condition == MINT_NODE_PARKED)
    return "node " + name + " is parked (" + ReasonText(*page) + "); 'mint restart " + name +
           "' boots it again";
  if (node.state == MINT_STATE_SUSPENDED)
    return "node " + name + " is suspended; 'mint resume " + name + "' wakes it";
  if (node.state != MINT_STATE_STARTED && node.state != MINT_STATE_READY)
    return "node " + name + " is " + StateName(node) +
           "; only a booting or running node runs commands";
  return std::nullopt;
}

// Why the node a request went to can no longer answer it, or nothing while it can. `was` is
// the node as the request found it. A stop shows as DIRTY while the module zeroes the node's
// memory (it lets go of its lock between chunks), then as a free slot; a restart fills the
// slot with another boot (another START stamp): all of them are "stopped", even when they
// happen between two polls.
Result<std::optional<std::string>> GoneSince(HostDevice& host, const mint_node_status& was) {
  std::string name = NameOf(was);
  auto now = MINT_TRY(host.Status(was.id));
  if (now.state == MINT_STATE_FREE || now.state == MINT_STATE_DIRTY || NameOf(now) != name ||
      now.tsc_before_init != was.tsc_before_init)
    return std::optional<std::string>("node " + name +
                                      " was stopped before the command finished; its output "
                                      "and exit status are lost");
  auto page = ReadNodePage(host, was.id);
  if (page && page->condition == MINT_NODE_PARKED)
    return std::optional<std::string>("node " + name + " parked before the command finished (" +
                                      ReasonText(*page) + ")");
  if (now.state == MINT_STATE_SUSPENDED)
    return std::optional<std::string>(
        "node " + name +
        " was suspended before the command finished; the command goes on when 'mint resume " +
        name + "' wakes the node, but its answer will not reach this exec");
  if (now.state != MINT_STATE_STARTED && now.state != MINT_STATE_READY)
    return std::optional<std::string>("node " + name + " is " + StateName(now) +
                                      " (it stopped before the command finished)");
  return std::optional<std::string>();
}

// The exec result's header. A read that fails because the node went away says so.
Result<mint_exec_result> ReadExecResult(HostDevice& host, const mint_node_status& node) {
  auto result = host.ReadSharedAs<mint_exec_result>(node.id, MINT_SHARED_EXEC_RESULT);
  if (result) return result;
  auto gone = GoneSince(host, node);
  if (gone && *gone) return Fail(**gone);
  return result.take_error();
}

}  // namespace

Result<std::optional<RunLock>> TakeExecLock(const std::string& node, Deadline deadline) {
  return RunLock::Take(node + ".exec", deadline);
}

Result<ExecOutcome> ExecInNode(HostDevice& host, const mint_node_status& node,
                               const std::vector<std::string>& command, double timeout_s) {
  Deadline deadline = DeadlineIn(timeout_s);
  // Refused before queueing: no reason to wait for a turn a parked node cannot use.
  if (auto why = CannotTakeRequest(host, node)) return Fail(*why);
  auto lock = MINT_TRY(TakeExecLock(NameOf(node), deadline));
  if (!lock) {
    ExecOutcome outcome;
    outcome.timed_out = true;
    outcome.stage = ExecStage::kQueued;
    return outcome;
  }
  return ExecInNodeLocked(host, NameOf(node), *lock, command, deadline);
}

Result<ExecOutcome> ExecInNodeLocked(HostDevice& host, const std::string& name,
                                     const RunLock& /*held*/,
                                     const std::vector<std::string>& command, Deadline deadline) {
  std::string argv_bytes;
  for (const std::string& arg : command) argv_bytes += arg + '\0';
  if (argv_bytes.size() > MINT_EXEC_ARGV_MAX)
    return Fail("the command is ", std::to_string(argv_bytes.size()),
                " bytes with its NULs; the mailbox takes ", std::to_string(MINT_EXEC_ARGV_MAX));
  // The node may have changed while this exec waited its turn: stopped, restarted (the same
  // name, a new boot and mailbox), suspended by the mint suspend before it.
  auto found = FindNodeByName(host, name);
  if (!found) return Fail(found.error().message, " (it was there when this command queued)");
  const mint_node_status& node = *found;
  if (auto why = CannotTakeRequest(host, node)) return Fail(*why);
  uint32_t id = node.id;

  auto timed_out = [](ExecStage stage) {
    ExecOutcome outcome;
    outcome.timed_out = true;
    outcome.stage = stage;
    return outcome;
  };
  // Polls the result until `done` says so or the deadline passes; returns the last one read.
  // Every poll also checks that the node is still there, so a stop ends the wait at once.
  auto wait = [&](auto done) -> Result<mint_exec_result> {
    for (;;) {
      auto result = MINT_TRY(ReadExecResult(host, node));
      if (done(result)) return result;
      auto gone = MINT_TRY(GoneSince(host, node));
      if (gone) return Fail(*gone);
      if (std::chrono::steady_clock::now() >= deadline) return result;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };

  // The host writes a request only once the previous one is answered: the agent reads the
  // argv after it sees a new exec_seq, and a request written over one it is still reading
  // would reach it torn. The previous one is unanswered only when an exec timed out; its
  // command still runs in the node (the agent runs one at a time), so waiting for it costs
  // this exec nothing it would not wait anyway.
  auto host_page = MINT_TRY(host.ReadSharedAs<mint_host_page>(id, MINT_SHARED_HOST_PAGE));
  uint64_t previous = host_page.exec_seq;
  auto answered = MINT_TRY(wait([&](const mint_exec_result& r) { return r.done_seq >= previous; }));
  if (answered.done_seq < previous)
    return timed_out(answered.started_seq == previous ? ExecStage::kBehindEarlier
                                                      : ExecStage::kNotPickedUp);

  uint64_t seq = std::max<uint64_t>(previous, answered.done_seq) + 1;
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

  auto done = MINT_TRY(wait([&](const mint_exec_result& r) { return r.done_seq == seq; }));
  if (done.done_seq != seq)
    return timed_out(done.started_seq == seq ? ExecStage::kRunning : ExecStage::kNotPickedUp);
  // Read the header again: the copy that saw done_seq may have read the other fields before
  // the agent wrote them (a string copy's loads are not ordered among themselves), and
  // nothing writes them again until this process, which holds the lock, sends a request.
  auto result = MINT_TRY(ReadExecResult(host, node));
  if (result.done_seq != seq)
    return Fail("node ", name, "'s agent answered request ", std::to_string(seq),
                ", then changed the answer to ", std::to_string(result.done_seq),
                " (two agents serving one node?)");
  ExecOutcome outcome;
  outcome.status = result.status;
  outcome.truncated = result.truncated != 0;
  outcome.output.resize(std::min<uint32_t>(result.out_len, MINT_EXEC_OUTPUT_MAX));
  if (!outcome.output.empty())
    MINT_TRY_VOID(
        host.ReadShared(id, MINT_SHARED_EXEC_RESULT + sizeof(mint_exec_result), outcome.output));
  return outcome;
}

}  // namespace mint
