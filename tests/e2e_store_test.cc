// End to end, in the QEMU lab: the resident image store. The host's images live on a virtio
// disk (mint-lab --disk); one lab boot runs tests/e2e/store.sh in the host, which boots node
// alpha from disk, then from the store, then past a corrupted entry, and exercises the index
// (restart, concurrent adds, eviction); each check it prints becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Store : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.images_on_disk = true;  // mint-lab --disk: images on a virtio disk
    options.timeout_seconds = 300;
    run_ = RunScript("store.sh", "store.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Store, ImagesLiveOnTheVirtioDisk) {
  run_.Expect("images_on_disk");
}
TEST_F(Store, FirstBootPlacesImagesInTheStore) {
  run_.Expect("first_boot_places");
}
TEST_F(Store, StoreSurvivesACliRestart) {
  run_.Expect("survives_cli_restart");
}
TEST_F(Store, NodeBootedFromTheStoreReachesReady) {
  run_.Expect("node_from_store_ready");
}
TEST_F(Store, CorruptEntryFallsBackToTheDisk) {
  run_.Expect("corrupt_falls_back");
}
TEST_F(Store, VerifyPassesAfterTheFallback) {
  run_.Expect("verify_clean");
}
TEST_F(Store, TwoConcurrentAddsLeaveAValidIndex) {
  run_.Expect("concurrent_adds");
}
TEST_F(Store, FullStoreEvictsTheLeastRecentlyUsed) {
  run_.Expect("full_store_evicts");
}
TEST_F(Store, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
