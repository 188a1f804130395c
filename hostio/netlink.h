// The host's side of a node's network link (docs/network.md), through rtnetlink (libnl-route):
// the plan's bridge and the host's device of each link. Mint never runs `ip`.
#pragma once

#include "network.h"
#include "result.h"

namespace mint {

// Makes sure the bridge `link.bridge` exists (created when missing, reused when present),
// holds `link.bridge_address`/`link.subnet.prefix` (added when it does not) and is up; then
// enslaves the host's device `link.ifname` (made by the module's MINT_IOC_LINK) to it and
// brings the device up. A failure names the interface and netlink's error. Needs
// CAP_NET_ADMIN.
Result<void> ConnectLinkToBridge(const NodeLink& link);

}  // namespace mint
