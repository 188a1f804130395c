// What the commands share: printing an error, picking a plan's nodes.
#include "commands.h"

#include <iostream>

namespace mint::cli {

int Error(const std::string& message) {
  std::cerr << "mint: " << message << "\n";
  return 1;
}

Result<std::vector<const NodePlan*>> PickNodes(const Plan& plan, const std::string& plan_path,
                                               const std::vector<std::string>& names) {
  std::vector<const NodePlan*> nodes;
  for (const std::string& name : names) {
    const NodePlan* node = plan.FindNode(name);
    if (node == nullptr) return Fail(plan_path, " has no node named '", name, "'");
    nodes.push_back(node);
  }
  if (nodes.empty())
    for (const NodePlan& node : plan.nodes) nodes.push_back(&node);
  if (nodes.empty()) return Fail(plan_path, " has no nodes to boot");
  return nodes;
}

}  // namespace mint::cli
