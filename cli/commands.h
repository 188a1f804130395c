// The mint CLI's subcommands. Each takes its own arguments (argv after the subcommand's
// name) and returns the process exit status; errors go to stderr as "mint: ...".
#pragma once

#include <string>
#include <vector>

#include "format.h"  // Hex
#include "result.h"

namespace mint {
class HostDevice;
}

namespace mint::cli {

using Args = std::vector<std::string>;

int Boot(const Args& args);
int Up(const Args& args);
int Bench(const Args& args);
int Stop(const Args& args);
int Check(const Args& args);
int ShowInventory(const Args& args);  // cli/check.cc, as are Check, PlanMap and Down
int PlanMap(const Args& args);        // mint plan
int Down(const Args& args);
int BenchLoad(const Args& args);   // cli/bench_load.cc: mint bench load
int BenchEntry(const Args& args);  // cli/bench_entry.cc: mint bench entry
int BenchImage(const Args& args);  // cli/bench_image.cc: mint bench image

// Helpers shared by the subcommands.
int Usage(const char* text, int status);
int Error(const std::string& message);
bool TakeFlag(Args& args, const std::string& flag);
// Takes "--flag VALUE" or "--flag=VALUE"; returns false with an error printed when the value
// is missing.
bool TakeValue(Args& args, const std::string& flag, std::string& value, bool& ok);

}  // namespace mint::cli
