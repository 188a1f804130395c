// mint cpu give|take|ls: cores between running kernels (docs/cores.md). The host module keeps
// the books (every core the host's or one node's at each step); hostio/cores.h chains its
// steps and waits for the node's module, which brings a given core up inside the node's stock
// kernel and takes a released one down.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "cores.h"

namespace mint::cli {
namespace {

struct CpuArgs {
  std::string node;
  uint32_t core = 0;
  bool park = false;
  double timeout_s = 10;
  bool json = false;
  std::string device = "/dev/mint";
};

nlohmann::json MoveJson(const CoreMove& move) {
  return {{"core", move.apic_id},
          {"from", move.from},
          {"to", move.to},
          {"release_ms", move.release_ms},
          {"give_ms", move.give_ms},
          {"online_ms", move.online_ms},
          {"host_online_ms", move.host_online_ms},
          {"total_ms", move.total_ms},
          {"host_online", move.host_online}};
}

Result<int> RunGive(const CpuArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto move = MINT_TRY(GiveCore(*host, args.node, args.core, args.timeout_s));
  if (args.json) {
    std::cout << MoveJson(move).dump() << "\n";
    return 0;
  }
  std::printf("mint: core %u given to node %s in %.1f ms", move.apic_id, move.to.c_str(),
              move.total_ms);
  if (move.from != "host")
    std::printf(" (node %s took it offline in %.1f ms; ", move.from.c_str(), move.release_ms);
  else
    std::printf(" (");
  std::printf("host side %.1f ms, node %s had it online %.1f ms later)\n", move.give_ms,
              move.to.c_str(), move.online_ms);
  return 0;
}

Result<int> RunTake(const CpuArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto move = MINT_TRY(TakeCore(*host, args.node, args.core, args.park, args.timeout_s));
  if (args.json) {
    std::cout << MoveJson(move).dump() << "\n";
    return 0;
  }
  std::printf("mint: core %u taken back from node %s in %.1f ms (it took it offline in %.1f ms); ",
              move.apic_id, move.from.c_str(), move.total_ms, move.release_ms);
  if (move.host_online)
    std::printf("online in the host again (%.1f ms)\n", move.host_online_ms);
  else
    std::printf("the host's, parked (offline)\n");
  return 0;
}

Result<int> RunList(const CpuArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto cores = MINT_TRY(ListCores(*host));
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const CoreView& core : cores) {
      const mint_cpu& q = core.query;
      nlohmann::json entry = {{"core", q.apic_id},
                              {"host_cpu", q.host_cpu},
                              {"owner", core.owner},
                              {"host_online", q.host_online != 0}};
      if (q.owner != MINT_CPU_HOST) {
        entry["boot_core"] = q.boot_core != 0;
        entry["node_online"] = q.node_online != 0;
        entry["granted"] = q.granted != 0;
      }
      out.push_back(entry);
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-5s %-8s %-16s %s\n", "CORE", "HOST CPU", "OWNER", "STATE");
  for (const CoreView& core : cores) {
    const mint_cpu& q = core.query;
    std::string state;
    if (q.owner == MINT_CPU_HOST)
      state = q.host_online ? "online in the host" : "offline (parked or never started)";
    else if (q.boot_core)
      state = "the node's boot core";
    else if (!q.granted)
      state = "being taken back";
    else
      state = q.node_online ? "online in the node" : "given, not online in the node";
    std::printf("%-5u %-8u %-16s %s\n", q.apic_id, q.host_cpu, core.owner.c_str(), state.c_str());
  }
  return 0;
}

}  // namespace

void AddCpu(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<CpuArgs>();
  CLI::App* cmd = app.add_subcommand("cpu", "move cores between the host and running nodes");
  cmd->footer(
      "A node can receive the cores its plan lists in receive_cpus (and get back its own):\n"
      "its MADT lists them and its kernel starts only its own. 'give' takes a core from the\n"
      "host (offlining it there) or from another node (which takes it offline first), parks it\n"
      "with INIT, and the node's mint_node.ko brings it online in the node's own kernel. 'take'\n"
      "returns it: the node takes it offline, the host parks it and brings it online again if\n"
      "it had it online before (--park: leave it parked). Boot cores never move. A move that\n"
      "fails part way leaves the core the host's, parked (docs/cores.md).");
  cmd->callback([cmd] {
    if (cmd->get_subcommands().empty()) throw CLI::RequiredError("a subcommand (give, take or ls)");
  });
  auto common = [args](CLI::App* sub, bool with_core) {
    sub->footer("");
    if (with_core) {
      sub->add_option("NODE", args->node, "the node")->required();
      sub->add_option("CORE", args->core, "the core, by APIC ID (as in the plan's cpus)")
          ->required()
          ->check(CLI::Range(0, 255));
      sub->add_option("--timeout", args->timeout_s,
                      "give up waiting for a node to bring the core up or down after S seconds")
          ->check(PositiveSeconds())
          ->capture_default_str();
    }
    sub->add_flag("--json", args->json, "print the result as JSON");
    sub->add_option("--device", args->device, "the host module's device")->capture_default_str();
  };
  CLI::App* give = cmd->add_subcommand("give", "give a core to a running node");
  common(give, true);
  give->callback([args, &chosen] { chosen = [args] { return RunGive(*args); }; });
  CLI::App* take = cmd->add_subcommand("take", "take a core back from a running node");
  common(take, true);
  take->add_flag("--park", args->park,
                 "leave the core parked and offline in the host, even if it was online before");
  take->callback([args, &chosen] { chosen = [args] { return RunTake(*args); }; });
  CLI::App* ls = cmd->add_subcommand("ls", "list every core and who owns it");
  common(ls, false);
  ls->callback([args, &chosen] { chosen = [args] { return RunList(*args); }; });
}

}  // namespace mint::cli
