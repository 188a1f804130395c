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

// What a 6.1 node prints with "quiet initcall_debug loglevel=8" on its early console.
const std::vector<std::string> kInitcallConsole = {
    "[    0.000000] Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org)",
    "[    0.000000] tsc: Detected 2400.000 MHz processor",
    "[    0.061011] calling  init_hw_perf_events+0x0/0x6f0 @ 1",
    "[    0.061020] initcall init_hw_perf_events+0x0/0x6f0 returned 0 after 5 usecs",
    "[    0.290301] initcall pci_subsys_init+0x0/0x66 returned 0 after 2500 usecs",
    "[    0.301222] initcall crc32c_mod_init+0x0/0x1000 [crc32c_generic] returned 0 after 12 usecs",
    "[    0.402000] initcall populate_rootfs+0x0/0x200 returned 0 after 98765 usecs",
    "[    0.410000] initcall clk_disable_unused+0x0/0x140 returned -19 after 1000 usecs",
    "[    0.500000] mint-node: init on 6.1.0-57-cloud-amd64, 1 cpu(s), 221464 kB memory",
};

TEST(BootCompare, ReadsInitcallDebugLines) {
  auto call = ParseInitcallLine(kInitcallConsole[4]);
  ASSERT_TRUE(call);
  EXPECT_EQ(call->name, "pci_subsys_init");
  EXPECT_DOUBLE_EQ(call->ms, 2.5);
  // A module's initcall names its module after the offset; without a stamp too.
  call = ParseInitcallLine(
      "initcall crc32c_mod_init+0x0/0x1000 [crc32c_generic] returned 0 after "
      "12 usecs");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->name, "crc32c_mod_init");
  EXPECT_DOUBLE_EQ(call->ms, 0.012);
  EXPECT_FALSE(ParseInitcallLine(kInitcallConsole[2]));  // "calling"
  EXPECT_FALSE(ParseInitcallLine("[    0.1] initcall x+0x0/0x1 returned 0 after usecs"));
  EXPECT_FALSE(ParseInitcallLine("[    0.1] initcall x+0x0/0x1 returned 0 after 5 msecs"));
  EXPECT_FALSE(ParseInitcallLine("[    0.1] initcall  returned 0 after 5 usecs"));
  EXPECT_FALSE(ParseInitcallLine("[    0.1] mint-node: initcall x returned 0 after 5 usecs"));
  std::vector<Initcall> calls = ReadInitcalls(kInitcallConsole);
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[3].name, "populate_rootfs");
  EXPECT_DOUBLE_EQ(calls[3].ms, 98.765);
  EXPECT_EQ(calls[4].name, "clk_disable_unused");  // a failed initcall took its time too
}

TEST(BootCompare, PlacesTheKernelClocksStart) {
  // Lines stamped 0 were printed before the clock started; the least delayed stamped line
  // (arrived 1.3 s, stamped 0.3 s) puts 0 at 1.0 s.
  EXPECT_NEAR(*KernelClockZero({{0.2, "[    0.000000] Linux version"},
                                {1.5, "[    0.061011] calling x"},
                                {1.3, "[    0.300000] initcall y"},
                                {1.8, "Poking KASLR using RDRAND RDTSC..."},
                                {2.0, "[    0.500000] mint-node: init on"}}),
              1.0, 1e-9);
  EXPECT_FALSE(KernelClockZero({{0.2, "[    0.000000] Linux version"}, {0.3, "no stamp"}}));
}

