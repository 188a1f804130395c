// RunLock: the queue in front of a node's exec mailbox and console input. A second taker waits
// for the holder, bounded by its deadline, instead of failing at once; MINT_RUN_DIR points the
// lock files at a temporary directory.
#include "node_access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace mint {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class RunLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/mint-runlock-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    // A directory below the temporary one: Take creates what is missing.
    ASSERT_EQ(setenv("MINT_RUN_DIR", (dir_ + "/run").c_str(), 1), 0);
  }
  void TearDown() override {
    unsetenv("MINT_RUN_DIR");
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

double SecondsSince(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

TEST_F(RunLockTest, FreeLockIsTakenAtOnceAndLeavesItsFile) {
  auto lock = RunLock::Take("alpha.exec", steady_clock::now());
  ASSERT_TRUE(lock.ok()) << lock.error().message;
  EXPECT_TRUE(lock->has_value());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/run/alpha.exec"));
}

// flock() locks belong to an open file, so a second Take in this process contends with the
// first exactly as another mint process would.
TEST_F(RunLockTest, HeldLockWaitsUntilTheDeadlineThenIsAbsent) {
  auto held = RunLock::Take("alpha.exec", steady_clock::now());
  ASSERT_TRUE(held.ok() && held->has_value());
  auto start = steady_clock::now();
  auto second = RunLock::Take("alpha.exec", start + milliseconds(300));
  double waited = SecondsSince(start);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->has_value());
  EXPECT_GE(waited, 0.3);
  EXPECT_LT(waited, 2.0);
}

TEST_F(RunLockTest, PastDeadlineTriesOnce) {
  auto held = RunLock::Take("alpha.console", steady_clock::now());
  ASSERT_TRUE(held.ok() && held->has_value());
  auto start = steady_clock::now();
  auto second = RunLock::Take("alpha.console", start - milliseconds(10));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  EXPECT_LT(SecondsSince(start), 0.1);
}

TEST_F(RunLockTest, WaiterGetsTheLockOnceTheHolderLetsGo) {
  auto held = RunLock::Take("alpha.exec", steady_clock::now());
  ASSERT_TRUE(held.ok() && held->has_value());
  auto start = steady_clock::now();
  auto waiter = std::async(std::launch::async, [] {
    return RunLock::Take("alpha.exec", steady_clock::now() + std::chrono::seconds(10));
  });
  std::this_thread::sleep_for(milliseconds(200));
  held->reset();  // the holder ends
  auto second = waiter.get();
  double waited = SecondsSince(start);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->has_value());
  EXPECT_GE(waited, 0.2);
  EXPECT_LT(waited, 2.0);  // the pause between tries is at most 20 ms, not the 10 s bound
}

TEST_F(RunLockTest, LocksOfDifferentNodesAreIndependent) {
  auto alpha = RunLock::Take("alpha.exec", steady_clock::now());
  auto beta = RunLock::Take("beta.exec", steady_clock::now());
  auto console = RunLock::Take("alpha.console", steady_clock::now());
  ASSERT_TRUE(alpha.ok() && beta.ok() && console.ok());
  EXPECT_TRUE(alpha->has_value());
  EXPECT_TRUE(beta->has_value());
  EXPECT_TRUE(console->has_value());
}

TEST_F(RunLockTest, UnusableRunDirIsAnErrorNotAWait) {
  std::string file = dir_ + "/not-a-dir";
  FILE* created = fopen(file.c_str(), "w");
  ASSERT_NE(created, nullptr);
  fclose(created);
  setenv("MINT_RUN_DIR", (file + "/run").c_str(), 1);
  auto start = steady_clock::now();
  auto lock = RunLock::Take("alpha.exec", start + std::chrono::seconds(10));
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.error().message.find("cannot create"), std::string::npos) << lock.error().message;
  EXPECT_LT(SecondsSince(start), 1.0);
}

TEST(DeadlineIn, BoundsWhatACallerGives) {
  auto before = steady_clock::now();
  Deadline negative = DeadlineIn(-5);
  Deadline nan = DeadlineIn(std::nan(""));
  Deadline huge = DeadlineIn(1e300);
  auto after = steady_clock::now();
  EXPECT_GE(negative, before);
  EXPECT_LE(negative, after);
  EXPECT_GE(nan, before);
  EXPECT_LE(nan, after);
  EXPECT_GE(huge, before + std::chrono::hours(24));
  EXPECT_LE(huge, after + std::chrono::hours(24));
}

}  // namespace
}  // namespace mint
