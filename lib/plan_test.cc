#include "plan.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace mint {
namespace {

constexpr const char* kHost = R"(
[host]
reserved = ["0x40000000-0x7fffffff"]
low_window = "0x10000-0x8ffff"
)";

Result<Plan> Parse(const std::string& nodes) {
  return ParsePlan(std::string(kHost) + nodes, "t.toml");
}

void ExpectError(const std::string& text, const std::string& fragment) {
  auto plan = ParsePlan(text, "t.toml");
  ASSERT_FALSE(plan.ok()) << "expected: " << fragment;
  EXPECT_NE(plan.error().message.find(fragment), std::string::npos) << plan.error().message;
}

TEST(Plan, OneNode) {
  auto plan = Parse(R"(
[[node]]
name = "alpha"
kernel = "/boot/vmlinuz"
initrd = "/boot/initrd"
cmdline = "quiet"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]
low = "0x70000-0x7ffff"
console = "ttyS1"
)");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->nodes.size(), 1u);
  const NodePlan& node = plan->nodes[0];
  EXPECT_EQ(node.name, "alpha");
  EXPECT_EQ(node.cpus, std::vector<uint32_t>{1});
  ASSERT_EQ(node.memory.size(), 1u);
  EXPECT_EQ(node.memory[0], (PhysRange{0x40000000, 0x50000000}));
  EXPECT_EQ(*node.low, (PhysRange{0x70000, 0x80000}));
  EXPECT_EQ(plan->host.reserved[0], (PhysRange{0x40000000, 0x80000000}));
  EXPECT_EQ(plan->FindNode("alpha"), &plan->nodes[0]);
  EXPECT_EQ(plan->FindNode("beta"), nullptr);
}

TEST(Plan, SizesArePlacedAndLowSlicesAssigned) {
  auto plan = Parse(R"(
[[node]]
name = "a"
kernel = "k"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]
[[node]]
name = "b"
kernel = "k"
cpus = [2]
memory = ["256M"]
console = "ttyS2"
)");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->nodes[1].memory[0], (PhysRange{0x50000000, 0x60000000}));
  EXPECT_EQ(*plan->nodes[0].low, (PhysRange{0x88000, 0x90000}));
  EXPECT_EQ(*plan->nodes[1].low, (PhysRange{0x80000, 0x88000}));
  EXPECT_FALSE(plan->nodes[0].low->Overlaps(*plan->nodes[1].low));
}

TEST(Plan, EnvironmentInPaths) {
  setenv("MINT_TEST_KERNEL", "/k/vmlinuz", 1);
  auto plan =
      Parse("[[node]]\nname=\"a\"\nkernel=\"${MINT_TEST_KERNEL}\"\ncpus=[1]\nmemory=[\"64M\"]\n");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->nodes[0].kernel, "/k/vmlinuz");
  unsetenv("MINT_TEST_UNSET");
  auto bad =
      Parse("[[node]]\nname=\"a\"\nkernel=\"${MINT_TEST_UNSET}/x\"\ncpus=[1]\nmemory=[\"64M\"]\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("MINT_TEST_UNSET"), std::string::npos);
}

TEST(Plan, SerializeRoundTrips) {
  auto plan = Parse(R"(
[[node]]
name = "a"
kernel = "/k \"quoted\""
initrd = "/i"
cmdline = "quiet loglevel=3"
cpus = [1, 3]
memory = ["0x40000000-0x4fffffff", "128M"]
console = "shared"
)");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << SerializePlan(*plan);
  EXPECT_EQ(SerializePlan(*again), SerializePlan(*plan));
  EXPECT_EQ(again->nodes[0].memory, plan->nodes[0].memory);
  EXPECT_EQ(again->nodes[0].cpus, plan->nodes[0].cpus);
  EXPECT_EQ(again->nodes[0].kernel, "/k \"quoted\"");
}

TEST(Plan, HostKernelArgs) {
  HostPlan host;
  host.reserved = {{0x40000000, 0x60000000}};
  host.cpus = {0};
  EXPECT_EQ(HostKernelArgs(host), "maxcpus=1 memmap=0x20000000$0x40000000");
}

