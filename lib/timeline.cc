#include "timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace mint {
namespace {

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* PhaseColor(const std::string& name) {
  if (name == "host") return "#7f8c8d";
  if (name == "wake") return "#e67e22";
  if (name == "boot") return "#2e86c1";
  if (name == "ready") return "#27ae60";
  return "#8e44ad";
}

std::string Num(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

// A tick step of 1, 2 or 5 times a power of ten giving about 8 ticks.
double TickStep(double span) {
  if (span <= 0) return 1;
  double raw = span / 8;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double step : {1.0, 2.0, 5.0, 10.0})
    if (step * power >= raw) return step * power;
  return 10 * power;
}

}  // namespace

double Timeline::EndMs() const {
  double end = 0;
  for (const TimelineLane& lane : lanes)
    for (const TimelinePhase& phase : lane.phases) end = std::max(end, phase.end_ms);
  return end;
}

std::string RenderTimelineSvg(const Timeline& timeline) {
  constexpr double kLabelWidth = 110, kPlotWidth = 760, kLaneHeight = 26, kTop = 40;
  const double end = std::max(timeline.EndMs(), 1.0);
  const double scale = kPlotWidth / end;
  const double plot_bottom = kTop + kLaneHeight * static_cast<double>(timeline.lanes.size());
  const double height = plot_bottom + 60;
  const double width = kLabelWidth + kPlotWidth + 30;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << Num(width) << "\" height=\""
      << Num(height) << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"10\" y=\"22\" font-size=\"15\">" << Escape(timeline.title) << "</text>\n";
  double step = TickStep(end);
  for (double t = 0; t <= end + 1e-9; t += step) {
    double x = kLabelWidth + t * scale;
    svg << "<line x1=\"" << Num(x) << "\" y1=\"" << Num(kTop - 4) << "\" x2=\"" << Num(x)
        << "\" y2=\"" << Num(plot_bottom) << "\" stroke=\"#ddd\"/>\n";
    svg << "<text x=\"" << Num(x) << "\" y=\"" << Num(plot_bottom + 16)
        << "\" text-anchor=\"middle\">" << Num(t / 1000) << " s</text>\n";
  }
  for (size_t i = 0; i < timeline.lanes.size(); ++i) {
    const TimelineLane& lane = timeline.lanes[i];
    double y = kTop + kLaneHeight * static_cast<double>(i);
    svg << "<text x=\"10\" y=\"" << Num(y + 16) << "\">" << Escape(lane.label) << "</text>\n";
    for (const TimelinePhase& phase : lane.phases) {
      double x = kLabelWidth + phase.start_ms * scale;
      double w = std::max((phase.end_ms - phase.start_ms) * scale, 1.0);
      svg << "<rect x=\"" << Num(x) << "\" y=\"" << Num(y + 4) << "\" width=\"" << Num(w)
          << "\" height=\"" << Num(kLaneHeight - 8) << "\" fill=\"" << PhaseColor(phase.name)
          << "\"><title>" << Escape(lane.label) << " " << Escape(phase.name) << ": "
          << Num(phase.start_ms) << "-" << Num(phase.end_ms) << " ms</title></rect>\n";
    }
  }
  static const std::vector<TimelineKey> kNodeBootLegend = {
      {"host", "host side: read, build, claim, copy"},
      {"wake", "INIT/SIPI -> trampoline"},
      {"boot", "kernel boot -> node userspace ready"}};
  const std::vector<TimelineKey>& legend =
      timeline.legend.empty() ? kNodeBootLegend : timeline.legend;
  double x = kLabelWidth;
  for (const TimelineKey& key : legend) {
    svg << "<rect x=\"" << Num(x) << "\" y=\"" << Num(plot_bottom + 30)
        << "\" width=\"12\" height=\"12\" fill=\"" << PhaseColor(key.phase) << "\"/>\n";
    svg << "<text x=\"" << Num(x + 16) << "\" y=\"" << Num(plot_bottom + 41) << "\">"
        << Escape(key.text) << "</text>\n";
    x += 250;
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace mint
