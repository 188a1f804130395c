#include "plan_site.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mint {
namespace {

namespace fs = std::filesystem;

class PlanSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mint-plan-site-" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  fs::path root_;
};

TEST_F(PlanSiteTest, ABuildTreeIsFoundWithItsCache) {
  fs::path build = root_ / "b", cache = root_ / "kc";
  Write(build / "CMakeCache.txt", "MINT_CACHE:PATH=" + cache.string() + "\n");
  Write(cache / "kernel.env", "MINT_KERNEL=" + (cache / "vmlinuz-k").string() + "\n");
  Write(cache / "vmlinuz-k", "k");
  Write(build / "guest" / "node-initrd.cpio.gz", "i");
  MintSite site = FindMintSite((build / "cli" / "mint").string(), "r");
  EXPECT_EQ(site.build_dir, build.string());
  EXPECT_EQ(site.cache_dir, cache.string());
  EXPECT_TRUE(site.data_dir.empty());
  auto defaults = LookForDefaults(PlanVariableDefaults(site));
  PlanVariables variables([](const std::string&) { return std::nullopt; }, defaults);
  EXPECT_EQ(*variables.Value("MINT_KERNEL"), (cache / "vmlinuz-k").string());
  EXPECT_EQ(*variables.Value("MINT_NODE_INITRD"), (build / "guest/node-initrd.cpio.gz").string());
  // This build made no i386 image: the error names the file it looked for.
  auto i386 = variables.Value("MINT_I386_NODE_INITRD");
  ASSERT_FALSE(i386.ok());
  EXPECT_NE(i386.error().message.find((build / "guest/node-initrd-i386.cpio.gz").string()),
            std::string::npos);
}

TEST_F(PlanSiteTest, AnInstalledMintUsesItsPrefix) {
  fs::path prefix = root_ / "usr";
  Write(prefix / "share/mint/node-initrd.cpio.gz", "i");
  MintSite site = FindMintSite((prefix / "bin/mint").string(), "6.1.0-test");
  EXPECT_TRUE(site.build_dir.empty());
  EXPECT_EQ(site.data_dir, (prefix / "share/mint").string());
  auto defaults = LookForDefaults(PlanVariableDefaults(site));
  PlanVariables variables([](const std::string&) { return std::nullopt; }, defaults);
  EXPECT_EQ(*variables.Value("MINT_NODE_INITRD"),
            (prefix / "share/mint/node-initrd.cpio.gz").string());
  EXPECT_FALSE(variables.Value("MINT_NODE_DEVICES_INITRD").ok());
}

TEST_F(PlanSiteTest, AFolderNamedCliWithoutACMakeCacheIsNoBuildTree) {
  MintSite site = FindMintSite((root_ / "x/cli/mint").string(), "r");
  EXPECT_TRUE(site.build_dir.empty());
  EXPECT_EQ(site.data_dir, (root_ / "x/share/mint").string());
}

}  // namespace
}  // namespace mint
