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
kaslr = true
)");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_TRUE(plan->nodes[0].kaslr);
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << SerializePlan(*plan);
  EXPECT_EQ(SerializePlan(*again), SerializePlan(*plan));
  EXPECT_EQ(again->nodes[0].memory, plan->nodes[0].memory);
  EXPECT_EQ(again->nodes[0].cpus, plan->nodes[0].cpus);
  EXPECT_EQ(again->nodes[0].kernel, "/k \"quoted\"");
  EXPECT_TRUE(again->nodes[0].kaslr);
}

TEST(Plan, ReceivableCoresMayBeSharedAndRoundTrip) {
  // Two nodes may both list a core; it may be the host's (not its boot core) or another
  // node's second core.
  auto plan = ParsePlan(R"(
[host]
reserved = ["0x40000000-0x5fffffff"]
cpus = [0, 4]
[[node]]
name = "a"
kernel = "k"
cpus = [1]
receive_cpus = [2, 4]
memory = ["64M"]
[[node]]
name = "b"
kernel = "k"
cpus = [3, 2]
receive_cpus = [4]
memory = ["64M"]
console = "ttyS2"
)",
                        "t.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->nodes[0].receive_cpus, (std::vector<uint32_t>{2, 4}));
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->nodes[1].receive_cpus, std::vector<uint32_t>{4});
}

TEST(Plan, ReceivableMemoryIsSharedNeverPlacedAndRoundTrips) {
  // Two nodes list one pool; sized memory is placed around it, never in it.
  auto plan = ParsePlan(R"(
[host]
reserved = ["0x40000000-0x5fffffff"]
[[node]]
name = "a"
kernel = "k"
cpus = [1]
memory = ["64M"]
receive_memory = ["0x40000000-0x47ffffff"]
[[node]]
name = "b"
kernel = "k"
cpus = [2]
memory = ["64M"]
receive_memory = ["0x40000000-0x47ffffff", "0x58000000-0x5fffffff"]
console = "ttyS2"
)",
                        "t.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const PhysRange pool{0x40000000, 0x48000000};
  EXPECT_EQ(plan->nodes[0].receive_memory, std::vector<PhysRange>{pool});
  for (const NodePlan& node : plan->nodes)
    for (const PhysRange& range : node.memory)
      EXPECT_FALSE(range.Overlaps(pool)) << FormatRange(range);
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->nodes[1].receive_memory, plan->nodes[1].receive_memory);
}

TEST(Plan, DisklessNodeRoot) {
  auto plan = ParsePlan(std::string(kHost) + R"(
[network]
subnet = "10.77.0.0/24"
[[node]]
name = "a"
kernel = "k"
cpus = [1]
memory = ["64M"]
address = "10.77.0.2"
[[node]]
name = "b"
kernel = "k"
cpus = [2]
memory = ["64M"]
console = "ttyS2"
address = "10.77.0.3"
root = "/srv/b.img"
)",
                        "t.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(NodeRootOf(*plan, plan->nodes[0]));  // no root: runs from its initramfs
  std::optional<NodeRoot> root = NodeRootOf(*plan, plan->nodes[1]);
  ASSERT_TRUE(root);
  // The bridge's address, a port of its own (the base + its index), its name as the export.
  EXPECT_EQ(*root, (NodeRoot{"/srv/b.img", 0x0a4d0001, kRootPortBase + 1, "b", ""}));
  EXPECT_EQ(RootCommandLine(*root), "mint_root=nbd:10.77.0.1:10811:b");
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->nodes[1].root, "/srv/b.img");
  // A URL is kept as it is (no ${} expansion), for the host to fetch on demand.
  std::string text = SerializePlan(*plan);
  text.replace(text.find("/srv/b.img"), 10, "https://images.example/b.img");
  auto remote = ParsePlan(text, "remote.toml");
  ASSERT_TRUE(remote.ok()) << remote.error().message;
  EXPECT_EQ(remote->nodes[1].root, "https://images.example/b.img");
}

