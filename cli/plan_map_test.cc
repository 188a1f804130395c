// What mint plan draws (cli/plan_map.h), from plans and inventories made up here: the regions
// of the memory map, the core map, the text and the SVG.
#include "plan_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "format.h"

namespace mint::cli {
namespace {

// Two nodes, one with two ranges and a low slice given in the file, one placed by the
// planner; an image store at the top of the reserved range.
Plan TwoNodes() {
  auto plan = ParsePlan(R"(
[host]
reserved   = ["0x40000000-0x67ffffff"]
low_window = "0x10000-0x8ffff"
store      = "0x60000000-0x67ffffff"
cpus       = [0]

[[node]]
name   = "alpha"
kernel = "/k"
cpus   = [1, 3]
memory = ["0x40000000-0x4fffffff", "0x58000000-0x5bffffff"]
low    = "0x70000-0x7ffff"

[[node]]
name    = "beta"
kernel  = "/k"
cpus    = [2]
memory  = ["0x50000000-0x57ffffff"]
console = "ttyS2"
)",
                        "two.toml");
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  return plan.ok() ? *plan : Plan{};
}

// A machine with RAM on both sides of the low window and above 1 MiB, and six cores: the
// host runs on 0 and 4, 5 is free.
Inventory Machine() {
  Inventory inventory;
  inventory.source = "machine.json";
  inventory.ram = {{0x1000, 0x9FC00}, {0x100000, 0x40000000}};
  for (uint32_t apic = 0; apic < 6; ++apic) {
    InventoryCore core;
    core.apic_id = apic;
    core.enabled = true;
    core.online = apic == 0 || apic == 4;
    inventory.cores.push_back(core);
  }
  return inventory;
}

bool Sorted(const std::vector<Region>& regions) {
  return std::is_sorted(regions.begin(), regions.end(), [](const Region& a, const Region& b) {
    return a.range.start < b.range.start ||
           (a.range.start == b.range.start && a.range.end < b.range.end);
  });
}

// The regions lying inside `whole`, which must tile it: back to back, no gap, no overlap.
::testing::AssertionResult Tiles(const std::vector<Region>& regions, const PhysRange& whole) {
  uint64_t cursor = whole.start;
  for (const Region& r : regions) {
    if (!r.range.Overlaps(whole)) continue;
    if (r.range.start != cursor)
      return ::testing::AssertionFailure()
             << r.what << " starts at " << FormatRange(r.range) << ", not " << Hex(cursor);
    cursor = r.range.end;
  }
  if (cursor != whole.end)
    return ::testing::AssertionFailure()
           << FormatRange(whole) << " ends covered at " << Hex(cursor);
  return ::testing::AssertionSuccess();
}

const Region* Find(const std::vector<Region>& regions, const PhysRange& range) {
  for (const Region& r : regions)
    if (r.range == range) return &r;
  return nullptr;
}

TEST(PlanMap, RegionsAreSortedAndCoverEachNodeAndTheLowWindow) {
  Plan plan = TwoNodes();
  std::vector<Region> regions = MapRegions(plan, nullptr);
  EXPECT_TRUE(Sorted(regions));
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const NodePlan& node = plan.nodes[i];
    for (const PhysRange& range : node.memory) {
      const Region* r = Find(regions, range);
      ASSERT_NE(r, nullptr) << node.name << " " << FormatRange(range);
      EXPECT_EQ(r->what, "node " + node.name);
      EXPECT_EQ(r->kind, "node");
      EXPECT_EQ(r->node, static_cast<int>(i));
    }
    ASSERT_TRUE(node.low.has_value()) << node.name;  // beta's: the window's top 32 KiB
    const Region* low = Find(regions, *node.low);
    ASSERT_NE(low, nullptr) << node.name;
    EXPECT_EQ(low->what, "low slice of " + node.name);
    EXPECT_EQ(low->kind, "low");
    EXPECT_EQ(low->node, static_cast<int>(i));
  }
  const Region* trampoline = Find(regions, {0x10000, 0x10000 + kTrampolineBytes});
  ASSERT_NE(trampoline, nullptr);
  EXPECT_EQ(trampoline->kind, "trampoline");
  EXPECT_EQ(trampoline->node, -1);
  // The low window and the reserved range are drawn whole: what is no one's is shown free.
  EXPECT_TRUE(Tiles(regions, plan.host.low_window));
  EXPECT_TRUE(Tiles(regions, plan.host.reserved[0]));
  for (const Region& r : regions) EXPECT_NE(r.kind, "ram") << "no inventory, no host RAM";