TEST(PlanRanges, ParseAndFormat) {
  EXPECT_EQ(*ParseRange("0x1000-0x1fff"), (PhysRange{0x1000, 0x2000}));
  EXPECT_EQ(FormatRange({0x1000, 0x2000}), "0x1000-0x1fff");
  EXPECT_FALSE(ParseRange("0x2000-0x1000").ok());
  EXPECT_FALSE(ParseRange("banana").ok());
  EXPECT_FALSE(ParseRange("0x10-").ok());
  EXPECT_EQ(*ParseSize("512M"), 512ull << 20);
  EXPECT_EQ(*ParseSize("2g"), 2ull << 30);
  EXPECT_EQ(*ParseSize("64K"), 64ull << 10);
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_FALSE(ParseSize("12Q").ok());
  EXPECT_FALSE(ParseSize("99999999999999999999G").ok());
}

struct BadPlan {
  const char* what;
  std::string text;
  const char* fragment;
};

class PlanErrors : public ::testing::TestWithParam<BadPlan> {};

TEST_P(PlanErrors, NamesTheProblem) {
  ExpectError(GetParam().text, GetParam().fragment);
}

const std::string kNode = "[[node]]\nname=\"a\"\nkernel=\"k\"\ncpus=[1]\n";
INSTANTIATE_TEST_SUITE_P(
    All, PlanErrors,
    ::testing::Values(
        BadPlan{"syntax", "[host\n", "t.toml:1"},
        BadPlan{"unknown section", "[hots]\n", "unknown section 'hots'"},
        BadPlan{"unknown key", std::string(kHost) + kNode + "memroy=[\"64M\"]\n",
                "unknown key 'memroy'"},
        BadPlan{"no name",
                std::string(kHost) + "[[node]]\nkernel=\"k\"\ncpus=[1]\nmemory=[\"64M\"]\n",
                "needs a name"},
        BadPlan{"bad name", std::string(kHost) + "[[node]]\nname=\"a b\"\nkernel=\"k\"\n",
                "may only use"},
        BadPlan{"no kernel",
                std::string(kHost) + "[[node]]\nname=\"a\"\ncpus=[1]\nmemory=[\"64M\"]\n",
                "'kernel'"},
        BadPlan{"no cpus",
                std::string(kHost) + "[[node]]\nname=\"a\"\nkernel=\"k\"\nmemory=[\"64M\"]\n",
                "'cpus'"},
        BadPlan{"apic id 255",
                std::string(kHost) + "[[node]]\nname=\"a\"\nkernel=\"k\"\ncpus=[255]\n",
                "APIC ID 255"},
        BadPlan{"apic twice",
                std::string(kHost) + "[[node]]\nname=\"a\"\nkernel=\"k\"\ncpus=[1,1]\n",
                "listed twice"},
        BadPlan{"no memory", std::string(kHost) + kNode, "'memory'"},
        BadPlan{
            "host core",
            std::string(kHost) + "[[node]]\nname=\"a\"\nkernel=\"k\"\ncpus=[0]\nmemory=[\"64M\"]\n",
            "belongs to the host"},
        BadPlan{"misaligned", std::string(kHost) + kNode + "memory=[\"0x40000100-0x4fffffff\"]\n",
                "4 KiB aligned"},
        BadPlan{"outside reserved",
                std::string(kHost) + kNode + "memory=[\"0x10000000-0x1fffffff\"]\n",
                "not inside a range the host reserved"},
        BadPlan{"too big", std::string(kHost) + kNode + "memory=[\"4G\"]\n", "no free"},
        BadPlan{"low outside",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nlow=\"0x90000-0x9ffff\"\n",
                "outside the low window"},
        BadPlan{"low on trampoline",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nlow=\"0x10000-0x1ffff\"\n",
                "overlaps the trampoline"},
        BadPlan{"console", std::string(kHost) + kNode + "memory=[\"64M\"]\nconsole=\"ttyS0\"\n",
                "console 'ttyS0'"},
        BadPlan{"arch", std::string(kHost) + kNode + "memory=[\"64M\"]\narch=\"arm64\"\n",
                "arch 'arm64'"},
        BadPlan{"window above 1M", "[host]\nlow_window=\"0x10000-0x1fffff\"\n", "below 1 MiB"},
        BadPlan{"store outside",
                "[host]\nreserved=[\"0x40000000-0x4fffffff\"]\nstore=\"0x50000000-0x5fffffff\"\n",
                "store"},
        BadPlan{"reserved overlap",
                "[host]\nreserved=[\"0x40000000-0x4fffffff\", \"0x48000000-0x5fffffff\"]\n",
                "overlap"},
        BadPlan{"same name",
                std::string(kHost) + kNode + "memory=[\"64M\"]\n" +
                    "[[node]]\nname=\"a\"\nkernel=\"k\"\ncpus=[2]\nmemory=[\"64M\"]\nconsole="
                    "\"ttyS2\"\n",
                "used twice"},
        BadPlan{"same core",
                std::string(kHost) + kNode + "memory=[\"64M\"]\n" +
                    "[[node]]\nname=\"b\"\nkernel=\"k\"\ncpus=[1]\nmemory=[\"64M\"]\nconsole="
                    "\"ttyS2\"\n",
                "already belongs to node a"},
        BadPlan{"same console",
                std::string(kHost) + kNode + "memory=[\"64M\"]\n" +
                    "[[node]]\nname=\"b\"\nkernel=\"k\"\ncpus=[2]\nmemory=[\"64M\"]\n",
                "console ttyS1"},
        BadPlan{"memory overlap",
                std::string(kHost) + kNode + "memory=[\"0x40000000-0x4fffffff\"]\n" +
                    "[[node]]\nname=\"b\"\nkernel=\"k\"\ncpus=[2]\nmemory=[\"0x48000000-"
                    "0x5fffffff\"]\nconsole=\"ttyS2\"\n",
                "overlaps node a (0x40000000-0x4fffffff)"}),
    [](const ::testing::TestParamInfo<BadPlan>& param_info) {
      std::string name = param_info.param.what;
      for (char& c : name)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

// Property: whatever a plan asks for, every node the parser accepts owns disjoint, aligned
// memory inside the host's reserved ranges and a disjoint low slice inside the window.
TEST(PlanProperties, PlacementNeverOverlaps) {
  unsigned seed = 12345;
  auto next = [&]() {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) & 0x7fff;
  };
  for (int round = 0; round < 200; ++round) {
    std::string text = kHost;
    int nodes = 1 + static_cast<int>(next() % 6);
    for (int i = 0; i < nodes; ++i) {
      text += "[[node]]\nname=\"n" + std::to_string(i) + "\"\nkernel=\"k\"\ncpus=[" +
              std::to_string(i + 1) + "]\nconsole=\"shared\"\nmemory=[\"" +
              std::to_string(16 * (1 + next() % 40)) + "M\"]\n";
    }
    auto plan = ParsePlan(text, "p.toml");
    if (!plan.ok()) {
      EXPECT_NE(plan.error().message.find("no free"), std::string::npos) << plan.error().message;
      continue;
    }
    std::vector<PhysRange> all, lows;
    for (const NodePlan& node : plan->nodes) {
      for (const PhysRange& r : node.memory) {
        EXPECT_TRUE(plan->host.reserved[0].Contains(r));
        EXPECT_EQ(r.start % 0x200000, 0u);
        for (const PhysRange& other : all) EXPECT_FALSE(r.Overlaps(other));
        all.push_back(r);
      }
      ASSERT_TRUE(node.low);
      EXPECT_TRUE(plan->host.low_window.Contains(*node.low));
      EXPECT_GE(node.low->start, plan->host.low_window.start + 0x2000);
      for (const PhysRange& other : lows) EXPECT_FALSE(node.low->Overlaps(other));
      lows.push_back(*node.low);
    }
  }
}

}  // namespace
}  // namespace mint

namespace mint {
namespace {

// Regression: lib/plan_fuzz.cc found that toml++ 3.3.0 reaches __builtin_unreachable() on
// some non-ASCII whitespace; plans are ASCII and such bytes are refused with their position.
TEST(Plan, NonAsciiIsRefusedWithItsPosition) {
  auto plan = ParsePlan("[host]\ncpus = [\xcf\x9b\n", "u.toml");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("u.toml:2:9: byte 0xcf"), std::string::npos)
      << plan.error().message;
}

}  // namespace
}  // namespace mint
