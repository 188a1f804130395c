// Suspend to RAM with the host in the firmware's place (docs/suspend.md): the node's agent asks
// its kernel to sleep, the host module parks its cores, and a resume sends its boot core back to
// its kernel's wakeup code.
#include "sleep.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "console_ring.h"
#include "lifecycle.h"
#include "node_access.h"
#include "node_text.h"

namespace mint {
namespace {

// What the node's agent printed, quoted in an error: its last newline dropped, the rest made
// printable (the node wrote it; lib/node_text.h).
std::string AgentSaid(const std::vector<uint8_t>& output) {
  std::string text(output.begin(), output.end());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return PrintableNodeText(text);
}

std::string StateOf(const mint_node_status& status) {
  NodeView view;
  view.module_state = status.state;
  return NodeStateName(view);
}

// Polls the node's status until `done` says so or the timeout passes.
template <typename Done>
Result<mint_node_status> WaitFor(HostDevice& host, uint32_t id, double timeout_s, Done done) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto status = MINT_TRY(host.Status(id));
    if (done(status)) return status;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_s)
      return Fail("timed out after ", std::to_string(static_cast<int>(timeout_s)),
                  " s; the node is ", StateOf(status));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

Result<SuspendTimes> SuspendNode(HostDevice& host, const mint_node_status& node, double timeout_s) {
  std::string name(node.name, strnlen(node.name, sizeof(node.name)));
  if (node.state == MINT_STATE_SUSPENDED) return Fail("node ", name, " is already suspended");
  if (node.state != MINT_STATE_READY)
    return Fail("node ", name, " is ", StateOf(node),
                "; only a running node can suspend: try again once 'mint ps' shows it running");
  auto info = MINT_TRY(host.Info());
  Deadline deadline = DeadlineIn(timeout_s);
  // The node's exec mailbox stays this command's until the node sleeps (or did not): an exec
  // queued behind it then finds the node suspended and says so, instead of leaving a request
  // the sleep would strand until the next resume.
  auto lock = MINT_TRY(TakeExecLock(name, deadline));
  if (!lock)
    return Fail("node ", name, ": ", std::to_string(static_cast<int>(timeout_s)),
                " s passed waiting for another mint exec to finish");
  // Looked at again now that this command has its turn: it may have changed meanwhile.
  auto now = MINT_TRY(FindNodeByName(host, name));
  if (now.state != MINT_STATE_READY)
    return Fail("node ", name, " is ", StateOf(now), "; only a running node can suspend");
  uint32_t suspends = now.suspends;
  auto outcome = MINT_TRY(ExecInNodeLocked(host, name, *lock, {"mint-agent", "suspend"}, deadline));
  if (outcome.timed_out || outcome.status != 0)
    return Fail(
        "node ", name, ": its agent did not take the request (",
        outcome.timed_out ? std::string("no answer") : "exit " + std::to_string(outcome.status),
        "): ", AgentSaid(outcome.output));
  auto done = WaitFor(host, now.id, timeout_s, [&](const mint_node_status& s) {
    return s.state != MINT_STATE_READY || s.suspends != suspends;
  });
  if (!done) return Fail("node ", name, ": no suspend: ", done.error().message);
  if (done->state != MINT_STATE_SUSPENDED)
    return Fail("node ", name, " did not suspend: it is ", StateOf(*done));
  SuspendTimes times;
  times.status = *done;
  times.request_to_s3_ms = TscMs(done->page.tsc_suspend, done->tsc_sleep_request, info.tsc_khz);
  times.s3_to_parked_ms = TscMs(done->tsc_sleep_request, done->tsc_suspended, info.tsc_khz);
  return times;
}

Result<ResumeTimes> ResumeNode(HostDevice& host, const mint_node_status& node, double timeout_s) {
  std::string name(node.name, strnlen(node.name, sizeof(node.name)));
  if (node.state != MINT_STATE_SUSPENDED)
    return Fail("node ", name, " is ", StateOf(node), ", not suspended");
  auto info = MINT_TRY(host.Info());
  uint64_t khz = info.tsc_khz;
  ResumeTimes times;
  times.slept_s = SecondsSinceTsc(node.tsc_suspended, khz);
  // The agent asked for this sleep (mint suspend) when its request is the latest and open.
  times.agent_asked = node.page.tsc_suspend != 0 &&
                      node.page.tsc_suspend < node.tsc_sleep_request &&
                      node.page.tsc_resumed < node.page.tsc_suspend;
  auto resumed = MINT_TRY(host.Resume(node.id));
  times.wakeup = resumed.wakeup;
  uint64_t sipi = resumed.tsc_sipi;
  // Userspace is back when the agent's suspend request returns; a node that suspended itself
  // from a shell has no such stamp, so then a command run through the agent says it.
  auto back = WaitFor(host, node.id, timeout_s, [&](const mint_node_status& s) {
    if (s.state != MINT_STATE_READY) return true;
    return s.tsc_kernel_back > sipi && (!times.agent_asked || s.page.tsc_resumed > sipi);
  });
  if (!back) return Fail("node ", name, ": not back: ", back.error().message);
  if (back->state != MINT_STATE_READY)
    return Fail("node ", name, " is ", StateOf(*back), " after the resume");
  times.sipi_to_kernel_ms = TscMs(sipi, back->tsc_kernel_back, khz);
  if (times.agent_asked) {
    times.sipi_to_user_ms = TscMs(sipi, back->page.tsc_resumed, khz);
  } else {
    auto ran = ExecInNode(host, *back, {"true"}, timeout_s);
    if (!ran || ran->timed_out || ran->status != 0)
      return Fail("node ", name, ": its kernel is back but its agent does not answer");
    times.sipi_to_user_ms = SecondsSinceTsc(sipi, khz) * 1000;
  }
  return times;
}

}  // namespace mint
