// mint bench image PLAN [NODE]: how fast a node is up when it is not booted. In one run,
// alternating the order every round: a normal boot (images from the resident store), a cold
// boot (images read from disk with the page cache dropped, no store), a boot from a memory
// image (restore + resume), and a resume from suspend. Prints min and median of each, the
// image boot's share of a normal boot, and the image's size.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "commands.h"
#include "memory_images.h"
#include "node_access.h"
#include "parallel_boot.h"
#include "sleep.h"
#include "store_session.h"

namespace mint::cli {
namespace {

constexpr const char* kSnapshotName = "bench-image";

// Boots the node the normal way (from the store, or cold from disk), returns start -> ready.
// Cold: without the store, whose session is set aside meanwhile.
Result<double> NormalBoot(HostSession& session, const NodePlan& node, bool cold) {
  UpOptions options;
  options.timeout_s = 120;
  std::unique_ptr<StoreSession> set_aside;
  if (cold) set_aside = std::move(session.store);
  auto result = BootNodes(session, {&node}, options);
  if (cold) session.store = std::move(set_aside);
  if (!result) return result.take_error();
  const NodeRun& run = result->nodes[0];
  if (!run.ready) {
    StopStarted(*session.host, *result);
    return Fail("node ", node.name, ": ", run.error);
  }
  return run.ready_ms - run.host_start_ms;
}

}  // namespace

Result<int> BenchImage(const BenchTarget& bench_target) {
  const BenchTarget* target = &bench_target;
  const Plan* plan = &target->plan;
  const NodePlan* node = &target->node();
  int rounds = target->rounds;
  const std::string& json_path = target->json_path;
  const std::string& device = target->device;
  if (!plan->host.store)
    return Error(target->plan_path + " has no [host] store to keep the image in");
  auto session = HostSession::Open(*plan, device);
  if (!session) return Error(session.error().message);
  quiet_store_notices = true;
  HostDevice& h = *session->host;
  StoreSession* store = session->store.get();
  const std::string& name = node->name;

  // The image: boot, suspend, snapshot, stop.
  auto first = NormalBoot(*session, *node, false);
  if (!first) return Error(first.error().message);
  auto status = FindNodeByName(h, name);
  if (!status) return Error(status.error().message);
  auto suspended = SuspendNode(h, *status, 30);
  if (!suspended) return Error(suspended.error().message);
  auto snapshot = TakeSnapshot(h, suspended->status, NodeDeviceNames(*node), store, kSnapshotName,
                               PageCodec::kRaw, "", PageCodec::kLz4);
  if (!snapshot) return Error(snapshot.error().message);
  if (auto stopped = StopNode(h, status->id, name); !stopped) return Error(stopped.error().message);
  std::printf(
      "mint bench image: node %s, %llu of %llu pages non-zero (%.1f MiB), image %.1f MiB raw "
      "in the store; %d round(s)\n",
      name.c_str(), static_cast<unsigned long long>(snapshot->nonzero_pages),
      static_cast<unsigned long long>(snapshot->pages),
      static_cast<double>(snapshot->nonzero_pages * kPage) / (1 << 20),
      static_cast<double>(snapshot->store_bytes) / (1 << 20), rounds);
  std::fflush(stdout);

  const char* modes[] = {"normal", "cold", "image", "resume"};
  std::map<std::string, std::vector<double>> ms;
  nlohmann::json runs = nlohmann::json::array();
  for (int round = 0; round < rounds; ++round) {
    for (int k = 0; k < 4; ++k) {
      std::string mode = modes[(round + k) % 4];
      double value = 0;
      std::string detail;
      if (mode == "normal" || mode == "cold") {
        if (mode == "cold") {
          auto dropped = DropPageCache();
          if (!dropped) return Error(dropped.error().message);
        }
        auto booted = NormalBoot(*session, *node, mode == "cold");
        if (!booted) return Error(mode + " boot: " + booted.error().message);
        value = *booted;
      } else if (mode == "image") {
        auto booted = ResumeImage(*session, *plan, name, kSnapshotName, 60);
        if (!booted) return Error("image boot: " + booted.error().message);
        value = booted->total_ms;
        char text[160];
        std::snprintf(text, sizeof(text),
                      "(check %.0f, zero %.0f, copy %.0f, SIPI -> userspace %.0f ms)",
                      booted->check_ms, booted->zero_ms, booted->copy_ms, booted->sipi_to_user_ms);
        detail = text;
      } else {
        auto booted = NormalBoot(*session, *node, false);
        if (!booted) return Error("boot before resume: " + booted.error().message);
        auto running = FindNodeByName(h, name);
        if (!running) return Error(running.error().message);
        auto asleep = SuspendNode(h, *running, 30);
        if (!asleep) return Error(asleep.error().message);
        auto resumed = ResumeNode(h, asleep->status, 30);
        if (!resumed) return Error(resumed.error().message);
        value = resumed->sipi_to_user_ms;
      }
      // Stopping zeroes the node's memory (mint.ko's scrub): timed apart, as the price the
      // next boot of that memory no longer pays.
      auto running = FindNodeByName(h, name);
      auto stop_start = std::chrono::steady_clock::now();
      if (running) (void)StopNode(h, running->id, name);
      double stop_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stop_start)
              .count();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      ms[mode].push_back(value);
      ms["stop"].push_back(stop_ms);
      runs.push_back({{"round", round}, {"mode", mode}, {"ms", value}, {"stop_ms", stop_ms}});
      std::printf("  round %d %-7s %8.1f ms  (then stop %.0f ms) %s\n", round + 1, mode.c_str(),
                  value, stop_ms, detail.c_str());
      std::fflush(stdout);
    }
  }
  {
    auto locked = store->Lock();
    if (locked) {
      for (const StoredImage& image : (**locked)->Images())
        if (image.source.path == std::string("snapshot:") + kSnapshotName)
          (void)(**locked)->Remove(image.sha256);
    }
  }
  std::printf("\n  %-8s %10s %10s\n", "MODE", "min ms", "median ms");
  nlohmann::json summary;
  for (const char* mode : {"normal", "cold", "image", "resume", "stop"}) {
    std::printf("  %-8s %10.1f %10.1f\n", mode, Min(ms[mode]), Median(ms[mode]));
    summary[mode] = {{"min_ms", Min(ms[mode])}, {"median_ms", Median(ms[mode])}};
  }
  std::printf(
      "  (stop: parking the node and zeroing its %llu pages, after any of the four; the next "
      "boot finds them zero)\n",
      static_cast<unsigned long long>(snapshot->pages));
  double share = Median(ms["image"]) / Median(ms["normal"]);
  std::printf(
      "  image/normal %.1f%% (goal: at most 10%%), image/cold %.1f%%; resume median %.1f ms "
      "(goal: under 50 ms)\n",
      share * 100, Median(ms["image"]) / Median(ms["cold"]) * 100, Median(ms["resume"]));
  if (!json_path.empty()) {
    nlohmann::json out = {{"benchmark", "image"},
                          {"node", name},
                          {"pages", snapshot->pages},
                          {"nonzero_pages", snapshot->nonzero_pages},
                          {"image_bytes", snapshot->store_bytes},
                          {"rounds", rounds},
                          {"runs", runs},
                          {"summary", summary},
                          {"image_over_normal", share}};
    auto written = WriteBenchJson(out, json_path);
    if (!written) return Error(written.error().message);
  }
  return 0;
}

}  // namespace mint::cli
