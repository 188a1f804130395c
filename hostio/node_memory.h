// Memory between the host and running nodes (docs/memory-handover.md): `mint mem give|take|ls`
// chain the host module's one-step MINT_IOC_MEM ops into whole moves, waiting for the node's
// module to add or remove the range in its stock kernel, and undo a move that fails part way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host_device.h"
#include "mint/abi.h"
#include "phys_range.h"
#include "plan.h"
#include "result.h"

namespace mint {

// A range a running node was given, as the host module and the node's page see it.
struct GivenMemory {
  std::string node;
  uint32_t id = 0;
  PhysRange range;
  bool granted = false;  // false: being taken back
  bool added = false;    // the node's kernel has it
};
// Every range given to a running node, by node then address.
Result<std::vector<GivenMemory>> ListGivenMemory(HostDevice& host);

// The first `size` bytes (whole blocks) of `node`'s receive_memory that no node holds now,
// lowest address first; `held` is what the nodes hold (their boot and given ranges).
Result<PhysRange> PickReceivable(const NodePlan& node, uint64_t size,
                                 const std::vector<std::pair<PhysRange, std::string>>& held);

// Every range a live node holds now, with its owner's name (for PickReceivable).
Result<std::vector<std::pair<PhysRange, std::string>>> HeldMemory(HostDevice& host);

struct MemoryMove {
  std::string node;
  PhysRange range;
  double host_ms = 0;       // the host module's step (GIVE: claim and zero; RECLAIM: zero, free)
  double node_ms = 0;       // the node's kernel added (give) or removed (take) the range
  double total_ms = 0;      // request -> done
  uint64_t block_size = 0;  // the node's memory block size
};

// Gives [range] to node `node`, waiting up to timeout_s for its kernel to add it. On failure
// the range goes back to the host (unless the node never answers: then it stays the node's).
Result<MemoryMove> GiveMemory(HostDevice& host, const std::string& node, const PhysRange& range,
                              double timeout_s);

// Takes the range given to `node` at `start` back: the node removes it (migrating what is in
// it) within timeout_s or keeps it, busy; then the host zeroes it and frees it.
Result<MemoryMove> TakeMemory(HostDevice& host, const std::string& node, uint64_t start,
                              double timeout_s);

}  // namespace mint
