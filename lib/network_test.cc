#include "network.h"

#include <gtest/gtest.h>

#include "mint/abi.h"
#include "plan.h"

namespace mint {
namespace {

TEST(Network, Ipv4ParseAndFormat) {
  EXPECT_EQ(*ParseIpv4("10.77.0.1"), 0x0a4d0001u);
  EXPECT_EQ(FormatIpv4(0x0a4d0001u), "10.77.0.1");
  for (const char* bad : {"", "10.77.0", "10.77.0.256", "10.77.0.1.2", "a.b.c.d", "10..0.1",
                          "10.77.0.-1", "10.77.0.1 "})
    EXPECT_FALSE(ParseIpv4(bad).ok()) << bad;
}

TEST(Network, Subnets) {
  auto subnet = ParseSubnet("10.77.0.0/24");
  ASSERT_TRUE(subnet.ok()) << subnet.error().message;
  EXPECT_EQ(subnet->FirstHost(), 0x0a4d0001u);
  EXPECT_EQ(subnet->Broadcast(), 0x0a4d00ffu);
  EXPECT_TRUE(subnet->Contains(0x0a4d0042u));
  EXPECT_FALSE(subnet->Contains(0x0a4d0100u));
  EXPECT_EQ(FormatSubnet(*subnet), "10.77.0.0/24");
  auto host_bits = ParseSubnet("10.77.0.1/24");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_NE(host_bits.error().message.find("10.77.0.0/24"), std::string::npos);
  for (const char* bad : {"10.77.0.0", "10.77.0.0/31", "10.77.0.0/0", "10.77.0.0/x", "/24"})
    EXPECT_FALSE(ParseSubnet(bad).ok()) << bad;
}

TEST(Network, RingsAndRegions) {
  EXPECT_EQ(RingProblem(1 << 20), "");
  EXPECT_EQ(RingProblem(MINT_LINK_MIN_RING), "");
  EXPECT_EQ(RingProblem(MINT_LINK_MAX_RING), "");
  EXPECT_NE(RingProblem(MINT_LINK_MIN_RING / 2), "");
  EXPECT_NE(RingProblem(MINT_LINK_MAX_RING * 2), "");
  EXPECT_NE(RingProblem(3 << 20), "");
  // The descriptor page, then two sections of a control page and a ring each.
  EXPECT_EQ(LinkRegionBytes(1 << 20), 0x1000u + 2 * (0x1000u + 0x100000u));
  EXPECT_EQ(LinkRegionBytes(1 << 20) % 0x1000, 0u);
}

TEST(Network, InterfaceNames) {
  EXPECT_EQ(InterfaceNameProblem("mint0"), "");
  EXPECT_EQ(InterfaceNameProblem("mint-0123456789"), "");
  EXPECT_NE(InterfaceNameProblem("mint-01234567890"), "");
  EXPECT_NE(InterfaceNameProblem(""), "");
  EXPECT_NE(InterfaceNameProblem("a/b"), "");
  EXPECT_NE(InterfaceNameProblem("a b"), "");
  EXPECT_NE(InterfaceNameProblem(".."), "");
  EXPECT_EQ(LinkInterfaceName("alpha"), "mint-alpha");
}

TEST(Network, MacsAreLocalDeterministicAndPerNode) {
  auto alpha = LinkMacs("alpha");
  EXPECT_EQ(alpha, LinkMacs("alpha"));
  EXPECT_NE(alpha[0], LinkMacs("beta")[0]);
  for (const MacAddress& mac : alpha) {
    EXPECT_EQ(mac[0] & 0x03, 0x02) << "locally administered unicast";
    EXPECT_EQ(mac[1], 0x6d);
  }
  EXPECT_EQ(alpha[0][5], 0x00);
  EXPECT_EQ(alpha[1][5], 0x01);
  EXPECT_EQ(FormatMac({0x02, 0x6d, 0xab, 0x01, 0xff, 0x00}), "02:6d:ab:01:ff:00");
}

constexpr const char* kPlan = R"([host]
reserved = ["0x40000000-0x5fffffff"]

[network]
subnet = "10.77.0.0/24"

[[node]]
name = "alpha"
kernel = "/k"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]
address = "10.77.0.2"

[[node]]
name = "beta"
kernel = "/k"
cpus = [2]
memory = ["192M"]
console = "ttyS2"
address = "10.77.0.3"
)";

