// CpioArchive: writes the "newc" cpio format the kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst). Pure: entries are given as
// bytes, the archive comes back as bytes. No root is needed to describe device nodes, and the
// output is reproducible: entries are sorted by path, every mtime, uid and gid is zero, and
// inode numbers follow the sorted order.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace mint {

class CpioArchive {
 public:
  // Paths are relative to the archive's root; a leading '/' is dropped. Missing parent
  // directories are added with mode 0755. Adding a path twice is an error naming it.
  Result<void> AddDirectory(std::string_view path, uint32_t mode = 0755);
  Result<void> AddFile(std::string_view path, std::span<const uint8_t> data, uint32_t mode = 0644);
  Result<void> AddFile(std::string_view path, std::string_view text, uint32_t mode = 0644);
  Result<void> AddSymlink(std::string_view path, std::string_view target);
  Result<void> AddCharDevice(std::string_view path, uint32_t major, uint32_t minor,
                             uint32_t mode = 0600);

  bool Contains(std::string_view path) const;
  size_t EntryCount() const { return entries_.size(); }

  // The whole archive, parents before children, ending with the TRAILER!!! entry.
  std::vector<uint8_t> Serialize() const;

 private:
  struct Entry {
    uint32_t mode = 0;  // file type bits and permissions, as in st_mode
    uint32_t rdev_major = 0;
    uint32_t rdev_minor = 0;
    std::vector<uint8_t> data;  // file contents, or a symlink's target
  };

  Result<void> Add(std::string_view path, Entry entry);

  // Sorted by path: a path sorts before every path it is a prefix of, so parents come first.
  std::map<std::string, Entry> entries_;
};

// The newc fields of one entry, as a reader sees them (used by tests and by tools that list an
// archive). `Parse` walks the whole archive through a bounds-checked reader.
struct CpioEntry {
  std::string path;
  uint32_t ino = 0;
  uint32_t mode = 0;
  uint32_t mtime = 0;
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::vector<uint8_t> data;
};
Result<std::vector<CpioEntry>> ParseCpio(std::span<const uint8_t> bytes);
// The same, also giving how many bytes the archive took, up to the end of its TRAILER!!! entry
// (an initramfs is a series of archives: what follows is the next one).
Result<std::vector<CpioEntry>> ParseCpio(std::span<const uint8_t> bytes, size_t& consumed);

}  // namespace mint
