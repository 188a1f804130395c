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

// One node the module owns, as read once.
struct PsNode {
  mint_node_status status{};
  std::optional<mint_node_page> page;  // read for a started or ready node, if it has one
  std::optional<LinkStatus> link;      // its network link's host device, when there is one
};

// The clock the ages are computed against: the host's TSC rate and its TSC when the nodes were
// read.
struct PsClock {
  uint64_t tsc_khz = 0;
  uint64_t now_tsc = 0;
};

// The table mint ps prints, header line included; a node with a network link gets a second
// line: "link mint-NAME up, rx BYTES (N packets), tx BYTES (N packets)".
std::string PsTable(const std::vector<PsNode>& nodes, const PsClock& clock,
                    double hung_after_s = kHungAfterSeconds);
// The array mint ps --json prints (dump(2)); every node has a "link" ({"ifname", "state",
// "rx_bytes", "tx_bytes", "rx_packets", "tx_packets"}, or null when it has none).
nlohmann::json PsJson(const std::vector<PsNode>& nodes, const PsClock& clock,
                      double hung_after_s = kHungAfterSeconds);

}  // namespace mint::cli