  std::vector<std::pair<std::string, std::string>> seen;
  for (const Region& r : regions) seen.push_back({FormatRange(r.range), r.what});
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"0x10000-0x12fff", "trampoline"},
                      {"0x13000-0x6ffff", "low window, free"},
                      {"0x70000-0x7ffff", "low slice of alpha"},
                      {"0x80000-0x87fff", "low window, free"},
                      {"0x88000-0x8ffff", "low slice of beta"},
                      {"0x40000000-0x4fffffff", "node alpha"},
                      {"0x50000000-0x57ffffff", "node beta"},
                      {"0x58000000-0x5bffffff", "node alpha"},
                      {"0x5c000000-0x5fffffff", "reserved, free"},
                      {"0x60000000-0x67ffffff", "image store"},
                  }));
}

TEST(PlanMap, HostRamGoesAroundTheLowWindow) {
  Plan plan = TwoNodes();
  Inventory machine = Machine();
  std::vector<Region> regions = MapRegions(plan, &machine);
  EXPECT_TRUE(Sorted(regions));
  EXPECT_TRUE(Tiles(regions, plan.host.low_window));
  std::vector<PhysRange> ram;
  for (const Region& r : regions)
    if (r.kind == "ram") ram.push_back(r.range);
  EXPECT_EQ(
      ram, (std::vector<PhysRange>{{0x1000, 0x10000}, {0x90000, 0x9FC00}, {0x100000, 0x40000000}}));
}

TEST(PlanMap, CoreMapNamesHostNodeAndFreeCores) {
  Plan plan = TwoNodes();
  EXPECT_EQ(
      CoreMap(plan, nullptr),
      (CoreOwners{{0, "host"}, {1, "alpha (boot core)"}, {2, "beta (boot core)"}, {3, "alpha"}}));
  // The inventory adds the cores the plan leaves out; the plan names the ones it gives.
  Inventory machine = Machine();
  EXPECT_EQ(CoreMap(plan, &machine), (CoreOwners{{0, "host"},
                                                 {1, "alpha (boot core)"},
                                                 {2, "beta (boot core)"},
                                                 {3, "alpha"},
                                                 {4, "host (online)"},
                                                 {5, "free"}}));
}

TEST(PlanMap, TextIsWhatMintPlanPrints) {
  Plan plan = TwoNodes();
  EXPECT_EQ(MapText("two.toml", MapRegions(plan, nullptr), CoreMap(plan, nullptr)),
            "memory map of two.toml:\n"
            "  0x10000-0x12fff              12 KiB  trampoline\n"
            "  0x13000-0x6ffff             372 KiB  low window, free\n"
            "  0x70000-0x7ffff              64 KiB  low slice of alpha\n"
            "  0x80000-0x87fff              32 KiB  low window, free\n"
            "  0x88000-0x8ffff              32 KiB  low slice of beta\n"
            "  0x40000000-0x4fffffff       256 MiB  node alpha\n"
            "  0x50000000-0x57ffffff       128 MiB  node beta\n"
            "  0x58000000-0x5bffffff        64 MiB  node alpha\n"
            "  0x5c000000-0x5fffffff        64 MiB  reserved, free\n"
            "  0x60000000-0x67ffffff       128 MiB  image store\n"
            "cores (APIC ID: owner):\n"
            "     0  host\n"
            "     1  alpha (boot core)\n"
            "     2  beta (boot core)\n"
            "     3  alpha\n");
}

// The length of the XML entity at xml[at] ("&lt;" and the like), 0 when there is none.
size_t EntityAt(const std::string& xml, size_t at) {
  for (const char* entity : {"&lt;", "&gt;", "&amp;", "&apos;", "&quot;"})
    if (xml.compare(at, std::strlen(entity), entity) == 0) return std::strlen(entity);
  return 0;
}

// Checks the SVG is well-formed XML: every element closed, in order; attribute values quoted;
// no '<' in text or attribute values, and '&' only as an entity. A bare '>' in text is legal
// XML, but Escape never leaves one, so it counts too. Returns what is wrong, empty when nothing
// is.
std::string XmlProblem(const std::string& xml) {
  std::vector<std::string> open;
  auto at = [](size_t i) { return " at " + std::to_string(i); };
  for (size_t i = 0; i < xml.size();) {
    if (xml[i] == '&') {
      size_t length = EntityAt(xml, i);
      if (length == 0) return "bare &" + at(i);
      i += length;
      continue;
    }
    if (xml[i] == '>') return "bare >" + at(i);
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    size_t end = i + 1;
    char quote = 0;
    for (; end < xml.size() && (quote != 0 || xml[end] != '>'); ++end) {
      char c = xml[end];
      if (c == '<') return "'<' inside a tag" + at(end);
      if (c == '&' && EntityAt(xml, end) == 0) return "bare & inside a tag" + at(end);
      if (quote == 0 && c == '=' && xml[end + 1] != '\'' && xml[end + 1] != '"')
        return "an attribute value without quotes" + at(end);
      if (c == '\'' || c == '"') quote = quote == 0 ? c : (quote == c ? 0 : quote);
    }
    if (end == xml.size()) return "a tag that never ends" + at(i);
    std::string tag = xml.substr(i + 1, end - i - 1);
    if (tag.empty() || tag == "/") return "an empty tag" + at(i);
    bool closing = tag[0] == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \n/"));
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(name);
    }
    i = end + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return "";
}

