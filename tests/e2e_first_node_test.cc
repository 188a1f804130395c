// End to end, in the QEMU lab: a stock Debian host boots a stock Debian kernel as a node on
// its spare core. One lab boot runs tests/e2e/first_node.sh in the host; each check it prints
// becomes one test here, so a failure names exactly what went wrong.
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

class FirstNode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream script(std::string(MINT_SOURCE_DIR) + "/tests/e2e/first_node.sh");
    std::stringstream text;
    text << script.rdbuf();
    char dir_template[] = "/tmp/mint-e2e-XXXXXX";
    log_dir_ = mkdtemp(dir_template);
    HostRunOptions options;
    options.plan_path = std::string(MINT_SOURCE_DIR) + "/examples/one-node.toml";
    options.command = text.str();
    options.vcpus = 3;  // the host's core, alpha's, and one spare that no node owns
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

TEST_F(FirstNode, NodeReachesUserspaceAndReportsReady) {
  ExpectCheck("node_ready");
}
TEST_F(FirstNode, TrampolineStampsItsTsc) {
  ExpectCheck("trampoline_stamp");
}
TEST_F(FirstNode, NodeKeepsRunning) {
  ExpectCheck("node_running");
}
TEST_F(FirstNode, NodeHeartbeatAdvances) {
  ExpectCheck("node_heartbeat");
}
TEST_F(FirstNode, HostHeartbeatGoesOn) {
  ExpectCheck("host_heartbeat");
}
TEST_F(FirstNode, HostFileUnchanged) {
  ExpectCheck("host_file_intact");
}
TEST_F(FirstNode, HostLogHasNoStrayInterrupts) {
  ExpectCheck("host_log_clean");
}
TEST_F(FirstNode, NodeMemoryShowsInIomem) {
  ExpectCheck("iomem_claims");
}
TEST_F(FirstNode, HostCannotOnlineTheNodesCore) {
  ExpectCheck("cannot_online_node_core");
}
TEST_F(FirstNode, RefusesMemoryOverlappingSystemRam) {
  ExpectCheck("refuse_sysram");
}
TEST_F(FirstNode, RefusesACoreOnlineInTheHost) {
  ExpectCheck("refuse_online");
}
TEST_F(FirstNode, RefusesAnUnknownApicId) {
  ExpectCheck("refuse_unknown");
}
TEST_F(FirstNode, RefusesASecondNodeOnAnOwnedCore) {
  ExpectCheck("refuse_owned");
}
TEST_F(FirstNode, RefusesMemoryAnotherNodeOwns) {
  ExpectCheck("refuse_overlap");
}
TEST_F(FirstNode, NodeSurvivesTheRefusals) {
  ExpectCheck("node_survives_refusals");
}
TEST_F(FirstNode, StopGivesEverythingBack) {
  ExpectCheck("stop_releases");
}
TEST_F(FirstNode, StoppedCoreReturnsToTheHost) {
  ExpectCheck("core_returns_to_host");
}
TEST_F(FirstNode, HostRunEndsWithTheScriptsStatus) {
  ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  EXPECT_EQ(run_.outcome, HostRunResult::Outcome::kCommandExited) << run_.message;
  EXPECT_NE(host_log_.find("E2E-DONE"), std::string::npos) << LastLines(30);
}

}  // namespace
}  // namespace mint
