// libFuzzer target for plan files: any text either fails with a message or yields a plan
// whose nodes own disjoint memory and links (to the host and direct) inside the host's reserved
// ranges, and which serializes to text that parses back to an equal plan (==, so a key
// SerializePlan leaves out is caught).
#include <cstdlib>
#include <string>

#include "plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto plan = mint::ParsePlan(text, "fuzz.toml");
  if (!plan.ok()) {
    if (plan.error().message.empty()) std::abort();
    return 0;
  }
  std::vector<mint::PhysRange> owned;
  for (const mint::NodePlan& node : plan->nodes) {
    if (!node.low || !node.memory_sizes.empty()) std::abort();
    for (const mint::PhysRange& range : node.memory) {
      if (range.end <= range.start) std::abort();
      for (const mint::PhysRange& other : owned)
        if (other.Overlaps(range)) std::abort();
      owned.push_back(range);
    }
  }
  // Links: placed for every node with an address, clear of all memory and of each other.
  for (const mint::NodePlan& node : plan->nodes) {
    if (node.address.has_value() != node.link.has_value()) std::abort();
    if (!node.link) continue;
    if (node.link->end <= node.link->start) std::abort();
    for (const mint::PhysRange& other : owned)
      if (other.Overlaps(*node.link)) std::abort();
    owned.push_back(*node.link);
  }
  // Direct links: placed, between two different nodes of the plan, clear of everything.
  for (const mint::DirectLinkPlan& link : plan->links) {
    if (!link.region || link.region->end <= link.region->start) std::abort();
    if (link.nodes.size() != 2 || link.nodes[0] == link.nodes[1]) std::abort();
    if (!plan->FindNode(link.nodes[0]) || !plan->FindNode(link.nodes[1])) std::abort();
    for (const mint::PhysRange& other : owned)
      if (other.Overlaps(*link.region)) std::abort();
    owned.push_back(*link.region);
  }
  auto again = mint::ParsePlan(mint::SerializePlan(*plan), "again.toml");
  if (!again.ok() || !(*again == *plan)) std::abort();
  return 0;
}
