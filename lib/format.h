// Small text helpers every error message and table uses.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace mint {

// The text without blanks (spaces, tabs, CR, LF) at either end.
inline std::string_view TrimBlanks(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// 0x40000000: how addresses and sizes appear in messages, plans and tables.
// "2.5 s": a timeout as messages give it.
inline std::string Seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", s);
  return text;
}

// "Device or resource busy (-16)": a kernel's -errno as messages give it.
inline std::string Errno(int32_t err) {
  return std::string(std::strerror(-err)) + " (" + std::to_string(err) + ")";
}

inline std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// "13.5 MiB": a size for people.
inline std::string MiB(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// "46 MiB", rounded up: a size someone must give at least (plan errors).
inline std::string MiBAtLeast(uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) / (1 << 20)) + " MiB";
}

// "1.5 MiB", "12.0 KiB", "512 B": a size in the unit that reads best.
inline std::string Bytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (1u << 20))
    std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  else if (bytes >= 1024)
    std::snprintf(text, sizeof(text), "%.1f KiB", static_cast<double>(bytes) / 1024);
  else
    std::snprintf(text, sizeof(text), "%llu B", static_cast<unsigned long long>(bytes));
  return text;
}

}  // namespace mint
