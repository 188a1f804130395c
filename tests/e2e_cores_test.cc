// End to end, in the QEMU lab: cores that move between running kernels (docs/cores.md). The
// host keeps cores 0 and 1, alpha boots on 2 and may receive 3 and 1, beta boots on 4 and 3
// and may receive 1. One lab boot runs tests/e2e/cores.sh; each check becomes one test here.
#include "e2e_support.h"

namespace mint::e2e {
namespace {

class Cores : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostRunOptions options;
    options.vcpus = 5;
    options.timeout_seconds = 400;
    run_ = RunScript("cores.sh", "cores.toml", options);
  }
  static inline ScriptRun run_;
};

TEST_F(Cores, BootsTwoNodes) {
  run_.Expect("boot_two_nodes");
}
TEST_F(Cores, ReceivableCoresArePresentButNotStarted) {
  run_.Expect("receivable_present_not_started");
}
TEST_F(Cores, NodeUserCannotWakeACoreNotGiven) {
  run_.Expect("chcpu_in_node_refused");
}
TEST_F(Cores, HostHasItsSecondCoreOnline) {
  run_.Expect("host_has_core_1_online");
}
TEST_F(Cores, GiveFromTheHost) {
  run_.Expect("give_from_host");
}
TEST_F(Cores, PsShowsTheGivenCore) {
  run_.Expect("ps_shows_given_core");
}
TEST_F(Cores, TakeBackToTheHost) {
  run_.Expect("take_back_to_host");
}
TEST_F(Cores, JobSpeedsUpWithAGivenCore) {
  run_.Expect("job_speeds_up_with_core");
}
TEST_F(Cores, JobSlowsWhenTheCoreIsTaken) {
  run_.Expect("job_slows_when_taken");
}
TEST_F(Cores, GiveFromOneNodeToAnother) {
  run_.Expect("give_node_to_node");
}
TEST_F(Cores, GiveBackBetweenNodes) {
  run_.Expect("give_back_node_to_node");
}
TEST_F(Cores, GiveTakeCyclesLoseNothing) {
  run_.Expect("give_take_cycles");
}
TEST_F(Cores, RefusesAnotherNodesBootCore) {
  run_.Expect("refuses_boot_core_of_other");
}
TEST_F(Cores, RefusesTakingABootCore) {
  run_.Expect("refuses_taking_boot_core");
}
TEST_F(Cores, RefusesACoreTheNodeDoesNotList) {
  run_.Expect("refuses_core_not_listed");
}
TEST_F(Cores, RefusesTakingACoreOwnedElsewhere) {
  run_.Expect("refuses_core_owned_elsewhere");
}
TEST_F(Cores, RefusesAnUnknownCore) {
  run_.Expect("refuses_unknown_core");
}
TEST_F(Cores, RefusalsMoveNothing) {
  run_.Expect("refusals_moved_nothing");
}
TEST_F(Cores, AFailedGiveLeavesTheCoreParkedWithTheHost) {
  run_.Expect("failed_give_leaves_core_parked");
}
TEST_F(Cores, MemoryGivenIsAddedToTheNodesKernel) {
  run_.Expect("mem_give_adds_to_node");
}
TEST_F(Cores, TheNodeUsesTheGivenMemory) {
  run_.Expect("mem_used_by_node");
}
TEST_F(Cores, ASecondNodeGetsTheNextBlock) {
  run_.Expect("mem_give_second_node");
}
TEST_F(Cores, MemLsShowsWhoHoldsWhat) {
  run_.Expect("mem_ls_shows_both");
}
TEST_F(Cores, RefusesMemoryWhenNoneIsFree) {
  run_.Expect("refuses_mem_none_free");
}
TEST_F(Cores, RefusesMemoryAnotherNodeHolds) {
  run_.Expect("refuses_mem_held_by_other");
}
TEST_F(Cores, RefusesMemoryNotReceivable) {
  run_.Expect("refuses_mem_not_receivable");
}
TEST_F(Cores, RefusesMemoryNotInWholeBlocks) {
  run_.Expect("refuses_mem_unaligned");
}
TEST_F(Cores, TakesMemoryBackWithDataInIt) {
  run_.Expect("mem_take_with_data");
}
TEST_F(Cores, MemoryGiveTakeCyclesLoseNothing) {
  run_.Expect("mem_give_take_cycles");
}
TEST_F(Cores, StopHandsAGivenCoreBack) {
  run_.Expect("stop_returns_given_core");
}
TEST_F(Cores, StopHandsGivenMemoryBack) {
  run_.Expect("stop_returns_given_memory");
}
TEST_F(Cores, HostLogIsClean) {
  run_.Expect("host_log_clean");
}
TEST_F(Cores, HostRunEndsWithTheScriptsStatus) {
  run_.ExpectFinished();
}

}  // namespace
}  // namespace mint::e2e