TEST(Plan, HostKernelArgs) {
  HostPlan host;
  host.reserved = {{0x40000000, 0x60000000}};
  host.cpus = {0};
  EXPECT_EQ(HostKernelArgs(host), "maxcpus=1 memmap=0x20000000$0x40000000 no_ipi_broadcast=1");
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
        BadPlan{"kaslr not a boolean",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nkaslr=\"yes\"\n",
                "'kaslr' must be true or false"},
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
        BadPlan{"receive own core",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nreceive_cpus=[1]\n",
                "receivable APIC ID 1 is already one of its own cores"},
        BadPlan{"receive host boot core",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nreceive_cpus=[0]\n",
                "receivable APIC ID 0 is the host's boot core"},
        BadPlan{"receive other boot core",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nreceive_cpus=[2]\n" +
                    "[[node]]\nname=\"b\"\nkernel=\"k\"\ncpus=[2]\nmemory=[\"64M\"]\nconsole="
                    "\"ttyS2\"\n",
                "receivable APIC ID 2 is node b's boot core"},
        BadPlan{"receive without module",
                std::string(kHost) + kNode +
                    "memory=[\"64M\"]\nreceive_cpus=[2]\nnode_module=\"none\"\n",
                "receive_cpus needs the node's mint_node.ko"},
        BadPlan{"receive memory not whole blocks",
                std::string(kHost) + kNode +
                    "memory=[\"64M\"]\nreceive_memory=[\"0x54000000-0x5bffffff\"]\n",
                "receive_memory: 0x54000000-0x5bffffff is not whole 128 MiB blocks"},
        BadPlan{"receive memory outside reserved",
                std::string(kHost) + kNode +
                    "memory=[\"64M\"]\nreceive_memory=[\"0x80000000-0x87ffffff\"]\n",
                "receive_memory: memory 0x80000000-0x87ffffff is not inside a range the host "
                "reserved"},
        BadPlan{
            "receive memory over boot memory",
            std::string(kHost) + kNode +
                "memory=[\"0x40000000-0x4fffffff\"]\nreceive_memory=[\"0x48000000-0x4fffffff\"]\n",
            "receive_memory: memory 0x48000000-0x4fffffff overlaps node a"},
        BadPlan{"receive memory without module",
                std::string(kHost) + kNode +
                    "memory=[\"64M\"]\nnode_module=\"none\"\nreceive_memory=[\"0x58000000-"
                    "0x5fffffff\"]\n",
                "receive_memory: needs the node's mint_node.ko"},
        BadPlan{"receive memory on i386",
                std::string(kHost) + kNode +
                    "memory=[\"64M\"]\narch=\"i386\"\nreceive_memory=[\"0x58000000-0x5fffffff\"]\n",
                "an i386 node cannot take memory"},
        BadPlan{"root without address",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nroot=\"/srv/root.img\"\n",
                "root /srv/root.img is served over the node's link to the host: give the node "
                "an 'address'"},
        BadPlan{"root from tftp",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nroot=\"tftp://h/root.img\"\n",
                "a root image is a file on the host or an http:// or https:// URL"},
        BadPlan{"root sum without root",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nroot_sha256=\"" +
                    std::string(64, 'a') + "\"\n",
                "root_sha256 without a root"},
        BadPlan{"root sum not hex",
                std::string(kHost) + kNode + "memory=[\"64M\"]\nroot_sha256=\"xyz\"\n",
                "root_sha256 'xyz'"},
        BadPlan{"root on i386",
                std::string(kHost) + "[network]\nsubnet=\"10.77.0.0/24\"\n" + kNode +
                    "memory=[\"64M\"]\narch=\"i386\"\naddress=\"10.77.0.2\"\nroot=\"r.img\"\n",
                "diskless nodes are x86_64"},
        BadPlan{"receive too many",
                std::string(kHost) + kNode +
                    "memory=[\"64M\"]\nreceive_cpus=[2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n",
                "1 own and 16 receivable cores; at most 16"},
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

#include "inventory.h"
#include "layout.h"
#include "plan_check.h"

namespace mint {
namespace {

// Every problem of a plan is reported at once, each at its line.
TEST(PlanProblems, ListsEveryProblemWithItsLine) {
  auto plan = ParsePlan(R"([host]
reserved = ["0x40000000-0x5fffffff"]

[[node]]
name = "a"
kernel = "k"
cpus = [0]
memory = ["0x30000000-0x3fffffff"]
low = "0x70000-0x73fff"

[[node]]
name = "b"
kernel = "k"
cpus = [1]
memory = ["0x40000000-0x4fffffff", "0x48000000-0x48ffffff"]
console = "ttyS4"
)",
                        "t.toml");
  ASSERT_FALSE(plan.ok());
  const std::string& text = plan.error().message;
  for (const char* expected :
       {"t.toml:7: node a: APIC ID 0 already belongs to the host",
        "t.toml:8: node a: memory 0x30000000-0x3fffffff is not inside a range the host reserved",
        "t.toml:9: node a: low slice 0x70000-0x73fff is 0x4000 bytes; a stock node needs at "
        "least 0x7000",
        "t.toml:15: node b: memory 0x48000000-0x48ffffff overlaps node b",
        "t.toml:16: node b: console 'ttyS4' must be"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\nin:\n" << text;
}

TEST(PlanProblems, LowWindowCapacityIsReportedAndEnforced) {
  EXPECT_EQ(LowWindowCapacity({0x10000, 0x90000}), 15u);
  std::string text = "[host]\nreserved = [\"0x40000000-0x7fffffff\"]\n";
  for (int i = 0; i < 17; ++i)
    text += "[[node]]\nname=\"n" + std::to_string(i) + "\"\nkernel=\"k\"\ncpus=[" +
            std::to_string(i + 1) + "]\nconsole=\"shared\"\nmemory=[\"16M\"]\n";
  auto plan = ParsePlan(text, "w.toml");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("node n15: the low window 0x10000-0x8ffff is full: it holds "
                                      "15 nodes of 32 KiB"),
            std::string::npos)
      << plan.error().message;
  // Reported once, for the first node that does not fit.
  EXPECT_EQ(plan.error().message.find("node n16"), std::string::npos) << plan.error().message;
}

// Property: plans that pass every check (with an inventory of the machine) give each node
// memory that is sorted-disjoint across nodes, 4 KiB aligned, inside the host's reserved
// ranges and never host RAM, and low slices of at least the measured minimum; a plan with a
// range on host RAM is always refused.
TEST(PlanProperties, CheckedPlansNeverTouchHostRam) {
  Inventory inv;
  inv.ram = {{0x1000, 0x9fc00}, {0x100000, 0x40000000}, {0x80000000, 0xc0000000}};
  inv.reserved = {{0x40000000, 0x80000000}};
  for (uint32_t apic = 0; apic < 8; ++apic) inv.cores.push_back({apic, apic, true, apic == 0});
  unsigned seed = 4242;
  auto next = [&]() {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) & 0x7fff;
  };
  int accepted = 0, refused_ram = 0;
  for (int round = 0; round < 300; ++round) {
    std::string text = "[host]\nreserved = [\"0x40000000-0x7fffffff\"]\n";
    int nodes = 1 + static_cast<int>(next() % 5);
    bool on_ram = false;
    for (int i = 0; i < nodes; ++i) {
      text += "[[node]]\nname=\"n" + std::to_string(i) + "\"\nkernel=\"k\"\ncpus=[" +
              std::to_string(i + 1) + "]\nconsole=\"shared\"\n";
      if (next() % 4 == 0) {
        uint64_t start = uint64_t{0x100000} * (next() % 3072);
        uint64_t size = uint64_t{0x100000} * (1 + next() % 256);
        PhysRange r{start, start + size};
        for (const PhysRange& ram : inv.ram) on_ram = on_ram || ram.Overlaps(r);
        text += "memory=[\"" + FormatRange(r) + "\"]\n";
      } else {
        text += "memory=[\"" + std::to_string(16 * (1 + next() % 32)) + "M\"]\n";
      }
    }
    PlanCheck check = ParsePlanAll(text, "p.toml");
    PlanCheckOptions options;
    options.inventory = &inv;
    CheckPlan(check, options);
    if (on_ram) {
      EXPECT_FALSE(check.problems.empty()) << text;
      ++refused_ram;
      continue;
    }
    if (!check.problems.empty()) continue;
    ++accepted;
    std::vector<PhysRange> all;
    for (const NodePlan& node : check.plan.nodes) {
      for (const PhysRange& r : node.memory) all.push_back(r);
      ASSERT_TRUE(node.low);
      EXPECT_GE(node.low->size(), kMinLowSlice);
    }
    std::sort(all.begin(), all.end(),
              [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].start % 0x1000, 0u);
      EXPECT_EQ(all[i].end % 0x1000, 0u);
      EXPECT_TRUE(inv.reserved[0].Contains(all[i])) << FormatRange(all[i]);
      for (const PhysRange& ram : inv.ram) EXPECT_FALSE(ram.Overlaps(all[i]));
      if (i > 0) {
        EXPECT_LE(all[i - 1].end, all[i].start);
      }
    }
  }
  EXPECT_GT(accepted, 50);
  EXPECT_GT(refused_ram, 10);
}

}  // namespace
}  // namespace mint

