// Small text helpers every error message and table uses.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace mint {

// 0x40000000: how addresses and sizes appear in messages, plans and tables.
inline std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace mint
