// Booting many nodes (parallel_boot.h): the host prepares them one at a time through the node
// lifecycle and wakes each as soon as it is in place.
#include "parallel_boot.h"

#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

namespace mint {
namespace {

struct Clock {
  uint64_t tsc0 = __rdtsc();
  uint64_t tsc_khz = 0;
  double Ms(uint64_t tsc) const { return TscMs(tsc0, tsc, tsc_khz); }
  double Now() const { return Ms(__rdtsc()); }
};

class Runner {
 public:
  Runner(HostSession& session, const UpOptions& options)
      : session_(session), host_(*session.host), options_(options) {
    clock_.tsc_khz = session.tsc_khz;
  }

  void Say(const NodeRun& run, const std::string& what) {
    if (options_.on_phase) options_.on_phase(clock_.Now(), run, what);
  }

  // Host-side work for one node, ending with INIT/SIPI.
  void Prepare(NodeRun& run) {
    run.host_start_ms = clock_.Now();
    Say(run, "preparing (read, build, claim, copy)");
    auto prepared = PrepareNode(*run.node, session_, options_.entry);
    if (!prepared) return Fail(run, prepared.error().message);
    run.read_ms = (*prepared)->read_ms;
    run.build_ms = (*prepared)->build_ms;
    auto started = StartPrepared(session_, **prepared);
    if (!started) return Fail(run, started.error().message);
    run.id = started->id;
    run.started = true;
    run.claim_ms = started->claim_ms;
    run.copy_ms = started->copy_ms;
    run.woken_ms = clock_.Ms(started->stamps.tsc_before_init);
    char text[96];
    std::snprintf(text, sizeof(text), "woken on core %u (host side %.0f ms)", run.node->cpus[0],
                  run.woken_ms - run.host_start_ms);
    Say(run, text);
  }

  // One look at a started node; returns true once it is done (ready or failed).
  bool Poll(NodeRun& run) {
    if (!run.started || run.ready || !run.error.empty()) return true;
    auto status = host_.Status(run.id);
    if (!status) {
      Fail(run, status.error().message);
      return true;
    }
    const mint_status_page& page = status->page;
    if (run.trampoline_ms == 0 && page.tsc_trampoline != 0) {
      run.trampoline_ms = clock_.Ms(page.tsc_trampoline);
      Say(run, "in the trampoline, kernel booting");
    }
    if (status->state == MINT_STATE_READY) {
      run.ready = true;
      run.ready_ms = clock_.Ms(page.tsc_ready);
      char text[64];
      std::snprintf(text, sizeof(text), "ready (INIT -> ready %.2f s)",
                    (run.ready_ms - run.woken_ms) / 1000);
      Say(run, text);
      return true;
    }
    if (status->state == MINT_STATE_FREE || status->state == MINT_STATE_STOPPED) {
      Fail(run, "stopped before it was ready");
      return true;
    }
    return false;
  }

  bool PollAll(std::vector<NodeRun>& runs) {
    bool done = true;
    for (NodeRun& run : runs) done &= Poll(run);
    return done;
  }

  bool TimedOut() const { return clock_.Now() > options_.timeout_s * 1000.0; }
  const Clock& clock() const { return clock_; }

  void Fail(NodeRun& run, const std::string& message) {
    run.error = message;
    Say(run, "FAILED: " + message);
  }

 private:
  HostSession& session_;
  HostDevice& host_;
  const UpOptions& options_;
  Clock clock_;
};

}  // namespace

Timeline UpResult::ToTimeline(const std::string& title) const {
  Timeline timeline{title, {}, {}};
  for (const NodeRun& run : nodes) {
    TimelineLane lane{run.node->name, {}};
    if (run.started) {
      lane.phases.push_back({"host", run.host_start_ms, run.woken_ms});
      double tramp = run.trampoline_ms ? run.trampoline_ms : run.woken_ms;
      lane.phases.push_back({"wake", run.woken_ms, tramp});
      if (run.ready) lane.phases.push_back({"boot", tramp, run.ready_ms});
    }
    timeline.lanes.push_back(lane);
  }
  return timeline;
}

Result<UpResult> BootNodes(HostSession& session, const std::vector<const NodePlan*>& nodes,
                           const UpOptions& options) {
  if (session.dry_run()) return Fail("a dry run boots nothing");
  UpResult result;
  for (const NodePlan* node : nodes) {
    NodeRun run;
    run.node = node;
    result.nodes.push_back(run);
  }
  Runner runner(session, options);
  for (NodeRun& run : result.nodes) {
    runner.Prepare(run);
    if (options.sequential) {
      while (!runner.Poll(run) && !runner.TimedOut())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else {
      runner.PollAll(result.nodes);
    }
  }
  while (!runner.PollAll(result.nodes) && !runner.TimedOut())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  result.ok = true;
  for (NodeRun& run : result.nodes) {
    if (run.started && !run.ready && run.error.empty())
      runner.Fail(run, "not ready after " + std::to_string(options.timeout_s) +
                           " s (the node keeps its resources; 'mint stop " + run.node->name +
                           "' gives them back)");
    if (!run.ready) result.ok = false;
    result.all_ready_ms = std::max(result.all_ready_ms, run.ready_ms);
  }
  return result;
}

void StopStarted(NodeLoader& loader, const UpResult& result) {
  for (const NodeRun& run : result.nodes) {
    if (!run.started) continue;
    auto stopped = StopNode(loader, run.id, run.node->name);
    if (!stopped)
      std::cerr << "mint: stopping " << run.node->name << ": " << stopped.error().message << "\n";
  }
}

}  // namespace mint
