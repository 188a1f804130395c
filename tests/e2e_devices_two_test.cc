// End to end, in the QEMU lab: two nodes, each owning the virtio disk and NIC behind a PCIe
// root port of its own (examples/two-device-nodes.toml, docs/devices.md). One lab boot runs
// tests/e2e/devices_two.sh; each check it prints becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class DevicesTwo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.images_on_disk = true;  // the host's own disk on virtio, as in e2e_devices
    options.timeout_seconds = 240;
    run_ = RunScript("devices_two.sh", "two-device-nodes.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(DevicesTwo, BothNodesReachUserspace) {
  run_.Expect("both_ready");
}
TEST_F(DevicesTwo, HostDriversAreFencedOffAllFour) {
  run_.Expect("host_fenced_all_four");
}
TEST_F(DevicesTwo, EachNodeSeesOnlyItsFunctions) {
  run_.Expect("alpha_sees_only_its_functions");
  run_.Expect("beta_sees_only_its_functions");
}
TEST_F(DevicesTwo, EachNodeReadsItsOwnDisk) {
  run_.Expect("alpha_reads_its_disk");
  run_.Expect("beta_reads_its_disk");
}
TEST_F(DevicesTwo, EachNodeFetchesOverItsOwnNic) {
  run_.Expect("alpha_fetches_over_its_nic");
  run_.Expect("beta_fetches_over_its_nic");
}
TEST_F(DevicesTwo, EachNodesMsixInterruptsCount) {
  run_.Expect("alpha_msix_counts");
  run_.Expect("beta_msix_counts");
}
TEST_F(DevicesTwo, ImageOfADeviceOwningNodeIsTaken) {
  run_.Expect("image_of_device_node_taken");
}
TEST_F(DevicesTwo, ImageIsRefusedForANodeWithoutItsDevices) {
  run_.Expect("image_refused_without_its_devices");
}
TEST_F(DevicesTwo, ImageResumesWithItsDevicesFencedAgain) {
  run_.Expect("image_resumes_with_its_devices");
}
TEST_F(DevicesTwo, StoppingOneLeavesTheOtherOnItsDevices) {
  run_.Expect("stop_one_keeps_the_other");
}
TEST_F(DevicesTwo, StoppingTheOtherGivesItsDevicesBack) {
  run_.Expect("stop_gives_back_beta");
}
TEST_F(DevicesTwo, HostStaysHealthy) {
  run_.Expect("host_healthy");
}
TEST_F(DevicesTwo, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
