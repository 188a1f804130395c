#include "network.h"

#include <charconv>
#include <cstdio>

#include "boot_protocol.h"
#include "byte_reader.h"
#include "format.h"
#include "mint/abi.h"

namespace mint {
namespace {

// A decimal number filling all of `text`, at most `max`.
std::optional<uint32_t> Decimal(std::string_view text, uint32_t max) {
  uint32_t value = 0;
  if (text.empty() || text.size() > 10) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace

Result<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t address = 0;
  std::string_view rest = text;
  for (int part = 0; part < 4; ++part) {
    size_t dot = part < 3 ? rest.find('.') : rest.size();
    if (dot == std::string_view::npos) break;
    std::optional<uint32_t> octet = Decimal(rest.substr(0, dot), 255);
    if (!octet) break;
    address = (address << 8) | *octet;
    if (part == 3) return address;
    rest = rest.substr(dot + 1);
  }
  return Fail("'", text, "' is not an IPv4 address like 10.77.0.2");
}

std::string FormatIpv4(uint32_t address) {
  char text[16];
  std::snprintf(text, sizeof(text), "%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff,
                (address >> 8) & 0xff, address & 0xff);
  return text;
}

Result<Ipv4Subnet> ParseSubnet(std::string_view text) {
  size_t slash = text.find('/');
  auto bad = [&] { return Fail("'", text, "' is not an IPv4 subnet like 10.77.0.0/24"); };
  if (slash == std::string_view::npos) return bad();
  auto address = ParseIpv4(text.substr(0, slash));
  std::optional<uint32_t> prefix = Decimal(text.substr(slash + 1), 32);
  if (!address || !prefix) return bad();
  if (*prefix < 1 || *prefix > 30)
    return Fail("subnet '", text, "': the prefix must be 1..30 (room for the host and a node)");
  Ipv4Subnet subnet{*address, *prefix};
  subnet.network = *address & subnet.Mask();
  if (subnet.network != *address)
    return Fail("subnet '", text, "' has host bits set: the network is ", FormatSubnet(subnet));
  return subnet;
}

std::string FormatSubnet(const Ipv4Subnet& subnet) {
  return FormatIpv4(subnet.network) + "/" + std::to_string(subnet.prefix);
}

std::string RingProblem(uint64_t ring) {
  if (ring >= MINT_LINK_MIN_RING && ring <= MINT_LINK_MAX_RING && (ring & (ring - 1)) == 0)
    return "";
  return "ring " + Hex(ring) + " must be a power of two from " + Hex(MINT_LINK_MIN_RING) +
         " (256K) to " + Hex(MINT_LINK_MAX_RING) + " (64M)";
}

std::string InterfaceNameProblem(std::string_view name) {
  if (name.empty() || name.size() > kMaxInterfaceName)
    return "interface name '" + std::string(name) + "' must have 1-15 characters";
  if (name == "." || name == "..")
    return "interface name '" + std::string(name) + "' is not allowed";
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || byte <= 0x20 || byte >= 0x7f)
      return "interface name '" + std::string(name) +
             "' may not hold '/', ':', spaces or control characters";
  }
  return "";
}

uint64_t LinkRegionBytes(uint64_t ring) {
  return AlignUp(MINT_LINK_REGION(ring), kPage).value_or(0);
}

std::string LinkInterfaceName(std::string_view node_name) {
  return std::string(kLinkInterfacePrefix) + std::string(node_name);
}

std::array<MacAddress, 2> LinkMacs(std::string_view node_name) {
  uint32_t hash = 0x811c9dc5;  // FNV-1a, 32 bits
  for (char c : node_name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x01000193;
  }
  MacAddress host = {0x02,
                     0x6d,
                     static_cast<uint8_t>(hash >> 24),
                     static_cast<uint8_t>(hash >> 16),
                     static_cast<uint8_t>(hash >> 8),
                     0x00};
  MacAddress node = host;
  node[5] = 0x01;
  return {host, node};
}

std::array<MacAddress, 2> DirectLinkMacs(std::string_view node0, std::string_view node1) {
  return LinkMacs(std::string(node0) + ":" + std::string(node1));
}

std::string FormatMac(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::string LinkCommandLine(const NodeLink& link) {
  return "mint_link=" + Hex(link.region.start) + "," + Hex(link.region.size()) +
         " mint_net=" + FormatIpv4(link.address) + "/" + std::to_string(link.subnet.prefix);
}

std::string DirectLinkCommandLine(const std::vector<NodeDirectLink>& links) {
  std::string out;
  for (const NodeDirectLink& link : links) {
    out += out.empty() ? "mint_dlink=" : ";";
    out += Hex(link.region.start) + "," + Hex(link.region.size()) + "," +
           std::to_string(link.side) + "," + FormatIpv4(link.address) + "/" +
           std::to_string(link.subnet.prefix);
  }
  return out;
}

}  // namespace mint
