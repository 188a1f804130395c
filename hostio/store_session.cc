// The resident store's session (one writer by flock, the mapping through /dev/mint or a file)
// and the boot path's way to take an image from it (docs/store.md).
#include "store_session.h"
#include "direct_kernel.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "artifacts.h"
#include "bzimage.h"
#include "files.h"
#include "format.h"
#include "mint/abi.h"

namespace mint {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

constexpr auto kLockWait = std::chrono::seconds(30);

// The module's reason for the latest failed ioctl on `fd`.
std::string LastError(int fd) {
  mint_last_error last{};
  last.hdr.magic = MINT_ABI_MAGIC;
  last.hdr.revision = MINT_ABI_REVISION;
  if (::ioctl(fd, MINT_IOC_LAST_ERROR, &last) != 0) return "";
  last.text[sizeof(last.text) - 1] = 0;
  return last.text;
}

}  // namespace

Result<ImageSource> StatSource(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Fail("cannot stat ", path, ": ", std::strerror(errno));
  return ImageSource{
      .path = path,
      .size = static_cast<uint64_t>(st.st_size),
      .mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
      .ino = st.st_ino,
      .dev = st.st_dev};
}

std::string ShortSha(const Sha256Digest& sha) {
  return HexDigest(sha).substr(0, 12);
}

std::string DescribeStored(const StoredImage& image) {
  return ShortSha(image.sha256) + " (" + (image.source.path.empty() ? "?" : image.source.path) +
         ", " + Bytes(image.size) + ")";
}

void SayEvicted(const std::vector<StoredImage>& evicted) {
  for (const StoredImage& image : evicted)
    std::cerr << "mint: store: full; evicted the least recently used image "
              << DescribeStored(image) << "\n";
}

LockedStore::~LockedStore() {
  if (pinned_) {
    auto& pins = session_->pinned_;
    pins.erase(std::find(pins.begin(), pins.end(), *pinned_));
  }
  session_->Unlock();
}

void LockedStore::Pin(const Sha256Digest& sha) {
  if (pinned_) return;
  pinned_ = sha;
  session_->pinned_.push_back(sha);
}

void StoreSession::Unlock() {
  if (--lock_depth_ == 0) ::flock(fd_, LOCK_UN);
}

