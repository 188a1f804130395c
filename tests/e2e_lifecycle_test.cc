// End to end, in the QEMU lab: node lifecycle and fault containment. Two nodes run; inside
// one, reboot, power-off, halt, panic and sysrq-b park only that node; ps, exec, console,
// restart (20 times, nothing leaked); commands racing on one node (40 concurrent execs, a
// suspend during a boot, a stop during an exec) wait or fail clearly. One lab boot runs
// tests/e2e/lifecycle.sh; each check becomes one test here, so a failure names exactly what
// went wrong.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Lifecycle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.vcpus = 4;  // host, alpha (two cores), beta
    options.timeout_seconds = 560;
    run_ = RunScript("lifecycle.sh", "shared-console.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Lifecycle, BootsTwoNodes) {
  run_.Expect("boot_two_nodes");
}
TEST_F(Lifecycle, SuspendDuringBootIsRefused) {
  run_.Expect("suspend_during_boot_refused");
}
TEST_F(Lifecycle, HostWarmResetVectorKept) {
  run_.Expect("warm_reset_vector_kept");
}
TEST_F(Lifecycle, ExecReturnsOutput) {
  run_.Expect("exec_output");
}
TEST_F(Lifecycle, ExecReturnsExitStatusAndStderr) {
  run_.Expect("exec_status");
}
TEST_F(Lifecycle, ConcurrentExecsQueueAndEachGetsItsOwnAnswer) {
  run_.Expect("exec_concurrent_queue");
}
TEST_F(Lifecycle, QueuedExecTimesOutSayingItWaited) {
  run_.Expect("exec_queue_timeout");
}
TEST_F(Lifecycle, ConsoleRunsATypedCommand) {
  run_.Expect("console_roundtrip");
}
TEST_F(Lifecycle, SecondConsoleWriterWaitsItsTurn) {
  run_.Expect("console_second_writer_waits");
}
TEST_F(Lifecycle, ConsoleCarriesKernelMessages) {
  run_.Expect("console_has_kernel_log");
}
TEST_F(Lifecycle, HostCannotOnlineANodeCore) {
  run_.Expect("cannot_online_node_core");
}
TEST_F(Lifecycle, RebootIsContained) {
  run_.Expect("contain_reboot");
}
TEST_F(Lifecycle, RestartAfterReboot) {
  run_.Expect("restart_after_reboot");
}
TEST_F(Lifecycle, PowerOffIsContained) {
  run_.Expect("contain_poweroff");
}
TEST_F(Lifecycle, RestartAfterPowerOff) {
  run_.Expect("restart_after_poweroff");
}
TEST_F(Lifecycle, HaltIsContained) {
  run_.Expect("contain_halt");
}
TEST_F(Lifecycle, RestartAfterHalt) {
  run_.Expect("restart_after_halt");
}
TEST_F(Lifecycle, PanicIsContained) {
  run_.Expect("contain_sysrq_c");
}
TEST_F(Lifecycle, RestartAfterPanic) {
  run_.Expect("restart_after_sysrq_c");
}
TEST_F(Lifecycle, EmergencyRestartIsContained) {
  run_.Expect("contain_sysrq_b");
}
TEST_F(Lifecycle, RestartAfterEmergencyRestart) {
  run_.Expect("restart_after_sysrq_b");
}
TEST_F(Lifecycle, StopRestartLoopLeaksNothing) {
  run_.Expect("restart_loop_no_leak");
}
TEST_F(Lifecycle, NetworkLinkFollowsEveryRestart) {
  run_.Expect("link_follows_restarts");
}
TEST_F(Lifecycle, StopEndsARunningExecAtOnce) {
  run_.Expect("exec_ends_on_stop");
}
TEST_F(Lifecycle, StopReleasesEverything) {
  run_.Expect("stop_releases_all");
}
TEST_F(Lifecycle, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
