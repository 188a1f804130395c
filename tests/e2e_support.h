// The shared shape of Mint's end-to-end tests: one lab boot runs a shell script in the host
// (tests/e2e/NAME.sh); the script prints "E2E-CHECK name PASS|FAIL detail" lines; each
// check becomes one gtest case, so a failure names exactly what went wrong, and one slow
// boot serves many checks.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "host_run.h"

namespace mint::e2e {

struct Check {
  bool pass = false;
  std::string detail;
};

struct ScriptRun {
  std::string setup_error;  // the lab could not run at all
  std::string log_dir;      // every console's log, kept for a failing test to point at
  std::string host_log;
  HostRunResult result;
  std::map<std::string, Check> checks;

  std::string LastLines(size_t count) const {
    std::vector<std::string> lines;
    std::istringstream in(host_log);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    std::string out;
    for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
      out += lines[i] + "\n";
    return out;
  }

  // A console's whole log (host.log, or NODE.log for a node with a UART of its own).
  std::string ConsoleLog(const std::string& name) const {
    std::ifstream in(log_dir + "/" + name + ".log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The lab ran the whole script: the command exited (no timeout, no crash) after E2E-DONE.
  void ExpectFinished() const {
    ASSERT_TRUE(setup_error.empty()) << setup_error;
    EXPECT_EQ(result.outcome, HostRunResult::Outcome::kCommandExited) << result.message;
    EXPECT_NE(host_log.find("E2E-DONE"), std::string::npos) << LastLines(30);
  }

  void Expect(const std::string& name) const {
    ASSERT_TRUE(setup_error.empty()) << setup_error;
    auto it = checks.find(name);
    ASSERT_NE(it, checks.end()) << "the host never reported check '" << name << "' (run "
                                << (result.exit_status == 0 ? "finished"
                                                            : "failed: " + result.message)
                                << "); logs in " << log_dir << "\n"
                                << LastLines(40);
    EXPECT_TRUE(it->second.pass) << name << ":" << it->second.detail << "\nlogs in " << log_dir;
    std::cout << "    " << name << ":" << it->second.detail << "\n";
  }
};

// Runs tests/e2e/<script>, after tests/e2e/common.sh (check() and the other shared helpers), in a
// lab host booted from examples/<plan>; `options` may preset
// vcpus, memory, timeout.
inline ScriptRun RunScript(const std::string& script, const std::string& plan,
                           HostRunOptions options = {}) {
  ScriptRun run;
  std::ifstream in(std::string(MINT_SOURCE_DIR) + "/tests/e2e/" + script);
  if (!in) {
    run.setup_error = "cannot read tests/e2e/" + script;
    return run;
  }
  std::stringstream text;
  std::ifstream common(std::string(MINT_SOURCE_DIR) + "/tests/e2e/common.sh");
  text << common.rdbuf() << "\n" << in.rdbuf();
  std::string dir_template = "/tmp/mint-e2e-" + script.substr(0, script.find('.')) + "-XXXXXX";
  std::vector<char> dir(dir_template.begin(), dir_template.end());
  dir.push_back('\0');
  run.log_dir = mkdtemp(dir.data());
  options.plan_path = std::string(MINT_SOURCE_DIR) + "/examples/" + plan;
  options.command = text.str();
  options.echo = std::getenv("MINT_E2E_ECHO") != nullptr;  // set it to watch the consoles
  options.log_dir = run.log_dir;
  // The host boots to the command in 5-30 s. One that has not within 180 s never will: the
  // lab machine failed (QEMU stalled, or never connected its consoles), not what the test
  // checks, so that run is reported and made once more. A hang after the command started is
  // the test's failure, never retried.
  if (options.boot_timeout_seconds == 0) options.boot_timeout_seconds = 180;
  SetPlanEnvironmentDefaults(options.artifacts);
  auto result = RunHostCommand(options);
  bool never_booted =
      result.ok()
          ? result->outcome == HostRunResult::Outcome::kTimedOut && !result->seconds_to_command
          : result.error().message.find("connect its consoles") != std::string::npos;
  if (never_booted) {
    std::cout << "the lab host never reached the test script ("
              << (result.ok() ? result->message : result.error().message) << "); logs in "
              << run.log_dir << "; running the lab once more\n";
    run.log_dir += "-again";
    std::filesystem::create_directories(run.log_dir);
    options.log_dir = run.log_dir;
    result = RunHostCommand(options);
  }
  if (!result.ok()) {
    run.setup_error = result.error().message;
    return run;
  }
  run.result = *result;
  run.host_log = run.ConsoleLog("host");
  std::istringstream lines(run.host_log);
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find("E2E-CHECK ");
    if (at == std::string::npos) continue;
    std::istringstream words(line.substr(at + 10));
    std::string name, verdict, detail;
    words >> name >> verdict;
    std::getline(words, detail);
    run.checks[name] = Check{verdict == "PASS", detail};
  }
  return run;
}

}  // namespace mint::e2e
