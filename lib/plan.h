// Plan files: one TOML file describes the whole machine, the host's share and every node.
// Format: docs/plan.md. Parsing checks the file on its own (syntax, types, sizes, alignment,
// overlaps between nodes); checks against a real machine live in the inventory/check code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace mint {

// A physical range [start, end): end is exclusive.
struct PhysRange {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - start; }
  bool Contains(const PhysRange& other) const { return other.start >= start && other.end <= end; }
  bool Overlaps(const PhysRange& other) const { return start < other.end && other.start < end; }
  bool operator==(const PhysRange&) const = default;
};

// "0x40000000-0x7fffffff" (inclusive end, as the plan format writes it).
std::string FormatRange(const PhysRange& range);
Result<PhysRange> ParseRange(std::string_view text);
// "512M", "64K", "2G", "4096": bytes.
Result<uint64_t> ParseSize(std::string_view text);

struct HostPlan {
  std::vector<PhysRange> reserved;  // booted with memmap=SIZE$ADDR: never host RAM
  PhysRange low_window{0x10000, 0x90000};
  std::optional<PhysRange> store;
  std::vector<uint32_t> cpus{0};  // APIC IDs the host keeps online (maxcpus = count)
};

struct NodePlan {
  std::string name;
  std::string arch;                    // "x86_64", "i386", or empty: read from the image
  std::string kernel;                  // path to a bzImage on the machine running mint
  std::string initrd;                  // optional
  std::string cmdline;                 // the user's part; Mint adds what a node must have
  std::vector<uint32_t> cpus;          // APIC IDs; cpus[0] is the boot core
  std::vector<PhysRange> memory;       // explicit ranges (sizes are placed by the planner)
  std::vector<uint64_t> memory_sizes;  // "512M" entries still to be placed
  std::optional<PhysRange> low;        // low slice below 1 MiB; assigned when absent
  std::string console = "ttyS1";       // "ttySn" (a UART of its own) or "shared"
};

struct Plan {
  HostPlan host;
  std::vector<NodePlan> nodes;

  const NodePlan* FindNode(std::string_view name) const;
};

// Parses and checks a plan. `origin` names the file in error messages.
Result<Plan> ParsePlan(std::string_view text, std::string_view origin);
Result<Plan> LoadPlanFile(const std::string& path);
// Writes a plan back as TOML that ParsePlan reads to an equal Plan.
std::string SerializePlan(const Plan& plan);

// The host kernel's command-line options the plan asks for: maxcpus=N and one
// memmap=SIZE$START per reserved range (the lab passes these to the host it boots).
std::string HostKernelArgs(const HostPlan& host);

}  // namespace mint
