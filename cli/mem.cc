// mint mem give|take|ls: memory between the host and running nodes (docs/memory-handover.md).
// The host module keeps the books (every range the host's or one node's at each step);
// hostio/node_memory.h chains its steps and waits for the node's module, which adds a given
// range to the node's stock kernel (add_memory_driver_managed, movable) and removes a taken one
// (offline_and_remove_memory).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "node_access.h"
#include "node_memory.h"
#include "plan_site.h"

namespace mint::cli {
namespace {

struct MemArgs {
  std::string node;
  std::string what;  // give: RANGE or SIZE; take: RANGE or START
  std::string plan;  // default: the one remembered for the node
  double timeout_s = 10;
  bool json = false;
  std::string device = "/dev/mint";
};

nlohmann::json MoveJson(const MemoryMove& move, const char* direction) {
  return {{"node", move.node},
          {"direction", direction},
          {"start", move.range.start},
          {"size", move.range.size()},
          {"range", FormatRange(move.range)},
          {"host_ms", move.host_ms},
          {"node_ms", move.node_ms},
          {"total_ms", move.total_ms},
          {"block_size", move.block_size}};
}

Result<Plan> NodesPlan(const MemArgs& args) {
  std::string path = args.plan;
  if (path.empty()) {
    auto remembered = RememberedPlan(args.node);
    if (!remembered)
      return Fail("no plan is remembered for node ", args.node, " (", RunDir(), "/", args.node,
                  ".plan): name it with --plan, or give a range");
    path = *remembered;
  }
  return LoadHostPlan(path);
}

// What to give: a range as typed ("0x60000000-0x67ffffff"), checked against the node's
// receive_memory when its plan is known, or a size ("128M", default) picked from it.
Result<PhysRange> RangeToGive(HostDevice& host, const MemArgs& args) {
  const std::string what = args.what.empty() ? "128M" : args.what;
  if (what.find('-') != std::string::npos) {
    auto range = ParseRange(what);
    if (!range) return Fail("'", what, "': ", range.error().message);
    auto plan = NodesPlan(args);
    if (!plan && !args.plan.empty()) return Fail(plan.error().message);
    if (!plan) return *range;  // none remembered to check against: the host module still checks
    const NodePlan* node = plan->FindNode(args.node);
    if (node == nullptr) return Fail("node ", args.node, " is not in its plan");
    for (const PhysRange& area : node->receive_memory)
      if (area.Contains(*range)) return *range;
    return Fail("memory ", FormatRange(*range), " is not in node ", args.node, "'s receive_memory");
  }
  auto size = ParseSize(what);
  if (!size) return Fail("'", what, "' is neither a range nor a size: ", size.error().message);
  auto plan = MINT_TRY(NodesPlan(args));
  const NodePlan* node = plan.FindNode(args.node);
  if (node == nullptr) return Fail("node ", args.node, " is not in its plan");
  auto held = MINT_TRY(HeldMemory(host));
  return PickReceivable(*node, *size, held);
}

Result<int> RunGive(const MemArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto range = MINT_TRY(RangeToGive(*host, args));
  auto move = MINT_TRY(GiveMemory(*host, args.node, range, args.timeout_s));
  if (args.json) {
    std::cout << MoveJson(move, "give").dump() << "\n";
    return 0;
  }
  std::printf(
      "mint: memory %s (%llu MiB) given to node %s in %.1f ms (host side %.1f ms, its kernel "
      "added it %.1f ms later)\n",
      FormatRange(move.range).c_str(), static_cast<unsigned long long>(move.range.size() >> 20),
      move.node.c_str(), move.total_ms, move.host_ms, move.node_ms);
  return 0;
}

Result<int> RunTake(const MemArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  uint64_t start = 0;
  if (args.what.empty()) {
    // The range given last (highest address) to this node.
    auto given = MINT_TRY(ListGivenMemory(*host));
    bool found = false;
    for (const GivenMemory& g : given)
      if (g.node == args.node && (!found || g.range.start > start)) {
        start = g.range.start;
        found = true;
      }
    if (!found) return Fail("node ", args.node, " holds no memory given while it ran");
  } else if (args.what.find('-') != std::string::npos) {
    auto range = ParseRange(args.what);
    if (!range) return Fail("'", args.what, "': ", range.error().message);
    start = range->start;
  } else {
    auto number = ParseSize(args.what);
    if (!number) return Fail("'", args.what, "' is neither a range nor an address");
    start = *number;
  }
  auto move = MINT_TRY(TakeMemory(*host, args.node, start, args.timeout_s));
  if (args.json) {
    std::cout << MoveJson(move, "take").dump() << "\n";
    return 0;
  }
  std::printf(
      "mint: memory %s (%llu MiB) taken back from node %s in %.1f ms (its kernel removed it in "
      "%.1f ms; the host zeroed it in %.1f ms)\n",
      FormatRange(move.range).c_str(), static_cast<unsigned long long>(move.range.size() >> 20),
      move.node.c_str(), move.total_ms, move.node_ms, move.host_ms);
  return 0;
}

Result<int> RunList(const MemArgs& args) {
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto given = MINT_TRY(ListGivenMemory(*host));
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const GivenMemory& g : given)
      out.push_back({{"node", g.node},
                     {"range", FormatRange(g.range)},
                     {"start", g.range.start},
                     {"size", g.range.size()},
                     {"granted", g.granted},
                     {"added", g.added}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (given.empty()) {
    std::printf("no memory is given to a running node\n");
    return 0;
  }
  std::printf("%-16s %-25s %-8s %s\n", "NODE", "MEMORY", "MiB", "STATE");
  for (const GivenMemory& g : given) {
    const char* state = !g.granted ? "being taken back"
                        : g.added  ? "in use by the node's kernel"
                                   : "given, not added yet";
    std::printf("%-16s %-25s %-8llu %s\n", g.node.c_str(), FormatRange(g.range).c_str(),
                static_cast<unsigned long long>(g.range.size() >> 20), state);
  }
  return 0;
}

}  // namespace

void AddMem(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<MemArgs>();
  CLI::App* cmd = app.add_subcommand("mem", "move memory between the host and running nodes");
  cmd->footer(
      "A node can be given the ranges its plan lists in receive_memory: whole 128 MiB blocks\n"
      "of the host's reserved memory. 'give' zeroes the range and hands it to the node, whose\n"
      "mint_node.ko adds it to its kernel as movable memory. 'take' asks the node to empty it\n"
      "(its kernel migrates what is there) and give it back; a range the node cannot empty\n"
      "within --timeout stays the node's. 'mint stop' gives everything back with the node.\n"
      "i386 nodes cannot take memory (docs/memory-handover.md).");
  cmd->callback([cmd] {
    if (cmd->get_subcommands().empty()) throw CLI::RequiredError("a subcommand (give, take or ls)");
  });
  auto common = [args](CLI::App* sub, bool with_node) {
    sub->footer("");
    if (with_node) {
      sub->add_option("NODE", args->node, "the node")->required();
      sub->add_option("--timeout", args->timeout_s,
                      "give up waiting for the node to add or empty the range after S seconds")
          ->check(PositiveSeconds())
          ->capture_default_str();
    }
    sub->add_flag("--json", args->json, "print the result as JSON");
    sub->add_option("--device", args->device, "the host module's device")->capture_default_str();
  };
  CLI::App* give = cmd->add_subcommand("give", "give memory to a running node");
  common(give, true);
  give->add_option("WHAT", args->what,
                   "a size (128M, 256M: the first free blocks of its receive_memory; default "
                   "128M) or a range (0x60000000-0x67ffffff)");
  give->add_option("--plan", args->plan,
                   "the node's plan, for its receive_memory (default: the one it booted from)");
  give->callback([args, &chosen] { chosen = [args] { return RunGive(*args); }; });
  CLI::App* take = cmd->add_subcommand("take", "take memory back from a running node");
  common(take, true);
  take->add_option("WHAT", args->what,
                   "the range, or its start address (default: the range given to it last)");
  take->callback([args, &chosen] { chosen = [args] { return RunTake(*args); }; });
  CLI::App* ls = cmd->add_subcommand("ls", "list the memory given to running nodes");
  common(ls, false);
  ls->callback([args, &chosen] { chosen = [args] { return RunList(*args); }; });
}

}  // namespace mint::cli
