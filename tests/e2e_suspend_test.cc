// End to end, in the QEMU lab: suspend to RAM and resume, with the host in the firmware's
// place. Node alpha (two cores) goes through 20 suspend/resume cycles, its userspace state
// checked every time, while node beta and the host keep running; then a suspend from inside
// the node, the refusals, stop of a suspended node, and the host's log. One lab boot runs
// tests/e2e/suspend.sh; each check becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Suspend : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.vcpus = 4;  // host, alpha (two cores), beta
    options.timeout_seconds = 400;
    run_ = RunScript("suspend.sh", "shared-console.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Suspend, BootsTwoNodes) {
  run_.Expect("boot_two_nodes");
}
TEST_F(Suspend, NodeOffersSuspendToRam) {
  run_.Expect("node_offers_s3");
}
TEST_F(Suspend, TwentyCyclesEachResumedWithItsState) {
  run_.Expect("suspend_resume_cycles");
}
TEST_F(Suspend, NetworkLinkIsDownWhileAsleep) {
  run_.Expect("link_down_while_suspended");
}
TEST_F(Suspend, UserspaceStateIsIntact) {
  run_.Expect("userspace_state_intact");
}
TEST_F(Suspend, BothCoresComeBack) {
  run_.Expect("both_cores_back");
}
TEST_F(Suspend, ModuleCountsSuspends) {
  run_.Expect("module_counted_suspends");
}
TEST_F(Suspend, HostAndOtherNodeKeepRunning) {
  run_.Expect("others_kept_running");
}
TEST_F(Suspend, NodeCanSuspendItself) {
  run_.Expect("suspend_from_inside");
}
TEST_F(Suspend, ResumingARunningNodeIsRefused) {
  run_.Expect("resume_running_refused");
}
TEST_F(Suspend, SuspendingTwiceIsRefused) {
  run_.Expect("suspend_twice_refused");
}
TEST_F(Suspend, ExecToASuspendedNodeIsRefused) {
  run_.Expect("exec_to_suspended_refused");
}
TEST_F(Suspend, StoppingASuspendedNodeReleasesIt) {
  run_.Expect("stop_suspended_releases");
}
TEST_F(Suspend, HostLogIsClean) {
  run_.Expect("host_log_clean");
}
TEST_F(Suspend, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
