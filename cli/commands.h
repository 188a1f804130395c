// What the mint CLI's commands share (the commands themselves are declared in cli/app.h).
#pragma once

#include <string>
#include <vector>

#include "format.h"  // Hex
#include "plan.h"
#include "result.h"

namespace mint {
class HostDevice;
}

namespace mint::cli {

using Args = std::vector<std::string>;

// Helpers shared by the subcommands.
// The plan's nodes named in `names` (every node when empty), or an error naming the unknown
// one; an error too for a plan without nodes. `plan_path` names the plan in messages.
Result<std::vector<const NodePlan*>> PickNodes(const Plan& plan, const std::string& plan_path,
                                               const std::vector<std::string>& names);
// Prints "mint: MESSAGE" on stderr and returns 1 (Main prints a command's returned error so).
int Error(const std::string& message);

}  // namespace mint::cli
