#include "phys_range.h"

#include <cctype>
#include <charconv>

#include "format.h"

namespace mint {
namespace {

Result<uint64_t> ParseNumber(std::string_view text, std::string_view what) {
  uint64_t value = 0;
  int base = 10;
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return Fail("'", std::string(text), "' is not a number (", std::string(what), ")");
  return value;
}

}  // namespace

std::string FormatRange(const PhysRange& range) {
  return Hex(range.start) + "-" + Hex(range.end - 1);
}

Result<PhysRange> ParseRange(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos)
    return Fail("'", std::string(text), "' is not a range like 0x40000000-0x7fffffff");
  uint64_t start = MINT_TRY(ParseNumber(text.substr(0, dash), "range start"));
  uint64_t last = MINT_TRY(ParseNumber(text.substr(dash + 1), "range end"));
  if (last < start) return Fail("range '", std::string(text), "' ends before it starts");
  if (last == UINT64_MAX) return Fail("range '", std::string(text), "' reaches the top of memory");
  return PhysRange{start, last + 1};
}

Result<uint64_t> ParseSize(std::string_view text) {
  if (text.empty()) return Fail("an empty size");
  uint64_t shift = 0;
  char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (unit == 'K') shift = 10;
  if (unit == 'M') shift = 20;
  if (unit == 'G') shift = 30;
  std::string_view digits = shift ? text.substr(0, text.size() - 1) : text;
  uint64_t value = MINT_TRY(ParseNumber(digits, "size such as 512M"));
  if (shift && value > (UINT64_MAX >> shift))
    return Fail("size '", std::string(text), "' is too large");
  return value << shift;
}

}  // namespace mint
