// Network links (issue 19, docs/network.md): the pure pieces. IPv4 addresses and subnets as
// plans write them, the size of a link's region (include/mint/abi.h, "Network links"), the
// host's device name and the Ethernet addresses of a node's link, and the link as a node's
// boot needs it (NodeLink: what the host asks the module for, and what the node's command line
// says).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "phys_range.h"
#include "result.h"

namespace mint {

// An IPv4 address in host byte order: 10.77.0.1 is 0x0a4d0001.
Result<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t address);

// "10.77.0.0/24": the network's address (no host bits set) and its prefix length.
struct Ipv4Subnet {
  uint32_t network = 0;
  uint32_t prefix = 0;
  uint32_t Mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t Broadcast() const { return network | ~Mask(); }
  uint32_t FirstHost() const { return network + 1; }
  bool Contains(uint32_t address) const { return (address & Mask()) == network; }
  bool operator==(const Ipv4Subnet&) const = default;
};
// Refuses a prefix outside 1..30 (a link needs room for the host and a node) and host bits
// set ("10.77.0.1/24": the message names 10.77.0.0/24).
Result<Ipv4Subnet> ParseSubnet(std::string_view text);
std::string FormatSubnet(const Ipv4Subnet& subnet);

// Each side's ring, per link, unless the plan's [network] says `ring`.
inline constexpr uint64_t kDefaultLinkRing = uint64_t{1} << 20;
// Linux's IFNAMSIZ less its NUL.
inline constexpr size_t kMaxInterfaceName = 15;
// The host's device of a node's link is "mint-" + the node's name.
inline constexpr std::string_view kLinkInterfacePrefix = "mint-";
inline constexpr size_t kMaxLinkedNodeName = kMaxInterfaceName - kLinkInterfacePrefix.size();

// What is wrong with a ring size (a power of two, MINT_LINK_MIN_RING..MINT_LINK_MAX_RING),
// or "".
std::string RingProblem(uint64_t ring);
// What is wrong with a Linux interface name (1-15 characters, none of '/', ':', whitespace,
// not "." or ".."), or "".
std::string InterfaceNameProblem(std::string_view name);

// A link's region: MINT_LINK_REGION(ring) rounded up to 4 KiB.
uint64_t LinkRegionBytes(uint64_t ring);
std::string LinkInterfaceName(std::string_view node_name);

using MacAddress = std::array<uint8_t, 6>;
// Locally administered unicast addresses, the same for a node's name on every boot:
// 02:6d:H0:H1:H2:00 for the host's side, ...:01 for the node's, with H the FNV-1a hash of the
// name (0x6d: 'm').
std::array<MacAddress, 2> LinkMacs(std::string_view node_name);
std::string FormatMac(const MacAddress& mac);

// A node's link as its boot uses it: the region and ring the module gets with MINT_IOC_LINK,
// the two devices' names and addresses, and the bridge the host's side joins.
struct NodeLink {
  PhysRange region;
  uint32_t ring = 0;
  std::string ifname;               // the host's device: "mint-" + the node's name
  std::array<MacAddress, 2> mac{};  // the host's side, then the node's
  uint32_t address = 0;             // the node's, inside subnet
  Ipv4Subnet subnet;
  std::string bridge;           // the host's bridge the device is enslaved to
  uint32_t bridge_address = 0;  // the bridge's own address in the subnet
};

// A node's side of a direct link to another node ([[link]], docs/network.md "Direct links"):
// the region and ring the module gets with MINT_IOC_DLINK, which side the node is, both
// devices' Ethernet addresses and the node's address.
struct NodeDirectLink {
  std::string name;  // "alpha-beta"
  PhysRange region;
  uint32_t ring = 0;
  uint32_t side = 0;                // this node's side: 0 for the link's first node
  std::string peer;                 // the other node's name
  std::array<MacAddress, 2> mac{};  // side 0's, then side 1's
  uint32_t address = 0;             // this node's, inside subnet
  uint32_t peer_address = 0;
  Ipv4Subnet subnet;
  bool operator==(const NodeDirectLink&) const = default;
};
// The most direct links one node may have (mint_node.ko's devices mint1..mint4).
inline constexpr size_t kMaxDirectLinks = 4;
// A direct link's Ethernet addresses: as LinkMacs, from the hash of "NODE0:NODE1" (':' is in
// no node name, so no host link shares them), side 0's ending in 00, side 1's in 01.
std::array<MacAddress, 2> DirectLinkMacs(std::string_view node0, std::string_view node1);

// The host's device of a node's link as the host's kernel shows it (mint ps).
struct LinkStatus {
  std::string state;  // "up" (carrier and operstate up) or "down"
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
};

// The node's command-line options for its link: "mint_link=0xPHYS,0xSIZE
// mint_net=ADDRESS/PREFIX" (read by mint_node.ko).
std::string LinkCommandLine(const NodeLink& link);
// The node's command-line option for its direct links, in order (its devices mint1, mint2,
// ...): "mint_dlink=0xPHYS,0xSIZE,SIDE,ADDRESS/PREFIX;..." (mint_node.ko reads the first three
// fields of each, the node's init the last), or "" when there are none.
std::string DirectLinkCommandLine(const std::vector<NodeDirectLink>& links);

}  // namespace mint
