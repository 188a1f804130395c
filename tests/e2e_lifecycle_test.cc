// End to end, in the QEMU lab: node lifecycle and fault containment. Two nodes run; inside
// one, reboot, power-off, halt, panic and sysrq-b park only that node; ps, exec, console,
// restart (20 times, nothing leaked). One lab boot runs tests/e2e/lifecycle.sh; each check
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

class Lifecycle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream script(std::string(MINT_SOURCE_DIR) + "/tests/e2e/lifecycle.sh");
    std::stringstream text;
    text << script.rdbuf();
    char dir_template[] = "/tmp/mint-e2e-XXXXXX";
    log_dir_ = mkdtemp(dir_template);
    HostRunOptions options;
    options.plan_path = std::string(MINT_SOURCE_DIR) + "/examples/shared-console.toml";
    options.command = text.str();
    options.vcpus = 4;  // host, alpha (two cores), beta
    options.timeout_seconds = 560;
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

TEST_F(Lifecycle, BootsTwoNodes) {
  ExpectCheck("boot_two_nodes");
}
TEST_F(Lifecycle, ExecReturnsOutput) {
  ExpectCheck("exec_output");
}
TEST_F(Lifecycle, ExecReturnsExitStatusAndStderr) {
  ExpectCheck("exec_status");
}
TEST_F(Lifecycle, ConsoleRunsATypedCommand) {
  ExpectCheck("console_roundtrip");
}
TEST_F(Lifecycle, ConsoleCarriesKernelMessages) {
  ExpectCheck("console_has_kernel_log");
}
TEST_F(Lifecycle, HostCannotOnlineANodeCore) {
  ExpectCheck("cannot_online_node_core");
}
TEST_F(Lifecycle, RebootIsContained) {
  ExpectCheck("contain_reboot");
}
TEST_F(Lifecycle, RestartAfterReboot) {
  ExpectCheck("restart_after_reboot");
}
TEST_F(Lifecycle, PowerOffIsContained) {
  ExpectCheck("contain_poweroff");
}
TEST_F(Lifecycle, RestartAfterPowerOff) {
  ExpectCheck("restart_after_poweroff");
}
TEST_F(Lifecycle, HaltIsContained) {
  ExpectCheck("contain_halt");
}
TEST_F(Lifecycle, RestartAfterHalt) {
  ExpectCheck("restart_after_halt");
}
TEST_F(Lifecycle, PanicIsContained) {
  ExpectCheck("contain_sysrq_c");
}
TEST_F(Lifecycle, RestartAfterPanic) {
  ExpectCheck("restart_after_sysrq_c");
}
TEST_F(Lifecycle, EmergencyRestartIsContained) {
  ExpectCheck("contain_sysrq_b");
}
TEST_F(Lifecycle, RestartAfterEmergencyRestart) {
  ExpectCheck("restart_after_sysrq_b");
}
TEST_F(Lifecycle, StopRestartLoopLeaksNothing) {
  ExpectCheck("restart_loop_no_leak");
}
TEST_F(Lifecycle, StopReleasesEverything) {
  ExpectCheck("stop_releases_all");
}
TEST_F(Lifecycle, HostRunEndsWithTheScriptsStatus) {
  ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  EXPECT_EQ(run_.outcome, HostRunResult::Outcome::kCommandExited) << run_.message;
  EXPECT_NE(host_log_.find("E2E-DONE"), std::string::npos) << LastLines(30);
}

}  // namespace
}  // namespace mint
