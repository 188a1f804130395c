// mint bench load: the host-side load path of one node (get the kernel and initrd bytes, build
// the segments) with a cold page cache from disk, from the store on a first boot, and from the
// store on a later boot, alternated over rounds in one run (docs/store.md).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "artifacts.h"
#include "bench_common.h"
#include "bzimage.h"
#include "commands.h"
#include "files.h"
#include "plan_site.h"
#include "store_session.h"

namespace mint::cli {
namespace {

using Clock = std::chrono::steady_clock;

enum class Case { kDisk, kFirst, kLater };
constexpr Case kCases[] = {Case::kDisk, Case::kFirst, Case::kLater};

const char* CaseKey(Case c) {
  switch (c) {
    case Case::kDisk:
      return "disk_cold";
    case Case::kFirst:
      return "store_first";
    case Case::kLater:
      return "store_later";
  }
  return "?";
}

const char* CaseTitle(Case c) {
  switch (c) {
    case Case::kDisk:
      return "disk (cold)";
    case Case::kFirst:
      return "store 1st";
    case Case::kLater:
      return "store later";
  }
  return "?";
}

// The original's rows, plus the per-use check this store adds. Placing a first boot's images
// in the store happens after the node started (mint boot defers it), so it is listed after
// the total, not in it.
const std::vector<std::string> kRows = {"read kernel from disk",
                                        "read initrd from disk",
                                        "copy kernel from store",
                                        "copy initrd from store",
                                        "check (XXH64)",
                                        "build segments",
                                        "other",
                                        "total",
                                        "place kernel in store (after start)",
                                        "place initrd in store (after start)"};

using Rows = std::map<std::string, double>;

double Ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Result<Rows> RunCase(Case c, const NodePlan& node, StoreSession& store,
                     const std::vector<Sha256Digest>& shas) {
  if (c == Case::kFirst) {
    auto locked = MINT_TRY(store.Lock());
    for (const Sha256Digest& sha : shas) {
      if ((*locked)->FindBySha(sha)) MINT_TRY_VOID((*locked)->Remove(sha));
    }
  }
  MINT_TRY_VOID(DropPageCache());
  StoreSession* source = c == Case::kDisk ? nullptr : &store;
  auto start = Clock::now();
  ImageLoadTimes kt, it;
  // As mint boot does: a first boot places the images in the store after the node started,
  // so their placement is timed apart and not part of the load path's total.
  std::vector<DeferredPlacement> deferred;
  ImageBytes kernel = MINT_TRY(LoadImageBytes(node.kernel, "kernel", source, &kt, &deferred));
  ImageBytes initrd;
  if (!node.initrd.empty())
    initrd = MINT_TRY(LoadImageBytes(node.initrd, "initrd", source, &it, &deferred));
  auto build_start = Clock::now();
  KernelImage image = MINT_TRY(ParseBzImage(kernel));
  // The TSC rate only fills in a command-line option; it does not change the work.
  NodeInputs inputs{&node, kernel, &image, initrd, 1000000};
  NodeArtifacts artifacts = MINT_TRY(BuildNodeArtifacts(inputs));
  double build_ms = Ms(build_start);
  double total = Ms(start);
  for (const DeferredPlacement& placement : deferred)
    PlaceDeferred(store, placement, placement.path == node.kernel ? kernel : initrd,
                  placement.path == node.kernel ? &kt : &it);
  if (artifacts.segments.empty()) return Fail("no segments built");
  if (c == Case::kLater && (!kt.from_store || (!node.initrd.empty() && !it.from_store)))
    return Fail("the later-boot case did not find the images in the store (is it too small?)");

  Rows rows{{"read kernel from disk", kt.read_ms},        {"read initrd from disk", it.read_ms},
            {"copy kernel from store", kt.copy_ms},       {"copy initrd from store", it.copy_ms},
            {"check (XXH64)", kt.check_ms + it.check_ms}, {"build segments", build_ms}};
  double listed = 0;
  for (const auto& [name, ms] : rows) listed += ms;
  rows["other"] = total - listed;
  rows["total"] = total;
  // Off the load path: done while the node boots.
  rows["place kernel in store (after start)"] = kt.place_ms;
  rows["place initrd in store (after start)"] = it.place_ms;
  return rows;
}

}  // namespace

Result<int> BenchLoad(const BenchLoadArgs& args) {
  std::string node_name = args.node, json_path = args.json_path;
  int rounds = args.rounds;
  StoreLocation location;
  location.device = args.device;
  location.file = args.store_file;
  if (!args.store_size.empty()) location.file_size = MINT_TRY(ParseSize(args.store_size));
  std::string plan_path = args.plan;
  if (plan_path.empty() && std::getenv("MINT_PLAN") != nullptr)
    plan_path = std::getenv("MINT_PLAN");
  if (plan_path.empty()) return Fail("no plan: give PLAN, or set MINT_PLAN");

  auto plan = LoadHostPlan(plan_path);
  if (!plan) return Error(plan.error().message);
  const NodePlan* node = node_name.empty() ? (plan->nodes.empty() ? nullptr : &plan->nodes[0])
                                           : plan->FindNode(node_name);
  if (node == nullptr)
    return Error(plan_path + " has no node " +
                 (node_name.empty() ? "" : "named '" + node_name + "'"));
  if (location.file.empty()) {
    if (!plan->host.store)
      return Error(plan_path + " has no [host] store range (or give --store-file FILE)");
    location.range = plan->host.store;
  }
  auto store = StoreSession::Open(location);
  if (!store) return Error(store.error().message);

  // The images' names, so the first-boot case can take them out of the store.
  std::vector<Sha256Digest> shas;
  std::vector<uint8_t> probe;  // the kernel's bytes, for the raw rates below
  uint64_t kernel_bytes = 0, initrd_bytes = 0;
  for (const std::string* path : {&node->kernel, &node->initrd}) {
    if (path->empty()) continue;
    auto bytes = ReadFile(*path, "image");
    if (!bytes) return Error(bytes.error().message);
    shas.push_back(Sha256Of(*bytes));
    if (probe.empty()) probe = *bytes;
    (path == &node->kernel ? kernel_bytes : initrd_bytes) = bytes->size();
  }
  // Warm-up: makes sure the store holds both images before a round may start with "later".
  for (const std::string* path : {&node->kernel, &node->initrd}) {
    if (path->empty()) continue;
    auto bytes = LoadImageBytes(*path, "image", store->get());
    if (!bytes) return Error(bytes.error().message);
  }

  quiet_store_notices = true;
  // Raw rates of the three things the cases are made of, on this machine.
  auto rate = [&](auto&& work) {
    auto start = Clock::now();
    work();
    return static_cast<double>(probe.size()) / (1 << 20) / (Ms(start) / 1000);
  };
  std::vector<uint8_t> sink(probe.size());
  double copy_rate = rate([&] { std::copy(probe.begin(), probe.end(), sink.begin()); });
  uint64_t xxh64 = 0;
  double xxh64_rate = rate([&] { xxh64 = Xxh64Of(probe); });
  Sha256Digest sha{};
  double sha_rate = rate([&] { sha = Sha256Of(probe); });
  if (xxh64 == 0 && sha[0] == 0 && sink.empty()) return 1;  // keeps the work observable
  std::map<Case, std::vector<Rows>> results;
  std::cerr << "mint: bench load: node " << node->name << ", kernel " << Bytes(kernel_bytes)
            << ", initrd " << Bytes(initrd_bytes) << ", " << rounds
            << " rounds of disk/first/later (order rotated each round), " << (*store)->Describe()
            << "\n";
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 3; ++i) {
      Case c = kCases[(round + i) % 3];
      auto rows = RunCase(c, *node, **store, shas);
      if (!rows)
        return Error(std::string("bench load, case ") + CaseKey(c) + ": " + rows.error().message);
      results[c].push_back(*rows);
    }
  }

  std::map<Case, Rows> median;
  for (Case c : kCases) {
    for (const std::string& row : kRows) {
      std::vector<double> values;
      for (const Rows& r : results[c]) values.push_back(r.at(row));
      median[c][row] = Median(values);
    }
  }
  double disk = median[Case::kDisk]["total"];
  double first = median[Case::kFirst]["total"];
  double later = median[Case::kLater]["total"];

  std::cout << "mint bench load: node " << node->name << " (kernel " << Bytes(kernel_bytes)
            << ", initrd " << Bytes(initrd_bytes) << "), median of " << rounds
            << " rounds, page cache dropped before each case\n";
  std::cout << "  " << std::left << std::setw(36) << "ms" << std::right;
  for (Case c : kCases) std::cout << std::setw(14) << CaseTitle(c);
  std::cout << "\n";
  for (const std::string& row : kRows) {
    std::cout << "  " << std::left << std::setw(36) << row << std::right << std::fixed
              << std::setprecision(2);
    for (Case c : kCases) std::cout << std::setw(14) << median[c][row];
    std::cout << "\n";
  }
  std::cout << std::setprecision(3) << "  later/disk-cold " << later / disk << " ("
            << std::setprecision(1) << disk / later << "x faster), first/disk-cold "
            << std::setprecision(3) << first / disk << " (" << std::showpos << std::setprecision(1)
            << (first / disk - 1) * 100 << std::noshowpos << "% for the first boot)\n"
            << std::setprecision(0) << "  rates: copy " << copy_rate << " MiB/s, XXH64 "
            << xxh64_rate << " MiB/s, SHA-256 " << sha_rate << " MiB/s\n"
            << "  the 'copy from store' rows stay ~0: a later boot hands the host module a view of "
               "the store,\n  which it copies into the node as a disk boot copies its read buffer\n"
            << "  original: 146 ms load (112 ms disk reads) -> 35.6 ms from the store "
               "(later/disk 0.244, 4.1x); first boot +0.06%\n";

  if (!json_path.empty()) {
    nlohmann::json out = {
        {"benchmark", "load"},
        {"node", node->name},
        {"kernel_bytes", kernel_bytes},
        {"initrd_bytes", initrd_bytes},
        {"rounds", rounds},
        {"rates_mib_s", {{"copy", copy_rate}, {"xxh64", xxh64_rate}, {"sha256", sha_rate}}},
        {"ratio_later_over_disk_cold", later / disk},
        {"ratio_first_over_disk_cold", first / disk},
        {"original", {{"disk_ms", 146}, {"disk_read_ms", 112}, {"later_ms", 35.6}}},
        {"cases", nlohmann::json::object()}};
    for (Case c : kCases) {
      nlohmann::json per = {{"median_ms", median[c]}, {"rounds_ms", nlohmann::json::array()}};
      for (const Rows& r : results[c]) per["rounds_ms"].push_back(r);
      out["cases"][CaseKey(c)] = per;
    }
    auto written = WriteBenchJson(out, json_path);
    if (!written) return Error(written.error().message);
  }
  return 0;
}

}  // namespace mint::cli
