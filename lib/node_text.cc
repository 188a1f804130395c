#include "node_text.h"

#include <cstdint>
#include <cstdio>

namespace mint {
namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD in UTF-8

void AppendEscaped(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    char text[8];
    std::snprintf(text, sizeof(text), "\\x%02x", static_cast<unsigned>(static_cast<uint8_t>(c)));
    out += text;
  }
}

// The length of the well-formed UTF-8 sequence at the start of `bytes`, or 0 when it is
// ill-formed; `*consumed` is then the length of its maximal subpart (at least 1) to replace.
// Ranges from the Unicode Standard, table 3-7 "Well-Formed UTF-8 Byte Sequences".
size_t WellFormedLength(std::string_view bytes, size_t* consumed) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  uint8_t lead = byte(0);
  size_t length = 0;
  uint8_t second_low = 0x80, second_high = 0xbf;
  if (lead < 0x80) {
    length = 1;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) second_low = 0xa0;   // below: overlong
    if (lead == 0xed) second_high = 0x9f;  // above: surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) second_low = 0x90;   // below: overlong
    if (lead == 0xf4) second_high = 0x8f;  // above: beyond U+10FFFF
  } else {
    *consumed = 1;  // a continuation byte alone, C0/C1 (overlong), F5..FF
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    uint8_t low = i == 1 ? second_low : 0x80;
    uint8_t high = i == 1 ? second_high : 0xbf;
    if (i >= bytes.size() || byte(i) < low || byte(i) > high) {
      *consumed = i;
      return 0;
    }
  }
  *consumed = length;
  return length;
}

}  // namespace

std::string PrintableNodeText(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    size_t consumed = 0;
    size_t length = WellFormedLength(bytes, &consumed);
    std::string_view piece = bytes.substr(0, consumed);
    if (length == 0) {
      out += kReplacement;
    } else {
      uint8_t first = static_cast<uint8_t>(piece[0]);
      bool c0_or_del = length == 1 && (first < 0x20 || first == 0x7f);
      bool c1 = length == 2 && first == 0xc2 && static_cast<uint8_t>(piece[1]) < 0xa0;
      if (c0_or_del || c1)
        AppendEscaped(out, piece);
      else
        out += piece;
    }
    bytes.remove_prefix(consumed);
  }
  return out;
}

}  // namespace mint