namespace mint {
namespace {

// SerializePlan's text is what the lab hands its host (lab/disk.cc, guest/initramfs.cc): it
// stays byte for byte the same for a plan using every key.
TEST(Plan, SerializeTextIsStable) {
  auto plan = ParsePlan(R"([host]
reserved = ["0x40000000-0x7fffffff", "0x100000000-0x13fffffff"]
low_window = "0x20000-0x8ffff"
store = "0x7f000000-0x7fffffff"
cpus = [0, 5]

[[node]]
name = "every-key"
arch = "x86_64"
kernel = "/k/vmlinuz \"q\" \\"
initrd = "/i.cpio.gz"
cmdline = "quiet loglevel=3"
cpus = [1, 2]
memory = ["0x100000000-0x10fffffff", "128M"]
low = "0x40000-0x47fff"
console = "ttyS2"
dma32 = false
kaslr = true
pci = ["01:00.0", "0000:01:00.1"]
unbind_host_drivers = true
io_apic = 1
virtio_mmio = ["0xfeb02e00-0xfeb02fff@47", "0xfeb02c00-0xfeb02dff@46"]

[[node]]
name = "plain"
kernel = "k"
cpus = [3]
memory = ["64M"]
)",
                        "every.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(SerializePlan(*plan), R"([host]
reserved = ["0x40000000-0x7fffffff", "0x100000000-0x13fffffff"]
low_window = "0x20000-0x8ffff"
store = "0x7f000000-0x7fffffff"
cpus = [0, 5]

[[node]]
name = "every-key"
arch = "x86_64"
kernel = "/k/vmlinuz \"q\" \\"
initrd = "/i.cpio.gz"
cmdline = "quiet loglevel=3"
cpus = [1, 2]
memory = ["0x100000000-0x10fffffff", "0x40000000-0x47ffffff"]
low = "0x40000-0x47fff"
console = "ttyS2"
dma32 = false
kaslr = true
pci = ["0000:01:00.0", "0000:01:00.1"]
unbind_host_drivers = true
io_apic = 1
virtio_mmio = ["0xfeb02e00-0xfeb02fff@47", "0xfeb02c00-0xfeb02dff@46"]

[[node]]
name = "plain"
kernel = "k"
cmdline = ""
cpus = [3]
memory = ["0x48000000-0x4bffffff"]
low = "0x88000-0x8ffff"
console = "ttyS1"
)");
  // A plan built in code, with a size still to place and no low slice.
  Plan built;
  built.host.reserved = {{0x40000000, 0x80000000}};
  NodePlan node;
  node.name = "n";
  node.memory_sizes = {0x4000000};
  built.nodes.push_back(node);
  EXPECT_EQ(SerializePlan(built), R"([host]
reserved = ["0x40000000-0x7fffffff"]
low_window = "0x10000-0x8ffff"
cpus = [0]

[[node]]
name = "n"
kernel = ""
cmdline = ""
cpus = []
memory = ["67108864"]
console = "ttyS1"
)");
}

}  // namespace
}  // namespace mint

