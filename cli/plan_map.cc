#include "plan_map.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

#include "format.h"

namespace mint::cli {
namespace {

// One colour per node, repeating after eight.
const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
                          "#edc948", "#76b7b2", "#ff9da7", "#9c755f"};

}  // namespace

std::vector<Region> MapRegions(const Plan& plan, const Inventory* inventory) {
  std::vector<Region> out;
  std::vector<PhysRange> owned;
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const NodePlan& node = plan.nodes[i];
    for (const PhysRange& r : node.memory) {
      out.push_back({r, "node " + node.name, "node", static_cast<int>(i)});
      owned.push_back(r);
    }
    if (node.low) {
      out.push_back({*node.low, "low slice of " + node.name, "low", static_cast<int>(i)});
      owned.push_back(*node.low);
    }
    if (node.link) {
      out.push_back({*node.link, "link of " + node.name, "link", static_cast<int>(i)});
      owned.push_back(*node.link);
    }
  }
  for (const DirectLinkPlan& link : plan.links) {
    if (!link.region) continue;
    out.push_back({*link.region, "link " + link.Name(), "link"});
    owned.push_back(*link.region);
  }
  // Memory nodes may receive while they run (docs/memory-handover.md): one box per pool.
  std::map<std::pair<uint64_t, uint64_t>, std::string> pools;
  for (const NodePlan& node : plan.nodes) {
    for (const PhysRange& r : node.receive_memory) {
      std::string& names = pools[{r.start, r.end}];
      names += (names.empty() ? "" : ", ") + node.name;
    }
  }
  for (const auto& [range, names] : pools) {
    PhysRange r{range.first, range.second};
    out.push_back({r, "may go to " + names, "receive"});
    owned.push_back(r);
  }
  const PhysRange& window = plan.host.low_window;
  PhysRange trampoline{window.start, std::min(window.end, window.start + kTrampolineBytes)};
  out.push_back({trampoline, "trampoline", "trampoline"});
  owned.push_back(trampoline);
  if (plan.host.store) {
    out.push_back({*plan.host.store, "image store", "store"});
    owned.push_back(*plan.host.store);
  }
  // Free parts of the reserved ranges and of the low window.
  auto free_parts = [&](const PhysRange& whole, const std::string& what, const std::string& kind) {
    std::vector<PhysRange> inside;
    for (const PhysRange& r : owned) {
      if (r.Overlaps(whole))
        inside.push_back({std::max(r.start, whole.start), std::min(r.end, whole.end)});
    }
    std::sort(inside.begin(), inside.end(),
              [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
    uint64_t cursor = whole.start;
    for (const PhysRange& r : inside) {
      if (r.start > cursor) out.push_back({{cursor, r.start}, what, kind});
      cursor = std::max(cursor, r.end);
    }
    if (cursor < whole.end) out.push_back({{cursor, whole.end}, what, kind});
  };
  for (const PhysRange& r : plan.host.reserved) free_parts(r, "reserved, free", "reserved");
  free_parts(window, "low window, free", "window");
  if (inventory) {
    for (const PhysRange& r : inventory->ram) {
      // Below 1 MiB the low window lies inside host RAM: show the RAM around it only.
      std::vector<PhysRange> pieces{r};
      if (r.Overlaps(window)) {
        pieces.clear();
        if (r.start < window.start) pieces.push_back({r.start, window.start});
        if (r.end > window.end) pieces.push_back({window.end, r.end});
      }
      for (const PhysRange& p : pieces) out.push_back({p, "host RAM", "ram"});
    }
  }
  std::sort(out.begin(), out.end(), [](const Region& a, const Region& b) {
    return a.range.start < b.range.start ||
           (a.range.start == b.range.start && a.range.end < b.range.end);
  });
  return out;
}

CoreOwners CoreMap(const Plan& plan, const Inventory* inventory) {
  std::map<uint32_t, std::string> owners;
  if (inventory) {
    for (const InventoryCore& core : inventory->cores)
      owners[core.apic_id] = core.online ? "host (online)" : "free";
  }
  for (uint32_t cpu : plan.host.cpus) owners[cpu] = "host";
  for (const NodePlan& node : plan.nodes) {
    for (size_t i = 0; i < node.cpus.size(); ++i)
      owners[node.cpus[i]] = node.name + (i == 0 ? " (boot core)" : "");
  }
  // Cores nodes may receive while they run (docs/cores.md).
  std::map<uint32_t, std::string> receivers;
  for (const NodePlan& node : plan.nodes) {
    for (uint32_t cpu : node.receive_cpus)
      receivers[cpu] += (receivers[cpu].empty() ? "" : ", ") + node.name;
  }
  for (const auto& [cpu, names] : receivers)
    owners[cpu] += (owners[cpu].empty() ? "free" : "") + std::string("; may go to ") + names;
  return {owners.begin(), owners.end()};
}

std::string MapText(const std::string& plan_path, const std::vector<Region>& regions,
                    const CoreOwners& cores) {
  std::ostringstream out;
  out << "memory map of " << plan_path << ":\n";
  for (const Region& r : regions)
    out << "  " << std::left << std::setw(26) << FormatRange(r.range) << std::right << std::setw(9)
        << Size(r.range.size()) << "  " << r.what << "\n";
  out << "cores (APIC ID: owner):\n";
  for (const auto& [apic, owner] : cores)
    out << "  " << std::setw(4) << apic << "  " << owner << "\n";
  return out.str();
}

// The memory map as boxes in address order (widths grow with the square root of the size, so
// a 32 KiB slice and a 1 GiB node both stay readable), then the core map.
std::string MapSvg(const std::string& title, const Plan& plan, const std::vector<Region>& regions,
                   const CoreOwners& cores) {
  auto colour = [&](const Region& r) -> std::string {
    if (r.kind == "link") return "#9edae5";  // shared by the host and the node
    if (r.node >= 0) return kPalette[r.node % 8];
    if (r.kind == "ram") return "#bab0ac";
    if (r.kind == "trampoline") return "#e15759";
    if (r.kind == "store") return "#d4a6c8";
    if (r.kind == "receive") return "#f1ce63";  // given to one node at a time, at run time
    return "#eeeeee";
  };
  const double kRowWidth = 1100, kLeft = 20, kBoxHeight = 54;
  std::vector<double> widths;
  double total = 0;
  for (const Region& r : regions) {
    double w = 14 + std::sqrt(static_cast<double>(r.range.size()) / 4096.0);
    widths.push_back(w);
    total += w;
  }
  // Rows of boxes, scaled so each row is at most kRowWidth wide.
  double scale = total > 0 ? std::min(1.0, 3 * kRowWidth / total) : 1;
  std::ostringstream body;
  double x = kLeft, y = 60;
  for (size_t i = 0; i < regions.size(); ++i) {
    double w = std::max(70.0, widths[i] * scale);
    if (x + w > kLeft + kRowWidth) {
      x = kLeft;
      y += kBoxHeight + 40;
    }
    const Region& r = regions[i];
    body << "<rect x='" << x << "' y='" << y << "' width='" << w - 2 << "' height='" << kBoxHeight
         << "' fill='" << colour(r) << "' stroke='#333'/>\n";
    body << "<text x='" << x + 4 << "' y='" << y + 18 << "' font-size='11'>" << Escape(r.what)
         << "</text>\n";
    body << "<text x='" << x + 4 << "' y='" << y + 34 << "' font-size='10'>" << Size(r.range.size())
         << "</text>\n";
    body << "<text x='" << x + 4 << "' y='" << y + kBoxHeight + 12 << "' font-size='9' fill='#555'>"
         << Hex(r.range.start) << "</text>\n";
    x += w;
  }
  y += kBoxHeight + 50;
  body << "<text x='" << kLeft << "' y='" << y
       << "' font-size='14' font-weight='bold'>cores (APIC ID: owner)</text>\n";
  y += 12;
  x = kLeft;
  for (const auto& [apic, owner] : cores) {
    int node = -1;
    for (size_t i = 0; i < plan.nodes.size(); ++i) {
      if (std::find(plan.nodes[i].cpus.begin(), plan.nodes[i].cpus.end(), apic) !=
          plan.nodes[i].cpus.end())
        node = static_cast<int>(i);
    }
    std::string fill = node >= 0                   ? kPalette[node % 8]
                       : owner.starts_with("host") ? "#bab0ac"
                                                   : "#eeeeee";
    if (x + 130 > kLeft + kRowWidth) {
      x = kLeft;
      y += 50;
    }
    body << "<rect x='" << x << "' y='" << y << "' width='126' height='40' fill='" << fill
         << "' stroke='#333'/>\n<text x='" << x + 6 << "' y='" << y + 24 << "' font-size='11'>"
         << apic << ": " << Escape(owner) << "</text>\n";
    x += 130;
  }
  y += 60;
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kRowWidth + 2 * kLeft << "' height='"
      << y << "' font-family='sans-serif'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << kLeft << "' y='24' font-size='16' font-weight='bold'>" << Escape(title)
      << "</text>\n<text x='" << kLeft
      << "' y='44' font-size='12' fill='#555'>memory in address order (box width grows with the "
         "square root of the size; the start address under each box)</text>\n"
      << body.str() << "</svg>\n";
  return svg.str();
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

std::string Size(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0)
    std::snprintf(text, sizeof(text), "%llu GiB", static_cast<unsigned long long>(bytes >> 30));
  else if (bytes >= (1u << 20))
    std::snprintf(text, sizeof(text), "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
  else
    std::snprintf(text, sizeof(text), "%llu KiB", static_cast<unsigned long long>(bytes >> 10));
  return text;
}

uint64_t LowSlicesInUse(const Plan& plan) {
  uint64_t count = 0;
  for (const NodePlan& node : plan.nodes) count += node.low ? 1 : 0;
  return count;
}

std::string Cores(const std::vector<uint32_t>& cpus) {
  std::string out;
  for (uint32_t cpu : cpus) out += (out.empty() ? "" : ",") + std::to_string(cpu);
  return out;
}

}  // namespace mint::cli
