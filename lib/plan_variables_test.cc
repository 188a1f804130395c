#include "plan_variables.h"

#include <gtest/gtest.h>

#include <map>

#include "plan.h"

namespace mint {
namespace {

// An environment of the test's own, instead of the process's.
PlanVariables::Lookup FakeEnvironment(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

const PlanVariableDefault* Find(const std::vector<PlanVariableDefault>& defaults,
                                const std::string& name) {
  for (const PlanVariableDefault& fallback : defaults)
    if (fallback.name == name) return &fallback;
  return nullptr;
}

MintSite BuildTree(const std::string& build, const std::string& cache) {
  MintSite site;
  site.build_dir = build;
  site.cache_dir = cache;
  site.kernel_env = ParseKeyValues("MINT_KERNEL=" + cache + "/root/boot/vmlinuz-X\n" +
                                   "MINT_I386_KERNEL=" + cache + "/i386/vmlinuz-Y\n");
  site.kernel_release = "9.9.9-host";
  return site;
}

MintSite Installed(const std::string& data, const std::string& release) {
  MintSite site;
  site.data_dir = data;
  site.kernel_release = release;
  return site;
}

TEST(PlanVariables, BuildTreeDefaultsAreTheBuildsOwnImages) {
  const std::string build = "/src/b" + std::to_string(__LINE__), cache = build + "/kc";
  auto defaults = PlanVariableDefaults(BuildTree(build, cache));
  ASSERT_NE(Find(defaults, "MINT_KERNEL"), nullptr);
  EXPECT_EQ(Find(defaults, "MINT_KERNEL")->path, cache + "/root/boot/vmlinuz-X");
  EXPECT_EQ(Find(defaults, "MINT_I386_KERNEL")->path, cache + "/i386/vmlinuz-Y");
  EXPECT_EQ(Find(defaults, "MINT_NODE_INITRD")->path, build + "/guest/node-initrd.cpio.gz");
  EXPECT_EQ(Find(defaults, "MINT_NODE_DEVICES_INITRD")->path,
            build + "/guest/node-initrd-devices.cpio.gz");
  EXPECT_EQ(Find(defaults, "MINT_I386_NODE_INITRD")->path,
            build + "/guest/node-initrd-i386.cpio.gz");
  EXPECT_EQ(Find(defaults, "MINT_NODE_DISKLESS_INITRD")->path,
            build + "/guest/node-initrd-diskless.cpio.gz");
  EXPECT_EQ(Find(defaults, "MINT_NODE_ROOT_BUSYBOX")->path, build + "/guest/node-root-busybox.img");
}

TEST(PlanVariables, BuildTreeWithoutKernelEnvSaysToRunSetup) {
  MintSite site = BuildTree("/b", "/nowhere/cache");
  site.kernel_env.clear();
  PlanVariables variables(FakeEnvironment({}), PlanVariableDefaults(site));
  auto kernel = variables.Value("MINT_KERNEL");
  ASSERT_FALSE(kernel.ok());
  EXPECT_NE(kernel.error().message.find("${MINT_KERNEL}"), std::string::npos);
  EXPECT_NE(kernel.error().message.find("/nowhere/cache"), std::string::npos);
  EXPECT_NE(kernel.error().message.find("scripts/setup"), std::string::npos);
}

TEST(PlanVariables, InstalledDefaultsAreTheRunningKernelAndThePackagedImages) {
  const std::string data = "/opt/p" + std::to_string(__LINE__) + "/share/mint";
  auto defaults = PlanVariableDefaults(Installed(data, "6.1.0-7-amd64"));
  EXPECT_EQ(Find(defaults, "MINT_KERNEL")->path, "/boot/vmlinuz-6.1.0-7-amd64");
  EXPECT_EQ(Find(defaults, "MINT_NODE_INITRD")->path, data + "/node-initrd.cpio.gz");
  EXPECT_EQ(Find(defaults, "MINT_NODE_DEVICES_INITRD")->path,
            data + "/node-initrd-devices.cpio.gz");
  EXPECT_EQ(Find(defaults, "MINT_I386_NODE_INITRD")->path, data + "/node-initrd-i386.cpio.gz");
  EXPECT_EQ(Find(defaults, "MINT_NODE_DISKLESS_INITRD")->path,
            data + "/node-initrd-diskless.cpio.gz");
  // No root image comes with the packages: `mint rootfs build` makes one.
  EXPECT_TRUE(Find(defaults, "MINT_NODE_ROOT_BUSYBOX")->path.empty());
  // No 32-bit kernel runs the host: that one is the user's to name.
  EXPECT_TRUE(Find(defaults, "MINT_I386_KERNEL")->path.empty());
}

TEST(PlanVariables, TheEnvironmentWinsOverADefault) {
  auto defaults = PlanVariableDefaults(Installed("/d", "r1"));
  for (auto& fallback : defaults) fallback.present = true;
  PlanVariables variables(FakeEnvironment({{"MINT_KERNEL", "/mine/vmlinuz"}}), defaults);
  EXPECT_EQ(*variables.Value("MINT_KERNEL"), "/mine/vmlinuz");
  EXPECT_EQ(*variables.Value("MINT_NODE_INITRD"), "/d/node-initrd.cpio.gz");
  // Set but empty counts as unset, as the plan format always said.
  PlanVariables empty(FakeEnvironment({{"MINT_KERNEL", ""}}), defaults);
  EXPECT_EQ(*empty.Value("MINT_KERNEL"), "/boot/vmlinuz-r1");
}

TEST(PlanVariables, AMissingDefaultFileIsNamedWithItsVariable) {
  auto defaults = PlanVariableDefaults(Installed("/d", "r2"));  // present: false for all
  PlanVariables variables(FakeEnvironment({}), defaults);
  auto kernel = variables.Value("MINT_KERNEL");
  ASSERT_FALSE(kernel.ok());
  EXPECT_NE(kernel.error().message.find("${MINT_KERNEL}"), std::string::npos);
  EXPECT_NE(kernel.error().message.find("/boot/vmlinuz-r2"), std::string::npos);
  auto i386 = variables.Value("MINT_I386_KERNEL");
  ASSERT_FALSE(i386.ok());
  EXPECT_NE(i386.error().message.find("linux-image-686"), std::string::npos);
  auto other = variables.Value("MINT_SOMETHING_ELSE");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("${MINT_SOMETHING_ELSE} is not set"), std::string::npos);
}

TEST(PlanVariables, APlanTakesItsPathsFromTheVariables) {
  auto defaults = PlanVariableDefaults(Installed("/usr/share/mint", "r3"));
  for (auto& fallback : defaults) fallback.present = fallback.name != "MINT_NODE_INITRD";
  const std::string text =
      "[[node]]\nname=\"a\"\nkernel=\"${MINT_KERNEL}\"\ninitrd=\"${MINT_NODE_INITRD}\"\n"
      "cpus=[1]\nmemory=[\"64M\"]\n[host]\nreserved=[\"0x40000000-0x4fffffff\"]\n";
  PlanVariables variables(FakeEnvironment({{"MINT_NODE_INITRD", "/i"}}), defaults);
  auto plan = ParsePlan(text, "p.toml", variables);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->nodes[0].kernel, "/boot/vmlinuz-r3");
  EXPECT_EQ(plan->nodes[0].initrd, "/i");
  // Without the environment's value the missing default is the plan's problem, on its line.
  auto missing = ParsePlan(text, "p.toml", PlanVariables(FakeEnvironment({}), defaults));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("p.toml:4:"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("/usr/share/mint/node-initrd.cpio.gz"), std::string::npos);
}

TEST(PlanVariables, KeyValuesAndCMakeCache) {
  auto values = ParseKeyValues("# comment\nA=1\n\n B = two words \nnot a pair\n");
  EXPECT_EQ(values.size(), 2u);
  EXPECT_EQ(values["A"], "1");
  EXPECT_EQ(values["B"], "two words");
  const std::string cache = "//doc\nMINT_CACHE_X:BOOL=ON\nMINT_CACHE:PATH=/c/d\n";
  EXPECT_EQ(CMakeCacheValue(cache, "MINT_CACHE"), "/c/d");
  EXPECT_EQ(CMakeCacheValue(cache, "MINT_NONE"), std::nullopt);
}

}  // namespace
}  // namespace mint
