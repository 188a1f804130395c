// mint bench entry PLAN: a node booted by direct entry (startup_64, decompressor skipped) vs
// through the bzImage's decompressor, alternating in one run, with the host-side cost of each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "commands.h"
#include "decompress.h"
#include "direct_kernel.h"
#include "files.h"
#include "images.h"
#include "parallel_boot.h"
#include "store_session.h"

namespace mint::cli {
namespace {

struct Mode {
  const char* name;
  EntryMode entry;
  std::vector<double> init_to_ready, host, unpack_read, copy;
  uint64_t copied_bytes = 0;
};

}  // namespace

Result<int> BenchEntry(const BenchTarget& bench_target) {
  const BenchTarget* target = &bench_target;
  const Plan* plan = &target->plan;
  const NodePlan* node = &target->node();
  int rounds = target->rounds;
  const std::string& json_path = target->json_path;
  const std::string& device = target->device;
  auto session = HostSession::Open(*plan, device);
  if (!session) return Error(session.error().message);
  StoreSession* store = session->store.get();

  // What each mode copies into the node (the initrd and Mint's pages are the same for both).
  auto images = ReadImages(*node, store);
  if (!images) return Error(images.error().message);
  if (!images->image.is_64bit) return Error(node->kernel + " is not x86_64: no direct entry");
  auto unpacked = UnpackKernel(images->kernel, images->image);
  if (!unpacked) return Error(unpacked.error().message);
  Mode modes[2] = {{"decompress", EntryMode::kDecompress, {}, {}, {}, {}, 0},
                   {"direct", EntryMode::kDirect, {}, {}, {}, {}, 0}};
  modes[0].copied_bytes = images->image.protected_mode_size;
  modes[1].copied_bytes = unpacked->parsed.FileBytes();
  std::printf(
      "mint bench entry: node %s, %s kernel %s (%.1f MiB compressed, unpacks to %.1f MiB, "
      "unpacked here in %.0f ms), %d round(s) x 2 modes\n",
      node->name.c_str(), CompressionName(images->image.compression),
      images->image.version.substr(0, images->image.version.find(' ')).c_str(),
      static_cast<double>(images->image.protected_mode_size) / (1 << 20),
      static_cast<double>(unpacked->elf.size()) / (1 << 20), unpacked->ms, rounds);
  std::fflush(stdout);

  nlohmann::json out = {
      {"plan", target->plan_path}, {"node", node->name},
      {"kernel", node->kernel},    {"compression", CompressionName(images->image.compression)},
      {"rounds", rounds},          {"runs", nlohmann::json::array()}};
  for (int round = 0; round < rounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      Mode& mode = modes[(round % 2 == 0) == (k == 0) ? 0 : 1];  // alternate who goes first
      UpOptions options;
      options.entry = mode.entry;
      options.timeout_s = 120;
      auto result = BootNodes(*session, {node}, options);
      if (!result) return Error(result.error().message);
      StopStarted(*session->host, *result);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const NodeRun& run = result->nodes[0];
      if (!run.ready) return Error("node " + node->name + " (" + mode.name + "): " + run.error);
      double boot = run.ready_ms - run.woken_ms, host_ms = run.woken_ms - run.host_start_ms;
      mode.init_to_ready.push_back(boot);
      mode.host.push_back(host_ms);
      mode.unpack_read.push_back(run.read_ms);
      mode.copy.push_back(run.copy_ms);
      std::printf(
          "  round %d %-10s INIT -> ready %8.1f ms, host side %7.1f ms (read%s %6.1f, "
          "copy %6.1f)\n",
          round + 1, mode.name, boot, host_ms, mode.entry == EntryMode::kDirect ? "+unpack" : "",
          run.read_ms, run.copy_ms);
      std::fflush(stdout);
      out["runs"].push_back({{"round", round},
                             {"mode", mode.name},
                             {"init_to_ready_ms", boot},
                             {"host_ms", host_ms},
                             {"read_ms", run.read_ms},
                             {"copy_ms", run.copy_ms}});
    }
  }
  std::printf("\n  %-10s %22s %20s %16s %12s\n", "MODE", "INIT->ready min/median",
              "host side min/med", "copy min/med", "copied");
  for (const Mode& m : modes) {
    std::printf("  %-10s %10.0f / %7.0f ms %8.0f / %6.0f ms %6.0f / %5.0f ms %8.1f MiB\n", m.name,
                Min(m.init_to_ready), Median(m.init_to_ready), Min(m.host), Median(m.host),
                Min(m.copy), Median(m.copy), static_cast<double>(m.copied_bytes) / (1 << 20));
    out["summary"][m.name] = {{"init_to_ready_min_ms", Min(m.init_to_ready)},
                              {"init_to_ready_median_ms", Median(m.init_to_ready)},
                              {"host_min_ms", Min(m.host)},
                              {"host_median_ms", Median(m.host)},
                              {"copy_median_ms", Median(m.copy)},
                              {"copied_bytes", m.copied_bytes}};
  }
  double boot_ratio = Median(modes[1].init_to_ready) / Median(modes[0].init_to_ready);
  double total_ratio = (Median(modes[1].init_to_ready) + Median(modes[1].host)) /
                       (Median(modes[0].init_to_ready) + Median(modes[0].host));
  std::printf(
      "  direct/decompress: node boot (INIT -> ready) %.0f%% (%.0f%% shorter), host side "
      "+ node boot %.0f%%\n",
      boot_ratio * 100, (1 - boot_ratio) * 100, total_ratio * 100);
  out["summary"]["boot_ratio"] = boot_ratio;
  out["summary"]["total_ratio"] = total_ratio;
  if (!json_path.empty()) {
    auto written = WriteBenchJson(out, json_path);
    if (!written) return Error(written.error().message);
  }
  return 0;
}

}  // namespace mint::cli
