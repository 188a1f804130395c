#include "cpio.h"

#include <charconv>

#include "byte_reader.h"

namespace mint {
namespace {

// File type bits of st_mode (POSIX <sys/stat.h>), spelled out so the format does not depend on
// the build machine's headers.
constexpr uint32_t kTypeMask = 0170000;
constexpr uint32_t kTypeDirectory = 0040000;
constexpr uint32_t kTypeRegular = 0100000;
constexpr uint32_t kTypeSymlink = 0120000;
constexpr uint32_t kTypeCharDevice = 0020000;

// "070701" then 13 fields of 8 hex digits: ino, mode, uid, gid, nlink, mtime, filesize,
// devmajor, devminor, rdevmajor, rdevminor, namesize (with its NUL), check.
constexpr std::string_view kMagic = "070701";
constexpr std::string_view kMagicCrc = "070702";  // same layout; the kernel ignores the sum
constexpr size_t kFieldCount = 13;
constexpr size_t kHeaderSize = 6 + kFieldCount * 8;
constexpr std::string_view kTrailer = "TRAILER!!!";
// A field holds 8 hex digits: anything larger cannot be stored.
constexpr uint64_t kFieldMax = 0xffffffffu;

size_t Pad4(size_t size) {
  return (4 - size % 4) % 4;
}

void AppendHex(std::vector<uint8_t>& out, uint32_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kDigits[(value >> shift) & 0xf]);
}

void AppendEntry(std::vector<uint8_t>& out, std::string_view name, uint32_t ino, uint32_t mode,
                 uint32_t nlink, std::span<const uint8_t> data, uint32_t rdev_major,
                 uint32_t rdev_minor) {
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  const uint32_t fields[kFieldCount] = {ino,
                                        mode,
                                        0 /* uid */,
                                        0 /* gid */,
                                        nlink,
                                        0 /* mtime */,
                                        static_cast<uint32_t>(data.size()),
                                        0 /* devmajor */,
                                        0 /* devminor */,
                                        rdev_major,
                                        rdev_minor,
                                        static_cast<uint32_t>(name.size() + 1),
                                        0 /* check */};
  for (uint32_t field : fields) AppendHex(out, field);
  out.insert(out.end(), name.begin(), name.end());
  out.push_back(0);
  out.insert(out.end(), Pad4(kHeaderSize + name.size() + 1), 0);
  out.insert(out.end(), data.begin(), data.end());
  out.insert(out.end(), Pad4(data.size()), 0);
}

// "/bin//sh" -> "bin/sh"; refuses empty names, "." and ".." components.
Result<std::string> NormalizePath(std::string_view path) {
  std::string out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    if (part == "." || part == "..")
      return Fail("cpio: path '", std::string(path), "' has a '", std::string(part),
                  "' component; give a plain path inside the archive");
    if (!part.empty()) {
      if (!out.empty()) out.push_back('/');
      out.append(part);
    }
    pos = slash + 1;
  }
  if (out.empty()) return Fail("cpio: path '", std::string(path), "' names no file");
  if (out == kTrailer) return Fail("cpio: path '", out, "' is the format's end marker");
  return out;
}

std::optional<uint32_t> ParseHexField(std::span<const uint8_t> digits) {
  uint32_t value = 0;
  const char* begin = reinterpret_cast<const char*>(digits.data());
  auto [end, ec] = std::from_chars(begin, begin + digits.size(), value, 16);
  if (ec != std::errc() || end != begin + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

Result<void> CpioArchive::Add(std::string_view path, Entry entry) {
  std::string name = MINT_TRY(NormalizePath(path));
  if (entry.data.size() > kFieldMax)
    return Fail("cpio: '", name, "' is ", std::to_string(entry.data.size()),
                " bytes; newc stores at most 4 GiB - 1 per file");
  if (auto it = entries_.find(name); it != entries_.end()) {
    // A directory added again as a directory is harmless; anything else is a clash.
    if ((it->second.mode & kTypeMask) == kTypeDirectory &&
        (entry.mode & kTypeMask) == kTypeDirectory) {
      it->second.mode = entry.mode;
      return Ok{};
    }
    return Fail("cpio: '", name, "' is added twice");
  }
  // Parents, shortest first, so a file cannot hide under a name that is not a directory.
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    std::string parent = name.substr(0, slash);
    auto it = entries_.find(parent);
    if (it == entries_.end()) {
      entries_.emplace(parent, Entry{.mode = kTypeDirectory | 0755, .data = {}});
    } else if ((it->second.mode & kTypeMask) != kTypeDirectory) {
      return Fail("cpio: cannot add '", name, "': '", parent, "' is not a directory");
    }
  }
  entries_.emplace(std::move(name), std::move(entry));
  return Ok{};
}

Result<void> CpioArchive::AddDirectory(std::string_view path, uint32_t mode) {
  return Add(path, Entry{.mode = kTypeDirectory | (mode & 07777), .data = {}});
}

Result<void> CpioArchive::AddFile(std::string_view path, std::span<const uint8_t> data,
                                  uint32_t mode) {
  return Add(path, Entry{.mode = kTypeRegular | (mode & 07777),
                         .data = std::vector<uint8_t>(data.begin(), data.end())});
}

Result<void> CpioArchive::AddFile(std::string_view path, std::string_view text, uint32_t mode) {
  return AddFile(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), mode);
}

