// End to end, in the QEMU lab: a diskless node (issue 22, docs/diskless.md). One lab boot runs
// tests/e2e/diskless.sh in the host: alpha mounts its root from the host's qemu-nbd over its
// link; writes survive restart and stop in its overlay and are dropped by reset; a bad or
// missing root fails clearly. Each check it prints becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Diskless : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.timeout_seconds = 360;
    run_ = RunScript("diskless.sh", "diskless.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Diskless, NodeBootsReady) {
  run_.Expect("boot_ready");
}
TEST_F(Diskless, RootIsTheNbdExport) {
  run_.Expect("root_on_nbd");
}
TEST_F(Diskless, ServedOnTheBridgeAddressOnly) {
  run_.Expect("served_on_bridge");
}
TEST_F(Diskless, WriteSurvivesRestart) {
  run_.Expect("write_survives_restart");
}
TEST_F(Diskless, SharedImageIsNeverWritten) {
  run_.Expect("image_untouched");
}
TEST_F(Diskless, ResetRefusedWhileTheNodeRuns) {
  run_.Expect("reset_refused_while_up");
}
TEST_F(Diskless, StopStopsTheServerKeepsTheOverlay) {
  run_.Expect("stop_stops_server");
}
TEST_F(Diskless, WriteSurvivesStopAndBoot) {
  run_.Expect("write_survives_stop");
}
TEST_F(Diskless, ResetDropsTheWrites) {
  run_.Expect("reset_drops_writes");
}
TEST_F(Diskless, RootFromAUrlFetchedOnDemand) {
  run_.Expect("url_root_on_demand");
}
TEST_F(Diskless, ServerGoneShowsInPs) {
  run_.Expect("server_gone_reported");
}
TEST_F(Diskless, UrlThatDoesNotAnswerRefusedBeforeTheClaim) {
  run_.Expect("dead_url_refused");
}
TEST_F(Diskless, RootThatIsNoFileSystemFailsAtOnce) {
  run_.Expect("bad_root_fails_fast");
}
TEST_F(Diskless, FailedBootStopsClean) {
  run_.Expect("bad_root_stop_clean");
}
TEST_F(Diskless, MissingRootRefusedBeforeTheClaim) {
  run_.Expect("missing_root_refused");
}
TEST_F(Diskless, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
