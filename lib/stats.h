// Summary statistics the benchmarks report (mint bench, mint-lab bench peers).
#pragma once

#include <cstddef>
#include <vector>

namespace mint {

double Median(std::vector<double> values);      // 0 for none; the mean of the middle two for even
double Min(const std::vector<double>& values);  // 0 for none
double Max(const std::vector<double>& values);  // 0 for none

// Min, median and max of a set of samples, and how many there were.
struct Spread {
  double min = 0;
  double median = 0;
  double max = 0;
  size_t count = 0;
};
Spread SpreadOf(const std::vector<double>& values);

}  // namespace mint
