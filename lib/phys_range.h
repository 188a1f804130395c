// Physical address ranges as plans, inventories and boot data name them, and the text forms
// plan files and messages use for ranges and sizes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace mint
