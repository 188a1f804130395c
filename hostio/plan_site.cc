#include "plan_site.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace mint {

namespace {

// A small text file's contents, empty when it cannot be read.
std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

MintSite FindMintSite(const std::string& executable, const std::string& kernel_release) {
  namespace fs = std::filesystem;
  MintSite site;
  site.kernel_release = kernel_release;
  fs::path bin = fs::path(executable).parent_path();
  fs::path top = bin.parent_path();
  std::error_code error;
  if (bin.filename() == "cli" && fs::exists(top / "CMakeCache.txt", error)) {
    site.build_dir = top.string();
    std::optional<std::string> cache =
        CMakeCacheValue(ReadText(top / "CMakeCache.txt"), "MINT_CACHE");
    site.cache_dir = cache.value_or((top / "cache").string());
    site.kernel_env = ParseKeyValues(ReadText(fs::path(site.cache_dir) / "kernel.env"));
    return site;
  }
  site.data_dir = (top / "share" / "mint").string();
  return site;
}

std::vector<PlanVariableDefault> LookForDefaults(std::vector<PlanVariableDefault> defaults) {
  for (PlanVariableDefault& fallback : defaults)
    fallback.present = !fallback.path.empty() && access(fallback.path.c_str(), R_OK) == 0;
  return defaults;
}

PlanVariables HostPlanVariables() {
  std::error_code error;
  std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  utsname names{};
  std::string release = uname(&names) == 0 ? names.release : "";
  MintSite site = FindMintSite(error ? std::string() : executable.string(), release);
  return PlanVariables(PlanVariables::FromEnvironment, LookForDefaults(PlanVariableDefaults(site)));
}

Result<Plan> LoadHostPlan(const std::string& path) {
  return LoadPlanFile(path, HostPlanVariables());
}

}  // namespace mint
