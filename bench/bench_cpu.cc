// mint bench cpu NODE CORE: how long a core takes to move between kernels (docs/cores.md),
// beside the same host kernel's own CPU hotplug of that core. In each round, alternating which
// goes first: the host takes the core offline and online again through sysfs (as chcpu does),
// and the core is given to NODE and taken back (request -> the node runs on it; request -> the
// host runs on it again). The node must be running and the core online in the host.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench_common.h"
#include "cores.h"
#include "host_device.h"

namespace mint::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Writes 0 or 1 to the host CPU's online file and returns how long the write took.
Result<double> HostHotplug(uint32_t cpu, bool online) {
  std::string path = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/online";
  auto start = Clock::now();
  std::ofstream out(path);
  out << (online ? "1" : "0") << std::flush;
  out.close();
  if (!out) return Fail("writing ", online ? "1" : "0", " to ", path, " failed");
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void PrintRow(const char* what, const std::vector<double>& ms) {
  Spread s = SpreadOf(ms);
  std::printf("  %-44s %8.1f %8.1f %8.1f ms\n", what, s.min, s.median, s.max);
}

nlohmann::json SpreadJson(const std::vector<double>& ms) {
  Spread s = SpreadOf(ms);
  return {{"min_ms", s.min}, {"median_ms", s.median}, {"max_ms", s.max}, {"samples", ms}};
}

}  // namespace

Result<int> RunBenchCpu(const BenchCpuArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto cores = MINT_TRY(ListCores(*host));
  const CoreView* core = nullptr;
  for (const CoreView& c : cores)
    if (c.query.apic_id == args.core) core = &c;
  if (core == nullptr)
    return Fail("APIC ID ", std::to_string(args.core), " is not a core of the host");
  if (core->query.owner != MINT_CPU_HOST || !core->query.host_online)
    return Fail("APIC ID ", std::to_string(args.core),
                " must be the host's and online in the host (it is ", core->owner, "'s, ",
                core->query.host_online ? "online" : "offline", ")");
  const uint32_t cpu = core->query.host_cpu;
  std::printf("mint bench cpu: APIC ID %u (host CPU %u) to node %s and back, %d round(s)\n",
              args.core, cpu, args.node.c_str(), args.rounds);
  std::vector<double> host_off, host_on, give, give_host_side, give_node_side, take, take_node_side,
      take_host_online;
  for (int round = 0; round < args.rounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      if ((round % 2 == 0) == (k == 0)) {
        host_off.push_back(MINT_TRY(HostHotplug(cpu, false)));
        host_on.push_back(MINT_TRY(HostHotplug(cpu, true)));
      } else {
        auto given = MINT_TRY(GiveCore(*host, args.node, args.core, args.timeout_s));
        give.push_back(given.total_ms);
        give_host_side.push_back(given.give_ms);
        give_node_side.push_back(given.online_ms);
        auto taken = MINT_TRY(TakeCore(*host, args.node, args.core, false, args.timeout_s));
        if (!taken.host_online)
          return Fail("APIC ID ", std::to_string(args.core),
                      " did not come back online in the host");
        take.push_back(taken.total_ms);
        take_node_side.push_back(taken.release_ms);
        take_host_online.push_back(taken.host_online_ms);
      }
    }
    if ((round + 1) % 10 == 0 || round + 1 == args.rounds) {
      std::printf("  round %d/%d: give %.1f ms, take %.1f ms, host offline+online %.1f ms\n",
                  round + 1, args.rounds, give.back(), take.back(),
                  host_off.back() + host_on.back());
      std::fflush(stdout);
    }
  }
  std::printf("  %-44s %8s %8s %8s\n", "", "min", "median", "max");
  PrintRow("host: CPU offline (echo 0 > online)", host_off);
  PrintRow("host: CPU online (echo 1 > online)", host_on);
  PrintRow("give: request -> node runs on it", give);
  PrintRow("  of which host side (offline, INIT, grant)", give_host_side);
  PrintRow("  of which the node bringing it up", give_node_side);
  PrintRow("take: request -> host runs on it again", take);
  PrintRow("  of which the node taking it down", take_node_side);
  PrintRow("  of which the host bringing it up", take_host_online);
  double host_cycle = Median(host_off) + Median(host_on);
  double mint_cycle = Median(give) + Median(take);
  std::printf(
      "  a give and a take (medians) %.1f ms = %.2fx the host's own offline + online (%.1f ms)\n",
      mint_cycle, host_cycle > 0 ? mint_cycle / host_cycle : 0.0, host_cycle);
  nlohmann::json out = {{"core", args.core},
                        {"host_cpu", cpu},
                        {"node", args.node},
                        {"rounds", args.rounds},
                        {"host_offline", SpreadJson(host_off)},
                        {"host_online", SpreadJson(host_on)},
                        {"give", SpreadJson(give)},
                        {"give_host_side", SpreadJson(give_host_side)},
                        {"give_node_side", SpreadJson(give_node_side)},
                        {"take", SpreadJson(take)},
                        {"take_node_side", SpreadJson(take_node_side)},
                        {"take_host_online", SpreadJson(take_host_online)}};
  if (!args.json_path.empty()) MINT_TRY_VOID(WriteBenchJson(out, args.json_path));
  return 0;
}

}  // namespace mint::cli