Result<void> CpioArchive::AddSymlink(std::string_view path, std::string_view target) {
  if (target.empty()) return Fail("cpio: symlink '", std::string(path), "' has an empty target");
  return Add(path, Entry{.mode = kTypeSymlink | 0777,
                         .data = std::vector<uint8_t>(target.begin(), target.end())});
}

Result<void> CpioArchive::AddCharDevice(std::string_view path, uint32_t major, uint32_t minor,
                                        uint32_t mode) {
  return Add(path, Entry{.mode = kTypeCharDevice | (mode & 07777),
                         .rdev_major = major,
                         .rdev_minor = minor,
                         .data = {}});
}

bool CpioArchive::Contains(std::string_view path) const {
  auto name = NormalizePath(path);
  return name.ok() && entries_.contains(*name);
}

std::vector<uint8_t> CpioArchive::Serialize() const {
  std::vector<uint8_t> out;
  size_t total = kHeaderSize + kTrailer.size() + 8;
  for (const auto& [name, entry] : entries_)
    total += kHeaderSize + name.size() + 8 + entry.data.size();
  out.reserve(total);
  uint32_t ino = 1;  // 0 is left unused: some readers treat it as "no inode"
  for (const auto& [name, entry] : entries_) {
    uint32_t nlink = (entry.mode & kTypeMask) == kTypeDirectory ? 2 : 1;
    AppendEntry(out, name, ino++, entry.mode, nlink, entry.data, entry.rdev_major,
                entry.rdev_minor);
  }
  AppendEntry(out, kTrailer, 0, 0, 1, {}, 0, 0);
  return out;
}

Result<std::vector<CpioEntry>> ParseCpio(std::span<const uint8_t> bytes) {
  size_t consumed = 0;
  return ParseCpio(bytes, consumed);
}

Result<std::vector<CpioEntry>> ParseCpio(std::span<const uint8_t> bytes, size_t& consumed) {
  ByteReader reader(bytes);
  std::vector<CpioEntry> entries;
  size_t offset = 0;
  while (true) {
    auto header = reader.SpanAt(offset, kHeaderSize);
    if (!header)
      return Fail("cpio: archive ends at byte ", std::to_string(offset),
                  " without a TRAILER!!! entry");
    std::string_view magic(reinterpret_cast<const char*>(header->data()), kMagic.size());
    if (magic != kMagic && magic != kMagicCrc)
      return Fail("cpio: entry at byte ", std::to_string(offset), " starts with '",
                  std::string(magic), "', not the newc magic 070701");
    uint32_t fields[kFieldCount];
    for (size_t i = 0; i < kFieldCount; ++i) {
      auto value = ParseHexField(header->subspan(kMagic.size() + i * 8, 8));
      if (!value)
        return Fail("cpio: entry at byte ", std::to_string(offset), ": field ", std::to_string(i),
                    " is not 8 hex digits");
      fields[i] = *value;
    }
    uint32_t filesize = fields[6];
    uint32_t namesize = fields[11];
    if (namesize == 0)
      return Fail("cpio: entry at byte ", std::to_string(offset), " has an empty name");
    auto name = reader.CStringAt(offset + kHeaderSize, namesize);
    if (!name || name->size() + 1 != namesize)
      return Fail("cpio: entry at byte ", std::to_string(offset),
                  ": name is not NUL-terminated at its stated size ", std::to_string(namesize));
    size_t data_offset = offset + kHeaderSize + namesize;
    data_offset += Pad4(data_offset);
    if (*name == kTrailer) {
      consumed = data_offset;
      break;
    }
    auto data = reader.SpanAt(data_offset, filesize);
    if (!data)
      return Fail("cpio: '", *name, "' claims ", std::to_string(filesize),
                  " bytes past the end of the archive");
    entries.push_back(CpioEntry{.path = *name,
                                .ino = fields[0],
                                .mode = fields[1],
                                .mtime = fields[5],
                                .rdev_major = fields[9],
                                .rdev_minor = fields[10],
                                .data = std::vector<uint8_t>(data->begin(), data->end())});
    offset = data_offset + filesize;
    offset += Pad4(offset);
  }
  return entries;
}

}  // namespace mint
