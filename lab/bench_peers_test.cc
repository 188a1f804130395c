#include "bench_peers.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mint {
namespace {

ConsoleLine Host(std::string text, double seconds) {
  return ConsoleLine{.console = "host", .text = std::move(text), .seconds = seconds};
}
ConsoleLine Alpha(std::string text, double seconds) {
  return ConsoleLine{.console = "alpha", .text = std::move(text), .seconds = seconds};
}

TEST(BenchPeers, ReadsEachNodePathFromTheConsoles) {
  std::vector<ConsoleLine> lines = {
      // The boot that makes the image comes before any path line: not a sample.
      Host("[   20.0] mint: node alpha started on APIC ID 1 (32-bit entry 0x1, boot_params 0x2)",
           20),
      Alpha("[    1.0] mint-node: init on 6.1.0-57-cloud-amd64, 1 cpu(s), 250000 kB memory", 23),
      Host("mint-peers: path node-direct", 30),
      Host("[   31.0] mint: node alpha started on APIC ID 1 (64-bit entry 0x1, boot_params 0x2)",
           31.5),
      Alpha("[    2.500000] mint-node: init on 6.1.0-57-cloud-amd64, 1 cpu(s)", 34),
      Alpha("[    2.600000] mint-node: kernel_init at 2.100000 s", 34.1),
      Host("mint-peers: json [  {    \"read_ms\": 10,    \"build_ms\": 20,    \"claim_ms\": 5,"
           "    \"copy_ms\": 65,    \"init_to_ready_ms\": 2800  }]",
           35),
      Host("mint-peers: path node-image", 36),
      Host("mint: node alpha resuming on APIC ID 1 (wakeup code at 0x9a000)", 37),
      Host("mint-peers: json {\"host_ms\": 150, \"sipi_to_user_ms\": 40, \"total_ms\": 190}", 37.5),
      Host("mint-peers: path node-decompress", 38),
      Host("mint-peers: failed: mint boot --entry decompress", 39),
  };
  std::vector<NodePathRun> runs = ReadNodePathRuns(lines, "alpha");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].path, "node-direct");
  EXPECT_DOUBLE_EQ(*runs[0].start_s, 31.5);
  EXPECT_DOUBLE_EQ(*runs[0].user_s, 2.5);
  EXPECT_NEAR(*runs[0].kernel_init_s, 2.1, 1e-9);  // 34 - (2.5 - 2.1) - 31.5
  EXPECT_NEAR(*runs[0].host_s, 0.1, 1e-12);
  EXPECT_EQ(runs[1].path, "node-image");
  EXPECT_DOUBLE_EQ(*runs[1].user_s, 0.04);
  EXPECT_DOUBLE_EQ(*runs[1].host_s, 0.15);
  EXPECT_FALSE(runs[1].kernel_init_s);
  EXPECT_EQ(runs[2].failure, "mint boot --entry decompress");
  EXPECT_FALSE(runs[2].user_s);
}

TEST(BenchPeers, AnotherNodesLinesAndABadJsonLineAreNotSamples) {
  std::vector<ConsoleLine> lines = {
      Host("mint-peers: path node-decompress", 1),
      Host("mint: node beta started on APIC ID 2 (32-bit entry 0x1, boot_params 0x2)", 2),
      Alpha("[    2.0] mint-node: init on 6.1.0", 4),
      Host("mint-peers: json [{\"read_ms\": 1", 5),
  };
  std::vector<NodePathRun> runs = ReadNodePathRuns(lines, "alpha");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].start_s);
  EXPECT_FALSE(runs[0].user_s);
  EXPECT_NE(runs[0].failure.find("could not be read"), std::string::npos);
}

TEST(BenchPeers, ReadsANodesPhasesFromItsConsole) {
  std::vector<ConsoleLine> lines = {
      Host("mint-peers: path node-initcalls", 10),
      Host("[   11.0] mint: node alpha started on APIC ID 1 (64-bit entry 0x1, boot_params 0x2)",
           11),
      Alpha("[    0.000000] Linux version 6.1.0-57-cloud-amd64", 11.2),
      Alpha("[    0.061020] initcall init_hw_perf_events+0x0/0x6f0 returned 0 after 5 usecs", 11.9),
      // The least delayed stamped line: the clock's 0 at 11.5, 0.5 s after the start.
      Alpha("[    0.300000] initcall pci_subsys_init+0x0/0x66 returned 0 after 2500 usecs", 11.8),
      Alpha("[    2.500000] mint-node: init on 6.1.0-57-cloud-amd64, 1 cpu(s)", 14.1),
      Alpha("[    2.600000] mint-node: kernel_init at 2.100000 s", 14.2),
      Host("mint-peers: json [{\"read_ms\": 10}]", 15),
      Host("mint-peers: path node-direct", 20),
      Host("[   21.0] mint: node alpha started on APIC ID 1 (64-bit entry 0x1, boot_params 0x2)",
           21),
      Alpha("[    0.062054] ACPI: No IOAPIC entries present", 21.5),
      Alpha("[    2.000000] mint-node: init on 6.1.0-57-cloud-amd64, 1 cpu(s)", 23.6),
  };
  std::vector<NodePathRun> runs = ReadNodePathRuns(lines, "alpha");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].path, kInitcallsPath);
  EXPECT_NEAR(*runs[0].clock_s, 0.5, 1e-9);
  EXPECT_EQ(runs[0].node_lines.size(), 5u);
  std::vector<Initcall> calls = ReadInitcalls(runs[0].node_lines);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].name, "pci_subsys_init");
  // Each run's clock from its own lines: 21.5 - 0.062054 - 21.
  EXPECT_NEAR(*runs[1].clock_s, 0.437946, 1e-9);
  EXPECT_EQ(runs[1].node_lines.size(), 2u);
}

TEST(BenchPeers, PhasesAddTheInitcallsPath) {
  PeersOptions options;
  options.rounds = 1;
  options.paths = {"node-direct"};
  options.phases = true;
  auto checked = CheckPeersOptions(options);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->paths, (std::vector<std::string>{"node-direct", kInitcallsPath}));
  // Not among the default paths, so a run without --phases stays as cheap.
  EXPECT_EQ(std::count(PeerPathNames().begin(), PeerPathNames().end(), kInitcallsPath), 0);
}

TEST(BenchPeers, OptionsNameTheBadValue) {
  PeersOptions options;
  options.rounds = 0;
  auto checked = CheckPeersOptions(options);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("--rounds 0"), std::string::npos);
  options.rounds = 1;
  options.paths = {"cold", "warm"};
  checked = CheckPeersOptions(options);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("'warm' is not a boot path"), std::string::npos);
  options.paths = {"cold"};
  options.kernel = "/nonexistent/vmlinuz";
  checked = CheckPeersOptions(options);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("--kernel '/nonexistent/vmlinuz'"), std::string::npos);
  options.kernel.clear();
  checked = CheckPeersOptions(options);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_TRUE(checked->plan_path.ends_with("/examples/store.toml"));
}

}  // namespace
}  // namespace mint
