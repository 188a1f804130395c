// The mint CLI's subcommands. Each takes its own arguments (argv after the subcommand's
// name) and returns the process exit status; errors go to stderr as "mint: ...".
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

int Bench(const Args& args);
int BenchLoad(const Args& args);   // cli/bench_load.cc: mint bench load
int BenchEntry(const Args& args);  // cli/bench_entry.cc: mint bench entry
int BenchImage(const Args& args);  // cli/bench_image.cc: mint bench image

// Helpers shared by the subcommands.
// The plan's nodes named in `names` (every node when empty), or an error naming the unknown
// one; an error too for a plan without nodes. `plan_path` names the plan in messages.
Result<std::vector<const NodePlan*>> PickNodes(const Plan& plan, const std::string& plan_path,
                                               const std::vector<std::string>& names);
int Usage(const char* text, int status);
int Error(const std::string& message);
bool TakeFlag(Args& args, const std::string& flag);
// Takes "--flag VALUE" or "--flag=VALUE"; returns false with an error printed when the value
// is missing.
bool TakeValue(Args& args, const std::string& flag, std::string& value, bool& ok);

}  // namespace mint::cli
