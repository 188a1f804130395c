// What the commands share: printing usage and errors, and the argument scanning of the
// commands not yet declared through CLI11 (cli/app.h).
#include "commands.h"

#include <iostream>

namespace mint::cli {

int Usage(const char* text, int status) {
  (status == 0 ? std::cout : std::cerr) << text;
  return status;
}

int Error(const std::string& message) {
  std::cerr << "mint: " << message << "\n";
  return 1;
}

bool TakeFlag(Args& args, const std::string& flag) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == flag) {
      args.erase(it);
      return true;
    }
  }
  return false;
}

bool TakeValue(Args& args, const std::string& flag, std::string& value, bool& ok) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == flag) {
      if (it + 1 == args.end()) {
        Error(flag + " needs a value");
        ok = false;
        return false;
      }
      value = *(it + 1);
      args.erase(it, it + 2);
      return true;
    }
    if (it->starts_with(flag + "=")) {
      value = it->substr(flag.size() + 1);
      args.erase(it);
      return true;
    }
  }
  return false;
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
