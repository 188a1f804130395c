// What mint ps shows, built from what the module and the nodes reported: no device, so the
// table and the JSON are tested with made-up statuses and hostile node pages
// (cli/cli_test.cc). Text a node wrote is passed through PrintableNodeText (lib/node_text.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "console_ring.h"  // kHungAfterSeconds
#include "mint/abi.h"
#include "network.h"  // LinkStatus

namespace mint::cli {

// One side of a direct node-to-node link ([[link]], docs/network.md), seen from its node.
struct PsDirectLink {
  std::string name;       // the link's, e.g. "alpha-beta"
  std::string peer;       // the node on the other side, "" when none has it now
  bool up = false;        // both sides run and each has reset its rings for the other's epoch
  uint64_t tx_bytes = 0;  // ring bytes this node published (its control page's tx_head)
  uint64_t rx_bytes = 0;  // ring bytes it consumed from the peer (rx_tail)
};

// One node the module owns, as read once.
struct PsNode {
  mint_node_status status{};
  std::optional<mint_node_page> page;      // read for a started or ready node, if it has one
  std::optional<LinkStatus> link;          // its network link's host device, when there is one
  std::vector<PsDirectLink> direct_links;  // its sides of direct links
  // A diskless node whose root server died under it (RootServerGone): what to say.
  std::string root_problem;
};

// Gives each node its sides of `links` (MINT_IOC_DLINK_STATUS answers), matched by node name.
void AddDirectLinks(std::vector<PsNode>& nodes, const std::vector<mint_dlink_status>& links);

// The clock the ages are computed against: the host's TSC rate and its TSC when the nodes were
// read.
struct PsClock {
  uint64_t tsc_khz = 0;
  uint64_t now_tsc = 0;
};

// The table mint ps prints, header line included; a node with a network link gets a second
// line: "link mint-NAME up, rx BYTES (N packets), tx BYTES (N packets)", and one line per
// direct link: "direct link NAME to PEER up, sent BYTES, received BYTES".
std::string PsTable(const std::vector<PsNode>& nodes, const PsClock& clock,
                    double hung_after_s = kHungAfterSeconds);
// The array mint ps --json prints (dump(2)); every node has a "link" ({"ifname", "state",
// "rx_bytes", "tx_bytes", "rx_packets", "tx_packets"}, or null when it has none) and
// "direct_links" ([{"name", "peer", "state", "tx_bytes", "rx_bytes"}], empty when none).
nlohmann::json PsJson(const std::vector<PsNode>& nodes, const PsClock& clock,
                      double hung_after_s = kHungAfterSeconds);

}  // namespace mint::cli