BootComparison Sample() {
  BootComparison c;
  c.kernel = "vmlinuz-6.1";
  c.initrd = "node-initrd.cpio.gz";
  c.tail = "quiet";
  c.memory_bytes = 256 << 20;
  c.rounds = 3;
  c.paths.push_back(
      {"cold", "QEMU start", "lab consoles", {3, 2, 4}, {4, 3, 5}, {}, "", {}, {}, {}});
  c.paths.push_back(
      {"kexec", "kexec -e", "lab consoles", {4}, {6}, {0.5}, "(kexec -l)", {}, {}, {}});
  c.paths.push_back({"node-direct",
                     "INIT",
                     "lab consoles",
                     {1.5},
                     {2.4},
                     {0.25},
                     "(read, build, copy)",
                     {},
                     {},
                     {}});
  c.paths.push_back(
      {"kexec-s", "kexec -e", "lab consoles", {}, {}, {}, "", {"load refused"}, {}, {}});
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

BootComparison WithPhases() {
  BootComparison c = Sample();
  c.paths.push_back(
      {"node-decompress", "INIT", "lab consoles", {2.0}, {2.6}, {0.25}, "", {}, {0.9}, {}});
  c.paths[2].clock_s = {0.4};
  c.paths.push_back({"node-initcalls",
                     "INIT",
                     "lab consoles",
                     {2.2},
                     {3.0},
                     {},
                     "",
                     {},
                     {0.4},
                     ReadInitcalls(kInitcallConsole)});
  c.top_initcalls = 2;
  return c;
}

TEST(BootCompare, PhasesSplitEachNodePath) {
  NodePhases phases = NodePhasesOf(WithPhases());
  ASSERT_EQ(phases.paths.size(), 3u);  // the paths with their clock's start
  EXPECT_EQ(phases.paths[0].path, "node-direct");
  EXPECT_DOUBLE_EQ(*phases.paths[0].early_s, 0.4);
  EXPECT_DOUBLE_EQ(*phases.paths[0].kernel_s, 1.1);
  EXPECT_NEAR(*phases.paths[0].userspace_s, 0.9, 1e-12);
  EXPECT_DOUBLE_EQ(*phases.decompression_s, 0.5);
  ASSERT_TRUE(phases.initcalls);
  EXPECT_EQ(phases.initcalls->path, "node-initcalls");
  EXPECT_EQ(phases.initcalls->count, 5u);
  EXPECT_NEAR(phases.initcalls->sum_ms, 102.282, 1e-9);
  // Over 1 ms, the longest first, at most two.
  ASSERT_EQ(phases.initcalls->top.size(), 2u);
  EXPECT_EQ(phases.initcalls->top[0].name, "populate_rootfs");
  EXPECT_EQ(phases.initcalls->top[1].name, "pci_subsys_init");
  EXPECT_NEAR(phases.initcalls->top_sum_ms, 101.265, 1e-9);
  EXPECT_EQ(phases.initcalls->over, 3u);  // clk_disable_unused's 1 ms too
  EXPECT_NEAR(phases.initcalls->over_sum_ms, 102.265, 1e-9);
  // Without any path's clock or initcalls: nothing, and no section in the table.
  NodePhases none = NodePhasesOf(Sample());
  EXPECT_TRUE(none.paths.empty());
  EXPECT_FALSE(none.decompression_s);
  EXPECT_FALSE(none.initcalls);
  EXPECT_EQ(FormatBootComparison(Sample()).find("where a node"), std::string::npos);
}

TEST(BootCompare, PhasesInTheTableAndTheJson) {
  BootComparison c = WithPhases();
  std::string table = FormatBootComparison(c);
  EXPECT_NE(table.find("where a node's boot time goes"), std::string::npos) << table;
  EXPECT_NE(table.find("  node-direct      0.400                    1.100"), std::string::npos)
      << table;
  EXPECT_NE(table.find("decompression (node-decompress less node-direct, start -> kernel clock): "
                       "0.500"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("initcalls of node-initcalls (initcall_debug on): 5, 102.3 ms in all; 3 of "
                       "1.0 ms or more, 102.3 ms; the longest 2, 101.3 ms:"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("populate_rootfs                              98.8 ms"), std::string::npos)
      << table;
  nlohmann::json json = BootComparisonJson(c)["where_the_time_goes"];
  EXPECT_DOUBLE_EQ(json["decompression_s"].get<double>(), 0.5);
  EXPECT_EQ(json["paths"][0]["name"], "node-direct");
  EXPECT_DOUBLE_EQ(json["paths"][0]["start_to_kernel_clock_s"].get<double>(), 0.4);
  EXPECT_EQ(json["initcalls"]["top"][0]["name"], "populate_rootfs");
  EXPECT_DOUBLE_EQ(json["initcalls"]["top"][0]["ms"].get<double>(), 98.765);
  EXPECT_EQ(json["initcalls"]["count"], 5);
  EXPECT_TRUE(BootComparisonJson(Sample())["where_the_time_goes"]["initcalls"].is_null());
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
