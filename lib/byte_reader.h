// ByteReader: the one bounds-checked way libmint reads untrusted bytes (kernel images, ACPI
// tables, plan data). A read that does not fit fails and consumes nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

namespace mint {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t size() const { return bytes_.size(); }
  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }

  // Reads a little-endian integer at an absolute offset; nullopt when it does not fit.
  template <typename T>
  std::optional<T> ReadAt(size_t offset) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) return std::nullopt;
    T value;
    std::memcpy(&value, bytes_.data() + offset, sizeof(T));
    return value;
  }

  // Reads at the cursor and advances it only on success.
  template <typename T>
  std::optional<T> Read() {
    auto value = ReadAt<T>(offset_);
    if (value) offset_ += sizeof(T);
    return value;
  }

  // A sub-span [offset, offset + length) or nullopt when it is not entirely inside.
  std::optional<std::span<const uint8_t>> SpanAt(size_t offset, size_t length) const {
    if (offset > bytes_.size() || bytes_.size() - offset < length) return std::nullopt;
    return bytes_.subspan(offset, length);
  }

  // A NUL-terminated string starting at offset, at most max_length bytes long.
  std::optional<std::string> CStringAt(size_t offset, size_t max_length) const {
    if (offset >= bytes_.size()) return std::nullopt;
    size_t limit = std::min(max_length, bytes_.size() - offset);
    const auto* start = reinterpret_cast<const char*>(bytes_.data() + offset);
    size_t length = strnlen(start, limit);
    if (length == limit) return std::nullopt;  // no terminator inside the bound
    return std::string(start, length);
  }

  bool Skip(size_t count) {
    if (remaining() < count) return false;
    offset_ += count;
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t offset_ = 0;
};

// Checked arithmetic for sizes and physical addresses: nullopt on overflow.
inline std::optional<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

inline std::optional<uint64_t> AlignUp(uint64_t value, uint64_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) return std::nullopt;
  auto sum = CheckedAdd(value, alignment - 1);
  if (!sum) return std::nullopt;
  return *sum & ~(alignment - 1);
}

inline uint64_t AlignDown(uint64_t value, uint64_t alignment) {
  return value & ~(alignment - 1);
}

}  // namespace mint
