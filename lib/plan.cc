#include "plan.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "format.h"
#include "plan_parse.h"
#include "plan_placement.h"
#include "plan_rules.h"

namespace mint {

const NodePlan* Plan::FindNode(std::string_view name) const {
  for (const NodePlan& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

int PlanCheck::NodeLine(const NodePlan& node) const {
  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    if (&plan.nodes[index] == &node) return lines.Node(index).line;
  }
  return 0;
}

std::string FormatProblems(const std::vector<PlanProblem>& problems, std::string_view origin) {
  std::string out;
  for (const PlanProblem& problem : problems) {
    if (!out.empty()) out += "\n";
    out += std::string(origin);
    if (problem.line > 0) out += ":" + std::to_string(problem.line);
    if (problem.line > 0 && problem.column > 0) out += ":" + std::to_string(problem.column);
    out += ": " + problem.message;
  }
  return out;
}

// Every problem is recorded instead of stopping at the first: a user fixing a plan sees the
// whole list at once, sorted by line.
PlanCheck ParsePlanAll(std::string_view text, std::string_view origin,
                       const PlanVariables& variables) {
  PlanCheck out;
  if (!ReadPlan(text, origin, out, variables)) return out;
  CheckPlanRules(out.plan, out.lines, out.problems);
  PlacePlan(out.plan, out.lines, out.problems);
  // Architecture rules that need only the plan (an arch read from the image is checked by
  // CheckPlan), on placed memory.
  for (size_t index = 0; index < out.plan.nodes.size(); ++index) {
    const NodePlan& node = out.plan.nodes[index];
    CheckArchMemory(node, node.arch, out.lines.Node(index).Of("memory"), out.problems);
  }
  std::stable_sort(out.problems.begin(), out.problems.end(),
                   [](const PlanProblem& a, const PlanProblem& b) { return a.line < b.line; });
  return out;
}

Result<Plan> ParsePlan(std::string_view text, std::string_view origin,
                       const PlanVariables& variables) {
  PlanCheck check = ParsePlanAll(text, origin, variables);
  if (!check.problems.empty()) return Fail(FormatProblems(check.problems, origin));
  return std::move(check.plan);
}

PlanCheck ParsePlanAll(std::string_view text, std::string_view origin) {
  return ParsePlanAll(text, origin, PlanVariables::Environment());
}

Result<Plan> ParsePlan(std::string_view text, std::string_view origin) {
  return ParsePlan(text, origin, PlanVariables::Environment());
}

Result<Plan> LoadPlanFile(const std::string& path) {
  return LoadPlanFile(path, PlanVariables::Environment());
}

Result<Plan> LoadPlanFile(const std::string& path, const PlanVariables& variables) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("cannot read plan file ", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParsePlan(buffer.str(), path, variables);
}

std::optional<NodeLink> NodeLinkOf(const Plan& plan, const NodePlan& node) {
  if (!plan.network || !node.address || !node.link) return std::nullopt;
  const NetworkPlan& network = *plan.network;
  NodeLink link;
  link.region = *node.link;
  link.ring = static_cast<uint32_t>(network.ring);
  link.ifname = LinkInterfaceName(node.name);
  link.mac = LinkMacs(node.name);
  link.address = *node.address;
  link.subnet = network.subnet;
  link.bridge = network.bridge;
  link.bridge_address = network.HostAddress();
  return link;
}

std::optional<NodeRoot> NodeRootOf(const Plan& plan, const NodePlan& node) {
  if (node.root.empty() || !plan.network || !node.address) return std::nullopt;
  size_t index = 0;
  while (index < plan.nodes.size() && plan.nodes[index].name != node.name) ++index;
  return NodeRoot{node.root, plan.network->HostAddress(),
                  static_cast<uint16_t>(kRootPortBase + index), node.name, node.root_sha256};
}

std::string RootCommandLine(const NodeRoot& root) {
  return "mint_root=nbd:" + FormatIpv4(root.address) + ":" + std::to_string(root.port) + ":" +
         root.export_name;
}

uint32_t DirectLinkPlan::Address(size_t side) const {
  if (side < addresses.size()) return addresses[side];
  return subnet.FirstHost() + static_cast<uint32_t>(side);
}

std::string DirectLinkPlan::Name() const {
  std::string name;
  for (const std::string& node : nodes) name.append(name.empty() ? "" : "-").append(node);
  return name;
}

std::vector<NodeDirectLink> DirectLinksOf(const Plan& plan, const NodePlan& node) {
  std::vector<NodeDirectLink> out;
  for (const DirectLinkPlan& link : plan.links) {
    if (link.nodes.size() != 2 || !link.region) continue;
    for (uint32_t side = 0; side < 2; ++side) {
      if (link.nodes[side] != node.name) continue;
      NodeDirectLink mine;
      mine.name = link.Name();
      mine.region = *link.region;
      mine.ring = static_cast<uint32_t>(link.ring);
      mine.side = side;
      mine.peer = link.nodes[1 - side];
      mine.mac = DirectLinkMacs(link.nodes[0], link.nodes[1]);
      mine.address = link.Address(side);
      mine.peer_address = link.Address(1 - side);
      mine.subnet = link.subnet;
      out.push_back(std::move(mine));
      break;
    }
  }
  return out;
}

std::vector<std::string> HostKernelOptions(const HostPlan& host) {
  std::vector<std::string> options;
  options.push_back("maxcpus=" + std::to_string(host.cpus.size()));
  for (const PhysRange& range : host.reserved)
    options.push_back("memmap=" + Hex(range.size()) + "$" + Hex(range.start));
  // With every possible core online, Linux sends its stop and reboot IPIs to "all but self"
  // by broadcast, which would also reach the cores nodes own (a host that onlined a core a
  // node gave back has all of them online). Directed IPIs keep the host to its own cores.
  options.push_back("no_ipi_broadcast=1");
  return options;
}

std::string HostKernelArgs(const HostPlan& host) {
  std::string line;
  for (const std::string& option : HostKernelOptions(host))
    line.append(line.empty() ? "" : " ").append(option);
  return line;
}

}  // namespace mint
