#include "stats.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

TEST(Stats, MedianOfOddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({}), 0);
}

TEST(Stats, SpreadNamesTheExtremes) {
  Spread spread = SpreadOf({2.5, 0.5, 9});
  EXPECT_DOUBLE_EQ(spread.min, 0.5);
  EXPECT_DOUBLE_EQ(spread.median, 2.5);
  EXPECT_DOUBLE_EQ(spread.max, 9);
  EXPECT_EQ(spread.count, 3u);
  EXPECT_EQ(SpreadOf({}).count, 0u);
  EXPECT_DOUBLE_EQ(SpreadOf({}).max, 0);
}

}  // namespace
}  // namespace mint
