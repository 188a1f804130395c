#include "store.h"
#include "format.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#define XXH_INLINE_ALL
// The per-use check is XXH64: measured in the lab (QEMU TCG, mint bench load), 2835 MiB/s
// against 985 MiB/s for the scalar XXH3 and ~100 MiB/s for XXH3's SSE2 path, which TCG
// emulates slowly. On hardware all three outrun the memory they read.
#include <xxhash.h>

namespace mint {
namespace {

constexpr uint64_t RoundUpPage(uint64_t bytes) {
  return (bytes + kStorePage - 1) & ~(kStorePage - 1);
}

uint64_t* GenerationWord(std::span<uint8_t> region) {
  // Open() checked that the region is 8-byte aligned.
  return reinterpret_cast<uint64_t*>(region.data() + offsetof(StoreHeader, generation));
}

// Whether an entry can be what it says, in a region of `region_size` bytes. A problem is
// described in `why`.
bool EntryPlausible(const StoreEntry& e, uint64_t region_size, std::string& why) {
  if (e.offset % kStorePage != 0 || e.offset < kStoreIndexBytes) {
    why = "data offset " + std::to_string(e.offset) + " is not a page in the data area";
    return false;
  }
  if (e.size == 0 || e.size > region_size) {
    why = "size " + std::to_string(e.size) + " is impossible";
    return false;
  }
  uint64_t end = e.offset + RoundUpPage(e.size);
  if (end < e.offset || end > region_size) {
    why = "data ends past the region's end";
    return false;
  }
  if (std::memchr(e.source_path, 0, kStorePathLen) == nullptr) {
    why = "source path is not NUL-terminated";
    return false;
  }
  return true;
}

}  // namespace

Sha256Digest Sha256Of(std::span<const uint8_t> bytes) {
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

uint64_t Xxh64Of(std::span<const uint8_t> bytes) {
  return XXH64(bytes.data(), bytes.size(), 0);
}

std::string HexDigest(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

StoreHeader ResidentStore::ReadHeader() const {
  StoreHeader header;
  std::memcpy(&header, region_.data(), sizeof(header));
  return header;
}

// Writes every header field but the generation, which only BeginWrite/EndWrite touch.
void ResidentStore::WriteHeader(const StoreHeader& header) {
  constexpr size_t kGen = offsetof(StoreHeader, generation);
  std::memcpy(region_.data(), &header, kGen);
  std::memcpy(region_.data() + kGen + 8, reinterpret_cast<const uint8_t*>(&header) + kGen + 8,
              sizeof(header) - kGen - 8);
}

StoreEntry ResidentStore::ReadEntry(uint32_t slot) const {
  StoreEntry entry;
  std::memcpy(&entry, region_.data() + sizeof(StoreHeader) + slot * sizeof(StoreEntry),
              sizeof(entry));
  return entry;
}

void ResidentStore::WriteEntry(uint32_t slot, const StoreEntry& entry) {
  std::memcpy(region_.data() + sizeof(StoreHeader) + slot * sizeof(StoreEntry), &entry,
              sizeof(entry));
}

uint64_t ResidentStore::IndexChecksum() const {
  return Xxh64Of(region_.subspan(sizeof(StoreHeader), kStoreIndexBytes - sizeof(StoreHeader)));
}

uint64_t ResidentStore::Generation() const {
  return __atomic_load_n(GenerationWord(region_), __ATOMIC_ACQUIRE);
}

void ResidentStore::BeginWrite() {
  uint64_t* word = GenerationWord(region_);
  uint64_t generation = __atomic_load_n(word, __ATOMIC_RELAXED);
  __atomic_store_n(word, generation | 1, __ATOMIC_RELAXED);
  std::atomic_thread_fence(std::memory_order_release);
}

void ResidentStore::EndWrite() {
  StoreHeader header = ReadHeader();
  header.index_xxh64 = IndexChecksum();
  WriteHeader(header);
  uint64_t* word = GenerationWord(region_);
  uint64_t generation = __atomic_load_n(word, __ATOMIC_RELAXED);
  __atomic_store_n(word, (generation | 1) + 1, __ATOMIC_RELEASE);
}

void ResidentStore::Format() {
  BeginWrite();
  std::memset(region_.data() + sizeof(StoreHeader), 0, kStoreIndexBytes - sizeof(StoreHeader));
  StoreHeader header{};
  header.magic = kStoreMagic;
  header.version = kStoreVersion;
  header.entry_size = sizeof(StoreEntry);
  header.region_size = region_.size();
  header.data_offset = kStoreIndexBytes;
  header.max_entries = kStoreMaxEntries;
  WriteHeader(header);
  EndWrite();
}

uint64_t ResidentStore::NextClock() {
  StoreHeader header = ReadHeader();
  ++header.clock;
  WriteHeader(header);
  return header.clock;
}

Result<ResidentStore> ResidentStore::Open(std::span<uint8_t> region, StoreOpenReport* report) {
  StoreOpenReport ignored;
  if (report == nullptr) report = &ignored;
  if (region.size() < kStoreMinBytes || region.size() % kStorePage != 0)
    return Fail("a store region of ", std::to_string(region.size()),
                " bytes is too small or not whole pages: it needs at least ",
                std::to_string(kStoreMinBytes), " bytes (the 64 KiB index and one page)");
  if (reinterpret_cast<uintptr_t>(region.data()) % 8 != 0)
    return Fail("the store region must be mapped 8-byte aligned");
  ResidentStore store(region);
  StoreHeader header = store.ReadHeader();
  if (header.magic != kStoreMagic || header.version != kStoreVersion ||
      header.entry_size != sizeof(StoreEntry) || header.max_entries != kStoreMaxEntries ||
      header.data_offset != kStoreIndexBytes) {
    store.Format();
    report->formatted = true;
    return store;
  }

  bool torn = (store.Generation() & 1) != 0 || header.index_xxh64 != store.IndexChecksum();
  if (header.region_size != region.size()) {
    report->repaired.push_back("the index was made for a region of " +
                               std::to_string(header.region_size) + " bytes, this one has " +
                               std::to_string(region.size()));
    header.region_size = region.size();
    store.WriteHeader(header);
    torn = true;
  }
  // Drop what cannot be right: implausible entries, then overlaps and duplicate names.
  std::vector<uint32_t> drop;
  std::vector<std::pair<StoreEntry, uint32_t>> valid;
  for (uint32_t slot = 0; slot < kStoreMaxEntries; ++slot) {
    StoreEntry entry = store.ReadEntry(slot);
    if (entry.state == kStoreEntryFree) continue;
    std::string why = "unknown state " + std::to_string(entry.state);
    if (entry.state != kStoreEntryValid || !EntryPlausible(entry, region.size(), why)) {
      report->repaired.push_back("slot " + std::to_string(slot) + ": " + why);
      drop.push_back(slot);
      continue;
    }
    valid.emplace_back(entry, slot);
  }
  std::sort(valid.begin(), valid.end(),
            [](const auto& a, const auto& b) { return a.first.offset < b.first.offset; });
  uint64_t cursor = kStoreIndexBytes;
  std::vector<Sha256Digest> names;
  for (const auto& [entry, slot] : valid) {
    Sha256Digest sha;
    std::memcpy(sha.data(), entry.sha256, sha.size());
    if (entry.offset < cursor) {
      report->repaired.push_back("slot " + std::to_string(slot) +
                                 ": data overlaps another image's");
      drop.push_back(slot);
      continue;
    }
    if (std::find(names.begin(), names.end(), sha) != names.end()) {
      report->repaired.push_back("slot " + std::to_string(slot) + ": a second entry for " +
                                 HexDigest(sha).substr(0, 12));
      drop.push_back(slot);
      continue;
    }
    names.push_back(sha);
    cursor = entry.offset + RoundUpPage(entry.size);
  }
  if (torn && drop.empty())
    report->repaired.push_back(
        "the index was left half-written by an interrupted writer; kept its " +
        std::to_string(valid.size()) +
        " plausible entries (each is checked against its XXH64 when used)");
  if (torn || !drop.empty()) {
    store.BeginWrite();
    for (uint32_t slot : drop) store.WriteEntry(slot, StoreEntry{});
    store.EndWrite();
  }
  return store;
}

StoredImage ResidentStore::ToImage(uint32_t slot, const StoreEntry& entry) const {
  StoredImage image;
  image.slot = slot;
  std::memcpy(image.sha256.data(), entry.sha256, image.sha256.size());
  image.xxh64 = entry.xxh64;
  image.offset = entry.offset;
  image.size = entry.size;
  image.last_used = entry.last_used;
  image.source.path = std::string(entry.source_path, strnlen(entry.source_path, kStorePathLen));
  image.source.size = entry.source_size;
  image.source.mtime_ns = entry.source_mtime_ns;
  image.source.ino = entry.source_ino;
  image.source.dev = entry.source_dev;
  return image;
}

std::vector<StoredImage> ResidentStore::Images() const {
  std::vector<StoredImage> images;
  for (uint32_t slot = 0; slot < kStoreMaxEntries; ++slot) {
    StoreEntry entry = ReadEntry(slot);
    if (entry.state == kStoreEntryValid) images.push_back(ToImage(slot, entry));
  }
  std::sort(images.begin(), images.end(),
            [](const StoredImage& a, const StoredImage& b) { return a.offset < b.offset; });
  return images;
}

uint64_t ResidentStore::Used() const {
  uint64_t used = 0;
  for (const StoredImage& image : Images()) used += RoundUpPage(image.size);
  return used;
}

std::optional<StoredImage> ResidentStore::FindBySource(const ImageSource& source) const {
  if (source.path.empty()) return std::nullopt;
  for (const StoredImage& image : Images()) {
    if (image.source.path == source.path && image.source.size == source.size &&
        image.source.mtime_ns == source.mtime_ns && image.source.ino == source.ino &&
        image.source.dev == source.dev && image.size == source.size)
      return image;
  }
  return std::nullopt;
}

std::optional<StoredImage> ResidentStore::FindBySha(const Sha256Digest& sha) const {
  for (const StoredImage& image : Images()) {
    if (image.sha256 == sha) return image;
  }
  return std::nullopt;
}

std::vector<StoredImage> ResidentStore::FindByPrefix(std::string_view prefix) const {
  std::string lower(prefix);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<StoredImage> found;
  if (lower.empty()) return found;
  for (const StoredImage& image : Images()) {
    if (HexDigest(image.sha256).starts_with(lower)) found.push_back(image);
  }
  return found;
}

std::span<const uint8_t> ResidentStore::Bytes(const StoredImage& image) const {
  return std::span<const uint8_t>(region_).subspan(image.offset, image.size);
}

std::optional<uint64_t> ResidentStore::FindGap(uint64_t bytes) const {
  uint64_t cursor = kStoreIndexBytes;
  for (const StoredImage& image : Images()) {
    if (image.offset >= cursor && image.offset - cursor >= bytes) return cursor;
    cursor = std::max(cursor, image.offset + RoundUpPage(image.size));
  }
  if (region_.size() >= cursor && region_.size() - cursor >= bytes) return cursor;
  return std::nullopt;
}

bool ResidentStore::IsPinned(const Sha256Digest& sha) const {
  return pinned_ != nullptr && std::find(pinned_->begin(), pinned_->end(), sha) != pinned_->end();
}

Result<StoreAddResult> ResidentStore::Add(std::span<const uint8_t> bytes,
                                          const ImageSource& source) {
  return AddHashed(bytes, source, Sha256Of(bytes), Xxh64Of(bytes));
}

Result<StoreAddResult> ResidentStore::AddHashed(std::span<const uint8_t> bytes,
                                                const ImageSource& source, const Sha256Digest& sha,
                                                uint64_t xxh64) {
  if (bytes.empty()) return Fail("an empty image cannot be stored");
  auto fill_source = [&](StoreEntry& entry) {
    std::memset(entry.source_path, 0, kStorePathLen);
    if (source.path.size() < kStorePathLen)
      std::memcpy(entry.source_path, source.path.data(), source.path.size());
    entry.source_size = source.size;
    entry.source_mtime_ns = source.mtime_ns;
    entry.source_ino = source.ino;
    entry.source_dev = source.dev;
  };

  StoreAddResult result;
  // The same content already stored: only its source and age change. An entry that claims
  // this SHA-256 but whose bytes are not these (damaged since, or a forged index) is dropped
  // and the image stored again.
  if (auto existing = FindBySha(sha);
      existing && !(existing->size == bytes.size() && existing->xxh64 == xxh64 &&
                    FastCheck(*existing, Bytes(*existing)))) {
    MINT_TRY_VOID(Remove(existing->sha256));
  }
  if (auto existing = FindBySha(sha)) {
    StoreEntry entry = ReadEntry(existing->slot);
    fill_source(entry);
    entry.last_used = NextClock();
    BeginWrite();
    WriteEntry(existing->slot, entry);
    EndWrite();
    result.image = ToImage(existing->slot, entry);
    result.already_stored = true;
    return result;
  }

  uint64_t need = RoundUpPage(bytes.size());
  if (need > Capacity())
    return Fail("an image of ", MiB(bytes.size()), " cannot fit the store's ", MiB(Capacity()),
                " of data room; make the plan's [host] store larger");

  // Make room: evict least recently used images until a slot and a gap exist. The evictions
  // are published before the freed bytes are overwritten, so a lock-free reader that copied
  // an evicted image sees the generation move and retries.
  auto free_slot = [&]() -> std::optional<uint32_t> {
    for (uint32_t slot = 0; slot < kStoreMaxEntries; ++slot) {
      if (ReadEntry(slot).state == kStoreEntryFree) return slot;
    }
    return std::nullopt;
  };
  std::optional<uint32_t> slot = free_slot();
  std::optional<uint64_t> gap = FindGap(need);
  while (!slot || !gap) {
    std::vector<StoredImage> images = Images();
    std::erase_if(images, [&](const StoredImage& image) { return IsPinned(image.sha256); });
    if (images.empty())
      return Fail("the store has no room and nothing to evict",
                  pinned_ && !pinned_->empty() ? " (the images left are in use by this boot)" : "");
    auto lru = std::min_element(
        images.begin(), images.end(),
        [](const StoredImage& a, const StoredImage& b) { return a.last_used < b.last_used; });
    BeginWrite();
    WriteEntry(lru->slot, StoreEntry{});
    EndWrite();
    result.evicted.push_back(*lru);
    slot = free_slot();
    gap = FindGap(need);
  }

  std::memcpy(region_.data() + *gap, bytes.data(), bytes.size());
  StoreEntry entry{};
  entry.state = kStoreEntryValid;
  std::memcpy(entry.sha256, sha.data(), sha.size());
  entry.xxh64 = xxh64;
  entry.offset = *gap;
  entry.size = bytes.size();
  fill_source(entry);
  entry.last_used = NextClock();
  BeginWrite();
  WriteEntry(*slot, entry);
  EndWrite();
  result.image = ToImage(*slot, entry);
  return result;
}

void ResidentStore::Touch(const StoredImage& image) {
  StoreEntry entry = ReadEntry(image.slot);
  if (entry.state != kStoreEntryValid ||
      std::memcmp(entry.sha256, image.sha256.data(), image.sha256.size()) != 0)
    return;
  entry.last_used = NextClock();
  BeginWrite();
  WriteEntry(image.slot, entry);
  EndWrite();
}

Result<void> ResidentStore::Remove(const Sha256Digest& sha) {
  auto image = FindBySha(sha);
  if (!image) return Fail("no image ", HexDigest(sha).substr(0, 12), " in the store");
  BeginWrite();
  WriteEntry(image->slot, StoreEntry{});
  EndWrite();
  return Ok{};
}

bool ResidentStore::FastCheck(const StoredImage& image, std::span<const uint8_t> bytes) {
  return bytes.size() == image.size && Xxh64Of(bytes) == image.xxh64;
}

std::vector<StoredImage> ResidentStore::VerifyAll() const {
  std::vector<StoredImage> bad;
  for (const StoredImage& image : Images()) {
    if (Sha256Of(Bytes(image)) != image.sha256) bad.push_back(image);
  }
  return bad;
}

Result<void> ResidentStore::CheckIndex() const {
  StoreHeader header = ReadHeader();
  if (header.magic != kStoreMagic || header.version != kStoreVersion ||
      header.entry_size != sizeof(StoreEntry) || header.max_entries != kStoreMaxEntries ||
      header.data_offset != kStoreIndexBytes)
    return Fail("store header: bad magic, version or geometry");
  if (header.region_size != region_.size())
    return Fail("store header: region size ", std::to_string(header.region_size),
                " != ", std::to_string(region_.size()));
  if (Generation() & 1) return Fail("store index: a write is in progress (odd generation)");
  if (header.index_xxh64 != IndexChecksum())
    return Fail("store index: checksum does not match the entries");
  uint64_t cursor = kStoreIndexBytes;
  std::vector<Sha256Digest> names;
  for (uint32_t slot = 0; slot < kStoreMaxEntries; ++slot) {
    StoreEntry entry = ReadEntry(slot);
    std::string why;
    if (entry.state != kStoreEntryFree && entry.state != kStoreEntryValid)
      return Fail("store slot ", std::to_string(slot), ": unknown state");
    if (entry.state == kStoreEntryValid && !EntryPlausible(entry, region_.size(), why))
      return Fail("store slot ", std::to_string(slot), ": ", why);
  }
  for (const StoredImage& image : Images()) {
    if (image.offset < cursor)
      return Fail("store slot ", std::to_string(image.slot), ": overlaps the previous image");
    if (std::find(names.begin(), names.end(), image.sha256) != names.end())
      return Fail("store slot ", std::to_string(image.slot), ": duplicate SHA-256");
    names.push_back(image.sha256);
    cursor = image.offset + RoundUpPage(image.size);
  }
  return Ok{};
}

}  // namespace mint
