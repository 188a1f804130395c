// Reading the files a plan names. The only file I/O of the boot path, kept out of libmint.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "result.h"

namespace mint {

Result<std::vector<uint8_t>> ReadFile(const std::string& path, const std::string& what);

// A whole file mapped read-only (MAP_POPULATE: its pages are in before Map returns). For large
// inputs read once, such as memory images: read() would copy them out of the page cache, and
// under QEMU TCG the kernel's copy (REP MOVSB) runs a byte per iteration, ~7 ms a MiB. A file
// changed while mapped shows the change; callers check what they use (an image's XXH64).
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Map(const std::string& path, const std::string& what);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data_;
  size_t size_;
};

}  // namespace mint
