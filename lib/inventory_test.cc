#include "inventory.h"

#include <gtest/gtest.h>

#include <cstring>

#include "acpi.h"
#include "plan_check.h"

namespace mint {
namespace {

// /proc/iomem of the lab host (6 GiB, memmap=1G$0x40000000 and memmap=1G$0x100000000).
constexpr const char* kIomem = R"(00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-3fffffff : System RAM
  0c000000-0cc02b26 : Kernel code
40000000-7fffffff : Reserved
fffc0000-13fffffff : Reserved
140000000-1ffffffff : System RAM
)";

std::vector<uint8_t> Madt(const std::vector<std::pair<uint8_t, uint32_t>>& lapics) {
  std::vector<uint8_t> table(sizeof(AcpiMadt));
  for (const auto& [apic, flags] : lapics) {
    AcpiMadtLocalApic entry{{kMadtTypeLocalApic, 8}, apic, apic, flags};
    const auto* bytes = reinterpret_cast<const uint8_t*>(&entry);
    table.insert(table.end(), bytes, bytes + sizeof(entry));
  }
  AcpiMadt header{};
  std::memcpy(header.header.signature, "APIC", 4);
  header.header.length = static_cast<uint32_t>(table.size());
  std::memcpy(table.data(), &header, sizeof(header));
  table[9] = static_cast<uint8_t>(-AcpiByteSum(table));
  return table;
}

TEST(Inventory, ParsesIomem) {
  auto entries = ParseIomem(kIomem);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 10u);
  EXPECT_EQ((*entries)[1].range, (PhysRange{0x1000, 0x9fc00}));
  EXPECT_EQ((*entries)[1].name, "System RAM");
  EXPECT_EQ((*entries)[4].depth, 1);
  EXPECT_EQ((*entries)[9].range, (PhysRange{0x140000000, 0x200000000}));
}

TEST(Inventory, IomemRefusesGarbageAndZeros) {
  EXPECT_FALSE(ParseIomem("hello\n").ok());
  EXPECT_FALSE(ParseIomem("2000-1000 : x\n").ok());
  auto zeros = ParseIomem("00000000-00000000 : System RAM\n00000000-00000000 : Reserved\n");
  ASSERT_FALSE(zeros.ok());
  EXPECT_NE(zeros.error().message.find("root"), std::string::npos);
}

TEST(Inventory, ParsesMadtCpuListAndCpuinfo) {
  auto cores = ParseMadt(Madt({{0, 1}, {1, 1}, {2, 0}}));
  ASSERT_TRUE(cores.ok()) << cores.error().message;
  ASSERT_EQ(cores->size(), 3u);
  EXPECT_TRUE((*cores)[1].enabled);
  EXPECT_FALSE((*cores)[2].enabled);
  auto bad = Madt({{0, 1}});
  bad[9] ^= 1;
  EXPECT_FALSE(ParseMadt(bad).ok());
  auto truncated = Madt({{0, 1}});
  truncated.resize(truncated.size() - 1);
  EXPECT_FALSE(ParseMadt(truncated).ok());

  EXPECT_EQ(*ParseCpuList("0-2,5\n"), (std::vector<uint32_t>{0, 1, 2, 5}));
  EXPECT_FALSE(ParseCpuList("3-1").ok());
  auto info = ParseCpuinfo(
      "processor\t: 0\ncpu MHz\t\t: 2599.987\napicid\t\t: 0\n\n"
      "processor\t: 1\napicid\t\t: 4\n");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->cpu_to_apic, (std::vector<std::pair<uint32_t, uint32_t>>{{0, 0}, {1, 4}}));
  EXPECT_EQ(info->mhz_khz, 2599987u);
}

InventorySources LabSources() {
  InventorySources sources;
  sources.iomem = kIomem;
  sources.madt = Madt({{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}});
  sources.cpu_online = "0\n";
  sources.cpuinfo = "processor : 0\napicid : 0\ncpu MHz : 2600.000\n";
  return sources;
}

TEST(Inventory, BuildsAndRoundTripsThroughJson) {
  auto built = BuildInventory(LabSources());
  ASSERT_TRUE(built.ok()) << built.error().message;
  const Inventory& inv = built->inventory;
  EXPECT_EQ(inv.ram.size(), 3u);
  EXPECT_EQ(inv.reserved.size(), 5u);
  ASSERT_EQ(inv.cores.size(), 5u);
  EXPECT_TRUE(inv.cores[0].online);
  EXPECT_FALSE(inv.cores[1].online);
  EXPECT_EQ(inv.tsc_khz, 2600000u);
  auto again = ParseInventoryJson(InventoryToJson(inv), "saved.json");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->ram, inv.ram);
  EXPECT_EQ(again->reserved, inv.reserved);
  EXPECT_EQ(again->cores.size(), inv.cores.size());
  EXPECT_EQ(InventoryToJson(*again), InventoryToJson(inv));
  EXPECT_FALSE(ParseInventoryJson("[1,2]", "x.json").ok());
  EXPECT_FALSE(ParseInventoryJson(R"({"cores": [{"apic_id": -1}]})", "x.json").ok());
  EXPECT_FALSE(ParseInventoryJson(R"({"ram": ["0x2000-0x1000"]})", "x.json").ok());
}

// A plan checked against the lab inventory reports each machine problem with its line.
TEST(Inventory, CheckPlanAgainstInventoryListsEveryProblem) {
  auto built = BuildInventory(LabSources());
  ASSERT_TRUE(built.ok());
  PlanCheck check = ParsePlanAll(R"([host]
reserved = ["0x40000000-0x7fffffff", "0x200000000-0x2ffffffff"]
cpus = [0]

[[node]]
name = "a"
kernel = "k"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]

[[node]]
name = "b"
kernel = "k"
cpus = [9]
memory = ["0x200000000-0x20fffffff"]
console = "ttyS2"
dma32 = false
)",
                                 "p.toml");
  ASSERT_TRUE(check.problems.empty()) << FormatProblems(check.problems, "p.toml");
  PlanCheckOptions options;
  options.inventory = &built->inventory;
  CheckPlan(check, options);
  std::string text = FormatProblems(check.problems, "p.toml");
  EXPECT_NE(text.find("p.toml:2: [host] reserved 0x200000000-0x2ffffffff is not reserved"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("node b: APIC ID 9 is not a core of this machine"), std::string::npos)
      << text;
  EXPECT_NE(text.find("p.toml:15: node b: memory 0x200000000-0x20fffffff is not inside memory"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("node a"), std::string::npos) << text;
  EXPECT_EQ(check.problems.size(), 3u) << text;
}

}  // namespace
}  // namespace mint
