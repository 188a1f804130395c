// The resident image store: kernel and initrd images kept in a reserved physical region named
// by the plan's `[host] store`, content-addressed by SHA-256, so that later boots copy an image
// from memory instead of reading it from disk (docs/store.md has the layout and the rules).
//
// Pure logic over a byte span: the CLI maps the region through /dev/mint (or a plain file), the
// tests use a std::vector. Nothing here locks: one writer at a time is the caller's job (the CLI
// takes flock on the mapped file); readers that cannot lock (a node, later) follow the index's
// seqlock (`generation`, odd while a writer changes the index).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace mint {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256Of(std::span<const uint8_t> bytes);
uint64_t Xxh64Of(std::span<const uint8_t> bytes);
std::string HexDigest(const Sha256Digest& digest);

// Layout of the region (docs/store.md). All integers little-endian (x86), every struct packed
// by construction (fixed-width fields, explicit padding) and asserted below.
inline constexpr uint64_t kStoreMagic = 0x45524f5453544e4dull;  // "MNTSTORE"
inline constexpr uint32_t kStoreVersion = 2;                    // 2: XXH64 checks (1 had XXH3)
inline constexpr uint64_t kStorePage = 4096;
inline constexpr uint32_t kStoreMaxEntries = 255;
inline constexpr size_t kStorePathLen = 152;
// Header (256 bytes) + 255 entries of 256 bytes: the index fills the first 64 KiB exactly, and
// image data starts on the page after it.
inline constexpr uint64_t kStoreIndexBytes = 64 * 1024;
// The smallest useful region: the index plus one page of data.
inline constexpr uint64_t kStoreMinBytes = kStoreIndexBytes + kStorePage;

struct StoreHeader {
  uint64_t magic;        // kStoreMagic
  uint32_t version;      // kStoreVersion
  uint32_t entry_size;   // sizeof(StoreEntry)
  uint64_t region_size;  // bytes the index was formatted for
  uint64_t data_offset;  // kStoreIndexBytes
  uint32_t max_entries;  // kStoreMaxEntries
  uint32_t pad0;
  uint64_t generation;   // seqlock: odd while a writer changes entries[]
  uint64_t clock;        // LRU clock: incremented on every add and use
  uint64_t index_xxh64;  // XXH64 of entries[] as last published (detects a torn index)
  uint8_t reserved[192];
};

inline constexpr uint32_t kStoreEntryFree = 0;
inline constexpr uint32_t kStoreEntryValid = 0x44494c56;  // "VLID"

struct StoreEntry {
  uint32_t state;  // kStoreEntryFree or kStoreEntryValid
  uint32_t pad0;
  uint8_t sha256[32];  // the image's name
  uint64_t xxh64;      // fast check on every use
  uint64_t offset;     // from the region's start, page aligned, >= data_offset
  uint64_t size;       // bytes of image; the slot spans size rounded up to a page
  uint64_t last_used;  // header.clock at the latest add or use
  // Where the image was last read from, so a boot finds it by path without reading the file:
  // the file's size, mtime and inode must still match.
  uint64_t source_size;
  int64_t source_mtime_ns;
  uint64_t source_ino;
  uint64_t source_dev;
  char source_path[kStorePathLen];  // NUL-terminated; empty when the path was too long
};

static_assert(sizeof(StoreHeader) == 256);
static_assert(offsetof(StoreHeader, generation) == 40);
static_assert(offsetof(StoreHeader, index_xxh64) == 56);
static_assert(sizeof(StoreEntry) == 256);
static_assert(offsetof(StoreEntry, sha256) == 8);
static_assert(offsetof(StoreEntry, offset) == 48);
static_assert(offsetof(StoreEntry, source_path) == 104);
static_assert(sizeof(StoreHeader) + kStoreMaxEntries * sizeof(StoreEntry) == kStoreIndexBytes);

// Identity of a file on disk, as stat(2) gives it.
struct ImageSource {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t ino = 0;
  uint64_t dev = 0;
};

