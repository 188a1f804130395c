// The defaults of a plan's ${MINT_KERNEL}, ${MINT_NODE_INITRD} and friends for the mint that
// is running (lib/plan_variables.h decides them; this looks at the machine): whether mint runs
// from a build tree or is installed, which kernel the host runs, and which default files are
// there. docs/plan.md, "Paths and variables".
#pragma once

#include <string>

#include "plan.h"
#include "plan_variables.h"  // lib/

namespace mint {

// The site of a mint binary at `executable`: a build tree when it is BUILD/cli/mint with a
// BUILD/CMakeCache.txt (then the cache's kernel.env is read), else installed under a prefix
// (PREFIX/bin/mint: data in PREFIX/share/mint). `kernel_release` is the running kernel's.
MintSite FindMintSite(const std::string& executable, const std::string& kernel_release);

// `defaults` with `present` set for each file that is there and readable.
std::vector<PlanVariableDefault> LookForDefaults(std::vector<PlanVariableDefault> defaults);

// The environment, then the defaults of this mint (/proc/self/exe, uname -r).
PlanVariables HostPlanVariables();

// A plan file read with HostPlanVariables(): what every command loads a plan with.
Result<Plan> LoadHostPlan(const std::string& path);

}  // namespace mint
