// Cores between running kernels (docs/cores.md): `mint cpu give|take|list` and `mint bench cpu`
// chain the host module's one-step MINT_IOC_CPU ops into whole moves, waiting for the node's
// module to act on its cores page, and undo a move that fails part way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host_device.h"
#include "mint/abi.h"
#include "result.h"

namespace mint {

// One core as the host module sees it (MINT_CPU_QUERY), with its owner's name.
struct CoreView {
  mint_cpu query{};
  std::string owner;  // "host" or the node's name
};
// Every present core of the host, by APIC ID.
Result<std::vector<CoreView>> ListCores(HostDevice& host);

struct CoreMove {
  uint32_t apic_id = 0;
  std::string from;           // "host" or the node it came from
  std::string to;             // the node it went to, or "host"
  double release_ms = 0;      // the node it left took it offline (request -> reported)
  double give_ms = 0;         // the host module's GIVE (host offline if online, INIT)
  double online_ms = 0;       // GIVE -> the node reports it online
  double host_online_ms = 0;  // take: the host brought it online again (0 if not)
  double total_ms = 0;        // request -> the node (or the host) runs on it
  bool host_online = false;   // take: online in the host afterwards
};

// Gives core `apic_id` to node `node`: from the host's pool, or from another node (which takes
// it offline first). On failure after the host parked it, the core stays the host's, parked.
Result<CoreMove> GiveCore(HostDevice& host, const std::string& node, uint32_t apic_id,
                          double timeout_s);

// Takes core `apic_id` back from node `node` for the host: the node takes it offline, the host
// parks it and, unless `park`, brings it online if the host had it online before the give.
Result<CoreMove> TakeCore(HostDevice& host, const std::string& node, uint32_t apic_id, bool park,
                          double timeout_s);

}  // namespace mint
