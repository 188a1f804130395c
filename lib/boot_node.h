// Starting one node through a NodeLoader: claim, copy, wake, wait. Any failure after the
// claim gives everything back, so a refused boot leaves nothing owned.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "artifacts.h"
#include "loader.h"

namespace mint {

struct StartedNode {
  uint32_t id = 0;
  StartStamps stamps;
  double claim_ms = 0;  // CREATE: the module's ownership checks
  double copy_ms = 0;   // LOAD of every segment
  uint64_t copied_bytes = 0;
};

// Claims the node's resources, copies every segment and wakes its boot core. The trampoline
// must already be installed.
Result<StartedNode> StartNode(NodeLoader& loader, const NodePlan& node,
                              const NodeArtifacts& artifacts);

// Makes sure the trampoline is installed at the bottom of the host's low window.
Result<void> EnsureTrampoline(NodeLoader& loader, const HostPlan& host);

// Polls the node's status until its agent reports ready, `timeout` passes (an error saying
// what was seen last), or the node fails. `progress` is called on every poll.
using ProgressFn = std::function<void(const mint_node_status&, double elapsed_s)>;
Result<mint_node_status> WaitReady(NodeLoader& loader, uint32_t id,
                                   std::chrono::milliseconds timeout, const ProgressFn& progress);

// Milliseconds between two TSC stamps at tsc_khz.
inline double TscMs(uint64_t from, uint64_t to, uint64_t tsc_khz) {
  if (tsc_khz == 0 || to < from) return 0;
  return static_cast<double>(to - from) / static_cast<double>(tsc_khz);
}

}  // namespace mint