StoreSession::~StoreSession() {
  if (map_ != nullptr) ::munmap(map_, size_);
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<StoreSession>> StoreSession::Open(const StoreLocation& location) {
  std::unique_ptr<StoreSession> session(new StoreSession());
  if (!location.file.empty()) {
    session->fd_ = ::open(location.file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (session->fd_ < 0)
      return Fail("cannot open the store file ", location.file, ": ", std::strerror(errno));
    struct stat st {};
    ::fstat(session->fd_, &st);
    uint64_t size = location.file_size ? location.file_size : static_cast<uint64_t>(st.st_size);
    if (size == 0)
      return Fail("the store file ", location.file, " is empty; give --store-size SIZE");
    if (static_cast<uint64_t>(st.st_size) < size && ::ftruncate(session->fd_, size) != 0)
      return Fail("cannot size the store file ", location.file, ": ", std::strerror(errno));
    session->size_ = size;
    session->description_ = "store file " + location.file + " (" + Bytes(size) + ")";
  } else {
    session->fd_ = ::open(location.device.c_str(), O_RDWR | O_CLOEXEC);
    if (session->fd_ < 0)
      return Fail("cannot open ", location.device, " for the store: ", std::strerror(errno),
                  errno == ENOENT ? " (load the host module: insmod mint.ko)" : "");
    mint_store claim{};
    claim.hdr.magic = MINT_ABI_MAGIC;
    claim.hdr.revision = MINT_ABI_REVISION;
    if (location.range) {
      claim.start = location.range->start;
      claim.size = location.range->size();
    }
    if (::ioctl(session->fd_, MINT_IOC_STORE, &claim) != 0) {
      int err = errno;
      std::string why = LastError(session->fd_);
      if (!location.range && err == ENOENT)
        return Fail(
            "the host module holds no store yet: name a plan whose [host] has a store "
            "(--plan PLAN, or $MINT_PLAN)");
      return Fail("the host module refused the store ",
                  location.range ? FormatRange(*location.range) : std::string(), ": ",
                  why.empty() ? std::strerror(err) : why);
    }
    session->size_ = claim.size;
    session->description_ = "store " +
                            FormatRange(PhysRange{claim.start, claim.start + claim.size}) + " (" +
                            Bytes(claim.size) + ") through " + location.device;
  }
  void* map = ::mmap(nullptr, session->size_, PROT_READ | PROT_WRITE, MAP_SHARED, session->fd_, 0);
  if (map == MAP_FAILED)
    return Fail("cannot map the ", session->description_, ": ", std::strerror(errno));
  session->map_ = static_cast<uint8_t*>(map);
  return session;
}

Result<std::unique_ptr<LockedStore>> StoreSession::Lock() {
  auto deadline = Clock::now() + kLockWait;
  while (lock_depth_ == 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return Fail("cannot lock the ", description_, ": ", std::strerror(errno));
    if (Clock::now() > deadline)
      return Fail("the ", description_, " stayed locked by another mint for 30 s; is one stuck?");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ++lock_depth_;
  StoreOpenReport report;
  auto store = ResidentStore::Open({map_, size_}, &report);
  if (store) store->SetPinned(&pinned_);
  if (!store) {
    Unlock();
    return Fail(description_, ": ", store.error().message);
  }
  if (report.formatted) std::cerr << "mint: store: formatted an empty " << description_ << "\n";
  for (const std::string& what : report.repaired)
    std::cerr << "mint: store: repaired the index: " << what << "\n";
  return std::unique_ptr<LockedStore>(new LockedStore(this, *store));
}

Result<std::unique_ptr<StoreSession>> OpenPlanStore(const HostPlan& host,
                                                    const std::string& device) {
  if (!host.store) return std::unique_ptr<StoreSession>();
  return StoreSession::Open(
      StoreLocation{.device = device, .range = host.store, .file = "", .file_size = 0});
}

bool quiet_store_notices = false;

Result<ImageBytes> LoadImageBytes(const std::string& path, const std::string& what,
                                  StoreSession* store, ImageLoadTimes* times,
                                  std::vector<DeferredPlacement>* defer) {
  ImageLoadTimes ignored;
  if (times == nullptr) times = &ignored;
  *times = ImageLoadTimes{};
  if (store == nullptr) {
    auto start = Clock::now();
    auto bytes = MINT_TRY(ReadFile(path, what));
    times->read_ms = MsSince(start);
    return ImageBytes(std::move(bytes));
  }

  auto start = Clock::now();
  auto source = StatSource(path);
  if (!source) return ImageBytes(MINT_TRY(ReadFile(path, what)));  // names the problem
  {
    auto locked = MINT_TRY(store->Lock());
    auto found = (*locked)->FindBySource(*source);
    times->lookup_ms = MsSince(start);
    if (found) {
      // No copy: the view goes to the host module, which copies it into the node.
      auto copy_start = Clock::now();
      auto stored = (*locked)->Bytes(*found);
      times->copy_ms = MsSince(copy_start);
      auto check_start = Clock::now();
      bool good = ResidentStore::FastCheck(*found, stored);
      times->check_ms = MsSince(check_start);
      if (good) {
        (*locked)->Touch(*found);
        times->from_store = true;
        if (!quiet_store_notices)
          std::cerr << "mint: store: " << what << " from the store (" << ShortSha(found->sha256)
                    << ", " << Bytes(found->size) << ", XXH64 ok)\n";
        locked->Pin(found->sha256);
        return ImageBytes(stored, std::move(locked));
      }
      std::cerr << "mint: store: " << what << ": the stored copy " << DescribeStored(*found)
                << " is corrupt (XXH64 mismatch); dropped it, reading " << path
                << " from disk instead\n";
      (void)(*locked)->Remove(found->sha256);
    }
  }

  auto read_start = Clock::now();
  auto bytes = MINT_TRY(ReadFile(path, what));
  times->read_ms = MsSince(read_start);

  DeferredPlacement placement{path, what, *source};
  if (defer != nullptr) {
    defer->push_back(std::move(placement));
  } else {
    PlaceDeferred(*store, placement, bytes, times);
  }
  return ImageBytes(std::move(bytes));
}

void PlaceDeferred(StoreSession& store, const DeferredPlacement& placement,
                   std::span<const uint8_t> bytes, ImageLoadTimes* times) {
  ImageLoadTimes ignored;
  if (times == nullptr) times = &ignored;
  // Hash outside the lock: other mints wait only for the copy into the store.
  auto place_start = Clock::now();
  Sha256Digest sha = Sha256Of(bytes);
  uint64_t xxh64 = Xxh64Of(bytes);
  auto lock = store.Lock();
  if (!lock) {
    std::cerr << "mint: store: " << placement.what << " not stored: " << lock.error().message
              << "\n";
    return;
  }
  std::unique_ptr<LockedStore> locked = std::move(*lock);
  auto added = (*locked)->AddHashed(bytes, placement.source, sha, xxh64);
  times->place_ms = MsSince(place_start);
  if (!added) {
    std::cerr << "mint: store: " << placement.what << " not stored: " << added.error().message
              << "\n";
  } else {
    SayEvicted(added->evicted);
    if (!quiet_store_notices && !added->already_stored)
      std::cerr << "mint: store: " << placement.what << " read from disk and placed in the store ("
                << ShortSha(sha) << ", " << Bytes(bytes.size()) << ")\n";
  }
}

Result<void> DropPageCache() {
  ::sync();
  int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return Fail("cannot drop the page cache (/proc/sys/vm/drop_caches: ", std::strerror(errno),
                "); run as root");
  ssize_t n = ::write(fd, "3", 1);
  int err = errno;
  ::close(fd);
  if (n != 1) return Fail("writing /proc/sys/vm/drop_caches: ", std::strerror(err));
  return Ok{};
}

}  // namespace mint
