// What this machine has, read live (mint inventory, mint check --live).
#pragma once

#include <optional>
#include <string>

#include "inventory.h"
#include "network.h"
#include "result.h"

namespace mint {

// Reads the live sources and builds the inventory; `device` is asked for the TSC rate when the
// module is loaded.
Result<BuiltInventory> ReadLiveInventory(const std::string& device);

// The network device `ifname` under `sys_root` ("/sys" on a machine; a directory shaped like
// it in tests): "up" when class/net/IFNAME/carrier is 1 and operstate is "up" (or "unknown", a
// device that reports no operstate), else "down"; the counters from its statistics/. None
// when the device does not exist.
std::optional<LinkStatus> ReadLinkStatus(const std::string& sys_root, const std::string& ifname);

}  // namespace mint