TEST(NetworkPlan, LinksArePlacedAfterMemoryAndDescribed) {
  auto plan = ParsePlan(kPlan, "net.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(plan->network);
  EXPECT_EQ(plan->network->bridge, "mint0");
  EXPECT_EQ(plan->network->HostAddress(), 0x0a4d0001u);
  const uint64_t region = LinkRegionBytes(kDefaultLinkRing);
  const NodePlan& alpha = plan->nodes[0];
  const NodePlan& beta = plan->nodes[1];
  // beta's memory lands where it would without a network: right after alpha's.
  EXPECT_EQ(beta.memory[0], (PhysRange{0x50000000, 0x5c000000}));
  ASSERT_TRUE(alpha.link && beta.link);
  EXPECT_EQ(*alpha.link, (PhysRange{0x5c000000, 0x5c000000 + region}));
  EXPECT_EQ(*beta.link, (PhysRange{0x5c000000 + region, 0x5c000000 + 2 * region}));

  auto link = NodeLinkOf(*plan, beta);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->ifname, "mint-beta");
  EXPECT_EQ(link->bridge, "mint0");
  EXPECT_EQ(link->ring, kDefaultLinkRing);
  EXPECT_EQ(LinkCommandLine(*link), "mint_link=0x5c203000,0x203000 mint_net=10.77.0.3/24");

  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(*again == *plan);
}

TEST(NetworkPlan, NoNetworkNoLink) {
  auto plan = ParsePlan(R"([host]
reserved = ["0x40000000-0x5fffffff"]
[[node]]
name = "alpha"
kernel = "/k"
cpus = [1]
memory = ["64M"]
)",
                        "t.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(plan->nodes[0].link);
  EXPECT_FALSE(NodeLinkOf(*plan, plan->nodes[0]));
  EXPECT_EQ(SerializePlan(*plan).find("network"), std::string::npos);
}

// Each bad plan fails with a message naming the value, at the value's line.
struct BadNetwork {
  const char* what;
  std::string text;
  const char* fragment;
};

class NetworkErrors : public ::testing::TestWithParam<BadNetwork> {};

