// End to end, in the QEMU lab's microvm machine: a node owns a second IO-APIC and the
// virtio-mmio disk and NIC wired to it (issue 10, docs/devices.md). One lab boot runs
// tests/e2e/devices_mmio.sh; each check it prints becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class DevicesMmio : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.machine = "microvm";
    options.timeout_seconds = 200;
    run_ = RunScript("devices_mmio.sh", "virtio-mmio.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(DevicesMmio, FirmwareDescribesTheTransportsAndTheHostDrivesNone) {
  run_.Expect("transports_described");
}
TEST_F(DevicesMmio, RefusesTheHostsIoApic) {
  run_.Expect("refuse_host_ioapic");
}
TEST_F(DevicesMmio, RefusesAGsiOffTheNodesIoApic) {
  run_.Expect("refuse_gsi_off_the_ioapic");
}
TEST_F(DevicesMmio, NodeReachesUserspace) {
  run_.Expect("node_ready");
}
TEST_F(DevicesMmio, HostDriversAreFencedOff) {
  run_.Expect("host_fenced");
}
TEST_F(DevicesMmio, NodeSeesOnlyItsIoApic) {
  run_.Expect("node_sees_only_its_ioapic");
}
TEST_F(DevicesMmio, NodeReadsItsOwnDisk) {
  run_.Expect("node_reads_its_disk");
}
TEST_F(DevicesMmio, NodeFetchesOverItsOwnNic) {
  run_.Expect("node_fetches_over_its_nic");
}
TEST_F(DevicesMmio, NodeInterruptsOnItsIoApicCount) {
  run_.Expect("node_ioapic_interrupts_count");
}
TEST_F(DevicesMmio, HostHeartbeatGoesOn) {
  run_.Expect("host_heartbeat");
}
TEST_F(DevicesMmio, HostFileUnchanged) {
  run_.Expect("host_file_intact");
}
TEST_F(DevicesMmio, HostHasNoStrayInterrupts) {
  run_.Expect("host_interrupts_clean");
}
TEST_F(DevicesMmio, StopGivesTheDevicesBack) {
  run_.Expect("stop_gives_devices_back");
}
TEST_F(DevicesMmio, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
