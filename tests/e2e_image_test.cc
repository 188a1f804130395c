// End to end, in the QEMU lab: memory images. A first lab run takes an image of a suspended
// node (mint snapshot), boots it back, refuses it for another layout or when damaged, and
// leaves it on a scratch disk; a second, fresh lab run boots that image and the node carries
// on where it was. tests/e2e/image_take.sh and image_fresh.sh; each check is one test here.
#include <unistd.h>

#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Image : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/mint-e2e-image-scratch-XXXXXX";
    scratch_dir_ = mkdtemp(dir) ? dir : "/tmp";
    HostRunOptions options;
    options.timeout_seconds = 300;
    options.images_on_disk = true;
    options.scratch_disk = scratch_dir_ + "/scratch.img";
    options.scratch_size = 128 << 20;
    take_ = RunScript("image_take.sh", "store.toml", options);
    fresh_ = RunScript("image_fresh.sh", "store.toml", options);
    unlink(options.scratch_disk.c_str());
    rmdir(scratch_dir_.c_str());
  }
  static inline std::string scratch_dir_;
  static inline ScriptRun take_;
  static inline ScriptRun fresh_;
};

TEST_F(Image, NodeBoots) {
  take_.Expect("boot_node");
}
TEST_F(Image, SnapshotOfASuspendedNode) {
  take_.Expect("snapshot_taken");
}
TEST_F(Image, ImageLeftForTheNextRun) {
  take_.Expect("image_saved_for_next_run");
}
TEST_F(Image, ImageBootsInTheSameRun) {
  take_.Expect("image_boot_same_run");
}
TEST_F(Image, ImageBootedNodeIsRunning) {
  take_.Expect("image_node_running");
}
TEST_F(Image, StoppedNodesMemoryIsZeroed) {
  take_.Expect("memory_zeroed_after_stop");
}
TEST_F(Image, MismatchedLayoutIsRefused) {
  take_.Expect("mismatched_layout_refused");
}
TEST_F(Image, DamagedImageIsRefused) {
  take_.Expect("damaged_image_refused");
}
TEST_F(Image, HostLogIsClean) {
  take_.Expect("host_log_clean");
}
TEST_F(Image, ImageBootsInAFreshRun) {
  fresh_.Expect("image_boot_fresh_run");
}
TEST_F(Image, FreshNodeRunsCommands) {
  fresh_.Expect("fresh_node_runs_commands");
}
TEST_F(Image, ResumedImageSuspendsAndResumesAgain) {
  fresh_.Expect("resumed_image_suspends_again");
}
TEST_F(Image, BothRunsEndWithTheScriptsStatus) {
  take_.ExpectFinished();
  fresh_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
