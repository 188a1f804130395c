// Memory between the host and running nodes: whole moves from the host module's steps
// (hostio/node_memory.h).
#include "node_memory.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "format.h"
#include "node_access.h"

namespace mint {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string NodeName(const mint_node_status& status) {
  return std::string(status.name, strnlen(status.name, sizeof(status.name)));
}

Result<mint_mem> Step(HostDevice& host, uint32_t op, uint32_t id, uint64_t start, uint64_t size = 0,
                      uint32_t remove_ms = 0) {
  mint_mem arg{};
  arg.op = op;
  arg.id = id;
  arg.start = start;
  arg.size = size;
  arg.remove_ms = remove_ms;
  return host.Mem(arg);
}

// Polls the range until `done(query)` or the timeout; the last query either way.
template <typename Done>
Result<std::pair<mint_mem, bool>> WaitRange(HostDevice& host, uint32_t id, uint64_t start,
                                            double timeout_s, Done done) {
  auto begin = Clock::now();
  for (;;) {
    auto q = MINT_TRY(Step(host, MINT_MEM_QUERY, id, start));
    if (done(q)) return std::pair{q, true};
    if (MsSince(begin) > timeout_s * 1000) return std::pair{q, false};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// How long undoing a failed give waits for the node to answer.
constexpr double kUndoSeconds = 10;
// The host waits this much longer than the deadline it gives the node for a removal.
constexpr double kGraceSeconds = 5;

// A give the node did not complete: ask it to let go; only a range it reports not added, on
// the latest request, goes back to the host.
std::string UndoGive(HostDevice& host, uint32_t id, const std::string& node, uint64_t start) {
  if (auto released = Step(host, MINT_MEM_RELEASE, id, start); !released)
    return "and asking it to let the range go failed: " + released.error().message;
  auto waited = WaitRange(host, id, start, kUndoSeconds + kGraceSeconds,
                          [](const mint_mem& q) { return q.acked != 0; });
  if (!waited) return "and asking it about the range failed: " + waited.error().message;
  auto [q, answered] = *waited;
  if (!answered || q.added)
    return "it keeps the range until it lets it go (mint stop " + node + " hands it back)";
  if (auto reclaimed = Step(host, MINT_MEM_RECLAIM, id, start); !reclaimed)
    return "and taking it back failed: " + reclaimed.error().message;
  return "the range is the host's again";
}

}  // namespace

Result<std::vector<GivenMemory>> ListGivenMemory(HostDevice& host) {
  std::vector<GivenMemory> out;
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    auto status = host.Status(id);
    if (!status) continue;  // a free slot
    for (uint32_t r = 1; r < status->n_ranges && r < MINT_MAX_RANGES; ++r) {
      auto q = Step(host, MINT_MEM_QUERY, id, status->ranges[r].start);
      if (!q || !q->given) continue;
      out.push_back({NodeName(*status),
                     id,
                     {status->ranges[r].start, status->ranges[r].start + status->ranges[r].size},
                     q->granted != 0,
                     q->added != 0});
    }
  }
  return out;
}

Result<std::vector<std::pair<PhysRange, std::string>>> HeldMemory(HostDevice& host) {
  std::vector<std::pair<PhysRange, std::string>> held;
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    auto status = host.Status(id);
    if (!status) continue;
    for (uint32_t r = 0; r < status->n_ranges && r < MINT_MAX_RANGES; ++r)
      held.push_back({{status->ranges[r].start, status->ranges[r].start + status->ranges[r].size},
                      "node " + NodeName(*status)});
  }
  return held;
}

Result<PhysRange> PickReceivable(const NodePlan& node, uint64_t size,
                                 const std::vector<std::pair<PhysRange, std::string>>& held) {
  if (size == 0 || size % kMemoryBlock != 0)
    return Fail("size ", Hex(size), " is not a whole number of 128 MiB blocks");
  if (node.receive_memory.empty())
    return Fail("node ", node.name,
                " has no receive_memory in its plan: it cannot be given memory");
  std::vector<PhysRange> pool = node.receive_memory;
  std::sort(pool.begin(), pool.end(),
            [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
  for (const PhysRange& area : pool) {
    for (uint64_t at = area.start; at + size <= area.end && at + size > at; at += kMemoryBlock) {
      PhysRange candidate{at, at + size};
      bool free = std::none_of(held.begin(), held.end(),
                               [&](const auto& h) { return h.first.Overlaps(candidate); });
      if (free) return candidate;
    }
  }
  std::string list;
  for (const PhysRange& r : pool) list.append(list.empty() ? "" : ", ").append(FormatRange(r));
  return Fail("node ", node.name, "'s receive_memory (", list, ") has no free ",
              std::to_string(size >> 20), " MiB now: other nodes hold the rest (mint mem ls)");
}

Result<MemoryMove> GiveMemory(HostDevice& host, const std::string& node, const PhysRange& range,
                              double timeout_s) {
  auto start = Clock::now();
  auto target = MINT_TRY(FindNodeByName(host, node));
  MemoryMove move;
  move.node = node;
  move.range = range;
  auto give_start = Clock::now();
  auto given = MINT_TRY(Step(host, MINT_MEM_GIVE, target.id, range.start, range.size(),
                             static_cast<uint32_t>(timeout_s * 1000)));
  move.host_ms = MsSince(give_start);
  move.block_size = given.block_size;
  auto node_start = Clock::now();
  auto [q, ok] = MINT_TRY(WaitRange(host, target.id, range.start, timeout_s, [](const mint_mem& v) {
    return v.acked && (v.added || v.node_error != 0);
  }));
  if (ok && q.added) {
    move.node_ms = MsSince(node_start);
    move.total_ms = MsSince(start);
    return move;
  }
  std::string why = !ok ? "did not add it within " + Seconds(timeout_s)
                        : "could not add it: " + Errno(q.node_error);
  return Fail("node ", node, " ", why, " (memory ", FormatRange(range), "); ",
              UndoGive(host, target.id, node, range.start));
}

Result<MemoryMove> TakeMemory(HostDevice& host, const std::string& node, uint64_t start,
                              double timeout_s) {
  auto begin = Clock::now();
  auto from = MINT_TRY(FindNodeByName(host, node));
  auto released = MINT_TRY(
      Step(host, MINT_MEM_RELEASE, from.id, start, 0, static_cast<uint32_t>(timeout_s * 1000)));
  MemoryMove move;
  move.node = node;
  move.range = {start, start + released.size};
  auto [q, ok] = MINT_TRY(WaitRange(host, from.id, start, timeout_s + kGraceSeconds,
                                    [](const mint_mem& v) { return v.acked != 0; }));
  if (!ok || q.added) {
    auto kept = Step(host, MINT_MEM_KEEP, from.id, start);
    std::string why = !ok ? "did not answer within " + Seconds(timeout_s + kGraceSeconds)
                      : q.node_error == -EINTR
                          ? "could not empty it within " + Seconds(timeout_s) +
                                " (its kernel still uses it: free memory in the node, or a "
                                "longer --timeout)"
                          : "could not remove it: " + Errno(q.node_error);
    return Fail(
        "node ", node, " ", why, "; it keeps memory ", FormatRange(move.range),
        kept ? "" : " (and the host could not grant it again: " + kept.error().message + ")");
  }
  move.node_ms = MsSince(begin);
  move.block_size = q.block_size;
  auto reclaim_start = Clock::now();
  MINT_TRY_VOID(Step(host, MINT_MEM_RECLAIM, from.id, start));
  move.host_ms = MsSince(reclaim_start);
  move.total_ms = MsSince(begin);
  return move;
}

}  // namespace mint
