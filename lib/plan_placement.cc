#include "plan_placement.h"

#include <algorithm>
#include <string>
#include <utility>

#include "boot_protocol.h"
#include "byte_reader.h"
#include "format.h"
#include "layout.h"
#include "plan_rules.h"

namespace mint {
namespace {

// Mint places sized memory at 2 MiB boundaries, the kernel's own alignment.
constexpr uint64_t kPlacementAlign = 0x200000;

using Taken = std::vector<PhysRange>;

Result<PhysRange> Place(uint64_t size, const HostPlan& host, const Taken& taken,
                        uint64_t align = kPlacementAlign) {
  for (const PhysRange& reserved : host.reserved) {
    uint64_t cursor = AlignUp(reserved.start, align).value_or(reserved.end);
    while (cursor < reserved.end && reserved.end - cursor >= size) {
      PhysRange candidate{cursor, cursor + size};
      auto clash = std::find_if(taken.begin(), taken.end(),
                                [&](const PhysRange& t) { return t.Overlaps(candidate); });
      if (clash == taken.end()) return candidate;
      cursor = AlignUp(clash->end, align).value_or(reserved.end);
    }
  }
  return Fail("no free ", Hex(size), "-byte (", std::to_string(size >> 20),
              " MiB) range is left in the host's reserved memory for this node");
}

Result<PhysRange> PlaceLow(const PhysRange& window, const Taken& taken) {
  // From the top of the window down, so fixed slices named low in the window stay free.
  uint64_t end = window.end;
  while (end >= window.start + kDefaultLowSlice) {
    PhysRange candidate{end - kDefaultLowSlice, end};
    auto clash = std::find_if(taken.begin(), taken.end(),
                              [&](const PhysRange& t) { return t.Overlaps(candidate); });
    if (clash == taken.end()) return candidate;
    end = AlignDown(clash->start, kPage);
  }
  return Fail("the low window ", FormatRange(window), " has no free ", Hex(kDefaultLowSlice),
              "-byte slice left for this node");
}

// Links (a node with an address and no `link`) after every node's memory, so that a plan's
// memory lands where it did before it had a network: 4 KiB aligned, the region's own
// alignment, in what the reserved ranges have left.
void PlaceLinks(Plan& plan, const PlanLines& lines, Taken& taken,
                std::vector<PlanProblem>& problems) {
  if (!plan.network || !RingProblem(plan.network->ring).empty()) return;
  const uint64_t size = LinkRegionBytes(plan.network->ring);
  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    NodePlan& node = plan.nodes[index];
    if (!node.address || node.link) continue;
    auto placed = Place(size, plan.host, taken, kPage);
    if (!placed) {
      problems.push_back({lines.Node(index).Of("address"),
                          "node " + node.name + ": link: " + placed.error().message});
      continue;
    }
    node.link = *placed;
    taken.push_back(*placed);
  }
}

// Direct links ([[link]] without a region) after the host links, the same way.
void PlaceDirectLinks(Plan& plan, const PlanLines& lines, Taken& taken,
                      std::vector<PlanProblem>& problems) {
  for (size_t index = 0; index < plan.links.size(); ++index) {
    DirectLinkPlan& link = plan.links[index];
    if (link.region || !RingProblem(link.ring).empty()) continue;
    auto placed = Place(LinkRegionBytes(link.ring), plan.host, taken, kPage);
    if (!placed) {
      problems.push_back(
          {lines.LinkAt(index).line, "link " + link.Name() + ": " + placed.error().message});
      continue;
    }
    link.region = *placed;
    taken.push_back(*placed);
  }
}

}  // namespace

uint64_t LowWindowCapacity(const PhysRange& window) {
  if (window.size() <= kTrampolineBytes) return 0;
  return (window.size() - kTrampolineBytes) / kDefaultLowSlice;
}

void PlacePlan(Plan& plan, const PlanLines& lines, std::vector<PlanProblem>& problems) {
  const HostPlan& host = plan.host;
  const PhysRange& window = host.low_window;
  const bool window_ok = LowWindowUsable(window);
  // What the plan fixed, in the order the rules met it: placement searches it in this order.
  // The low window comes first: node memory must never overlap it (plan_rules.cc refuses a
  // fixed range that does), even when a reserved range covers it.
  Taken taken{window};
  if (host.store) taken.push_back(*host.store);
  Taken low_taken{{window.start, window.start + kTrampolineBytes}};
  size_t wanting_low = 0;
  for (const NodePlan& node : plan.nodes) {
    taken.insert(taken.end(), node.memory.begin(), node.memory.end());
    // Memory a node may receive is never placed at boot: it is there to be given later.
    taken.insert(taken.end(), node.receive_memory.begin(), node.receive_memory.end());
    if (node.link) taken.push_back(*node.link);
    if (node.low && window_ok) low_taken.push_back(*node.low);
    wanting_low += node.low ? 0 : 1;
  }
  for (const DirectLinkPlan& link : plan.links) {
    if (link.region) taken.push_back(*link.region);
  }
  bool low_full = false;
  for (size_t index = 0; index < plan.nodes.size(); ++index) {
    NodePlan& node = plan.nodes[index];
    const SectionLines& at = lines.Node(index);
    const std::string where = "node " + node.name;
    for (uint64_t size : node.memory_sizes) {
      auto placed = Place(size, host, taken);
      if (!placed) {
        problems.push_back({at.Of("memory"), where + ": " + placed.error().message});
        continue;
      }
      node.memory.push_back(*placed);
      taken.push_back(*placed);
    }
    node.memory_sizes.clear();
    if (!node.low && window_ok && !low_full) {
      auto placed = PlaceLow(window, low_taken);
      if (placed) {
        node.low = *placed;
        low_taken.push_back(*placed);
        continue;
      }
      low_full = true;
      size_t fixed = low_taken.size() - 1;
      problems.push_back(
          {at.line, where + ": the low window " + FormatRange(window) + " is full: it holds " +
                        std::to_string(LowWindowCapacity(window)) + " nodes of " +
                        std::to_string(kDefaultLowSlice >> 10) + " KiB after the trampoline, " +
                        std::to_string(fixed) + " slice(s) are taken and " +
                        std::to_string(wanting_low) +
                        " node(s) want one assigned; widen [host] low_window or give nodes "
                        "smaller 'low' slices (at least " +
                        std::to_string(kMinLowSlice >> 10) + " KiB)"});
    }
  }
  PlaceLinks(plan, lines, taken, problems);
  PlaceDirectLinks(plan, lines, taken, problems);
}

}  // namespace mint