#include <map>
#include <span>

#include "plan_parse.h"

namespace mint {
namespace {

// A value other than the default for every key of the tables in plan_parse.cc (with what the
// value needs besides). A key added to a table without a line here fails EveryKeyRoundTrips.
const std::map<std::string, std::string> kHostExamples = {
    {"reserved", "reserved = [\"0x40000000-0x5fffffff\", \"0x100000000-0x10fffffff\"]"},
    {"low_window", "low_window = \"0x20000-0x8ffff\""},
    {"store", "store = \"0x7f000000-0x7fffffff\""},
    {"cpus", "cpus = [0, 7]"},
};
const std::map<std::string, std::string> kNodeExamples = {
    {"name", "name = \"other\""},
    {"arch", "arch = \"x86_64\""},
    {"kernel", "kernel = \"/other/vmlinuz\""},
    {"initrd", "initrd = \"/initrd.cpio.gz\""},
    {"root", "address = \"10.77.0.9\"\nroot = \"/srv/root.img\""},
    {"root_sha256",
     "address = \"10.77.0.9\"\nroot = \"/srv/root.img\"\nroot_sha256 = "
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""},
    {"node_module", "node_module = \"/mint_node.ko\""},
    {"cmdline", "cmdline = \"quiet\""},
    {"cpus", "cpus = [2, 3]"},
    {"receive_cpus", "receive_cpus = [4, 5]"},
    {"receive_memory", "receive_memory = [\"0x70000000-0x77ffffff\"]"},
    {"memory", "memory = [\"0x50000000-0x5fffffff\", \"32M\"]"},
    {"low", "low = \"0x40000-0x47fff\""},
    {"console", "console = \"shared\""},
    {"dma32", "dma32 = false"},
    {"kaslr", "kaslr = true"},
    {"pci", "pci = [\"01:00.0\"]"},
    {"unbind_host_drivers", "unbind_host_drivers = true"},
    {"io_apic", "io_apic = 1"},
    {"virtio_mmio", "io_apic = 1\nvirtio_mmio = [\"0xfeb02e00-0xfeb02fff@47\"]"},
    {"address", "address = \"10.77.0.9\""},
    {"link", "address = \"10.77.0.9\"\nlink = \"0x50000000-0x50202fff\""},
};
const std::map<std::string, std::string> kNetworkExamples = {
    {"bridge", "bridge = \"br-lab\""},
    {"subnet", "subnet = \"192.168.7.0/24\""},
    {"host", "host = \"10.77.0.254\""},
    {"ring", "ring = \"256K\""},
};
const std::map<std::string, std::string> kLinkExamples = {
    {"nodes", "nodes = [\"b\", \"a\"]"},
    {"subnet", "subnet = \"10.79.0.0/29\""},
    {"addresses", "addresses = [\"10.78.0.2\", \"10.78.0.1\"]"},
    {"region", "region = \"0x50000000-0x50202fff\""},
    {"ring", "ring = \"256K\""},
};
// The [[link]] every link example starts from, between ExamplePlan's node a and a node b.
const std::map<std::string, std::string> kLinkBase = {{"nodes", "nodes = [\"a\", \"b\"]"},
                                                      {"subnet", "subnet = \"10.78.0.0/30\""}};
std::string LinkPlan(const std::map<std::string, std::string>& link);
// The [network] every network example starts from (each key's example replaces its line).
const std::map<std::string, std::string> kNetworkBase = {{"subnet", "subnet = \"10.77.0.0/24\""}};

// A plan with its host and one node, each key of a section given by `host` or `node` when
// there, else by a plain value (no value: the key is left out).
std::string ExamplePlan(const std::map<std::string, std::string>& host,
                        const std::map<std::string, std::string>& node,
                        const std::map<std::string, std::string>& network = {}) {
  std::map<std::string, std::string> host_keys = {
      {"reserved", "reserved = [\"0x40000000-0x7fffffff\"]"}};
  std::map<std::string, std::string> node_keys = {{"name", "name = \"a\""},
                                                  {"kernel", "kernel = \"/k\""},
                                                  {"cpus", "cpus = [1]"},
                                                  {"memory", "memory = [\"64M\"]"}};
  for (const auto& [key, line] : host) host_keys[key] = line;
  for (const auto& [key, line] : node) node_keys[key] = line;
  std::string text = "[host]\n";
  for (const auto& [key, line] : host_keys) text += line + "\n";
  text += "[[node]]\n";
  for (const auto& [key, line] : node_keys) text += line + "\n";
  if (!network.empty()) {
    std::map<std::string, std::string> network_keys = kNetworkBase;
    for (const auto& [key, line] : network) network_keys[key] = line;
    text += "[network]\n";
    for (const auto& [key, line] : network_keys) text += line + "\n";
  }
  return text;
}

std::string LinkPlan(const std::map<std::string, std::string>& link) {
  std::map<std::string, std::string> link_keys = kLinkBase;
  for (const auto& [key, line] : link) link_keys[key] = line;
  std::string text = ExamplePlan({}, {}) +
                     "[[node]]\nname = \"b\"\nkernel = \"/k\"\ncpus = [2]\nmemory = [\"64M\"]\n"
                     "console = \"shared\"\n"
                     "[[link]]\n";
  for (const auto& [key, line] : link_keys) text += line + "\n";
  return text;
}

template <typename Section>
std::vector<PlanKey<Section>> Without(std::span<const PlanKey<Section>> keys,
                                      std::string_view left_out) {
  std::vector<PlanKey<Section>> out;
  for (const PlanKey<Section>& key : keys)
    if (key.name != left_out) out.push_back(key);
  return out;
}

// Every key, at a value other than its default, survives SerializePlan: the parsed plan equals
// the plan parsed from its serialization. And the check has teeth: the same plan written by a
// writer that forgets the key does not read back equal (or at all).
TEST(PlanKeys, EveryKeyRoundTrips) {
  auto base = ParsePlan(ExamplePlan({}, {}), "base.toml");
  ASSERT_TRUE(base.ok()) << base.error().message;
  auto round_trip = [&](const std::string& what, const std::string& text, auto write_forgetful) {
    auto plan = ParsePlan(text, "example.toml");
    ASSERT_TRUE(plan.ok()) << what << ":\n" << plan.error().message << "\n" << text;
    EXPECT_FALSE(*plan == *base) << what << ": the example is the default\n" << text;
    std::string written = SerializePlan(*plan);
    auto again = ParsePlan(written, "again.toml");
    ASSERT_TRUE(again.ok()) << what << ":\n" << again.error().message << "\n" << written;
    EXPECT_TRUE(*again == *plan) << what << " does not round-trip:\n" << text << "->\n" << written;
    std::string forgetful = write_forgetful(*plan);
    auto lost = ParsePlan(forgetful, "lost.toml");
    EXPECT_TRUE(!lost.ok() || !(*lost == *plan))
        << what << ": a writer without it still round-trips:\n"
        << forgetful;
  };
  for (const PlanKey<HostPlan>& key : HostKeys()) {
    std::string name(key.name);
    auto example = kHostExamples.find(name);
    if (example == kHostExamples.end()) {
      ADD_FAILURE() << "[host] key '" << name << "' has no example in kHostExamples";
      continue;
    }
    round_trip("[host] " + name, ExamplePlan({{name, example->second}}, {}), [&](const Plan& plan) {
      return WritePlan(plan, Without(HostKeys(), name), NodeKeys());
    });
  }
  for (const PlanKey<NodePlan>& key : NodeKeys()) {
    std::string name(key.name);
    auto example = kNodeExamples.find(name);
    if (example == kNodeExamples.end()) {
      ADD_FAILURE() << "[[node]] key '" << name << "' has no example in kNodeExamples";
      continue;
    }
    // A node's address, link and root need a [network].
    std::map<std::string, std::string> network;
    if (name == "address" || name == "link" || name.starts_with("root")) network = kNetworkBase;
    round_trip(
        "[[node]] " + name, ExamplePlan({}, {{name, example->second}}, network),
        [&](const Plan& plan) { return WritePlan(plan, HostKeys(), Without(NodeKeys(), name)); });
  }
  auto network_base = ParsePlan(ExamplePlan({}, {}, kNetworkBase), "network.toml");
  ASSERT_TRUE(network_base.ok()) << network_base.error().message;
  for (const PlanKey<NetworkPlan>& key : NetworkKeys()) {
    std::string name(key.name);
    auto example = kNetworkExamples.find(name);
    if (example == kNetworkExamples.end()) {
      ADD_FAILURE() << "[network] key '" << name << "' has no example in kNetworkExamples";
      continue;
    }
    std::string text = ExamplePlan({}, {}, {{name, example->second}});
    auto plan = ParsePlan(text, "example.toml");
    ASSERT_TRUE(plan.ok()) << name << ":\n" << plan.error().message << "\n" << text;
    EXPECT_FALSE(*plan == *network_base) << name << ": the example is the default\n" << text;
    round_trip("[network] " + name, text, [&](const Plan& p) {
      return WritePlan(p, HostKeys(), NodeKeys(), Without(NetworkKeys(), name));
    });
  }
  auto link_base = ParsePlan(LinkPlan({}), "link.toml");
  ASSERT_TRUE(link_base.ok()) << link_base.error().message;
  for (const PlanKey<DirectLinkPlan>& key : LinkKeys()) {
    std::string name(key.name);
    auto example = kLinkExamples.find(name);
    if (example == kLinkExamples.end()) {
      ADD_FAILURE() << "[[link]] key '" << name << "' has no example in kLinkExamples";
      continue;
    }
    std::string text = LinkPlan({{name, example->second}});
    auto plan = ParsePlan(text, "example.toml");
    ASSERT_TRUE(plan.ok()) << name << ":\n" << plan.error().message << "\n" << text;
    EXPECT_FALSE(*plan == *link_base) << name << ": the example is the default\n" << text;
    round_trip("[[link]] " + name, text, [&](const Plan& p) {
      return WritePlan(p, HostKeys(), NodeKeys(), NetworkKeys(), Without(LinkKeys(), name));
    });
  }
  EXPECT_EQ(kLinkExamples.size(), LinkKeys().size()) << "an example for a key no table has";
  EXPECT_EQ(kNetworkExamples.size(), NetworkKeys().size()) << "an example for a key no table has";
  EXPECT_EQ(kHostExamples.size(), HostKeys().size()) << "an example for a key no table has";
  EXPECT_EQ(kNodeExamples.size(), NodeKeys().size()) << "an example for a key no table has";
}

// Lines are kept beside the plan: the same plan written with other line breaks and key order
// compares equal, while errors still name each value's line.
TEST(PlanLines, BesideThePlan) {
  std::string compact =
      "[host]\nreserved = [\"0x40000000-0x7fffffff\"]\n[[node]]\nname = \"a\"\nkernel = "
      "\"k\"\ncpus = [1]\nmemory = [\"64M\"]\n";
  std::string spread =
      "\n\n[host]\n\nreserved = [\"0x40000000-0x7fffffff\"]\n\n[[node]]\nmemory = "
      "[\"64M\"]\n\ncpus = [1]\nkernel = \"k\"\nname = \"a\"\n";
  PlanCheck a = ParsePlanAll(compact, "a.toml");
  PlanCheck b = ParsePlanAll(spread, "b.toml");
  ASSERT_TRUE(a.problems.empty()) << FormatProblems(a.problems, "a.toml");
  ASSERT_TRUE(b.problems.empty()) << FormatProblems(b.problems, "b.toml");
  EXPECT_TRUE(a.plan == b.plan);
  EXPECT_EQ(a.lines.host.line, 1);
  EXPECT_EQ(b.lines.host.line, 3);
  EXPECT_EQ(b.lines.Reserved(0), 5);
  ASSERT_EQ(b.lines.nodes.size(), 1u);
  EXPECT_EQ(b.NodeLine(b.plan.nodes[0]), 7);
  EXPECT_EQ(b.lines.Node(0).Of("cpus"), 10);
  EXPECT_EQ(b.lines.Node(0).Of("low"), 7);   // not in the file: the node's header
  EXPECT_EQ(b.lines.Node(5).Of("cpus"), 0);  // no such node
}

}  // namespace
}  // namespace mint

