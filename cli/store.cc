// mint store add|ls|rm|verify, mint bench load, and the store's side of the boot path.
#include "direct_kernel.h"
#include "image_store.h"

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
#include "commands.h"
#include "files.h"
#include "mint/abi.h"

namespace mint::cli {
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

std::string Short(const Sha256Digest& sha) {
  return HexDigest(sha).substr(0, 12);
}

std::string Describe(const StoredImage& image) {
  return Short(image.sha256) + " (" + (image.source.path.empty() ? "?" : image.source.path) + ", " +
         Bytes(image.size) + ")";
}

void SayEvicted(const std::vector<StoredImage>& evicted) {
  for (const StoredImage& image : evicted)
    std::cerr << "mint: store: full; evicted the least recently used image " << Describe(image)
              << "\n";
}

}  // namespace

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
          std::cerr << "mint: store: " << what << " from the store (" << Short(found->sha256)
                    << ", " << Bytes(found->size) << ", XXH64 ok)\n";
        locked->Pin(found->sha256);
        return ImageBytes(stored, std::move(locked));
      }
      std::cerr << "mint: store: " << what << ": the stored copy " << Describe(*found)
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
                << Short(sha) << ", " << Bytes(bytes.size()) << ")\n";
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

namespace {

constexpr const char* kStoreUsage =
    "usage: mint store COMMAND [ARGS...] [--plan PLAN] [--device PATH]\n"
    "                  [--store-file FILE [--store-size SIZE]]\n"
    "\n"
    "The resident image store: kernels and initrds kept in the plan's [host] store range\n"
    "(reserved memory the host module claims and maps), named by SHA-256. `mint boot` takes\n"
    "images from it and puts images it read from disk into it (docs/store.md).\n"
    "\n"
    "commands:\n"
    "  add FILE...        store these files (evicts least recently used images when full)\n"
    "  ls [--json]        list the stored images, least recently used last\n"
    "  rm SHA|PATH...     drop images by SHA-256 prefix or by the path they came from\n"
    "  verify             recompute every image's SHA-256; drop and report the bad ones\n"
    "                     (exit 1 when any was bad)\n"
    "  corrupt SHA        flip one byte of a stored image (to test the per-use check)\n"
    "\n"
    "  --plan PLAN        the plan whose [host] store to use (default $MINT_PLAN; without\n"
    "                     one, the range the module already holds)\n"
    "  --device PATH      the host module's device (default /dev/mint)\n"
    "  --store-file FILE  keep the store in a plain file instead (no module needed)\n"
    "  --store-size SIZE  the file's size when it is created, e.g. 64M\n";

// Options every store-using command shares.
Result<StoreLocation> TakeLocation(Args& args, bool& ok) {
  StoreLocation location;
  std::string plan_path, size_text;
  TakeValue(args, "--device", location.device, ok);
  TakeValue(args, "--store-file", location.file, ok);
  TakeValue(args, "--store-size", size_text, ok);
  bool have_plan = TakeValue(args, "--plan", plan_path, ok);
  if (!ok) return Fail("bad usage");
  if (!size_text.empty()) location.file_size = MINT_TRY(ParseSize(size_text));
  if (!location.file.empty()) return location;
  if (!have_plan) {
    const char* env = std::getenv("MINT_PLAN");
    if (env != nullptr && *env) plan_path = env;
  }
  if (!plan_path.empty()) {
    Plan plan = MINT_TRY(LoadPlanFile(plan_path));
    if (!plan.host.store)
      return Fail(plan_path,
                  " has no [host] store range; add store = \"0x...-0x...\" inside "
                  "reserved (docs/plan.md)");
    location.range = plan.host.store;
  }
  return location;
}

std::optional<StoredImage> FindOne(ResidentStore& store, const std::string& key, std::string& why) {
  std::vector<StoredImage> found;
  for (const StoredImage& image : store.Images()) {
    if (image.source.path == key) found.push_back(image);
  }
  if (found.empty()) found = store.FindByPrefix(key);
  if (found.size() == 1) return found[0];
  why = found.empty() ? "no stored image has SHA-256 prefix or source path '" + key + "'"
                      : "'" + key + "' matches " + std::to_string(found.size()) +
                            " images; give more of the SHA-256";
  return std::nullopt;
}

int StoreAdd(StoreSession& session, const Args& files) {
  if (files.empty()) return Error("store add needs FILE... (see mint store --help)");
  for (const std::string& path : files) {
    auto source = StatSource(path);
    if (!source) return Error(source.error().message);
    auto bytes = ReadFile(path, "image");
    if (!bytes) return Error(bytes.error().message);
    Sha256Digest sha = Sha256Of(*bytes);
    uint64_t xxh64 = Xxh64Of(*bytes);
    auto locked = session.Lock();
    if (!locked) return Error(locked.error().message);
    auto added = (**locked)->AddHashed(*bytes, *source, sha, xxh64);
    if (!added) return Error(path + ": " + added.error().message);
    SayEvicted(added->evicted);
    std::cout << (added->already_stored ? "already stored " : "stored ") << Short(sha) << " "
              << path << " (" << Bytes(bytes->size()) << ")\n";
    // An x86_64 kernel also gets its unpacked kernel beside it, once, so nodes booting it
    // can be entered directly (docs/trampoline.md, --entry).
    auto derived = AddDerivedKernel((*locked)->store(), *bytes, sha);
    if (!derived)
      std::cerr << "mint: store: " << path
                << ": its unpacked kernel was not stored: " << derived.error().message << "\n";
    else if (*derived)
      std::cout << "stored the unpacked kernel of " << path << " for direct entry\n";
  }
  return 0;
}

int StoreLs(StoreSession& session, bool json) {
  auto locked = session.Lock();
  if (!locked) return Error(locked.error().message);
  ResidentStore& store = (*locked)->store();
  std::vector<StoredImage> images = store.Images();
  std::sort(images.begin(), images.end(),
            [](const StoredImage& a, const StoredImage& b) { return a.last_used > b.last_used; });
  if (json) {
    nlohmann::json out = {{"store", session.Describe()},
                          {"capacity", store.Capacity()},
                          {"used", store.Used()},
                          {"generation", store.Generation()},
                          {"images", nlohmann::json::array()}};
    for (const StoredImage& image : images)
      out["images"].push_back({{"sha256", HexDigest(image.sha256)},
                               {"size", image.size},
                               {"offset", image.offset},
                               {"xxh64", Hex(image.xxh64)},
                               {"last_used", image.last_used},
                               {"source", image.source.path}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(14) << "SHA256" << std::setw(11) << "SIZE" << std::setw(12)
            << "OFFSET"
            << "SOURCE\n";
  for (const StoredImage& image : images)
    std::cout << std::left << std::setw(14) << Short(image.sha256) << std::setw(11)
              << Bytes(image.size) << std::setw(12) << Hex(image.offset) << image.source.path
              << "\n";
  std::cout << images.size() << " image(s), " << Bytes(store.Used()) << " of "
            << Bytes(store.Capacity()) << " used; " << session.Describe() << "\n";
  return 0;
}

int StoreRm(StoreSession& session, const Args& keys) {
  if (keys.empty()) return Error("store rm needs SHA|PATH... (see mint store --help)");
  auto locked = session.Lock();
  if (!locked) return Error(locked.error().message);
  for (const std::string& key : keys) {
    std::string why;
    auto image = FindOne((*locked)->store(), key, why);
    if (!image) return Error(why);
    auto removed = (**locked)->Remove(image->sha256);
    if (!removed) return Error(removed.error().message);
    std::cout << "removed " << Describe(*image) << "\n";
  }
  return 0;
}

int StoreVerify(StoreSession& session) {
  auto locked = session.Lock();
  if (!locked) return Error(locked.error().message);
  auto index = (**locked)->CheckIndex();
  if (!index) return Error("the store's index is inconsistent: " + index.error().message);
  std::vector<StoredImage> bad = (**locked)->VerifyAll();
  for (const StoredImage& image : bad) {
    std::cout << "BAD " << Describe(image) << ": its bytes no longer have its SHA-256; dropped\n";
    (void)(**locked)->Remove(image.sha256);
  }
  size_t total = (**locked)->Images().size() + bad.size();
  std::cout << total - bad.size() << " of " << total << " image(s) match their SHA-256\n";
  return bad.empty() ? 0 : 1;
}

int StoreCorrupt(StoreSession& session, const Args& keys, uint8_t* map) {
  if (keys.size() != 1) return Error("store corrupt needs one SHA|PATH");
  auto locked = session.Lock();
  if (!locked) return Error(locked.error().message);
  std::string why;
  auto image = FindOne((*locked)->store(), keys[0], why);
  if (!image) return Error(why);
  map[image->offset + image->size / 2] ^= 0x40;
  std::cout << "flipped one byte in the middle of " << Describe(*image) << "\n";
  return 0;
}

}  // namespace

int Store(const Args& in) {
  Args args = in;
  if (args.empty() || TakeFlag(args, "--help") || TakeFlag(args, "-h"))
    return Usage(kStoreUsage, args.empty() ? 2 : 0);
  bool json = TakeFlag(args, "--json");
  bool ok = true;
  auto location = TakeLocation(args, ok);
  if (!ok) return 2;
  if (!location) return Error(location.error().message);
  std::string command = args[0];
  Args rest(args.begin() + 1, args.end());
  for (const std::string& arg : rest) {
    if (arg.starts_with("-")) return Error("unknown option '" + arg + "' (see mint store --help)");
  }
  if (command != "add" && command != "ls" && command != "rm" && command != "verify" &&
      command != "corrupt")
    return Error("unknown store command '" + command + "' (see mint store --help)");
  auto session = StoreSession::Open(*location);
  if (!session) return Error(session.error().message);
  if (command == "add") return StoreAdd(**session, rest);
  if (command == "ls") return StoreLs(**session, json);
  if (command == "rm") return StoreRm(**session, rest);
  if (command == "verify") return StoreVerify(**session);
  return StoreCorrupt(**session, rest, (*session)->Mapping().data());
}

}  // namespace mint::cli
