#include "boot_node.h"

#include <thread>

namespace mint {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

Result<void> EnsureTrampoline(NodeLoader& loader, const HostPlan& host) {
  HostInfo info = MINT_TRY(loader.Info());
  if (info.trampoline_installed && info.trampoline_phys == host.low_window.start) return Ok{};
  return loader.InstallTrampoline(host.low_window.start, TrampolineCode());
}

Result<StartedNode> StartNode(NodeLoader& loader, const NodePlan& node,
                              const NodeArtifacts& artifacts) {
  NodeClaim claim;
  claim.name = node.name;
  claim.apic_ids = node.cpus;
  claim.low = *node.low;
  claim.memory = node.memory;
  claim.status_page = artifacts.layout.status_page;

  StartedNode started;
  auto t0 = std::chrono::steady_clock::now();
  started.id = MINT_TRY(loader.Create(claim));
  started.claim_ms = MsSince(t0);

  auto give_back = [&](Error error) -> Error {
    auto destroyed = loader.Destroy(started.id);
    if (!destroyed)
      error.message += "; giving node " + node.name +
                       "'s resources back also failed: " + destroyed.error().message;
    return error;
  };
  auto t1 = std::chrono::steady_clock::now();
  for (const Segment& segment : artifacts.segments) {
    auto loaded = loader.Load(started.id, segment.phys, segment.bytes);
    if (!loaded)
      return give_back(Fail("node ", node.name, ": ", SegmentName(segment), " (",
                            std::to_string(segment.bytes.size()), " bytes at ",
                            FormatRange({segment.phys, segment.phys + segment.bytes.size()}),
                            "): ", loaded.error().message));
    started.copied_bytes += segment.bytes.size();
  }
  started.copy_ms = MsSince(t1);
  EntryPoint entry{artifacts.layout.boot_params, artifacts.entry, artifacts.long_mode,
                   artifacts.page_tables.pml4, artifacts.page_tables.pml5};
  auto stamps = loader.Start(started.id, entry);
  if (!stamps) return give_back(Fail("node ", node.name, ": ", stamps.error().message));
  started.stamps = *stamps;
  return started;
}

Result<mint_node_status> WaitReady(NodeLoader& loader, uint32_t id,
                                   std::chrono::milliseconds timeout, const ProgressFn& progress) {
  auto start = std::chrono::steady_clock::now();
  mint_node_status status{};
  for (;;) {
    status = MINT_TRY(loader.Status(id));
    double elapsed = MsSince(start) / 1000.0;
    if (progress) progress(status, elapsed);
    if (status.state == MINT_STATE_READY) return status;
    if (status.state == MINT_STATE_FREE || status.state == MINT_STATE_STOPPED)
      return Fail("node ", std::to_string(id), " stopped before it was ready");
    if (std::chrono::steady_clock::now() - start >= timeout) {
      const char* seen = status.page.tsc_trampoline == 0
                             ? "its core never reached the trampoline (check the trampoline and "
                               "the INIT/SIPI in the host's kernel log)"
                             : "its core ran the trampoline but its agent never reported ready "
                               "(see the node's console)";
      return Fail("node ", std::string(status.name), " not ready after ",
                  std::to_string(timeout.count() / 1000), " s: ", seen);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace mint
