// End to end, in the QEMU lab: an i386 node (Debian's 686 kernel, i386 busybox and mint-agent)
// and an x86_64 node on Debian's 6.12 kernel boot side by side from the x86_64 6.1 host
// (examples/i386-node.toml); each reports its `uname -m` and memory to the host (mint exec) and
// on its own console, and each loads its own kernel's mint_node.ko.
#include <cstdint>
#include <regex>

#include "e2e_support.h"

namespace mint::e2e {
namespace {

class I386 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.timeout_seconds = 300;
    run_ = RunScript("i386.sh", "i386-node.toml", options);
  }
  static inline ScriptRun run_;

  // The node's MemTotal in kB from its /init's line, or 0.
  static uint64_t NodeMemoryKb(const std::string& node) {
    std::smatch match;
    std::string log = run_.ConsoleLog(node);
    static const std::regex kLine(
        "mint-node: init on [^,]+, [0-9]+ cpu\\(s\\), ([0-9]+) kB memory");
    if (!std::regex_search(log, match, kLine)) return 0;
    return std::stoull(match[1].str());
  }
};

TEST_F(I386, BothNodesReachReady) {
  run_.Expect("both_ready");
}
TEST_F(I386, TheI386NodeBootsAnI386Image) {
  run_.Expect("i386_image_is_i386");
}
TEST_F(I386, BothRun) {
  run_.Expect("both_running");
}
TEST_F(I386, BothHeartbeat) {
  run_.Expect("both_heartbeat");
}
TEST_F(I386, EachReportsItsMachine) {
  run_.Expect("i386_reports_i686");
  run_.Expect("amd64_reports_x86_64");
}
TEST_F(I386, TheI386NodeLeavesTheHostsIoApicAlone) {
  run_.Expect("i386_leaves_ioapic");
}
// Neither node runs the host's kernel: each loads the mint_node.ko built for its own (686 and
// 6.12 cloud, from the kernel cache), and each one's reboot parks it instead of resetting.
TEST_F(I386, EachLoadsTheModuleBuiltForItsKernel) {
  run_.Expect("module_loaded_i386");
  run_.Expect("module_loaded_amd64");
  run_.Expect("amd64_runs_6_12");
  run_.Expect("amd64_6_12_runs_both_cores");
}
TEST_F(I386, EachModuleParksItsNodesReboot) {
  run_.Expect("reboot_parks_i386");
  run_.Expect("reboot_parks_amd64");
}
TEST_F(I386, HostLogClean) {
  run_.Expect("host_log_clean");
}
TEST_F(I386, Timeline) {
  run_.Expect("timeline");
}
TEST_F(I386, UnameM) {
  EXPECT_NE(run_.ConsoleLog("i386").find("mint-node: machine i686"), std::string::npos)
      << "logs in " << run_.log_dir;
  EXPECT_NE(run_.ConsoleLog("i386").find("mint-node: init on 6.1.0-"), std::string::npos);
  EXPECT_NE(run_.ConsoleLog("amd64").find("mint-node: machine x86_64"), std::string::npos)
      << "logs in " << run_.log_dir;
}
TEST_F(I386, EachSeesItsOwnMemory) {
  // Both own 256 MiB (0x10000000): MemTotal is that minus the kernel's own reservations, plus
  // the 64 KiB low slice, so well above 200 MiB and never above 256 MiB.
  for (const char* node : {"i386", "amd64"}) {
    uint64_t kb = NodeMemoryKb(node);
    std::cout << "    " << node << ": MemTotal " << kb << " kB\n";
    EXPECT_GT(kb, 200u * 1024) << node << ": logs in " << run_.log_dir;
    EXPECT_LE(kb, 256u * 1024) << node;
  }
}

}  // namespace
}  // namespace mint::e2e
