// What this machine has, read live (mint inventory, mint check --live).
#pragma once

#include <string>

#include "inventory.h"
#include "result.h"

namespace mint {

// Reads the live sources and builds the inventory; `device` is asked for the TSC rate when the
// module is loaded.
Result<BuiltInventory> ReadLiveInventory(const std::string& device);

}  // namespace mint
