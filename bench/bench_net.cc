// mint bench net: TCP throughput and 64-byte round trips over Mint's network links
// (docs/network.md), host <-> node and node <-> node, beside the same host kernel's loopback
// and a veth pair into a network namespace, the paths alternating in every round; then the
// host CPU spent while the links are idle. The nodes must be running (mint boot PLAN).
//
// The tools are the ones every lab image has: busybox's dd, nc and ping. On every path the
// sender streams zeros from dd into nc and the time is the sender's (until nc has handed the
// last byte to its socket), so each path is timed the same way; the absolute figures are the
// tools' and the TCG lab's as much as the link's, which is why the ratios matter.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "host_device.h"
#include "network.h"
#include "node_access.h"
#include "plan_site.h"

namespace mint::cli {
namespace {

constexpr char kVethHost[] = "10.99.0.1";  // inside the lab machine only: a namespace of its own
constexpr char kVethPeer[] = "10.99.0.2";

// Runs `script` with the host's sh; its output, or why it failed.
Result<std::string> HostSh(const std::string& script) {
  FILE* pipe = popen(("sh -c '" + script + "' 2>&1").c_str(), "r");
  if (!pipe) return Fail("cannot run sh on the host");
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  int status = pclose(pipe);
  if (status != 0)
    return Fail("`", script, "` failed (status ", std::to_string(status), "): ", out);
  return out;
}

struct Nodes {
  std::unique_ptr<HostDevice> host;
  std::string a, b;  // the first two nodes with an address
  std::string a_address, b_address, host_address;
};

Result<std::string> NodeSh(Nodes& nodes, const std::string& node, const std::string& script,
                           double timeout_s = 600) {
  auto status = MINT_TRY(FindNodeByName(*nodes.host, node));
  auto outcome = MINT_TRY(ExecInNode(*nodes.host, status, {"sh", "-c", script}, timeout_s));
  std::string out(outcome.output.begin(), outcome.output.end());
  if (outcome.timed_out || outcome.status != 0)
    return Fail("node ", node, ": `", script, "` failed (status ", std::to_string(outcome.status),
                "): ", out);
  return out;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A receiver that keeps its input open (busybox's nc ends a connection when its input ends).
// Nothing of it keeps the caller's output open: HostSh reads that until its end.
std::string Receiver(int port) {
  return "(sleep 600 | nc -l -p " + std::to_string(port) + ") > /dev/null 2>&1 < /dev/null &";
}
std::string Stream(int mib, const std::string& address, int port) {
  return "dd if=/dev/zero bs=1048576 count=" + std::to_string(mib) + " 2>/dev/null | nc " +
         address + " " + std::to_string(port);
}

// One transfer of `mib` MiB on `path`; MiB/s.
Result<double> Throughput(Nodes& nodes, const std::string& path, int mib, int port) {
  auto host_timed = [&](const std::string& script) -> Result<double> {
    auto start = std::chrono::steady_clock::now();
    (void)MINT_TRY(HostSh(script));
    return mib / Seconds(std::chrono::steady_clock::now() - start);
  };
  // A sender in a node times itself: the exec round trip is not the link's.
  auto node_timed = [&](const std::string& node, const std::string& address) -> Result<double> {
    std::string out =
        MINT_TRY(NodeSh(nodes, node,
                        "a=$(cut -d\" \" -f1 /proc/uptime); " + Stream(mib, address, port) +
                            "; echo $a $(cut -d\" \" -f1 /proc/uptime)"));
    double a = 0, b = 0;
    std::istringstream(out) >> a >> b;
    if (b <= a) return Fail("node ", node, ": no time from the transfer: ", out);
    return mib / (b - a);
  };
  auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(500)); };
  if (path == "host->node") {
    (void)MINT_TRY(NodeSh(nodes, nodes.a, Receiver(port)));
    settle();
    return host_timed(Stream(mib, nodes.a_address, port));
  }
  if (path == "node->host") {
    (void)MINT_TRY(HostSh(Receiver(port)));
    settle();
    return node_timed(nodes.a, nodes.host_address);
  }
  if (path == "node->node") {
    (void)MINT_TRY(NodeSh(nodes, nodes.b, Receiver(port)));
    settle();
    return node_timed(nodes.a, nodes.b_address);
  }
  if (path == "loopback") {
    (void)MINT_TRY(HostSh(Receiver(port)));
    settle();
    return host_timed(Stream(mib, "127.0.0.1", port));
  }
  (void)MINT_TRY(
      HostSh("nsenter -t $(cat /tmp/mint-bench-ns.pid) -n sh -c \"" + Receiver(port) + "\""));
  settle();
  return host_timed(Stream(mib, kVethPeer, port));
}

// `count` 64-byte pings back to back on `path`; the average round trip in microseconds.
Result<double> RoundTrip(Nodes& nodes, const std::string& path, int count) {
  std::string ping = "ping -A -q -c " + std::to_string(count) + " -s 56 ";
  std::string out;
  if (path == "host<->node") out = MINT_TRY(HostSh(ping + nodes.a_address));
  if (path == "node<->node") out = MINT_TRY(NodeSh(nodes, nodes.a, ping + nodes.b_address));
  if (path == "loopback") out = MINT_TRY(HostSh(ping + "127.0.0.1"));
  if (path == "veth") out = MINT_TRY(HostSh(ping + kVethPeer));
  // "round-trip min/avg/max = 0.123/0.456/0.789 ms"
  auto at = out.find("min/avg/max = ");
  if (at == std::string::npos) return Fail(path, ": no round trips in `", ping, "`: ", out);
  double min = 0, avg = 0;
  char slash = 0;
  std::istringstream(out.substr(at + 14)) >> min >> slash >> avg;
  return avg * 1000;
}

// Busy jiffies and all jiffies of the host's CPUs, from /proc/stat's first line.
std::pair<double, double> CpuJiffies() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  double busy = user + nice + system + irq + softirq + steal;
  return {busy, busy + idle + iowait};
}

uint64_t LinkInterrupts() {
  std::ifstream in("/proc/interrupts");
  std::string line;
  uint64_t total = 0;
  while (std::getline(in, line)) {
    if (line.find("mint-link") == std::string::npos) continue;
    std::istringstream words(line);
    std::string word;
    words >> word;  // "24:"
    uint64_t count;
    while (words >> count) total += count;
  }
  return total;
}

Result<int> BenchNet(const BenchNetArgs& args) {
  Plan plan = MINT_TRY(LoadHostPlan(args.plan));
  if (!plan.network) return Error(args.plan + " has no [network]: nothing to measure");
  Nodes nodes;
  nodes.host_address = FormatIpv4(plan.network->HostAddress());
  for (const NodePlan& node : plan.nodes) {
    if (!node.address) continue;
    (nodes.a.empty() ? nodes.a : nodes.b) = node.name;
    (nodes.a_address.empty() ? nodes.a_address : nodes.b_address) = FormatIpv4(*node.address);
    if (!nodes.b.empty()) break;
  }
  if (nodes.b.empty())
    return Error(args.plan + " gives fewer than two nodes an address; the bench needs two");
  nodes.host = MINT_TRY(HostDevice::Open(args.device));
  for (const std::string& name : {nodes.a, nodes.b}) {
    auto status = FindNodeByName(*nodes.host, name);
    if (!status || status->state != MINT_STATE_READY)
      return Error("node " + name + " is not running: `mint boot " + args.plan + "` first");
  }

  // The veth pair: one end here, the other in a network namespace of its own, with the links'
  // MTU so that the two compare like for like.
  std::string mtu = std::to_string(MINT_LINK_MTU);
  (void)MINT_TRY(
      HostSh("ip link set lo up; ip link del mbv0 2>/dev/null; unshare -n sleep 100000 > /dev/null "
             "2>&1 < /dev/null & echo $! "
             "> /tmp/mint-bench-ns.pid; sleep 0.3; ip link add mbv0 type veth peer name mbv1 && "
             // Busybox's ip ignores the peer's name: find the peer by its index, rename it.
             "for d in /sys/class/net/*; do [ \"$(cat $d/ifindex)\" = \"$(cat "
             "/sys/class/net/mbv0/iflink)\" ] && [ ${d##*/} != mbv0 ] && ip link set ${d##*/} name "
             "mbv1; done; "
             "ip link set mbv1 netns $(cat /tmp/mint-bench-ns.pid) && ip link set mbv0 mtu " +
             mtu + " && ip addr add " + kVethHost +
             "/24 dev mbv0 && ip link set mbv0 up && "
             "nsenter -t $(cat /tmp/mint-bench-ns.pid) -n sh -c \"ip link set lo up; ip link "
             "set mbv1 mtu " +
             mtu + "; ip addr add " + kVethPeer + "/24 dev mbv1; ip link set mbv1 up\""));

  const std::vector<std::string> flows{"host->node", "node->host", "node->node", "loopback",
                                       "veth"};
  const std::vector<std::string> trips{"host<->node", "node<->node", "loopback", "veth"};
  std::map<std::string, std::vector<double>> mibs, micros;
  int port = 5100;
  std::printf("mint bench net: %d rounds, %d MiB per transfer, %d pings per round trip\n",
              args.rounds, args.mib, args.pings);
  for (int round = 0; round < args.rounds; ++round) {
    // Alternate: each round starts one path later.
    for (size_t i = 0; i < flows.size(); ++i) {
      const std::string& path = flows[(i + round) % flows.size()];
      double rate = MINT_TRY(Throughput(nodes, path, args.mib, port++));
      mibs[path].push_back(rate);
      std::printf("  round %d  %-11s %8.1f MiB/s\n", round + 1, path.c_str(), rate);
      std::fflush(stdout);
    }
    for (size_t i = 0; i < trips.size(); ++i) {
      const std::string& path = trips[(i + round) % trips.size()];
      double us = MINT_TRY(RoundTrip(nodes, path, args.pings));
      micros[path].push_back(us);
      std::printf("  round %d  %-11s %8.0f us round trip\n", round + 1, path.c_str(), us);
      std::fflush(stdout);
    }
  }

  // Idle: nothing sent for 10 s; how busy the host's CPUs were, and how many doorbells came.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto [busy0, all0] = CpuJiffies();
  uint64_t irq0 = LinkInterrupts();
  std::this_thread::sleep_for(std::chrono::seconds(10));
  auto [busy1, all1] = CpuJiffies();
  uint64_t irq1 = LinkInterrupts();
  double idle_busy = all1 > all0 ? 100.0 * (busy1 - busy0) / (all1 - all0) : 0;
  (void)HostSh("ip link del mbv0; kill $(cat /tmp/mint-bench-ns.pid)");

  nlohmann::json out;
  std::printf("\n%-12s %22s %26s\n", "path", "MiB/s (min / median)",
              "round trip us (min / median)");
  for (const std::string& path : flows) {
    std::string trip = path == "host->node"   ? "host<->node"
                       : path == "node->node" ? "node<->node"
                                              : path;
    bool has_trip = micros.count(trip) && path != "node->host";
    std::printf("%-12s %10.1f / %8.1f", path.c_str(), Min(mibs[path]), Median(mibs[path]));
    if (has_trip) std::printf(" %14.0f / %8.0f", Min(micros[trip]), Median(micros[trip]));
    std::printf("\n");
    out["throughput_mib_s"][path] = mibs[path];
  }
  for (const auto& [path, values] : micros) out["round_trip_us"][path] = values;
  double flow_ratio = Median(mibs["host->node"]) / Median(mibs["loopback"]);
  double back_ratio = Median(mibs["node->host"]) / Median(mibs["loopback"]);
  double trip_ratio = Median(micros["host<->node"]) / Median(micros["veth"]);
  std::printf(
      "\nhost->node / loopback throughput: %.2f, node->host / loopback: %.2f (goal >= 0.5)\n",
      flow_ratio, back_ratio);
  std::printf("host<->node / veth round trip: %.2f (goal <= 2)\n", trip_ratio);
  std::printf(
      "idle links: host CPUs %.2f%% busy over 10 s (everything the host did; goal < 1%% of a "
      "core), %llu doorbell interrupts\n",
      idle_busy, static_cast<unsigned long long>(irq1 - irq0));
  out["ratios"] = {{"host_to_node_vs_loopback", flow_ratio},
                   {"node_to_host_vs_loopback", back_ratio},
                   {"round_trip_vs_veth", trip_ratio}};
  out["idle"] = {{"host_cpu_busy_percent", idle_busy}, {"doorbells", irq1 - irq0}};
  out["mib_per_transfer"] = args.mib;
  out["rounds"] = args.rounds;
  if (!args.json_path.empty()) MINT_TRY_VOID(WriteBenchJson(out, args.json_path));
  return 0;
}

}  // namespace

Result<int> RunBenchNet(const BenchNetArgs& args) {
  return BenchNet(args);
}

}  // namespace mint::cli
