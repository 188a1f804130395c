// mint up PLAN: boot every node of a plan, in parallel.
#include "up.h"

#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "artifacts.h"
#include "boot_node.h"
#include "commands.h"
#include "devices.h"
#include "image_store.h"
#include "images.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kUpUsage =
    "usage: mint up PLAN [NODE...] [--sequential] [--timeout S] [--json] [--svg FILE]\n"
    "                    [--device PATH] [--entry auto|decompress|direct]\n"
    "\n"
    "Boots the plan's nodes (all, or those named) in parallel: the host prepares one node at\n"
    "a time (read images, build boot data, claim cores and memory, copy) and wakes each as\n"
    "soon as it is in place, so the nodes' kernels boot side by side. Shows each node's phase\n"
    "as it changes, then a table of every node's timings. A node that fails does not stop the\n"
    "others; the exit status is 1 if any failed.\n"
    "  --sequential  wait for each node to be ready before preparing the next\n"
    "  --timeout S   seconds for every node to be ready (default 120)\n"
    "  --json        print the result as JSON instead of the table\n"
    "  --svg FILE    draw the run's timeline, one lane per node\n"
    "  --device P    the host module's device (default /dev/mint)\n"
    "  --entry E     auto (default: direct when the store holds the unpacked kernel),\n"
    "                decompress, or direct (see mint boot --help)\n";

struct Clock {
  uint64_t tsc0 = __rdtsc();
  uint64_t tsc_khz = 0;
  double Ms(uint64_t tsc) const { return TscMs(tsc0, tsc, tsc_khz); }
  double Now() const { return Ms(__rdtsc()); }
};

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

class Runner {
 public:
  Runner(HostDevice& host, const UpOptions& options, uint64_t tsc_khz)
      : host_(host), options_(options) {
    clock_.tsc_khz = tsc_khz;
  }

  void Say(const NodeRun& run, const std::string& what) {
    if (options_.quiet) return;
    std::printf("  [%6.2f s] %-12s %s\n", clock_.Now() / 1000, run.node->name.c_str(),
                what.c_str());
    std::fflush(stdout);
  }

  // Host-side work for one node, ending with INIT/SIPI.
  void Prepare(NodeRun& run) {
    run.host_start_ms = clock_.Now();
    Say(run, "preparing (read, build, claim, copy)");
    auto images = ReadImages(*run.node, options_.store, /*defer_placement=*/true);
    if (!images) return Fail(run, images.error().message);
    run.read_ms = images->read_ms;
    std::optional<DirectKernelBytes> unpacked;
    DirectKernel direct;
    if (UseDirectEntry(options_.entry, images->image,
                       StoreHasUnpackedKernel(options_.store, run.node->kernel, images->kernel,
                                              images->image))) {
      auto loaded =
          LoadDirectKernel(run.node->kernel, images->kernel, images->image, options_.store);
      if (!loaded) return Fail(run, loaded.error().message);
      unpacked = std::move(*loaded);
      direct = {unpacked->elf, &unpacked->parsed};
      run.read_ms += unpacked->ms;
    }
    auto devices = FenceNodeDevices(*run.node);  // devices of its own, off the host's drivers
    if (!devices) return Fail(run, devices.error().message);
    auto t0 = std::chrono::steady_clock::now();
    NodeInputs inputs{run.node,       images->kernel, &images->image, images->initrd,
                      clock_.tsc_khz, KaslrSeed(),    &devices->pci,  &devices->mmio};
    auto art = BuildNodeArtifacts(inputs, unpacked ? &direct : nullptr);
    if (!art) {
      GiveBackNodeDevices(run.node->name);
      return Fail(run, art.error().message);
    }
    run.build_ms = Since(t0);
    auto started = StartNode(host_, *run.node, *art);
    if (!started) {
      GiveBackNodeDevices(run.node->name);
      return Fail(run, started.error().message);
    }
    run.id = started->id;
    run.started = true;
    run.claim_ms = started->claim_ms;
    run.copy_ms = started->copy_ms;
    run.woken_ms = clock_.Ms(started->stamps.tsc_before_init);
    char text[96];
    std::snprintf(text, sizeof(text), "woken on core %u (host side %.0f ms)", run.node->cpus[0],
                  run.woken_ms - run.host_start_ms);
    Say(run, text);
    PlaceInStore(options_.store, *images);  // while the node boots
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
  HostDevice& host_;
  const UpOptions& options_;
  Clock clock_;
};

}  // namespace

