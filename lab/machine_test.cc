// Unit tests of the lab that need no QEMU run: command lines, console layout, memory checks,
// and the host initramfs a plan turns into.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cpio.h"
#include "host_run.h"
#include "machine.h"

namespace mint {
namespace {

Plan MustParse(std::string_view text) {
  auto plan = ParsePlan(text, "test.toml");
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  return plan.ok() ? *plan : Plan{};
}

LabConfig SmallConfig() {
  LabConfig config;
  config.qemu = "/bin/true";  // never run: only the command line is looked at
  config.kernel = "/proc/self/exe";
  config.append = "console=ttyS0 quiet";
  config.consoles = {"host", "", "beta"};
  config.work_dir = "/tmp/lab-test";
  return config;
}

TEST(LabMachine, BuildsTheQemuCommandLine) {
  auto machine = LabMachine::Create(SmallConfig());
  ASSERT_TRUE(machine.ok()) << machine.error().message;
  std::vector<std::string> argv = (*machine)->CommandLine();
  auto has = [&argv](const std::vector<std::string>& run) {
    return std::search(argv.begin(), argv.end(), run.begin(), run.end()) != argv.end();
  };
  EXPECT_EQ(argv[0], "/bin/true");
  EXPECT_TRUE(has({"-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max"}));
  EXPECT_TRUE(has({"-smp", "2", "-m", "2048M"}));
  EXPECT_TRUE(has({"-append", "console=ttyS0 quiet"}));
  // COM3 before COM1 (so ACPI lists COM1 first), the unnamed COM2 left out.
  EXPECT_TRUE(has({"-chardev", "socket,id=com3,path=/tmp/lab-test/com3.sock", "-device",
                   "isa-serial,index=2,chardev=com3", "-chardev",
                   "socket,id=com1,path=/tmp/lab-test/com1.sock", "-device",
                   "isa-serial,index=0,chardev=com1"}));
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "isa-serial,index=1,chardev=com2"), argv.end());
  EXPECT_NE((*machine)->CommandLineText().find("-append 'console=ttyS0 quiet'"), std::string::npos);
}

TEST(LabMachine, RefusesBadConfigurations) {
  LabConfig config = SmallConfig();
  config.consoles = {"host", "a", "b", "c", "d"};
  EXPECT_FALSE(LabMachine::Create(config).ok());
  config = SmallConfig();
  config.consoles = {"host", "host"};
  EXPECT_FALSE(LabMachine::Create(config).ok());
  config = SmallConfig();
  config.memory_bytes = 1000;
  EXPECT_FALSE(LabMachine::Create(config).ok());
  config = SmallConfig();
  config.kernel = "/nonexistent/vmlinuz";
  auto missing = LabMachine::Create(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "cannot read the host kernel '/nonexistent/vmlinuz'");
}

TEST(Q35RamLayout, SplitsLikeQemu) {
  auto two = Q35RamLayout(uint64_t{2} << 30);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].end, uint64_t{2} << 30);
  auto four = Q35RamLayout(uint64_t{4} << 30);
  ASSERT_EQ(four.size(), 2u);
  EXPECT_EQ(four[0].end, 0x80000000u);
  EXPECT_EQ(four[1].start, uint64_t{1} << 32);
  EXPECT_EQ(four[1].end, (uint64_t{1} << 32) + 0x80000000u);
}

constexpr std::string_view kTwoNodes = R"(
[host]
reserved = ["0x40000000-0x5fffffff"]

[[node]]
name = "alpha"
kernel = "/proc/self/exe"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]
console = "ttyS1"

[[node]]
name = "beta"
kernel = "/proc/self/exe"
cpus = [3, 2]
memory = ["0x50000000-0x5fffffff"]
console = "ttyS3"
)";

TEST(HostRun, ConsolesVcpusAndMemoryFollowThePlan) {
  Plan plan = MustParse(kTwoNodes);
  auto consoles = PlanConsoles(plan);
  ASSERT_TRUE(consoles.ok()) << consoles.error().message;
  EXPECT_EQ(*consoles, (std::vector<std::string>{"host", "alpha", "", "beta"}));
  EXPECT_EQ(PlanVcpus(plan), 4u);
  plan.nodes[0].receive_cpus = {5};  // a core a node may receive must exist too
  EXPECT_EQ(PlanVcpus(plan), 6u);
  plan.nodes[0].receive_cpus.clear();
  EXPECT_TRUE(CheckPlanFitsMemory(plan, uint64_t{2} << 30).ok());
  auto small = CheckPlanFitsMemory(plan, uint64_t{1} << 30);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().message,
            "host reserved range 0x40000000-0x5fffffff is not inside the lab machine's RAM "
            "(0x0-0x3fffffff for 1024 MiB); give --mem large enough or move the range");
  plan.nodes[1].console = "ttyS0";
  EXPECT_FALSE(PlanConsoles(plan).ok());
  plan.nodes[1].console = "ttyS1";
  auto clash = PlanConsoles(plan);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message, "node beta: console ttyS1 is already node alpha's");
}

