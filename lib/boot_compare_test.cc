#include "boot_compare.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

TEST(BootCompare, ReadsThePrintkStamp) {
  EXPECT_DOUBLE_EQ(*KernelLogStamp("[    2.345678] mint-node: init on 6.1.0"), 2.345678);
  EXPECT_DOUBLE_EQ(*KernelLogStamp("[12345.000001] x"), 12345.000001);
  EXPECT_FALSE(KernelLogStamp("mint-node: init on 6.1.0"));
  EXPECT_FALSE(KernelLogStamp("[ abc] x"));
  EXPECT_FALSE(KernelLogStamp("[    2.3"));
  EXPECT_FALSE(KernelLogStamp("[] x"));
  EXPECT_FALSE(KernelLogStamp("[ 1.2.3] x"));
}

TEST(BootCompare, ReadsTheKernelInitLine) {
  EXPECT_DOUBLE_EQ(*KernelInitStamp("[    3.1] mint-node: kernel_init at 2.210000 s"), 2.21);
  // The kernel's record was not found (dmesg overrun, another kernel's wording): no stamp.
  EXPECT_FALSE(KernelInitStamp("[    3.1] mint-node: kernel_init at  s"));
  EXPECT_FALSE(KernelInitStamp("mint-node: init on 6.1.0"));
  EXPECT_FALSE(KernelInitStamp("mint-node: kernel_init at 2.5"));
}

TEST(BootCompare, PlacesKernelInitOnTheReadersClock) {
  // The marker arrived 4.0 s after the start; the kernel stamped it 3.5 s and /init 3.2 s.
  auto at = KernelInitOnReaderClock(4.0, "[    3.500000] mint-node: init on 6.1.0",
                                    "[    3.600000] mint-node: kernel_init at 3.200000 s");
  ASSERT_TRUE(at);
  EXPECT_NEAR(*at, 3.7, 1e-9);
  // /init after the marker cannot be: no answer rather than a wrong one.
  EXPECT_FALSE(KernelInitOnReaderClock(4.0, "[    3.500000] mint-node: init on",
                                       "[    3.6] mint-node: kernel_init at 3.9 s"));
  EXPECT_FALSE(KernelInitOnReaderClock(4.0, "mint-node: init on", "mint-node: kernel_init at 1 s"));
}

BootComparison Sample() {
  BootComparison c;
  c.kernel = "vmlinuz-6.1";
  c.initrd = "node-initrd.cpio.gz";
  c.tail = "quiet";
  c.memory_bytes = 256 << 20;
  c.rounds = 3;
  c.paths.push_back({"cold", "QEMU start", "lab consoles", {3, 2, 4}, {4, 3, 5}, {}, "", {}});
  c.paths.push_back({"kexec", "kexec -e", "lab consoles", {4}, {6}, {0.5}, "(kexec -l)", {}});
  c.paths.push_back(
      {"node-direct", "INIT", "lab consoles", {1.5}, {2.4}, {0.25}, "(read, build, copy)", {}});
  c.paths.push_back({"kexec-s", "kexec -e", "lab consoles", {}, {}, {}, "", {"load refused"}});
  return c;
}

TEST(BootCompare, RatiosAreOfMedians) {
  BootComparison c = Sample();
  const BootPathResult& direct = c.paths[2];
  EXPECT_DOUBLE_EQ(*RatioTo(direct, c.Find("kexec"), false), 0.4);
  EXPECT_DOUBLE_EQ(*RatioTo(direct, c.Find("cold"), true), 0.5);
  EXPECT_FALSE(RatioTo(c.paths[3], c.Find("kexec"), false));
  EXPECT_FALSE(RatioTo(direct, c.Find("missing"), false));
}

TEST(BootCompare, TableHasEveryPathAndItsFailures) {
  std::string table = FormatBootComparison(Sample());
  EXPECT_NE(table.find("cold             QEMU start  2.000 / 3.000 / 4.000"), std::string::npos)
      << table;
  EXPECT_NE(table.find("0.38x/0.40x"), std::string::npos) << table;  // node-direct to kexec
  EXPECT_NE(table.find("0.250 (read, build, copy)"), std::string::npos) << table;
  EXPECT_NE(table.find("kexec-s did not work: load refused"), std::string::npos) << table;
}

TEST(BootCompare, JsonKeepsSamplesAndRatios) {
  nlohmann::json json = BootComparisonJson(Sample());
  EXPECT_EQ(json["benchmark"], "peers");
  EXPECT_EQ(json["paths"][0]["userspace_s"]["median"], 4.0);
  EXPECT_EQ(json["paths"][0]["userspace_s"]["samples"].size(), 3u);
  EXPECT_DOUBLE_EQ(json["paths"][2]["userspace_over_kexec"].get<double>(), 0.4);
  EXPECT_TRUE(json["paths"][3]["userspace_s"].is_null());
  EXPECT_EQ(json["paths"][3]["failures"][0], "load refused");
}

TEST(BootCompare, TimelineStacksHostKernelAndUserspace) {
  Timeline timeline = BootComparisonTimeline(Sample());
  ASSERT_EQ(timeline.lanes.size(), 4u);
  const TimelineLane& kexec = timeline.lanes[1];
  ASSERT_EQ(kexec.phases.size(), 3u);
  EXPECT_DOUBLE_EQ(kexec.phases[0].end_ms, 500);
  EXPECT_DOUBLE_EQ(kexec.phases[1].end_ms, 4500);
  EXPECT_DOUBLE_EQ(kexec.phases[2].end_ms, 6500);
  EXPECT_TRUE(timeline.lanes[3].phases.empty());
  EXPECT_NE(RenderTimelineSvg(timeline).find("kernel_init -&gt; userspace marker"),
            std::string::npos);
}

}  // namespace
}  // namespace mint