// One entry as the index holds it.
struct StoredImage {
  uint32_t slot = 0;
  Sha256Digest sha256{};
  uint64_t xxh64 = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t last_used = 0;
  ImageSource source;
};

struct StoreAddResult {
  StoredImage image;
  bool already_stored = false;       // same content was there: only its source and age changed
  std::vector<StoredImage> evicted;  // least recently used images dropped to make room
};

// What Open() found and did, for the user.
struct StoreOpenReport {
  bool formatted = false;             // the region held no store (or another version): now empty
  std::vector<std::string> repaired;  // entries dropped because the index was inconsistent
};

class ResidentStore {
 public:
  // Opens the store held in `region` (page aligned size, at least kStoreMinBytes). A region
  // without the magic is formatted. An index a writer left half-done (odd generation, checksum
  // mismatch) or with impossible entries is repaired by dropping what is wrong. The span must
  // outlive the store object.
  static Result<ResidentStore> Open(std::span<uint8_t> region, StoreOpenReport* report = nullptr);

  uint64_t Capacity() const { return region_.size() - kStoreIndexBytes; }
  uint64_t Used() const;                    // page-rounded bytes of every entry
  std::vector<StoredImage> Images() const;  // by offset
  std::optional<StoredImage> FindBySource(const ImageSource& source) const;
  std::optional<StoredImage> FindBySha(const Sha256Digest& sha) const;
  // Entries whose hex SHA-256 starts with `prefix` (for `mint store rm`).
  std::vector<StoredImage> FindByPrefix(std::string_view prefix) const;
  std::span<const uint8_t> Bytes(const StoredImage& image) const;

  // Stores `bytes` under their SHA-256, evicting the least recently used images when the
  // region is full. An image larger than Capacity() is refused.
  Result<StoreAddResult> Add(std::span<const uint8_t> bytes, const ImageSource& source);
  // The same, with the digests already computed by the caller (saves hashing twice).
  Result<StoreAddResult> AddHashed(std::span<const uint8_t> bytes, const ImageSource& source,
                                   const Sha256Digest& sha, uint64_t xxh64);
  // Marks an image used now (LRU).
  void Touch(const StoredImage& image);
  // Images a caller is still reading in place (by SHA-256): Add never evicts them. The vector
  // must outlive the store object; nullptr for none.
  void SetPinned(const std::vector<Sha256Digest>* pinned) { pinned_ = pinned; }
  Result<void> Remove(const Sha256Digest& sha);

  // The fast per-use check: XXH64 of `bytes` (a copy of the image) against the index.
  static bool FastCheck(const StoredImage& image, std::span<const uint8_t> bytes);
  // Recomputes every entry's SHA-256; the images that no longer match.
  std::vector<StoredImage> VerifyAll() const;

  // The index invariants (docs/store.md): magic/version/size, even generation, checksum,
  // every valid entry inside the data area, page aligned, disjoint from every other, unique
  // SHA-256. Holds after Open() and after every change.
  Result<void> CheckIndex() const;

  // The generation counter, for readers that follow the seqlock.
  uint64_t Generation() const;

 private:
  explicit ResidentStore(std::span<uint8_t> region) : region_(region) {}
  bool IsPinned(const Sha256Digest& sha) const;
  StoreHeader ReadHeader() const;
  void WriteHeader(const StoreHeader& header);
  StoreEntry ReadEntry(uint32_t slot) const;
  void WriteEntry(uint32_t slot, const StoreEntry& entry);
  uint64_t IndexChecksum() const;
  // Seqlock around a change of entries[]: BeginWrite makes the generation odd, EndWrite
  // republishes the checksum and makes it even again.
  void BeginWrite();
  void EndWrite();
  void Format();
  StoredImage ToImage(uint32_t slot, const StoreEntry& entry) const;
  // First page-aligned gap of `bytes` in the data area, or nullopt.
  std::optional<uint64_t> FindGap(uint64_t bytes) const;
  uint64_t NextClock();

  std::span<uint8_t> region_;
  const std::vector<Sha256Digest>* pinned_ = nullptr;
};

}  // namespace mint
