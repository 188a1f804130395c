// End to end, in the QEMU lab: two nodes with shared-memory Ethernet links to the host and a
// direct link between them (issue 19, docs/network.md). One lab boot runs tests/e2e/network.sh in
// the host; each check it prints becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Network : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.timeout_seconds = 360;
    run_ = RunScript("network.sh", "network.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Network, BothNodesBoot) {
  run_.Expect("boot_two_nodes");
}
TEST_F(Network, HostBridgeHoldsTheAddressAndBothPorts) {
  run_.Expect("bridge_wired");
}
TEST_F(Network, LinksComeUp) {
  run_.Expect("links_up");
}
TEST_F(Network, NodeConfiguresItsAddress) {
  run_.Expect("node_configured");
}
TEST_F(Network, HostFetchesAPageFromANode) {
  run_.Expect("host_fetches_page");
}
TEST_F(Network, DoorbellsAreInterrupts) {
  run_.Expect("doorbell_interrupts");
}
TEST_F(Network, NodeToNodeTcp) {
  run_.Expect("node_to_node_tcp");
}
TEST_F(Network, DirectLinkComesUpInBothNodes) {
  run_.Expect("direct_link_up");
}
TEST_F(Network, DirectLinkCarriesTcpIntact) {
  run_.Expect("direct_link_tcp");
}
TEST_F(Network, DirectLinkSkipsTheHost) {
  run_.Expect("direct_link_skips_host");
}
TEST_F(Network, DirectLinkShowsInPsFromBothNodes) {
  run_.Expect("direct_link_in_ps");
}
TEST_F(Network, BulkHostToNodeArrivesIntact) {
  run_.Expect("bulk_host_to_node");
}
TEST_F(Network, BulkNodeToHostArrivesIntact) {
  run_.Expect("bulk_node_to_host");
}
TEST_F(Network, PsShowsTheLinks) {
  run_.Expect("ps_shows_links");
}
TEST_F(Network, AScribbledRingResetsTheLinkAndItComesBack) {
  run_.Expect("scribbled_ring_resets_link");
}
TEST_F(Network, ARestartDuringATransferLeavesTheRestUp) {
  run_.Expect("restart_during_transfer");
}
TEST_F(Network, DirectLinkFollowsAPeerRestart) {
  run_.Expect("direct_link_follows_restart");
}
TEST_F(Network, ImageBootStartsRingsAfresh) {
  run_.Expect("image_boot_rings_afresh");
}
TEST_F(Network, StopTakesTheLinkDown) {
  run_.Expect("stop_takes_link_down");
}
TEST_F(Network, HostHeartbeatGoesOn) {
  run_.Expect("host_heartbeat");
}
TEST_F(Network, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
