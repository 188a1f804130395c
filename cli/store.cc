// mint store add|ls|rm|verify|corrupt: the resident image store by hand (docs/store.md).
#include "direct_kernel.h"
#include "store_session.h"

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
    std::cout << (added->already_stored ? "already stored " : "stored ") << ShortSha(sha) << " "
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
    std::cout << std::left << std::setw(14) << ShortSha(image.sha256) << std::setw(11)
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
    std::cout << "removed " << DescribeStored(*image) << "\n";
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
    std::cout << "BAD " << DescribeStored(image)
              << ": its bytes no longer have its SHA-256; dropped\n";
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
  std::cout << "flipped one byte in the middle of " << DescribeStored(*image) << "\n";
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
