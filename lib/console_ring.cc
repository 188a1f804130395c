#include "console_ring.h"

namespace mint {

RingChunk ReadRing(uint64_t tail, uint64_t head_before, uint64_t head_after,
                   std::span<const uint8_t> ring) {
  RingChunk out;
  uint64_t size = ring.size();
  if (size == 0 || head_after < head_before || head_before < tail) {
    // Nothing to read, or a head that went backwards: start again from where it is now.
    out.next_tail = head_after;
    return out;
  }
  uint64_t from = tail;
  if (head_before - from > size) {
    out.lost += head_before - size - from;
    from = head_before - size;
  }
  // While the copy was taken the node wrote up to head_after: bytes below head_after - size
  // may have been overwritten in the copy.
  if (head_after - from > size) {
    uint64_t oldest_safe = head_after - size;
    if (oldest_safe > head_before) oldest_safe = head_before;
    out.lost += oldest_safe - from;
    from = oldest_safe;
  }
  out.bytes.reserve(head_before - from);
  for (uint64_t i = from; i < head_before; ++i)
    out.bytes.push_back(static_cast<char>(ring[i % size]));
  out.next_tail = head_before;
  return out;
}

uint64_t InputRoom(uint64_t head, uint64_t node_tail, uint64_t size) {
  if (node_tail > head || head - node_tail > size) return 0;  // a confused node: write nothing
  return size - (head - node_tail);
}

std::string ParkReasonName(uint32_t reason) {
  switch (reason) {
    case MINT_PARK_REBOOT:
      return "reboot";
    case MINT_PARK_POWER_OFF:
      return "power-off";
    case MINT_PARK_HALT:
      return "halt";
    case MINT_PARK_PANIC:
      return "panic";
    case MINT_PARK_EMERGENCY_RESTART:
      return "emergency restart";
    default:
      return "";
  }
}

std::string NodeStateName(const NodeView& view, double hung_after_s) {
  switch (view.module_state) {
    case MINT_STATE_OWNED:
      return "loading";
    case MINT_STATE_STOPPED:
      return "stopped";
    case MINT_STATE_SUSPENDED:
      return "suspended";
    case MINT_STATE_DIRTY:  // a stop could not park its cores or zero its memory (kmod/host)
      return "dirty";
    case MINT_STATE_STARTED:
    case MINT_STATE_READY:
      break;
    default:
      return "free";
  }
  if (view.has_node_page && view.condition == MINT_NODE_PARKED)
    return view.reason == MINT_PARK_PANIC ? "crashed" : "stopped";
  if (view.has_node_page && view.condition == MINT_NODE_UP && view.heartbeat_age_s > hung_after_s)
    return "hung";
  return view.module_state == MINT_STATE_READY ? "running" : "booting";
}

}  // namespace mint
