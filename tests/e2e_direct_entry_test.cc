// End to end, in the QEMU lab: a node booted by direct entry (its kernel unpacked on the host
// and entered at startup_64 in long mode, decompressor skipped) reaches ready and sees the
// same memory as the same node booted through the decompressor. One lab boot runs
// tests/e2e/direct_entry.sh; each check it prints becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class DirectEntry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.vcpus = 2;
    options.timeout_seconds = 240;
    run_ = RunScript("direct_entry.sh", "one-node.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(DirectEntry, DecompressingBootIsReady) {
  run_.Expect("decompress_ready");
}
TEST_F(DirectEntry, DirectBootIsReady) {
  run_.Expect("direct_ready");
}
TEST_F(DirectEntry, DirectEntryWasUsed) {
  run_.Expect("direct_entry_used");
}
TEST_F(DirectEntry, ModuleStartedTheCoreInLongMode) {
  run_.Expect("module_64bit_entry");
}
TEST_F(DirectEntry, SameMemTotalBothWays) {
  run_.Expect("same_memtotal");
}
TEST_F(DirectEntry, DirectNodeRunsCommands) {
  run_.Expect("direct_node_runs_commands");
}
TEST_F(DirectEntry, DryRunShowsTheDirectLayout) {
  run_.Expect("dry_run_shows_direct_layout");
}
TEST_F(DirectEntry, KaslrBaseIsWhereTheKernelRuns) {
  run_.Expect("kaslr_base_is_where_the_kernel_runs");
}

}  // namespace
}  // namespace mint::e2e