TEST(PlanMap, XmlProblemFindsBadMarkup) {
  EXPECT_EQ(XmlProblem("<svg a='&lt;' b=\"'\"><rect x='1'/><text>&lt;&amp;</text></svg>\n"), "");
  for (const char* bad :
       {"<svg><text>a<b</text></svg>", "<svg><text>a&b</text></svg>", "<svg><text>a>b</text></svg>",
        "<svg><text></svg></text>", "<svg><rect/>", "<svg><rect x='1/></svg>", "<svg a='<'></svg>",
        "<svg a='&'></svg>", "<svg a=1></svg>", "<svg><></svg>"})
    EXPECT_NE(XmlProblem(bad), "") << bad;
}

TEST(PlanMap, SvgIsWellFormedAndNamesEveryNode) {
  Plan plan = TwoNodes();
  Inventory machine = Machine();
  std::vector<Region> regions = MapRegions(plan, &machine);
  std::string svg = MapSvg("mint plan two.toml", plan, regions, CoreMap(plan, &machine));
  EXPECT_TRUE(svg.starts_with("<svg xmlns='http://www.w3.org/2000/svg'")) << svg;
  EXPECT_TRUE(svg.ends_with("</svg>\n")) << svg;
  EXPECT_EQ(XmlProblem(svg), "") << svg;
  for (const char* expected :
       {">mint plan two.toml</text>", ">node alpha</text>", ">node beta</text>",
        ">low slice of beta</text>", ">1: alpha (boot core)</text>", ">5: free</text>",
        ">host RAM</text>", ">image store</text>"})
    EXPECT_NE(svg.find(expected), std::string::npos) << expected;
  // One box per region and one per core, on top of the white background.
  size_t rects = 0;
  for (size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1))
    ++rects;
  EXPECT_EQ(rects, 1 + regions.size() + 6);
}

TEST(PlanMap, SvgEscapesXmlInNamesAndTitle) {
  // The plan's rules keep such names out of plan files; the drawing must not depend on them.
  Plan plan = TwoNodes();
  plan.nodes[0].name = "a<b>&c";
  std::string svg = MapSvg("plan <&>", plan, MapRegions(plan, nullptr), CoreMap(plan, nullptr));
  EXPECT_EQ(XmlProblem(svg), "") << svg;
  EXPECT_NE(svg.find(">node a&lt;b&gt;&amp;c</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">1: a&lt;b&gt;&amp;c (boot core)</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">plan &lt;&amp;&gt;</text>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("a<b"), std::string::npos) << svg;
  EXPECT_EQ(Escape("<a href=\"x\">&amp;'</a>"), "&lt;a href=\"x\"&gt;&amp;amp;'&lt;/a&gt;");
}

TEST(PlanMap, SizeIsForPeople) {
  constexpr uint64_t kKiB = 1024, kMiB = kKiB << 10, kGiB = kMiB << 10;
  EXPECT_EQ(Size(0), "0 KiB");
  EXPECT_EQ(Size(4 * kKiB), "4 KiB");
  EXPECT_EQ(Size(12 * kKiB + 1023), "12 KiB");  // below 1 MiB: rounded down
  EXPECT_EQ(Size(kMiB - 1), "1023 KiB");
  EXPECT_EQ(Size(kMiB), "1 MiB");
  EXPECT_EQ(Size(kMiB + 600 * kKiB), "2 MiB");  // from 1 MiB: rounded to the nearest
  EXPECT_EQ(Size(192 * kMiB), "192 MiB");
  EXPECT_EQ(Size(kGiB), "1 GiB");
  EXPECT_EQ(Size(kGiB + kGiB / 2), "1536 MiB");  // not a whole number of GiB
  EXPECT_EQ(Size(64 * kGiB), "64 GiB");
}

TEST(PlanMap, CoresAndLowSlices) {
  EXPECT_EQ(Cores({}), "");
  EXPECT_EQ(Cores({7}), "7");
  EXPECT_EQ(Cores({1, 3, 2}), "1,3,2");
  Plan plan = TwoNodes();
  EXPECT_EQ(LowSlicesInUse(plan), 2u);
  plan.nodes[1].low.reset();
  EXPECT_EQ(LowSlicesInUse(plan), 1u);
}

}  // namespace
}  // namespace mint::cli
