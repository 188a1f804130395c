// End to end, in the QEMU lab: the resident image store. The host's images live on a virtio
// disk (mint-lab --disk); one lab boot runs tests/e2e/store.sh in the host, which boots node
// alpha from disk, then from the store, then past a corrupted entry, and exercises the index
// (restart, concurrent adds, eviction); each check it prints becomes one test here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "host_run.h"

namespace mint {
namespace {

struct Check {
  bool pass = false;
  std::string detail;
};

class Store : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream script(std::string(MINT_SOURCE_DIR) + "/tests/e2e/store.sh");
    std::stringstream text;
    text << script.rdbuf();
    char dir_template[] = "/tmp/mint-e2e-store-XXXXXX";
    log_dir_ = mkdtemp(dir_template);
    HostRunOptions options;
    options.plan_path = std::string(MINT_SOURCE_DIR) + "/examples/store.toml";
    options.command = text.str();
    options.images_on_disk = true;
    options.timeout_seconds = 300;
    options.echo = false;
    options.log_dir = log_dir_;
    SetPlanEnvironmentDefaults(options.artifacts);
    auto result = RunHostCommand(options);
    if (!result.ok()) {
      setup_error_ = result.error().message;
      return;
    }
    run_ = *result;
    std::ifstream host(log_dir_ + "/host.log");
    std::string line;
    while (std::getline(host, line)) {
      host_log_ += line + "\n";
      auto at = line.find("E2E-CHECK ");
      if (at == std::string::npos) continue;
      std::istringstream words(line.substr(at + 10));
      std::string name, verdict;
      words >> name >> verdict;
      std::string detail;
      std::getline(words, detail);
      checks_[name] = Check{verdict == "PASS", detail};
    }
  }

  void ExpectCheck(const std::string& name) {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    auto it = checks_.find(name);
    ASSERT_NE(it, checks_.end()) << "the host never reported check '" << name << "' (run "
                                 << (run_.exit_status == 0 ? "finished" : "failed: " + run_.message)
                                 << "); logs in " << log_dir_ << "\n"
                                 << LastLines(40);
    EXPECT_TRUE(it->second.pass) << name << ":" << it->second.detail << "\nlogs in " << log_dir_;
    std::cout << "    " << name << ":" << it->second.detail << "\n";
  }

  static std::string LastLines(size_t count) {
    std::vector<std::string> lines;
    std::istringstream in(host_log_);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    std::string out;
    for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
      out += lines[i] + "\n";
    return out;
  }

  static inline std::string setup_error_;
  static inline std::string log_dir_;
  static inline std::string host_log_;
  static inline HostRunResult run_;
  static inline std::map<std::string, Check> checks_;
};

TEST_F(Store, ImagesLiveOnTheVirtioDisk) {
  ExpectCheck("images_on_disk");
}
TEST_F(Store, FirstBootPlacesImagesInTheStore) {
  ExpectCheck("first_boot_places");
}
TEST_F(Store, StoreSurvivesACliRestart) {
  ExpectCheck("survives_cli_restart");
}
TEST_F(Store, NodeBootedFromTheStoreReachesReady) {
  ExpectCheck("node_from_store_ready");
}
TEST_F(Store, CorruptEntryFallsBackToTheDisk) {
  ExpectCheck("corrupt_falls_back");
}
TEST_F(Store, VerifyPassesAfterTheFallback) {
  ExpectCheck("verify_clean");
}
TEST_F(Store, TwoConcurrentAddsLeaveAValidIndex) {
  ExpectCheck("concurrent_adds");
}
TEST_F(Store, FullStoreEvictsTheLeastRecentlyUsed) {
  ExpectCheck("full_store_evicts");
}
TEST_F(Store, HostRunEndsWithTheScriptsStatus) {
  ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  EXPECT_EQ(run_.outcome, HostRunResult::Outcome::kCommandExited) << run_.message;
  EXPECT_NE(host_log_.find("E2E-DONE"), std::string::npos) << LastLines(30);
}

}  // namespace
}  // namespace mint