Timeline UpResult::ToTimeline(const std::string& title) const {
  Timeline timeline{title, {}};
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

Result<UpResult> BootNodes(HostDevice& host, const Plan& plan,
                           const std::vector<const NodePlan*>& nodes, const UpOptions& options) {
  HostInfo info = MINT_TRY(host.Info());
  if (info.tsc_khz == 0) return Fail("the host module reports no TSC frequency");
  MINT_TRY_VOID(EnsureTrampoline(host, plan.host));
  UpResult result;
  for (const NodePlan* node : nodes) {
    NodeRun run;
    run.node = node;
    result.nodes.push_back(run);
  }
  Runner runner(host, options, info.tsc_khz);
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

void PrintUpTable(const UpResult& result) {
  std::printf("\n  %-12s %5s %9s %9s %9s %12s %12s %10s\n", "NODE", "CORE", "HOST ms", "COPY ms",
              "WAKE ms", "BOOT ms", "INIT->READY", "READY AT");
  for (const NodeRun& run : result.nodes) {
    if (!run.ready) {
      std::printf("  %-12s %5u  failed: %s\n", run.node->name.c_str(), run.node->cpus[0],
                  run.error.c_str());
      continue;
    }
    std::printf("  %-12s %5u %9.1f %9.1f %9.1f %12.1f %10.2f s %8.2f s\n", run.node->name.c_str(),
                run.node->cpus[0], run.woken_ms - run.host_start_ms, run.copy_ms,
                run.trampoline_ms - run.woken_ms, run.ready_ms - run.trampoline_ms,
                (run.ready_ms - run.woken_ms) / 1000, run.ready_ms / 1000);
  }
  if (result.ok)
    std::printf("  all %zu node(s) ready %.2f s after the run began\n", result.nodes.size(),
                result.all_ready_ms / 1000);
}

namespace {

nlohmann::json RunJson(const NodeRun& run) {
  return {{"node", run.node->name},
          {"core", run.node->cpus[0]},
          {"ready", run.ready},
          {"error", run.error},
          {"host_start_ms", run.host_start_ms},
          {"woken_ms", run.woken_ms},
          {"trampoline_ms", run.trampoline_ms},
          {"ready_ms", run.ready_ms},
          {"read_ms", run.read_ms},
          {"build_ms", run.build_ms},
          {"claim_ms", run.claim_ms},
          {"copy_ms", run.copy_ms}};
}

}  // namespace

int Up(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kUpUsage, 0);
  UpOptions options;
  bool json = TakeFlag(args, "--json");
  options.sequential = TakeFlag(args, "--sequential");
  std::string timeout_text = "120", device = "/dev/mint", svg, entry_text = "auto";
  bool ok = true;
  TakeValue(args, "--timeout", timeout_text, ok);
  TakeValue(args, "--device", device, ok);
  TakeValue(args, "--svg", svg, ok);
  TakeValue(args, "--entry", entry_text, ok);
  if (!ok) return 2;
  auto entry_mode = ParseEntryMode(entry_text);
  if (!entry_mode) return Error(entry_mode.error().message);
  options.entry = *entry_mode;
  char* end = nullptr;
  long timeout = std::strtol(timeout_text.c_str(), &end, 10);
  if (*end != '\0' || timeout <= 0)
    return Error("--timeout '" + timeout_text + "' must be a positive number of seconds");
  options.timeout_s = static_cast<int>(timeout);
  options.quiet = json;
  if (args.empty()) return Usage(kUpUsage, 2);
  for (const std::string& arg : args)
    if (arg.starts_with("-")) return Error("unknown option '" + arg + "' (see mint up --help)");
  auto plan = LoadPlanFile(args[0]);
  if (!plan) return Error(plan.error().message);
  std::vector<const NodePlan*> nodes;
  for (size_t i = 1; i < args.size(); ++i) {
    const NodePlan* node = plan->FindNode(args[i]);
    if (node == nullptr) return Error(args[0] + " has no node named '" + args[i] + "'");
    nodes.push_back(node);
  }
  if (nodes.empty())
    for (const NodePlan& node : plan->nodes) nodes.push_back(&node);
  if (nodes.empty()) return Error(args[0] + " has no nodes to boot");

  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto store = OpenPlanStore(plan->host, device);  // none when the plan has no store
  if (!store) return Error(store.error().message);
  options.store = store->get();
  if (!json)
    std::printf("mint: bringing up %zu node(s) from %s %s\n", nodes.size(), args[0].c_str(),
                options.sequential ? "one after the other" : "in parallel");
  auto result = BootNodes(**host, *plan, nodes, options);
  if (!result) return Error(result.error().message);
  for (const NodeRun& run : result->nodes)
    if (run.started) RememberPlan(args[0], run.node->name);  // for mint restart
  if (json) {
    nlohmann::json out = {{"plan", args[0]},
                          {"sequential", options.sequential},
                          {"all_ready_ms", result->all_ready_ms},
                          {"ok", result->ok},
                          {"nodes", nlohmann::json::array()}};
    for (const NodeRun& run : result->nodes) out["nodes"].push_back(RunJson(run));
    std::cout << out.dump(2) << "\n";
  } else {
    PrintUpTable(*result);
  }
  if (!svg.empty()) {
    std::ofstream file(svg);
    file << RenderTimelineSvg(result->ToTimeline(
        "mint up " + args[0] + (options.sequential ? " (sequential)" : " (parallel)")));
    if (!file) return Error("cannot write " + svg);
  }
  return result->ok ? 0 : 1;
}

}  // namespace mint::cli
