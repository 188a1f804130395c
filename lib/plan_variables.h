// ${NAME} in a plan's paths (docs/plan.md, "Paths and variables"): the environment's value
// when it is set, else Mint's default for that name, so the example plans work as typed. In a
// build tree the defaults are the build's own images (its node initramfs, the Debian kernels
// scripts/setup unpacked into its cache); installed, the packaged images under the data folder
// (/usr/share/mint) and the running host's own kernel. Pure: the site and whether each default
// file is there come from whoever may look at the machine (hostio/plan_variables.h).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan.h"
#include "result.h"

namespace mint {

// Where the mint binary runs from, as the host found it.
struct MintSite {
  std::string build_dir;  // the CMake build tree mint runs from; empty for an installed mint
  std::string cache_dir;  // the build's MINT_CACHE (scripts/setup's kernels), build tree only
  // scripts/setup's cache_dir/kernel.env, KEY=VALUE (MINT_KERNEL, MINT_I386_KERNEL, ...).
  std::map<std::string, std::string, std::less<>> kernel_env;
  std::string data_dir;        // installed: the data folder (/usr/share/mint for /usr/bin/mint)
  std::string kernel_release;  // the running kernel's release (uname -r)
};

// One variable's default.
struct PlanVariableDefault {
  std::string name;  // "MINT_KERNEL"
  // The default file; empty when the name has no default here (then `what` says why).
  std::string path;
  std::string what;      // what the file is, for messages: "the running kernel"
  bool present = false;  // the file is there (filled in by whoever may look: hostio)
};

// The defaults of the variables the example plans use, for mint running from `site`.
std::vector<PlanVariableDefault> PlanVariableDefaults(const MintSite& site);

// Where a plan's ${NAME} values come from: a lookup of the environment, then the defaults.
class PlanVariables {
 public:
  // The value of NAME in the environment, nullopt when unset.
  using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

  explicit PlanVariables(Lookup environment, std::vector<PlanVariableDefault> defaults = {});
  // The process environment and no defaults (what the lab and the tests use: they set the
  // variables themselves).
  static PlanVariables Environment();
  // NAME in the process environment (getenv), nullopt when unset.
  static std::optional<std::string> FromEnvironment(const std::string& name);

  // NAME's value: the environment's when set and not empty, else its default when that file
  // is there. Fails naming the variable, and the default file tried when there is one.
  Result<std::string> Value(const std::string& name) const;

  const std::vector<PlanVariableDefault>& Defaults() const { return defaults_; }

 private:
  Lookup environment_;
  std::vector<PlanVariableDefault> defaults_;
};

// ParsePlanAll, ParsePlan and LoadPlanFile (plan.h, which take the environment alone) with
// ${NAME} taken from `variables`: mint passes its defaults too (hostio/plan_site.h).
PlanCheck ParsePlanAll(std::string_view text, std::string_view origin,
                       const PlanVariables& variables);
Result<Plan> ParsePlan(std::string_view text, std::string_view origin,
                       const PlanVariables& variables);
Result<Plan> LoadPlanFile(const std::string& path, const PlanVariables& variables);

// KEY=VALUE lines (scripts/setup's kernel.env); blank lines and # comments are skipped.
std::map<std::string, std::string, std::less<>> ParseKeyValues(std::string_view text);

// The value of the `NAME:TYPE=VALUE` line of a CMakeCache.txt, nullopt when it has none.
std::optional<std::string> CMakeCacheValue(std::string_view text, std::string_view name);

}  // namespace mint
