#include "plan_variables.h"

#include <cstdlib>
#include <utility>

#include "format.h"

namespace mint {

namespace {

// Calls `each` with every line of `text`, without its newline.
template <typename Each>
void ForEachLine(std::string_view text, Each each) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    each(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

std::vector<PlanVariableDefault> PlanVariableDefaults(const MintSite& site) {
  std::vector<PlanVariableDefault> out;
  if (!site.build_dir.empty()) {
    // A build tree: scripts/setup's kernels (kernel.env) and the images this build made.
    auto from_cache = [&](const std::string& name, const std::string& what) {
      auto found = site.kernel_env.find(name);
      if (found != site.kernel_env.end() && !found->second.empty()) {
        out.push_back({name, found->second, what + " (" + site.cache_dir + "/kernel.env)"});
      } else {
        out.push_back({name, "",
                       "the build's cache " + site.cache_dir + " names none in kernel.env " +
                           "(run scripts/setup)"});
      }
    };
    auto from_build = [&](const std::string& name, const std::string& file,
                          const std::string& what) {
      out.push_back({name, site.build_dir + "/guest/" + file, what});
    };
    from_cache("MINT_KERNEL", "the Debian kernel scripts/setup unpacked into the build's cache");
    from_build("MINT_NODE_INITRD", "node-initrd.cpio.gz", "this build's node initramfs");
    from_build("MINT_NODE_DEVICES_INITRD", "node-initrd-devices.cpio.gz",
               "this build's node initramfs with device drivers");
    from_build("MINT_NODE_DISKLESS_INITRD", "node-initrd-diskless.cpio.gz",
               "this build's node initramfs with the NBD client, for diskless nodes");
    from_build("MINT_NODE_ROOT_BUSYBOX", "node-root-busybox.img",
               "this build's busybox root image for diskless nodes");
    from_cache("MINT_I386_KERNEL",
               "the i386 Debian kernel scripts/setup unpacked into the build's cache");
    from_build("MINT_I386_NODE_INITRD", "node-initrd-i386.cpio.gz",
               "this build's i386 node initramfs");
    return out;
  }
  // Installed: the running host's own kernel, and the images of the mint-node package.
  out.push_back({"MINT_KERNEL",
                 site.kernel_release.empty() ? "" : "/boot/vmlinuz-" + site.kernel_release,
                 site.kernel_release.empty() ? "the running kernel's release is unknown"
                                             : "the running kernel"});
  auto installed = [&](const std::string& name, const std::string& file, const std::string& what) {
    out.push_back({name, site.data_dir + "/" + file, what + " (package mint-node)"});
  };
  installed("MINT_NODE_INITRD", "node-initrd.cpio.gz", "the installed node initramfs");
  installed("MINT_NODE_DEVICES_INITRD", "node-initrd-devices.cpio.gz",
            "the installed node initramfs with device drivers");
  installed("MINT_NODE_DISKLESS_INITRD", "node-initrd-diskless.cpio.gz",
            "the installed node initramfs with the NBD client, for diskless nodes");
  out.push_back({"MINT_NODE_ROOT_BUSYBOX", "",
                 "an installed mint has no root image: make one with `mint rootfs build FILE` "
                 "and name the file"});
  out.push_back({"MINT_I386_KERNEL", "",
                 "an installed mint has no default 32-bit kernel: set it to an i386 Debian "
                 "kernel (linux-image-686's /boot/vmlinuz-*)"});
  installed("MINT_I386_NODE_INITRD", "node-initrd-i386.cpio.gz",
            "the installed i386 node initramfs");
  return out;
}

PlanVariables::PlanVariables(Lookup environment, std::vector<PlanVariableDefault> defaults)
    : environment_(std::move(environment)), defaults_(std::move(defaults)) {}

std::optional<std::string> PlanVariables::FromEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

PlanVariables PlanVariables::Environment() {
  return PlanVariables(FromEnvironment);
}

Result<std::string> PlanVariables::Value(const std::string& name) const {
  std::optional<std::string> value = environment_ ? environment_(name) : std::nullopt;
  if (value && !value->empty()) return *value;
  for (const PlanVariableDefault& fallback : defaults_) {
    if (fallback.name != name) continue;
    if (fallback.path.empty())
      return Fail("${", name, "} is not set in the environment, and ", fallback.what);
    if (!fallback.present)
      return Fail("${", name, "} is not set in the environment, and its default, ", fallback.what,
                  " ", fallback.path, ", is not there: set ", name, " to the file to use");
    return fallback.path;
  }
  return Fail("${", name, "} is not set in the environment");
}

std::map<std::string, std::string, std::less<>> ParseKeyValues(std::string_view text) {
  std::map<std::string, std::string, std::less<>> out;
  ForEachLine(text, [&](std::string_view line) {
    line = TrimBlanks(line);
    if (line.empty() || line.front() == '#') return;
    size_t equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) return;
    out[std::string(TrimBlanks(line.substr(0, equals)))] =
        std::string(TrimBlanks(line.substr(equals + 1)));
  });
  return out;
}

std::optional<std::string> CMakeCacheValue(std::string_view text, std::string_view name) {
  std::optional<std::string> out;
  ForEachLine(text, [&](std::string_view line) {
    if (out || !line.starts_with(name) || line.size() <= name.size() || line[name.size()] != ':')
      return;
    size_t equals = line.find('=', name.size());
    if (equals != std::string_view::npos) out = std::string(TrimBlanks(line.substr(equals + 1)));
  });
  return out;
}

}  // namespace mint
