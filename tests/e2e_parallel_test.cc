// End to end, in the QEMU lab: an 8-vCPU machine boots one node per spare core (seven) in
// parallel with `mint up`; all reach ready and the host stays alive.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Parallel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.vcpus = 8;
    options.timeout_seconds = 600;
    run_ = RunScript("parallel.sh", "many-nodes.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Parallel, EveryNodeReachesReady) {
  run_.Expect("up_all_ready");
}
TEST_F(Parallel, SevenNodesRun) {
  run_.Expect("seven_running");
}
TEST_F(Parallel, EveryNodeHeartbeats) {
  run_.Expect("all_heartbeats");
}
TEST_F(Parallel, EveryNodeIsNamedAfterItsPlan) {
  run_.Expect("nodes_named");
}
TEST_F(Parallel, HostStaysAlive) {
  run_.Expect("host_alive");
}
TEST_F(Parallel, HostLogClean) {
  run_.Expect("host_log_clean");
}
TEST_F(Parallel, TimelinePictureWritten) {
  run_.Expect("timeline_written");
}
TEST_F(Parallel, NodesWithUartsPrintedReady) {
  for (const char* node : {"n1", "n2", "n3"})
    EXPECT_NE(run_.ConsoleLog(node).find("mint-agent: ready"), std::string::npos) << node;
}

}  // namespace
}  // namespace mint::e2e