TEST_P(NetworkErrors, NamesTheProblem) {
  auto plan = ParsePlan(GetParam().text, "t.toml");
  ASSERT_FALSE(plan.ok()) << "expected: " << GetParam().fragment;
  EXPECT_NE(plan.error().message.find(GetParam().fragment), std::string::npos)
      << plan.error().message;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

const std::string kBase = kPlan;
INSTANTIATE_TEST_SUITE_P(
    All, NetworkErrors,
    ::testing::Values(
        BadNetwork{"no network", Replace(kBase, "[network]\nsubnet = \"10.77.0.0/24\"\n", ""),
                   "t.toml:10: node alpha: address 10.77.0.2 needs a [network] section"},
        BadNetwork{"no subnet", Replace(kBase, "subnet = \"10.77.0.0/24\"", "ring = \"1M\""),
                   "t.toml:4: [network]: 'subnet'"},
        BadNetwork{"bad subnet", Replace(kBase, "10.77.0.0/24", "10.77.0.0/33"),
                   "t.toml:5: [network] subnet: '10.77.0.0/33'"},
        BadNetwork{"host bits", Replace(kBase, "10.77.0.0/24", "10.77.0.1/24"),
                   "the network is 10.77.0.0/24"},
        BadNetwork{"bad bridge",
                   Replace(kBase, "[network]\n", "[network]\nbridge = \"a-very-long-bridge\"\n"),
                   "t.toml:5: [network]: bridge: interface name 'a-very-long-bridge'"},
        BadNetwork{"bad ring", Replace(kBase, "[network]\n", "[network]\nring = \"3M\"\n"),
                   "t.toml:5: [network]: ring 0x300000 must be a power of two"},
        BadNetwork{"host outside",
                   Replace(kBase, "[network]\n", "[network]\nhost = \"10.78.0.1\"\n"),
                   "[network] host address 10.78.0.1 is outside the subnet 10.77.0.0/24"},
        BadNetwork{"outside", Replace(kBase, "10.77.0.2", "10.77.1.2"),
                   "t.toml:12: node alpha: address 10.77.1.2 is outside the subnet 10.77.0.0/24"},
        BadNetwork{"network address", Replace(kBase, "10.77.0.2", "10.77.0.0"),
                   "address 10.77.0.0 is the network address"},
        BadNetwork{"broadcast", Replace(kBase, "10.77.0.2", "10.77.0.255"),
                   "address 10.77.0.255 is the broadcast address"},
        BadNetwork{"host's", Replace(kBase, "10.77.0.2", "10.77.0.1"),
                   "node alpha: address 10.77.0.1 is already the host's"},
        BadNetwork{"twice", Replace(kBase, "10.77.0.3", "10.77.0.2"),
                   "t.toml:20: node beta: address 10.77.0.2 is already node alpha's"},
        BadNetwork{"not an address", Replace(kBase, "10.77.0.2", "10.77.0"),
                   "t.toml:12: node alpha address: '10.77.0' is not an IPv4 address"},
        BadNetwork{"long name", Replace(kBase, "\"alpha\"", "\"alpha-node-1\""),
                   "name 'alpha-node-1' is longer than 10 characters"},
        BadNetwork{"link unaligned",
                   Replace(kBase, "address = \"10.77.0.2\"",
                           "address = \"10.77.0.2\"\nlink = \"0x5e000100-0x5e2030ff\""),
                   "t.toml:13: node alpha: link 0x5e000100-0x5e2030ff is not 4 KiB aligned"},
        BadNetwork{"link small",
                   Replace(kBase, "address = \"10.77.0.2\"",
                           "address = \"10.77.0.2\"\nlink = \"0x5e000000-0x5e0fffff\""),
                   "link 0x5e000000-0x5e0fffff is 0x100000 bytes; a ring of 0x100000 needs "
                   "0x203000"},
        BadNetwork{"link outside",
                   Replace(kBase, "address = \"10.77.0.2\"",
                           "address = \"10.77.0.2\"\nlink = \"0x60000000-0x60202fff\""),
                   "link 0x60000000-0x60202fff is not inside a range the host reserved"},
        BadNetwork{"link on memory",
                   Replace(kBase, "address = \"10.77.0.2\"",
                           "address = \"10.77.0.2\"\nlink = \"0x4f000000-0x4f202fff\""),
                   "link 0x4f000000-0x4f202fff overlaps node alpha (0x40000000-0x4fffffff)"},
        BadNetwork{"link on link",
                   Replace(Replace(kBase, "address = \"10.77.0.2\"",
                                   "address = \"10.77.0.2\"\nlink = \"0x5e000000-0x5e202fff\""),
                           "address = \"10.77.0.3\"",
                           "address = \"10.77.0.3\"\nlink = \"0x5e100000-0x5e302fff\""),
                   "node beta: link 0x5e100000-0x5e302fff overlaps node alpha's link"},
        BadNetwork{"link without address",
                   Replace(kBase, "address = \"10.77.0.2\"", "link = \"0x5e000000-0x5e202fff\""),
                   "node alpha: 'link' needs an 'address'"},
        BadNetwork{"network list", kBase + "[[network]]\nsubnet = \"10.1.0.0/24\"\n", "t.toml"}),
    [](const ::testing::TestParamInfo<BadNetwork>& param_info) {
      std::string name = param_info.param.what;
      for (char& c : name)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

// A fixed link is kept clear by sized memory placed later.
TEST(NetworkPlan, FixedLinkIsClearOfPlacedMemory) {
  std::string text = Replace(kBase, "address = \"10.77.0.2\"",
                             "address = \"10.77.0.2\"\nlink = \"0x50000000-0x50202fff\"");
  auto plan = ParsePlan(text, "t.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->nodes[0].link, (PhysRange{0x50000000, 0x50203000}));
  EXPECT_FALSE(plan->nodes[1].memory[0].Overlaps(*plan->nodes[0].link));
  EXPECT_FALSE(plan->nodes[1].link->Overlaps(*plan->nodes[0].link));
}

// A direct link ([[link]]) between alpha and beta, after kPlan's nodes (line 21 on).
const std::string kDirect = kBase + R"(
[[link]]
nodes = ["alpha", "beta"]
subnet = "10.78.0.0/30"
)";

TEST(DirectLink, PlacedAfterHostLinksAndDescribedForBothSides) {
  auto plan = ParsePlan(kDirect, "t.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->links.size(), 1u);
  const DirectLinkPlan& link = plan->links[0];
  const uint64_t region = LinkRegionBytes(kDefaultLinkRing);
  // After both host links (placed as without the [[link]]), in the reserved range.
  ASSERT_TRUE(link.region);
  EXPECT_EQ(*link.region, (PhysRange{0x5c000000 + 2 * region, 0x5c000000 + 3 * region}));
  EXPECT_EQ(*plan->nodes[1].link, (PhysRange{0x5c000000 + region, 0x5c000000 + 2 * region}));
  EXPECT_EQ(link.Name(), "alpha-beta");

  std::vector<NodeDirectLink> alpha = DirectLinksOf(*plan, plan->nodes[0]);
  std::vector<NodeDirectLink> beta = DirectLinksOf(*plan, plan->nodes[1]);
  ASSERT_EQ(alpha.size(), 1u);
  ASSERT_EQ(beta.size(), 1u);
  EXPECT_EQ(alpha[0].side, 0u);
  EXPECT_EQ(beta[0].side, 1u);
  EXPECT_EQ(alpha[0].peer, "beta");
  EXPECT_EQ(FormatIpv4(alpha[0].address), "10.78.0.1");
  EXPECT_EQ(FormatIpv4(beta[0].address), "10.78.0.2");
  EXPECT_EQ(beta[0].peer_address, alpha[0].address);
  EXPECT_EQ(alpha[0].mac, beta[0].mac);
  EXPECT_NE(alpha[0].mac[0], LinkMacs("alpha")[0]);
  EXPECT_EQ(alpha[0].mac, DirectLinkMacs("alpha", "beta"));
  EXPECT_EQ(DirectLinkCommandLine(beta), "mint_dlink=0x5c406000,0x203000,1,10.78.0.2/30");
  EXPECT_EQ(DirectLinkCommandLine(alpha) + ";x", "mint_dlink=0x5c406000,0x203000,0,10.78.0.1/30;x");
  EXPECT_EQ(DirectLinkCommandLine({}), "");

  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(*again == *plan);
}

TEST(DirectLink, WithoutNetworkAndWithFixedRegionAndAddresses) {
  auto plan = ParsePlan(R"([host]
reserved = ["0x40000000-0x5fffffff"]
[[node]]
name = "alpha"
kernel = "/k"
cpus = [1]
memory = ["64M"]
[[node]]
name = "beta"
kernel = "/k"
cpus = [2]
memory = ["64M"]
console = "shared"
[[link]]
nodes = ["beta", "alpha"]
subnet = "192.168.9.0/29"
addresses = ["192.168.9.5", "192.168.9.6"]
region = "0x40000000-0x400fffff"
ring = "256K"
)",
                        "t.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  // Memory is placed clear of the fixed region.
  EXPECT_FALSE(plan->nodes[0].memory[0].Overlaps(*plan->links[0].region));
  std::vector<NodeDirectLink> alpha = DirectLinksOf(*plan, plan->nodes[0]);
  ASSERT_EQ(alpha.size(), 1u);
  EXPECT_EQ(alpha[0].side, 1u);
  EXPECT_EQ(alpha[0].ring, 0x40000u);
  EXPECT_EQ(FormatIpv4(alpha[0].address), "192.168.9.6");
  EXPECT_EQ(DirectLinkCommandLine(alpha), "mint_dlink=0x40000000,0x100000,1,192.168.9.6/29");
}

INSTANTIATE_TEST_SUITE_P(
    Direct, NetworkErrors,
    ::testing::Values(
        BadNetwork{"unknown node", Replace(kDirect, "\"beta\"]", "\"gamma\"]"),
                   "t.toml:23: link alpha-gamma: no node is named 'gamma'"},
        BadNetwork{"to itself", Replace(kDirect, "\"beta\"]", "\"alpha\"]"),
                   "t.toml:23: link alpha-alpha: joins node alpha to itself"},
        BadNetwork{"one node", Replace(kDirect, ", \"beta\"]", "]"),
                   "t.toml:23: link #1: 'nodes' must name exactly two nodes"},
        BadNetwork{"no nodes", Replace(kDirect, "nodes = [\"alpha\", \"beta\"]\n", ""),
                   "t.toml:22: link #1: 'nodes'"},
        BadNetwork{"no subnet", Replace(kDirect, "subnet = \"10.78.0.0/30\"\n", ""),
                   "t.toml:22: link alpha-beta: 'subnet'"},
        BadNetwork{"subnet overlaps network", Replace(kDirect, "10.78.0.0/30", "10.77.0.8/30"),
                   "t.toml:24: link alpha-beta: subnet 10.77.0.8/30 overlaps [network]'s subnet "
                   "10.77.0.0/24"},
        BadNetwork{"subnets overlap",
                   kDirect + "[[link]]\nnodes = [\"beta\", \"alpha\"]\nsubnet = \"10.78.0.0/29\"\n",
                   "t.toml:27: link beta-alpha: subnet 10.78.0.0/29 overlaps link alpha-beta's"},
        BadNetwork{"address outside",
                   Replace(kDirect, "10.78.0.0/30\"\n",
                           "10.78.0.0/30\"\naddresses = [\"10.78.0.1\", \"10.78.0.5\"]\n"),
                   "t.toml:25: link alpha-beta: address 10.78.0.5 is outside the subnet"},
        BadNetwork{"same address",
                   Replace(kDirect, "10.78.0.0/30\"\n",
                           "10.78.0.0/30\"\naddresses = [\"10.78.0.1\", \"10.78.0.1\"]\n"),
                   "link alpha-beta: address 10.78.0.1 is already node alpha's on link "
                   "alpha-beta"},
        BadNetwork{"broadcast",
                   Replace(kDirect, "10.78.0.0/30\"\n",
                           "10.78.0.0/30\"\naddresses = [\"10.78.0.1\", \"10.78.0.3\"]\n"),
                   "address 10.78.0.3 is the broadcast address of 10.78.0.0/30"},
        BadNetwork{"node's address",
                   Replace(kDirect, "10.78.0.0/30\"\n",
                           "10.77.0.0/24\"\naddresses = [\"10.77.0.9\", \"10.77.0.3\"]\n"),
                   "address 10.77.0.3 is already node beta's"},
        BadNetwork{"region on memory",
                   Replace(kDirect, "10.78.0.0/30\"\n",
                           "10.78.0.0/30\"\nregion = \"0x4f000000-0x4f202fff\"\n"),
                   "t.toml:25: link alpha-beta: region 0x4f000000-0x4f202fff overlaps node "
                   "alpha (0x40000000-0x4fffffff)"},
        BadNetwork{"region on link",
                   Replace(kBase, "address = \"10.77.0.2\"",
                           "address = \"10.77.0.2\"\nlink = \"0x5e000000-0x5e202fff\"") +
                       "[[link]]\nnodes = [\"alpha\", \"beta\"]\nsubnet = \"10.78.0.0/30\"\n"
                       "region = \"0x5e100000-0x5e302fff\"\n",
                   "link alpha-beta: region 0x5e100000-0x5e302fff overlaps node alpha's link"},
        BadNetwork{"region outside",
                   Replace(kDirect, "10.78.0.0/30\"\n",
                           "10.78.0.0/30\"\nregion = \"0x60000000-0x60202fff\"\n"),
                   "region 0x60000000-0x60202fff is not inside a range the host reserved"},
        BadNetwork{"region small",
                   Replace(kDirect, "10.78.0.0/30\"\n",
                           "10.78.0.0/30\"\nregion = \"0x5e000000-0x5e0fffff\"\n"),
                   "region 0x5e000000-0x5e0fffff is 0x100000 bytes; a ring of 0x100000 needs"},
        BadNetwork{"bad ring",
                   Replace(kDirect, "10.78.0.0/30\"\n", "10.78.0.0/30\"\nring = \"3M\"\n"),
                   "t.toml:25: link alpha-beta: ring 0x300000 must be a power of two"},
        BadNetwork{"link table", kBase + "[link]\nnodes = [\"alpha\", \"beta\"]\n",
                   "'link' must be an array of tables ([[link]])"},
        BadNetwork{"unknown key", Replace(kDirect, "[[link]]\n", "[[link]]\nname = \"x\"\n"),
                   "t.toml:23: link #1: unknown key 'name' (known: nodes, subnet, addresses, "
                   "region, ring)"}),
    [](const ::testing::TestParamInfo<BadNetwork>& param_info) {
      std::string name = param_info.param.what;
      for (char& c : name)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

}  // namespace
}  // namespace mint
