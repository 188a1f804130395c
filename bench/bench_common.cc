#include "bench_common.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace mint::cli {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double Min(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::min_element(values.begin(), values.end());
}

std::optional<BenchTarget> ParseBenchTarget(const Args& in, const char* usage, int* status) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) {
    *status = Usage(usage, 0);
    return std::nullopt;
  }
  BenchTarget target;
  std::string rounds_text = std::to_string(target.rounds);
  bool ok = true;
  TakeValue(args, "--rounds", rounds_text, ok);
  TakeValue(args, "--json", target.json_path, ok);
  TakeValue(args, "--device", target.device, ok);
  if (!ok || args.empty() || args.size() > 2 || args[0].starts_with("-")) {
    *status = ok ? Usage(usage, 2) : 2;
    return std::nullopt;
  }
  target.rounds = std::atoi(rounds_text.c_str());
  if (target.rounds <= 0) {
    *status = Error("--rounds '" + rounds_text + "' must be a positive number");
    return std::nullopt;
  }
  auto plan = LoadPlanFile(args[0]);
  if (!plan) {
    *status = Error(plan.error().message);
    return std::nullopt;
  }
  target.plan = std::move(*plan);
  if (target.plan.nodes.empty()) {
    *status = Error(args[0] + " has no nodes");
    return std::nullopt;
  }
  if (args.size() == 2) {
    const NodePlan* node = target.plan.FindNode(args[1]);
    if (node == nullptr) {
      *status = Error(args[0] + " has no node named '" + args[1] + "'");
      return std::nullopt;
    }
    target.node_index = static_cast<size_t>(node - target.plan.nodes.data());
  }
  return target;
}

Result<void> WriteBenchJson(const nlohmann::json& out, const std::string& path) {
  if (path == "-") {
    std::cout << "BENCH-JSON " << out.dump() << std::endl;
    return Ok{};
  }
  std::ofstream file(path);
  file << out.dump(2) << "\n";
  if (!file) return Fail("cannot write ", path);
  return Ok{};
}

}  // namespace mint::cli
