#include "stats.h"

#include <algorithm>

namespace mint {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double Min(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::min_element(values.begin(), values.end());
}

double Max(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

Spread SpreadOf(const std::vector<double>& values) {
  return Spread{
      .min = Min(values), .median = Median(values), .max = Max(values), .count = values.size()};
}

}  // namespace mint
