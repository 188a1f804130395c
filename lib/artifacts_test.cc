#include "artifacts.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mint {
namespace {

// The names are what `mint boot --dry-run` prints and its JSON carries as "what": they must not
// drift when segments change how they are told apart.
TEST(SegmentName, NamesEveryKindAsTheDryRunShowsIt) {
  const std::vector<std::pair<SegmentKind, std::string>> names = {
      {SegmentKind::kStatusPage, "status page"},
      {SegmentKind::kBootParams, "boot_params"},
      {SegmentKind::kCmdline, "cmdline"},
      {SegmentKind::kAcpi, "acpi"},
      {SegmentKind::kShared, "shared"},
      {SegmentKind::kKernel, "kernel"},
      {SegmentKind::kInitrd, "initrd"},
      {SegmentKind::kPageTables, "page tables"},
      {SegmentKind::kKernelZeroTail, "kernel zero tail"},
  };
  for (const auto& [kind, name] : names) {
    EXPECT_EQ(SegmentName(Segment{kind, 0x40000000, {}}), name);
  }
  EXPECT_EQ(SegmentName(Segment{SegmentKind::kKernelElf, 0x40600000, {}, 0x2a00000}),
            "kernel 0x2a00000");
}

}  // namespace
}  // namespace mint
