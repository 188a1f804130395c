// A boot timeline: one lane per node, each a row of phases with start and end times in ms.
// Rendered as an SVG picture (pure: text out) for `mint up --svg`, `mint bench parallel` and
// `mint-lab bench peers` (one lane per boot path, its medians as phases).
#pragma once

#include <string>
#include <vector>

namespace mint {

struct TimelinePhase {
  std::string name;  // "host", "wake", "boot"
  double start_ms = 0;
  double end_ms = 0;
};

struct TimelineLane {
  std::string label;
  std::vector<TimelinePhase> phases;
};

// A legend entry: a phase name (its color) and what it means.
struct TimelineKey {
  std::string phase;
  std::string text;
};

struct Timeline {
  std::string title;
  std::vector<TimelineLane> lanes;
  // Empty: a node boot's phases (host side, INIT/SIPI -> trampoline, kernel -> userspace).
  std::vector<TimelineKey> legend;
  double EndMs() const;
};

// Lanes top to bottom, a time axis with ticks, a legend, each phase a colored bar with a
// tooltip (<title>) giving its exact times. Phase colors are fixed per phase name.
std::string RenderTimelineSvg(const Timeline& timeline);

}  // namespace mint
