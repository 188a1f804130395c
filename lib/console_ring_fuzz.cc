// libFuzzer target for the console ring reader: indices come from a node and are untrusted.
// Invariants: never reads outside the ring, never returns more than the ring holds, and the
// tail only moves forward unless the head went backwards.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "console_ring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 24) return 0;
  uint64_t tail, before, after;
  std::memcpy(&tail, data, 8);
  std::memcpy(&before, data + 8, 8);
  std::memcpy(&after, data + 16, 8);
  std::span<const uint8_t> ring(data + 24, size - 24);
  mint::RingChunk chunk = mint::ReadRing(tail, before, after, ring);
  if (chunk.bytes.size() > ring.size()) std::abort();
  // An empty ring has nothing to read: the reader jumps to the current head instead.
  if (!ring.empty() && before >= tail && after >= before && chunk.next_tail != before) std::abort();
  uint64_t room = mint::InputRoom(after, before, ring.size());
  if (room > ring.size()) std::abort();
  return 0;
}
