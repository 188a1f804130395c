// mint bench: the benchmarks. `parallel` lives here; `load` in bench_load.cc, `entry` in
// bench_entry.cc, `image` in bench_image.cc.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_common.h"
#include "commands.h"
#include "parallel_boot.h"
#include "plan_site.h"

namespace mint::cli {
namespace {

void StopAll(HostDevice& host, const UpResult& result) {
  StopStarted(host, result);
  // Let the parked cores settle before the next run wakes them again.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

struct ParallelArgs {
  std::string plan;
  size_t max = 0;  // 0: every node of the plan
  int rounds = 3;
  std::string json_path, svg_path, device = "/dev/mint";
};

Result<int> BenchParallel(const ParallelArgs& args) {
  const std::string& json_path = args.json_path;
  const std::string& svg_path = args.svg_path;
  const std::string& device = args.device;
  int rounds = args.rounds;
  auto plan = LoadHostPlan(args.plan);
  if (!plan) return plan.take_error();
  size_t max_nodes = args.max == 0 ? plan->nodes.size() : args.max;
  if (max_nodes > plan->nodes.size())
    return Fail("--max ", std::to_string(args.max), ": the plan has ",
                std::to_string(plan->nodes.size()), " node(s)");
  auto session = HostSession::Open(*plan, device);
  if (!session) return Error(session.error().message);
  HostDevice* host = session->host.get();

  nlohmann::json out = {
      {"plan", args.plan}, {"rounds", rounds}, {"results", nlohmann::json::array()}};
  std::printf("mint bench parallel: %zu size(s) x %d round(s) x 2 modes\n", max_nodes, rounds);
  struct Row {
    size_t n;
    std::vector<double> seq, par;
  };
  std::vector<Row> rows;
  UpResult last_parallel;
  for (size_t n = 1; n <= max_nodes; ++n) {
    std::vector<const NodePlan*> nodes;
    for (size_t i = 0; i < n; ++i) nodes.push_back(&plan->nodes[i]);
    Row row{n, {}, {}};
    for (int round = 0; round < rounds; ++round) {
      for (int k = 0; k < 2; ++k) {
        bool sequential = (round % 2 == 0) == (k == 0);  // alternate which mode goes first
        UpOptions options;
        options.sequential = sequential;
        options.timeout_s = 60 + 30 * static_cast<int>(n);
        auto result = BootNodes(*session, nodes, options);
        if (!result) return Error(result.error().message);
        StopAll(*host, *result);
        if (!result->ok) {
          for (const NodeRun& run : result->nodes)
            if (!run.ready) return Error("node " + run.node->name + ": " + run.error);
        }
        double ms = result->all_ready_ms;
        (sequential ? row.seq : row.par).push_back(ms);
        std::printf("  N=%zu round %d %-10s all ready in %8.1f ms\n", n, round + 1,
                    sequential ? "sequential" : "parallel", ms);
        std::fflush(stdout);
        out["results"].push_back({{"n", n},
                                  {"round", round},
                                  {"mode", sequential ? "sequential" : "parallel"},
                                  {"all_ready_ms", ms}});
        if (!sequential && n == max_nodes) last_parallel = *result;
      }
    }
    rows.push_back(row);
  }
  std::printf("\n  %3s %22s %22s %10s\n", "N", "sequential min/median", "parallel min/median",
              "par/seq");
  for (const Row& row : rows) {
    double ratio = Median(row.par) / Median(row.seq);
    std::printf("  %3zu %10.0f / %7.0f ms %10.0f / %7.0f ms %9.0f%%\n", row.n, Min(row.seq),
                Median(row.seq), Min(row.par), Median(row.par), ratio * 100);
    out["summary"].push_back({{"n", row.n},
                              {"sequential_min_ms", Min(row.seq)},
                              {"sequential_median_ms", Median(row.seq)},
                              {"parallel_min_ms", Min(row.par)},
                              {"parallel_median_ms", Median(row.par)},
                              {"ratio", ratio}});
  }
  std::printf("  (the research this comes from: two nodes in parallel took 55%% of sequential)\n");
  if (!json_path.empty()) {
    std::ofstream file(json_path);
    file << out.dump(2) << "\n";
    if (!file) return Error("cannot write " + json_path);
  }
  if (!svg_path.empty()) {
    std::ofstream file(svg_path);
    file << RenderTimelineSvg(last_parallel.ToTimeline(
        std::to_string(max_nodes) + " nodes booted in parallel (mint bench parallel)"));
    if (!file) return Error("cannot write " + svg_path);
  }
  return 0;
}

}  // namespace

void AddBench(CLI::App& app, Command& chosen) {
  CLI::App* bench = app.add_subcommand("bench", "benchmarks, each comparing within one run");
  bench->footer(
      "Each benchmark alternates what it compares within one run and prints minimum, median\n"
      "and their ratio.");
  bench->require_subcommand(1);

  auto parallel = std::make_shared<ParallelArgs>();
  CLI::App* cmd =
      bench->add_subcommand("parallel", "N nodes booted one after the other vs in parallel");
  cmd->footer(
      "For N = 1 .. max nodes (the plan's first N), boots them one after the other and "
      "in\nparallel, alternating which goes first in each round, and measures the time from "
      "the\nstart of the host-side work to the last node's ready stamp. Nodes are stopped "
      "between\nruns. Prints minimum and median per mode and the parallel/sequential ratio of "
      "the\nmedians; writes the numbers as JSON and the timeline of the largest parallel run as "
      "SVG.");
  cmd->add_option("PLAN", parallel->plan, "the plan file")->required();
  cmd->add_option("--max", parallel->max, "most nodes at once (default: every node of the plan)")
      ->check(PositiveCount());
  cmd->add_option("--rounds", parallel->rounds, "runs of each mode per N")
      ->capture_default_str()
      ->check(PositiveCount());
  cmd->add_option("--json", parallel->json_path, "write every measurement");
  cmd->add_option("--svg", parallel->svg_path, "the largest parallel run's timeline");
  cmd->add_option("--device", parallel->device, "the host module's device")->capture_default_str();
  cmd->callback([parallel, &chosen] { chosen = [parallel] { return BenchParallel(*parallel); }; });

  auto load = std::make_shared<BenchLoadArgs>();
  cmd = bench->add_subcommand(
      "load", "a node's image load: cold disk vs store first boot vs store later boot");
  cmd->footer(
      "Measures the host-side load of one node (default: the plan's first) three ways, "
      "alternated\nover N rounds (default 5) in one run, dropping the page cache before every "
      "case:\n  disk        read the kernel and initrd from disk, no store\n  first       store "
      "first boot: read from disk and place in the store (its entries for\n              these "
      "images are removed first)\n  later       store later boot: check the stored bytes' XXH64 "
      "where they lie; no copy\n              out (the host module copies the view into the node, "
      "docs/store.md)\nand prints the breakdown (median of the rounds) with the ratio later/disk. "
      "PLAN defaults\nto $MINT_PLAN; its [host] store is used through the host module unless "
      "--store-file.\nNeeds root (drop_caches). Segments are built but not copied into a node: "
      "that copy is the\nsame in every case.");
  cmd->add_option("PLAN", load->plan, "the plan file (default: $MINT_PLAN)");
  cmd->add_option("--node", load->node, "the node whose images to load (default: the first)");
  cmd->add_option("--rounds", load->rounds, "rounds, 1 to 1000")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--json", load->json_path, "write the runs as JSON ('-': stdout, BENCH-JSON)");
  cmd->add_option("--device", load->device, "the host module's device")->capture_default_str();
  cmd->add_option("--store-file", load->store_file, "keep the store in a plain file instead");
  cmd->add_option("--store-size", load->store_size, "the file's size when it is created, e.g. 64M");
  cmd->callback([load, &chosen] { chosen = [load] { return BenchLoad(*load); }; });

  auto net = std::make_shared<BenchNetArgs>();
  cmd = bench->add_subcommand(
      "net", "TCP throughput and round trips over network links vs loopback and veth");
  cmd->footer(
      "Needs the plan's nodes running (mint boot PLAN) and at least two with an address. In\n"
      "each round, alternating the order: streams MIB MiB host->node, node->host, node->node\n"
      "(the plan's first two linked nodes), over the host's loopback and over a veth pair into\n"
      "a network namespace (10.99.0.0/24, the links' MTU), timing each sender; then 64-byte\n"
      "pings back to back on each path. Prints min and median per path, the ratios to loopback\n"
      "and veth, and the host's CPU use over 10 s with the links idle. Tools: busybox dd, nc,\n"
      "ping, ip, unshare, nsenter, as in the lab.");
  cmd->add_option("PLAN", net->plan, "the plan file")->required();
  cmd->add_option("--rounds", net->rounds, "rounds")->capture_default_str()->check(PositiveCount());
  cmd->add_option("--mib", net->mib, "MiB per transfer")
      ->capture_default_str()
      ->check(PositiveCount());
  cmd->add_option("--pings", net->pings, "pings per round trip figure")
      ->capture_default_str()
      ->check(PositiveCount());
  cmd->add_option("--json", net->json_path, "write the runs as JSON ('-': stdout, BENCH-JSON)");
  cmd->add_option("--device", net->device, "the host module's device")->capture_default_str();
  cmd->callback([net, &chosen] { chosen = [net] { return RunBenchNet(*net); }; });

  auto cpu = std::make_shared<BenchCpuArgs>();
  cmd = bench->add_subcommand(
      "cpu", "a core given to a node and taken back vs the host's own CPU hotplug");
  cmd->footer(
      "Needs NODE running and CORE (an APIC ID the node may receive) online in the host. In\n"
      "each round, alternating the order: the host takes the core offline and online again\n"
      "through sysfs, and the core is given to NODE and taken back (mint cpu give / take).\n"
      "Prints min, median and max of each, split into the host's and the node's parts, and\n"
      "the ratio of a give and a take to the host's own offline and online (docs/cores.md).");
  cmd->add_option("NODE", cpu->node, "the node")->required();
  cmd->add_option("CORE", cpu->core, "the core, by APIC ID")->required()->check(CLI::Range(0, 255));
  cmd->add_option("--rounds", cpu->rounds, "rounds")->capture_default_str()->check(PositiveCount());
  cmd->add_option("--timeout", cpu->timeout_s, "give up on one move after S seconds")
      ->capture_default_str()
      ->check(PositiveSeconds());
  cmd->add_option("--json", cpu->json_path, "write the runs as JSON ('-': stdout, BENCH-JSON)");
  cmd->add_option("--device", cpu->device, "the host module's device")->capture_default_str();
  cmd->callback([cpu, &chosen] { chosen = [cpu] { return RunBenchCpu(*cpu); }; });

  for (auto [name, what, footer, run] :
       {std::tuple{"entry", "INIT -> ready through the decompressor vs direct 64-bit entry",
                   "Boots one node of the plan (the first, or NODE) R times through the "
                   "bzImage's\ndecompressor and R times by direct entry (the kernel unpacked on "
                   "the host, or taken from\nthe plan's store, entered at startup_64), alternating "
                   "which goes first in each round.\nFor each boot: INIT -> ready (the node's own "
                   "boot), and the host side (read, unpack,\nbuild, claim, copy). Prints min and "
                   "median per mode, the direct/decompress ratio of the\nmedians, and the bytes "
                   "each mode copies into the node.",
                   &BenchEntry},
        std::tuple{
            "image", "a node up from a memory image vs booted normally or cold, and resume",
            "Times one node of the plan (the first, or NODE) coming up four ways, R rounds "
            "(default\n3), the order rotated each round:\n  normal   mint boot with the images in "
            "the plan's store: host start -> node ready\n  cold     the same with the page cache "
            "dropped and no store (images read from disk)\n  image    mint boot --image: read the "
            "memory image from the store, zero, copy, resume:\n           start -> the node's "
            "userspace is back\n  resume   mint resume of a suspended node: SIPI -> userspace\nand "
            "after each, the stop (mint.ko parks the node and zeroes its memory).\nThe image is "
            "taken once, at the start (mint snapshot, raw in the store). Needs a plan\nwith a "
            "[host] store large enough for the node's non-zero memory.",
            &BenchImage}}) {
    auto args = std::make_shared<BenchArgs>();
    cmd = bench->add_subcommand(name, what);
    cmd->footer(footer);
    AddBenchTargetOptions(cmd, *args);
    cmd->callback([args, run, &chosen] {
      chosen = [args, run]() -> Result<int> { return run(MINT_TRY(LoadBenchTarget(*args))); };
    });
  }
}

}  // namespace mint::cli
