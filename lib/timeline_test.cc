#include "timeline.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

TEST(Timeline, OneBarPerPhaseScaledToTheEnd) {
  Timeline timeline{"two nodes",
                    {{"alpha", {{"host", 0, 100}, {"wake", 100, 110}, {"boot", 110, 2000}}},
                     {"beta", {{"host", 100, 200}, {"boot", 210, 2100}}}},
                    {}};
  EXPECT_DOUBLE_EQ(timeline.EndMs(), 2100);
  std::string svg = RenderTimelineSvg(timeline);
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_EQ(Count(svg, "<title>"), 5u);
  EXPECT_NE(svg.find("alpha boot: 110.0-2000.0 ms"), std::string::npos);
  // The last bar ends at the right edge of the plot: label width 110 + plot width 760.
  EXPECT_NE(svg.find("<rect x=\"186.0\" y=\"70.0\" width=\"684.0\""), std::string::npos) << svg;
}

TEST(Timeline, EscapesLabels) {
  Timeline timeline{"a<b & \"c\"", {{"x<y", {{"boot", 0, 1}}}}, {}};
  std::string svg = RenderTimelineSvg(timeline);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("x<y"), std::string::npos);
}

TEST(Timeline, ALegendOfItsOwnReplacesTheNodeBootOne) {
  Timeline timeline{"paths", {{"cold", {{"boot", 0, 10}}}}, {{"boot", "start -> kernel_init"}}};
  std::string svg = RenderTimelineSvg(timeline);
  EXPECT_NE(svg.find("start -&gt; kernel_init"), std::string::npos);
  EXPECT_EQ(svg.find("INIT/SIPI"), std::string::npos);
  EXPECT_NE(RenderTimelineSvg(Timeline{"nodes", {}, {}}).find("INIT/SIPI"), std::string::npos);
}

TEST(Timeline, EmptyIsStillAPicture) {
  std::string svg = RenderTimelineSvg(Timeline{"nothing", {}, {}});
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace mint
