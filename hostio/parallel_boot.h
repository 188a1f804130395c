// Booting many nodes: the host-side work (read, build, claim, copy, wake) runs node after
// node, and each node is woken as soon as its segments are in place, so nodes boot in
// parallel while the host prepares the next. `mint up` and `mint bench parallel` use it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "direct_kernel.h"
#include "host_device.h"
#include "lifecycle.h"
#include "plan.h"
#include "timeline.h"

namespace mint {

struct NodeRun {
  const NodePlan* node = nullptr;
  uint32_t id = 0;
  bool started = false;
  bool ready = false;
  std::string error;  // set when this node failed
  // Milliseconds since the run began, from the TSC (the same clock the node stamps).
  double host_start_ms = 0;
  double woken_ms = 0;       // just before INIT
  double trampoline_ms = 0;  // the trampoline's stamp
  double ready_ms = 0;       // the agent's stamp
  double read_ms = 0, build_ms = 0, claim_ms = 0, copy_ms = 0;
};

struct UpOptions {
  EntryMode entry = EntryMode::kAuto;  // --entry: direct (startup_64) or through the decompressor
  bool sequential = false;             // wait for each node before preparing the next
  int timeout_s = 120;                 // for all nodes to be ready, from the start of the run
  // Called as each node's phase changes ("preparing", "woken on core 2", "ready", "FAILED: ..."),
  // `at_ms` after the run began.
  std::function<void(double at_ms, const NodeRun& run, const std::string& what)> on_phase;
};

struct UpResult {
  std::vector<NodeRun> nodes;
  double all_ready_ms = 0;  // when the last node became ready
  bool ok = false;
  Timeline ToTimeline(const std::string& title) const;
};

// Boots `nodes` through the session's host module (lifecycle.h: PrepareNode, StartPrepared).
// Failures of single nodes are recorded in their NodeRun and do not stop the others; an Error is
// returned only when nothing could be tried (no module, no TSC).
Result<UpResult> BootNodes(HostSession& session, const std::vector<const NodePlan*>& nodes,
                           const UpOptions& options);

// Stops every node of `result` that started (lifecycle.h StopNode); problems are only said on
// stderr (the benchmarks stop their nodes between runs this way).
void StopStarted(NodeLoader& loader, const UpResult& result);

}  // namespace mint
