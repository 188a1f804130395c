// The host's side of the shared-memory console and the node page (docs/shared-memory.md), as
// pure functions over bytes copied out of a node: every index in there is written by the node
// and is untrusted. Nothing here does I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "mint/abi.h"

namespace mint {

// What a reader following the console output ring gets from one look at it.
struct RingChunk {
  std::string bytes;       // new bytes, oldest first
  uint64_t next_tail = 0;  // where to continue next time
  uint64_t lost = 0;       // bytes overwritten before they could be read
};

// `ring` is a copy of the whole ring taken between reading `head_before` and `head_after`
// (the node's console_head). Bytes the node may have overwritten while the copy was taken are
// dropped and counted in `lost`, as are bytes that were already gone. A head that went
// backwards (a node restarted, or lies) restarts the reader at the new head.
RingChunk ReadRing(uint64_t tail, uint64_t head_before, uint64_t head_after,
                   std::span<const uint8_t> ring);

// Bytes the host may write into the console input ring now.
uint64_t InputRoom(uint64_t head, uint64_t node_tail, uint64_t size);

// A node's state as `mint ps` shows it, from the module's state, the node page and the clock.
struct NodeView {
  uint32_t module_state = 0;    // enum mint_state
  bool has_node_page = false;   // the node page's magic is right
  uint32_t condition = 0;       // enum mint_node_condition
  uint32_t reason = 0;          // enum mint_park_reason
  double heartbeat_age_s = -1;  // from tsc_heartbeat; < 0 when unknown
};
constexpr double kHungAfterSeconds = 3.0;
// "loading", "booting", "running", "suspended", "stopped", "crashed" or "hung".
std::string NodeStateName(const NodeView& view, double hung_after_s = kHungAfterSeconds);
// "reboot", "power-off", "halt", "panic", "emergency restart", or "" for none.
std::string ParkReasonName(uint32_t reason);

}  // namespace mint
