// A boot timeline: one lane per node, each a row of phases with start and end times in ms.
// Rendered as an SVG picture (pure: text out) for `mint up --svg` and `mint bench parallel`.
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

struct Timeline {
  std::string title;
  std::vector<TimelineLane> lanes;
  double EndMs() const;
};

// Lanes top to bottom, a time axis with ticks, a legend, each phase a colored bar with a
// tooltip (<title>) giving its exact times. Phase colors are fixed per phase name.
std::string RenderTimelineSvg(const Timeline& timeline);

}  // namespace mint
