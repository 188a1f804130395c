// The resident image store as the CLI uses it: the region mapped through /dev/mint (or a plain
// file), one writer at a time by flock, and LoadImageBytes, the boot path's way to get an
// image's bytes from the store or, failing that, from disk (docs/store.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "images.h"
#include "plan.h"
#include "result.h"
#include "store.h"

namespace mint {

// Where the store's bytes are.
struct StoreLocation {
  std::string device = "/dev/mint";  // the module claims `range` and maps it
  std::optional<PhysRange> range;    // the plan's [host] store; unset: ask the module
  std::string file;                  // instead of the module: a plain file (tests, no module)
  uint64_t file_size = 0;            // bytes the file is made (0: its current size)
};

class StoreSession;

// The store opened under the session's lock. Unlocks when the last LockedStore of its session
// is destroyed.
class LockedStore {
 public:
  ~LockedStore();
  LockedStore(const LockedStore&) = delete;
  LockedStore& operator=(const LockedStore&) = delete;
  ResidentStore& store() { return store_; }
  ResidentStore* operator->() { return &store_; }
  // Keeps `sha` from being evicted by this session until this LockedStore is destroyed (an
  // ImageBytes view holds its LockedStore for that).
  void Pin(const Sha256Digest& sha);

 private:
  friend class StoreSession;
  LockedStore(StoreSession* session, ResidentStore store) : session_(session), store_(store) {}
  StoreSession* session_;
  ResidentStore store_;
  std::optional<Sha256Digest> pinned_;
};

class StoreSession {
 public:
  static Result<std::unique_ptr<StoreSession>> Open(const StoreLocation& location);
  ~StoreSession();
  StoreSession(const StoreSession&) = delete;
  StoreSession& operator=(const StoreSession&) = delete;

  // Takes the store's lock (waits at most 30 s for another mint), then opens the index,
  // formatting or repairing it when needed and saying so on stderr. The lock is an flock on the
  // session's file, which one process holds once however often it asks: so the session counts
  // its LockedStores and unlocks when the last one goes (a boot path may hold a view of an
  // image, ImageBytes, while it places another). One thread per session.
  Result<std::unique_ptr<LockedStore>> Lock();
  // "store 0x7f000000-0x7fffffff (16.0 MiB) through /dev/mint"
  const std::string& Describe() const { return description_; }
  // The mapped region itself (for `mint store corrupt`, which damages an image on purpose).
  std::span<uint8_t> Mapping() { return {map_, size_}; }

 private:
  friend class LockedStore;
  StoreSession() = default;
  void Unlock();
  int fd_ = -1;
  int lock_depth_ = 0;
  std::vector<Sha256Digest> pinned_;  // images an ImageBytes views: never evicted meanwhile
  uint8_t* map_ = nullptr;
  size_t size_ = 0;
  std::string description_;
};

// The plan's store through the module, or nullptr when the plan names no store.
Result<std::unique_ptr<StoreSession>> OpenPlanStore(const HostPlan& host,
                                                    const std::string& device);

// Where one image's load time went, in milliseconds (mint bench load's rows).
struct ImageLoadTimes {
  double lookup_ms = 0;  // stat, lock, index lookup
  double read_ms = 0;    // read from disk
  double place_ms = 0;   // SHA-256 + XXH64 + copy into the store (first boot)
  double copy_ms = 0;    // later boots: view the store (the module copies it into the node)
  double check_ms = 0;   // XXH64 of the stored bytes
  bool from_store = false;
};

// The bytes of the image at `path` (`what` names it in messages): a view of the store when it
// holds this file (same path, size, mtime, inode) and the bytes pass their XXH64 check (the
// view keeps the store locked while it lives: ImageBytes); otherwise read
// from disk and placed in the store (evicting least recently used images, said on stderr). A
// corrupt entry is reported, dropped, and the file read instead. Without a store: the file.
//
// With `defer` set, an image read from disk is not placed in the store yet: its placement is
// appended to `defer`, for PlaceDeferred once the node has started. Hashing and copying into
// the store then overlap the node's boot instead of delaying it (a first boot costs what a
// boot without a store costs).
Result<ImageBytes> LoadImageBytes(const std::string& path, const std::string& what,
                                  StoreSession* store, ImageLoadTimes* times = nullptr,
                                  std::vector<DeferredPlacement>* defer = nullptr);
// Places `bytes`, read from disk for `placement`, in the store (SHA-256, XXH64, copy; evicting
// least recently used images when full, said on stderr). Failing to place is said, not fatal.
void PlaceDeferred(StoreSession& store, const DeferredPlacement& placement,
                   std::span<const uint8_t> bytes, ImageLoadTimes* times = nullptr);

// The file at `path` as the store names its source (path, size, mtime, inode).
Result<ImageSource> StatSource(const std::string& path);
// "1a2b3c4d5e6f": the first 12 hex digits of a SHA-256, as the store's listings show it.
std::string ShortSha(const Sha256Digest& sha);
// "1a2b3c4d5e6f (/boot/vmlinuz, 7.9 MiB)".
std::string DescribeStored(const StoredImage& image);
// Says on stderr which images an Add evicted.
void SayEvicted(const std::vector<StoredImage>& evicted);

// Set by mint bench load, which loads the same images many times.
extern bool quiet_store_notices;

// Empties the page cache (sync, then drop_caches), so the next read comes from the disk.
Result<void> DropPageCache();

}  // namespace mint