TEST(HostRun, InitramfsHoldsEveryImageOnceAndTheRewrittenPlan) {
  if (access(MINT_TEST_BUSYBOX, R_OK) != 0) GTEST_SKIP() << "no busybox at " << MINT_TEST_BUSYBOX;
  HostInitramfsSpec spec{.busybox = MINT_TEST_BUSYBOX,
                         .mint = "",
                         .module = "",
                         .kernel_modules = {},
                         .plan = MustParse(kTwoNodes),
                         .command = "echo hi",
                         .marker = "m1"};
  auto built = BuildHostInitramfs(spec);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->guest_plan.nodes[0].kernel, "/mint/images/exe");
  EXPECT_EQ(built->guest_plan.nodes[1].kernel, "/mint/images/exe");
  auto entries = ParseCpio(built->cpio);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  std::vector<std::string> paths;
  for (const CpioEntry& entry : *entries) paths.push_back(entry.path);
  for (const char* expected : {"init", "bin/busybox", "bin/sh", "dev/console", "mint/plan.toml",
                               "mint/command", "mint/images/exe"})
    EXPECT_NE(std::find(paths.begin(), paths.end(), expected), paths.end()) << expected;
  EXPECT_EQ(std::find(paths.begin(), paths.end(), "lib/mint/mint.ko"), paths.end());
  auto reparsed = ParsePlan(SerializePlan(built->guest_plan), "rewritten");
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().message;
  EXPECT_EQ(reparsed->nodes[1].cpus, (std::vector<uint32_t>{3, 2}));
}

// A stand-in for QEMU: a shell script given QEMU's arguments, which it ignores.
std::string FakeQemu(const std::string& dir, const std::string& body) {
  std::string path = dir + "/fake-qemu";
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return path;
}

std::string FileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What a console printed is in the log folder while the machine still runs, so a run killed
// from outside (a test runner's timeout) leaves it. Here QEMU's own output, before the
// consoles connect (this stand-in never connects them).
TEST(LabMachine, ConsoleTextReachesTheLiveLogAsItArrives) {
  std::string dir = std::filesystem::temp_directory_path() / "mint-lab-live-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  LabConfig config = SmallConfig();
  config.consoles = {"host"};
  config.work_dir = dir;
  config.live_log_dir = dir + "/logs";
  config.echo = false;
  config.qemu = FakeQemu(dir, "echo fake qemu says hello; exec sleep 30");
  auto machine = LabMachine::Create(config);
  ASSERT_TRUE(machine.ok()) << machine.error().message;
  std::string seen;
  auto deadline = LabClock::now() + std::chrono::seconds(10);
  std::thread watcher([&] {
    while (LabClock::now() < deadline && seen.empty()) {
      seen = FileText(dir + "/logs/qemu.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  EXPECT_FALSE((*machine)->Start(LabClock::now() + std::chrono::seconds(3)).ok());
  watcher.join();
  EXPECT_EQ(seen, "fake qemu says hello\n");
  EXPECT_TRUE(std::filesystem::exists(dir + "/logs/host.log"));
  machine->reset();
  std::filesystem::remove_all(dir);
}

// A QEMU that never connects its consoles is given up on at the deadline, and says so.
TEST(LabMachine, QemuThatNeverConnectsItsConsolesTimesOut) {
  std::string dir = std::filesystem::temp_directory_path() / "mint-lab-stall-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  LabConfig config = SmallConfig();
  config.consoles = {"host"};
  config.work_dir = dir;
  config.echo = false;
  config.qemu = FakeQemu(dir, "exec sleep 30");
  auto machine = LabMachine::Create(config);
  ASSERT_TRUE(machine.ok()) << machine.error().message;
  auto start = LabClock::now();
  auto started = (*machine)->Start(start + std::chrono::milliseconds(500));
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("timed out waiting for QEMU to connect its consoles"),
            std::string::npos)
      << started.error().message;
  EXPECT_LT(LabClock::now() - start, std::chrono::seconds(5));
  machine->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mint