namespace mint {
namespace {

// A plan file is ASCII, but its strings may hold any character by escape ("\n", "\u00e9"):
// SerializePlan escapes them again, so the plan reads back equal (lib/plan_fuzz.cc found
// "a\nb" written raw, which no TOML parser reads; fixtures tests/fuzz/plan_fuzz/escape-*).
TEST(Plan, EscapedStringsRoundTrip) {
  auto plan = ParsePlan(std::string(kHost) + R"([[node]]
name = "a"
kernel = "/k/\u00e9t\u00e9 \U0001F600"
initrd = "tab\there \"quoted\" back\\slash"
cmdline = "a\nb\r\u0001\u007f\b\f"
cpus = [1]
memory = ["64M"]
)",
                        "escapes.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->nodes[0].kernel, "/k/\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(plan->nodes[0].cmdline, "a\nb\r\x01\x7f\b\f");
  std::string text = SerializePlan(*plan);
  EXPECT_NE(text.find(R"(kernel = "/k/\u00e9t\u00e9 \U0001f600")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(cmdline = "a\u000ab\u000d\u0001\u007f\u0008\u000c")"), std::string::npos)
      << text;
  auto again = ParsePlan(text, "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  EXPECT_TRUE(*again == *plan) << text;
}

}  // namespace
}  // namespace mint

namespace mint {
namespace {

// Sized memory is placed clear of the low window even when a reserved range covers it: a
// fixed range there is refused, so the placed plan would not read back (found by
// lib/plan_fuzz.cc; fixture tests/fuzz/plan_fuzz/placed-over-low-window).
TEST(Plan, SizesArePlacedClearOfTheLowWindow) {
  auto plan = ParsePlan(R"([host]
reserved = ["0x0-0x7fffffff"]
[[node]]
name = "a"
kernel = "k"
cpus = [1]
memory = ["64M"]
)",
                        "low.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->nodes[0].memory.size(), 1u);
  EXPECT_EQ(plan->nodes[0].memory[0], (PhysRange{0x200000, 0x4200000}));
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(*again == *plan);
}

}  // namespace
}  // namespace mint
