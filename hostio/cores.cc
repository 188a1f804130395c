// Cores between running kernels: whole moves from the host module's steps (hostio/cores.h).
#include "cores.h"

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

Result<mint_cpu> Step(HostDevice& host, uint32_t op, uint32_t id, uint32_t apic_id,
                      uint32_t flags = 0, int* errno_out = nullptr) {
  mint_cpu arg{};
  arg.op = op;
  arg.id = id;
  arg.apic_id = apic_id;
  arg.flags = flags;
  return host.Cpu(arg, errno_out);
}

std::string OwnerName(HostDevice& host, uint32_t owner) {
  if (owner == MINT_CPU_HOST) return "host";
  auto status = host.Status(owner);
  return status ? std::string(status->name, strnlen(status->name, sizeof(status->name)))
                : "node id " + std::to_string(owner);
}

// How long undoing a failed give waits for the node to answer, whatever the move's timeout.
constexpr double kUndoSeconds = 10;

// Polls the core until `done(query)` or the timeout; the last query either way.
template <typename Done>
Result<std::pair<mint_cpu, bool>> WaitCore(HostDevice& host, uint32_t apic_id, double timeout_s,
                                           Done done) {
  auto start = Clock::now();
  for (;;) {
    auto q = MINT_TRY(Step(host, MINT_CPU_QUERY, 0, apic_id));
    if (done(q)) return std::pair{q, true};
    if (MsSince(start) > timeout_s * 1000) return std::pair{q, false};
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

// Node `id` lets go of the core: RELEASE, wait until its module reports it offline, RECLAIM
// (parked, the host's). On a refusal or a timeout the node keeps the core (KEEP).
Result<double> ReleaseFromNode(HostDevice& host, uint32_t id, const std::string& name,
                               uint32_t apic_id, uint32_t reclaim_flags, double timeout_s) {
  auto start = Clock::now();
  MINT_TRY_VOID(Step(host, MINT_CPU_RELEASE, id, apic_id));
  auto [q, ok] = MINT_TRY(WaitCore(host, apic_id, timeout_s, [](const mint_cpu& c) {
    return c.node_acked && (!c.node_online || c.node_error != 0);
  }));
  if (!ok || q.node_online) {
    auto kept = Step(host, MINT_CPU_KEEP, id, apic_id);
    std::string why = !ok ? "did not take it offline within " + Seconds(timeout_s)
                          : "could not take it offline: " + Errno(q.node_error);
    return Fail(
        "node ", name, " ", why, "; it keeps APIC ID ", std::to_string(apic_id),
        kept ? "" : " (and the host could not grant it again: " + kept.error().message + ")");
  }
  double ms = MsSince(start);
  MINT_TRY_VOID(Step(host, MINT_CPU_RECLAIM, id, apic_id, reclaim_flags));
  return ms;
}

// A give the node did not complete: ask it to let go and wait for its answer. Only a core the
// node reports offline, on the latest request, is parked and made the host's; one it runs on
// and cannot take down stays its (KEEP); one it never answers about stays its, released.
std::string UndoGive(HostDevice& host, uint32_t id, const std::string& node, uint32_t apic_id) {
  if (auto released = Step(host, MINT_CPU_RELEASE, id, apic_id); !released)
    return "and asking it to let the core go failed: " + released.error().message;
  auto waited = WaitCore(host, apic_id, kUndoSeconds, [](const mint_cpu& v) {
    return v.node_acked && (!v.node_online || v.node_error != 0);
  });
  if (!waited) return "and asking it about the core failed: " + waited.error().message;
  auto [q, answered] = *waited;
  if (!answered)
    return "it did not answer within " + Seconds(kUndoSeconds) + ": the core stays node " + node +
           "'s until it does (mint stop " + node + " hands it back)";
  if (q.node_online) {
    auto kept = Step(host, MINT_CPU_KEEP, id, apic_id);
    return "it runs on the core and cannot take it down (" + Errno(q.node_error) +
           "): it keeps it" +
           (kept ? "" : " (granting it again failed: " + kept.error().message + ")");
  }
  if (auto reclaimed = Step(host, MINT_CPU_RECLAIM, id, apic_id); !reclaimed)
    return "and taking it back failed: " + reclaimed.error().message;
  return "it is the host's again, parked (offline)";
}

}  // namespace

Result<std::vector<CoreView>> ListCores(HostDevice& host) {
  std::vector<CoreView> out;
  for (uint32_t apic = 0; apic < 256; ++apic) {
    int err = 0;
    auto q = Step(host, MINT_CPU_QUERY, 0, apic, 0, &err);
    if (!q) {
      if (err == ENODEV) continue;
      return Fail(q.error().message);
    }
    out.push_back({*q, OwnerName(host, q->owner)});
  }
  return out;
}

Result<CoreMove> GiveCore(HostDevice& host, const std::string& node, uint32_t apic_id,
                          double timeout_s) {
  auto start = Clock::now();
  auto target = MINT_TRY(FindNodeByName(host, node));
  CoreMove move;
  move.apic_id = apic_id;
  move.to = node;
  auto q = MINT_TRY(Step(host, MINT_CPU_QUERY, 0, apic_id));
  move.from = OwnerName(host, q.owner);
  if (q.owner == target.id)
    return Fail("APIC ID ", std::to_string(apic_id), " is node ", node, "'s already");
  if (q.owner != MINT_CPU_HOST) {
    if (q.boot_core)
      return Fail("APIC ID ", std::to_string(apic_id), " is node ", move.from,
                  "'s boot core, which never moves");
    move.release_ms =
        MINT_TRY(ReleaseFromNode(host, q.owner, move.from, apic_id, MINT_CPU_PASSING, timeout_s));
  }
  auto give_start = Clock::now();
  MINT_TRY_VOID(Step(host, MINT_CPU_GIVE, target.id, apic_id));
  move.give_ms = MsSince(give_start);
  auto online_start = Clock::now();
  auto [c, ok] = MINT_TRY(WaitCore(host, apic_id, timeout_s, [](const mint_cpu& v) {
    return v.node_acked && (v.node_online || v.node_error != 0);
  }));
  if (ok && c.node_online) {
    move.online_ms = MsSince(online_start);
    move.total_ms = MsSince(start);
    return move;
  }
  std::string why = !ok ? "did not bring it online within " + Seconds(timeout_s)
                        : "could not bring it online: " + Errno(c.node_error);
  return Fail("node ", node, " ", why, " (APIC ID ", std::to_string(apic_id), "); ",
              UndoGive(host, target.id, node, apic_id));
}

Result<CoreMove> TakeCore(HostDevice& host, const std::string& node, uint32_t apic_id, bool park,
                          double timeout_s) {
  auto start = Clock::now();
  auto from = MINT_TRY(FindNodeByName(host, node));
  auto q = MINT_TRY(Step(host, MINT_CPU_QUERY, 0, apic_id));
  if (q.owner != from.id)
    return Fail("APIC ID ", std::to_string(apic_id), " is not node ", node, "'s: it is ",
                q.owner == MINT_CPU_HOST ? std::string("the host's")
                                         : "node " + OwnerName(host, q.owner) + "'s");
  if (q.boot_core)
    return Fail("APIC ID ", std::to_string(apic_id), " is node ", node,
                "'s boot core, which never moves");
  CoreMove move;
  move.apic_id = apic_id;
  move.from = node;
  move.to = "host";
  const bool online = !park && q.host_was_online;
  auto release_start = Clock::now();
  move.release_ms = MINT_TRY(
      ReleaseFromNode(host, from.id, node, apic_id, online ? MINT_CPU_HOST_ONLINE : 0, timeout_s));
  if (online) move.host_online_ms = MsSince(release_start) - move.release_ms;
  auto after = MINT_TRY(Step(host, MINT_CPU_QUERY, 0, apic_id));
  move.host_online = after.host_online;
  move.total_ms = MsSince(start);
  return move;
}

}  // namespace mint
