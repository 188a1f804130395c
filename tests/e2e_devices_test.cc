// End to end, in the QEMU lab: a node owns a PCIe disk and NIC behind a root port (issue 10,
// docs/devices.md). One lab boot (with the host's image disk on virtio, so the host's own
// virtio_pci binds the node's functions first) runs tests/e2e/devices.sh; each check it prints
// becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Devices : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.vcpus = 3;  // the host's core, alpha's, and a spare for the refused second node
    options.images_on_disk = true;
    options.timeout_seconds = 240;
    run_ = RunScript("devices.sh", "devices.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Devices, HostDriverHeldTheFunctionsFirst) {
  run_.Expect("host_had_bound");
}
TEST_F(Devices, RefusesAFunctionBoundWithoutConsent) {
  run_.Expect("refuse_bound_without_consent");
}
TEST_F(Devices, UpRefusesWithoutConsentAndTouchesNothing) {
  run_.Expect("up_refuses_without_consent");
}
TEST_F(Devices, RefusesHalfABus) {
  run_.Expect("refuse_half_a_bus");
}
TEST_F(Devices, RefusesABusTheHostShares) {
  run_.Expect("refuse_host_bus");
}
TEST_F(Devices, RefusesAFunctionGivenTwice) {
  run_.Expect("refuse_given_twice");
}
TEST_F(Devices, PlanChecksAgainstTheLiveMachine) {
  run_.Expect("plan_checks");
}
TEST_F(Devices, NodeReachesUserspace) {
  run_.Expect("node_ready");
}
TEST_F(Devices, HostDriversAreFencedOff) {
  run_.Expect("host_fenced");
}
TEST_F(Devices, NodeSeesItsFunctionsInASegmentOfItsOwn) {
  run_.Expect("node_sees_its_functions");
}
TEST_F(Devices, NodeReadsItsOwnDisk) {
  run_.Expect("node_reads_its_disk");
}
TEST_F(Devices, NodeFetchesOverItsOwnNic) {
  run_.Expect("node_fetches_over_its_nic");
}
TEST_F(Devices, NodeMsixInterruptsCount) {
  run_.Expect("node_msix_counts");
}
TEST_F(Devices, HostHeartbeatGoesOn) {
  run_.Expect("host_heartbeat");
}
TEST_F(Devices, HostDiskIntactAndItsInterruptsCount) {
  run_.Expect("host_disk_intact");
}
TEST_F(Devices, HostHasNoStrayInterrupts) {
  run_.Expect("host_interrupts_clean");
}
TEST_F(Devices, RestartResetsAndGivesTheFunctionsBackBeforeBootingAgain) {
  run_.Expect("restart_gives_devices_back");
}
TEST_F(Devices, StopGivesTheDevicesBack) {
  run_.Expect("stop_gives_devices_back");
}
TEST_F(Devices, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
