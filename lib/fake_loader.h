// A NodeLoader backed by plain buffers, for tests: it enforces the same ownership rules the
// host module does (kmod/host/README.md) on a simulated machine, so the boot sequence above
// the module can be tested without one.
#pragma once

#include <cstring>
#include <map>
#include <set>

#include "loader.h"

namespace mint::testing {

class FakeLoader : public NodeLoader {
 public:
  // The simulated host: which APIC IDs exist and which are online, and its reserved ranges.
  std::set<uint32_t> present{0, 1, 2, 3};
  std::set<uint32_t> online{0};
  std::vector<PhysRange> reserved{{0x40000000, 0x80000000}};
  // What happened.
  std::map<uint64_t, std::vector<uint8_t>> memory;  // phys -> bytes written there
  std::vector<std::string> calls;
  bool ready_after_start = true;
  std::string fail_load_of;  // make the LOAD that hits this address fail ("" = never)
  uint64_t fail_load_at = UINT64_MAX;

  struct Node {
    NodeClaim claim;
    uint32_t state = MINT_STATE_OWNED;
  };
  std::map<uint32_t, Node> nodes;
  uint64_t trampoline_at = 0;

  Result<HostInfo> Info() override {
    calls.push_back("info");
    return HostInfo{2000000, static_cast<uint32_t>(nodes.size()), trampoline_at != 0, trampoline_at,
                    false};
  }
  Result<void> InstallTrampoline(uint64_t phys, std::span<const uint8_t> code) override {
    calls.push_back("trampoline");
    if (code.empty() || code.size() > MINT_TRAMPOLINE_CODE_SIZE) return Fail("bad code size");
    trampoline_at = phys;
    memory[phys].assign(code.begin(), code.end());
    return Ok{};
  }
  Result<uint32_t> Create(const NodeClaim& claim) override {
    calls.push_back("create " + claim.name);
    for (uint32_t id : claim.apic_ids) {
      if (!present.count(id)) return Fail("unknown APIC ID ", std::to_string(id));
      if (online.count(id)) return Fail("core ", std::to_string(id), " is online");
      for (const auto& [n, node] : nodes)
        for (uint32_t other : node.claim.apic_ids)
          if (other == id) return Fail("core ", std::to_string(id), " is owned");
    }
    for (const PhysRange& range : claim.memory) {
      bool inside = false;
      for (const PhysRange& r : reserved) inside |= r.Contains(range);
      if (!inside) return Fail("memory ", FormatRange(range), " is not reserved");
      for (const auto& [n, node] : nodes)
        for (const PhysRange& other : node.claim.memory)
          if (other.Overlaps(range)) return Fail("memory ", FormatRange(range), " is owned");
    }
    uint32_t id = 0;
    while (nodes.count(id)) ++id;
    nodes[id] = Node{claim};
    return id;
  }
  Result<void> Load(uint32_t id, uint64_t phys, std::span<const uint8_t> bytes) override {
    calls.push_back("load " + std::to_string(phys));
    auto it = nodes.find(id);
    if (it == nodes.end()) return Fail("no node ", std::to_string(id));
    if (phys == fail_load_at) return Fail("simulated LOAD failure");
    PhysRange range{phys, phys + bytes.size()};
    bool inside = it->second.claim.low.Contains(range);
    for (const PhysRange& r : it->second.claim.memory) inside |= r.Contains(range);
    if (!inside) return Fail("segment ", FormatRange(range), " is outside the node");
    memory[phys].assign(bytes.begin(), bytes.end());
    return Ok{};
  }
  Result<StartStamps> Start(uint32_t id, const EntryPoint& entry_point) override {
    uint64_t boot_params = entry_point.boot_params, entry = entry_point.entry;
    started_long_mode = entry_point.long_mode;
    calls.push_back("start");
    auto it = nodes.find(id);
    if (it == nodes.end()) return Fail("no node");
    if (trampoline_at == 0) return Fail("no trampoline");
    started_boot_params = boot_params;
    started_entry = entry;
    it->second.state = ready_after_start ? MINT_STATE_READY : MINT_STATE_STARTED;
    return StartStamps{1000, 2000};
  }
  Result<mint_node_status> Status(uint32_t id) override {
    mint_node_status status{};
    auto it = nodes.find(id);
    if (it == nodes.end()) return status;
    status.id = id;
    status.state = it->second.state;
    std::strncpy(status.name, it->second.claim.name.c_str(), sizeof(status.name) - 1);
    if (it->second.state == MINT_STATE_READY) {
      status.page.magic = MINT_STATUS_MAGIC;
      status.page.phase = MINT_PHASE_READY;
      status.page.tsc_trampoline = 2000000ull * 10 + 1000;  // 10 ms after INIT at 2 GHz
      status.page.tsc_ready = 2000000ull * 3000 + 1000;     // 3 s after INIT
    }
    return status;
  }
  Result<void> Destroy(uint32_t id) override {
    calls.push_back("destroy");
    if (!nodes.erase(id)) return Fail("no node");
    return Ok{};
  }
  // What the module checks before a node takes a link or one side of a direct link.
  Result<void> CheckLinkable(uint32_t id, const PhysRange& region) const {
    auto node = nodes.find(id);
    if (node == nodes.end()) return Fail("no node");
    if (node->second.state != MINT_STATE_OWNED) return Fail("the node was started");
    bool inside = false;
    for (const PhysRange& r : reserved) inside |= r.Contains(region);
    if (!inside) return Fail("link ", FormatRange(region), " is not reserved");
    return {};
  }
  Result<uint32_t> Link(uint32_t id, const NodeLink& link) override {
    calls.push_back("link " + link.ifname);
    MINT_TRY_VOID(CheckLinkable(id, link.region));
    links[link.ifname] = link.region;
    return link.ring;
  }
  std::map<std::string, PhysRange> links;  // ifname -> region
  Result<uint32_t> DirectLink(uint32_t id, const NodeDirectLink& link) override {
    calls.push_back("dlink " + link.name + " side " + std::to_string(link.side));
    MINT_TRY_VOID(CheckLinkable(id, link.region));
    direct_links[link.name + "/" + std::to_string(link.side)] = link.region;
    return link.ring;
  }
  std::map<std::string, PhysRange> direct_links;  // "name/side" -> region

  uint64_t started_boot_params = 0;
  uint64_t started_entry = 0;
  bool started_long_mode = false;
};

}  // namespace mint::testing
