// End to end, in the QEMU lab: a stock Debian host boots a stock Debian kernel as a node on
// its spare core. One lab boot runs tests/e2e/first_node.sh in the host; each check it prints
// becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class FirstNode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.vcpus = 3;  // the host's core, alpha's, and one spare that no node owns
    options.timeout_seconds = 300;
    run_ = RunScript("first_node.sh", "one-node.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(FirstNode, NodeReachesUserspaceAndReportsReady) {
  run_.Expect("node_ready");
}
TEST_F(FirstNode, TrampolineStampsItsTsc) {
  run_.Expect("trampoline_stamp");
}
TEST_F(FirstNode, NodeKeepsRunning) {
  run_.Expect("node_running");
}
TEST_F(FirstNode, NodeHeartbeatAdvances) {
  run_.Expect("node_heartbeat");
}
TEST_F(FirstNode, HostHeartbeatGoesOn) {
  run_.Expect("host_heartbeat");
}
TEST_F(FirstNode, HostFileUnchanged) {
  run_.Expect("host_file_intact");
}
TEST_F(FirstNode, HostLogHasNoStrayInterrupts) {
  run_.Expect("host_log_clean");
}
TEST_F(FirstNode, NodeMemoryShowsInIomem) {
  run_.Expect("iomem_claims");
}
TEST_F(FirstNode, HostCannotOnlineTheNodesCore) {
  run_.Expect("cannot_online_node_core");
}
TEST_F(FirstNode, RefusesMemoryOverlappingSystemRam) {
  run_.Expect("refuse_sysram");
}
TEST_F(FirstNode, RefusesACoreOnlineInTheHost) {
  run_.Expect("refuse_online");
}
TEST_F(FirstNode, RefusesAnUnknownApicId) {
  run_.Expect("refuse_unknown");
}
TEST_F(FirstNode, RefusesASecondNodeOnAnOwnedCore) {
  run_.Expect("refuse_owned");
}
TEST_F(FirstNode, RefusesMemoryAnotherNodeOwns) {
  run_.Expect("refuse_overlap");
}
TEST_F(FirstNode, NodeSurvivesTheRefusals) {
  run_.Expect("node_survives_refusals");
}
TEST_F(FirstNode, StopGivesEverythingBack) {
  run_.Expect("stop_releases");
}
TEST_F(FirstNode, StoppedCoreReturnsToTheHost) {
  run_.Expect("core_returns_to_host");
}
TEST_F(FirstNode, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
