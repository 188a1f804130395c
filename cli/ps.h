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

namespace mint::cli {

// One node the module owns, as read once.
struct PsNode {
  mint_node_status status{};
  std::optional<mint_node_page> page;  // read for a started or ready node, if it has one
};

// The clock the ages are computed against: the host's TSC rate and its TSC when the nodes were
// read.
struct PsClock {
  uint64_t tsc_khz = 0;
  uint64_t now_tsc = 0;
};

// The table mint ps prints, header line included.
std::string PsTable(const std::vector<PsNode>& nodes, const PsClock& clock,
                    double hung_after_s = kHungAfterSeconds);
// The array mint ps --json prints (dump(2)).
nlohmann::json PsJson(const std::vector<PsNode>& nodes, const PsClock& clock,
                      double hung_after_s = kHungAfterSeconds);

}  // namespace mint::cli
