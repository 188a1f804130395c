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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "app.h"
#include "artifacts.h"
#include "bzimage.h"
#include "fetch.h"
#include "files.h"
#include "format.h"
#include "mint/abi.h"
#include "plan_site.h"
#include "remote_image.h"

namespace mint::cli {

namespace {

// Where the store is: the options every store subcommand shares.
struct StoreArgs {
  std::string plan_path;  // default $MINT_PLAN; none: the range the module already holds
  std::string device = "/dev/mint";
  std::string file;       // instead of the module
  std::string size_text;  // the file's size when it is created
};

// The store the options name, opened.
Result<std::unique_ptr<StoreSession>> OpenStore(const StoreArgs& args) {
  StoreLocation location;
  location.device = args.device;
  location.file = args.file;
  if (!args.size_text.empty()) location.file_size = MINT_TRY(ParseSize(args.size_text));
  if (location.file.empty() && !args.plan_path.empty()) {
    Plan plan = MINT_TRY(LoadHostPlan(args.plan_path));
    if (!plan.host.store)
      return Fail(args.plan_path,
                  " has no [host] store range; add store = \"0x...-0x...\" inside "
                  "reserved (docs/plan.md)");
    location.range = plan.host.store;
  }
  return StoreSession::Open(location);
}

// The one image `key` names: the path it came from, or a prefix of its SHA-256.
Result<StoredImage> FindOne(ResidentStore& store, const std::string& key) {
  std::vector<StoredImage> found;
  for (const StoredImage& image : store.Images()) {
    if (image.source.path == key) found.push_back(image);
  }
  if (found.empty()) found = store.FindByPrefix(key);
  if (found.size() == 1) return found[0];
  if (found.empty()) return Fail("no stored image has SHA-256 prefix or source path '", key, "'");
  return Fail("'", key, "' matches ", std::to_string(found.size()),
              " images; give more of the SHA-256");
}

// What `mint store add` was asked to check and how to fetch.
struct AddArgs {
  std::vector<std::string> items;  // files or URLs
  std::string sha256;              // the one item's SHA-256, in hex
  std::string sums;                // a SHA256SUMS file or URL naming each item's SHA-256
  int timeout_s = 30;
};

// Shows a fetch's progress on stderr: one line rewritten on a terminal, else a line at most
// every 2 s.
class FetchProgress {
 public:
  explicit FetchProgress(std::string what) : what_(std::move(what)), tty_(::isatty(2) != 0) {}

  void Update(uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (!tty_ && now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    std::cerr << (tty_ ? "\r" : "") << "mint: fetching " << what_ << ": " << Bytes(done)
              << (total > 0 ? " of " + Bytes(total) : std::string()) << (tty_ ? "   " : "\n")
              << std::flush;
    shown_ = true;
  }
  void Done() {
    if (tty_ && shown_) std::cerr << "\n";
  }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::string what_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;  // nothing shown for a short fetch
};

Result<std::vector<uint8_t>> Fetch(const std::string& url, int timeout_s) {
  FetchProgress progress(url);
  FetchOptions options;
  options.timeout_s = timeout_s;
  options.progress = [&progress](uint64_t done, uint64_t total) { progress.Update(done, total); };
  auto bytes = FetchUrl(url, options);
  progress.Done();
  if (bytes) {
    double seconds = std::max(progress.Seconds(), 1e-3);
    char took[64];
    std::snprintf(took, sizeof(took), "%.2f s, %.1f MiB/s", seconds,
                  static_cast<double>(bytes->size()) / (1 << 20) / seconds);
    std::cerr << "mint: fetched " << url << ": " << Bytes(bytes->size()) << " in " << took << "\n";
  }
  return bytes;
}

// The SHA-256 `item` must have, from --sha256 or the SHA256SUMS text; nullopt: not asked.
Result<std::optional<Sha256Digest>> ExpectedSha(const AddArgs& args, const std::string& item,
                                                const std::optional<std::string>& sums_text) {
  if (!args.sha256.empty())
    return std::optional<Sha256Digest>(MINT_TRY(ParseSha256Hex(args.sha256)));
  if (!sums_text) return std::optional<Sha256Digest>();
  std::string name =
      LooksLikeUrl(item) ? UrlFileName(item) : std::filesystem::path(item).filename().string();
  if (name.empty()) return Fail(item, ": no file name to look up in ", args.sums);
  return std::optional<Sha256Digest>(MINT_TRY(FindInSha256Sums(*sums_text, name, args.sums)));
}

Result<int> StoreAdd(const StoreArgs& args, const AddArgs& add) {
  // Everything that can be refused is refused before anything is fetched or stored.
  bool any_url = false;
  for (const std::string& item : add.items) {
    if (!LooksLikeUrl(item)) continue;
    MINT_TRY_VOID(CheckFetchUrl(item));
    any_url = true;
  }
  if (!add.sha256.empty()) {
    if (!add.sums.empty()) return Fail("give --sha256 or --sums, not both");
    if (add.items.size() != 1)
      return Fail("--sha256 names one image's SHA-256; for ", std::to_string(add.items.size()),
                  " images give --sums (a SHA256SUMS file or URL)");
    MINT_TRY(ParseSha256Hex(add.sha256));
  }
  if (any_url && add.sha256.empty() && add.sums.empty())
    return Fail(
        "an image from the network needs the SHA-256 it must have: --sha256 HEX, or "
        "--sums FILE|URL (a SHA256SUMS file as sha256sum writes it)");
  std::optional<std::string> sums_text;
  if (!add.sums.empty()) {
    std::vector<uint8_t> sums = LooksLikeUrl(add.sums) ? MINT_TRY(Fetch(add.sums, add.timeout_s))
                                                       : MINT_TRY(ReadFile(add.sums, "SHA256SUMS"));
    sums_text = std::string(sums.begin(), sums.end());
  }
  std::vector<std::optional<Sha256Digest>> expect;  // every lookup before the first fetch
  for (const std::string& item : add.items)
    expect.push_back(MINT_TRY(ExpectedSha(add, item, sums_text)));
  auto session = MINT_TRY(OpenStore(args));
  for (size_t i = 0; i < add.items.size(); ++i) {
    const std::string& item = add.items[i];
    const std::optional<Sha256Digest>& expected = expect[i];
    ImageSource source;
    std::vector<uint8_t> bytes;
    if (LooksLikeUrl(item)) {
      bytes = MINT_TRY(Fetch(item, add.timeout_s));
      source.path = item;  // found by its SHA-256 later, never by stat(2)
      source.size = bytes.size();
    } else {
      source = MINT_TRY(StatSource(item));
      bytes = MINT_TRY(ReadFile(item, "image"));
    }
    Sha256Digest sha = Sha256Of(bytes);
    if (expected && sha != *expected)
      return Fail(item, ": its SHA-256 is ", HexDigest(sha), ", not the ", HexDigest(*expected),
                  " expected (", add.sums.empty() ? "--sha256" : add.sums, "); ",
                  Bytes(bytes.size()), " read, nothing stored");
    uint64_t xxh64 = Xxh64Of(bytes);
    auto locked = MINT_TRY(session->Lock());
    auto added = (*locked)->AddHashed(bytes, source, sha, xxh64);
    if (!added) return Fail(item, ": ", added.error().message);
    SayEvicted(added->evicted);
    std::cout << (added->already_stored ? "already stored " : "stored ") << ShortSha(sha) << " "
              << item << " (" << Bytes(bytes.size()) << (expected ? ", SHA-256 as expected" : "")
              << ")\n";
    // An x86_64 kernel also gets its unpacked kernel beside it, once, so nodes booting it
    // can be entered directly (docs/trampoline.md, --entry).
    auto derived = AddDerivedKernel(locked->store(), bytes, sha);
    if (!derived)
      std::cerr << "mint: store: " << item
                << ": its unpacked kernel was not stored: " << derived.error().message << "\n";
    else if (*derived)
      std::cout << "stored the unpacked kernel of " << item << " for direct entry\n";
  }
  return 0;
}

Result<int> StoreLs(const StoreArgs& args, bool json) {
  auto session = MINT_TRY(OpenStore(args));
  auto locked = MINT_TRY(session->Lock());
  ResidentStore& store = locked->store();
  std::vector<StoredImage> images = store.Images();
  std::sort(images.begin(), images.end(),
            [](const StoredImage& a, const StoredImage& b) { return a.last_used > b.last_used; });
  if (json) {
    nlohmann::json out = {{"store", session->Describe()},
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
            << Bytes(store.Capacity()) << " used; " << session->Describe() << "\n";
  return 0;
}

Result<int> StoreRm(const StoreArgs& args, const std::vector<std::string>& keys) {
  auto session = MINT_TRY(OpenStore(args));
  auto locked = MINT_TRY(session->Lock());
  for (const std::string& key : keys) {
    StoredImage image = MINT_TRY(FindOne(locked->store(), key));
    MINT_TRY_VOID((*locked)->Remove(image.sha256));
    std::cout << "removed " << DescribeStored(image) << "\n";
  }
  return 0;
}

// Exits 1 when any image was bad (after listing them).
Result<int> StoreVerify(const StoreArgs& args) {
  auto session = MINT_TRY(OpenStore(args));
  auto locked = MINT_TRY(session->Lock());
  auto index = (*locked)->CheckIndex();
  if (!index) return Fail("the store's index is inconsistent: ", index.error().message);
  std::vector<StoredImage> bad = (*locked)->VerifyAll();
  for (const StoredImage& image : bad) {
    std::cout << "BAD " << DescribeStored(image)
              << ": its bytes no longer have its SHA-256; dropped\n";
    (void)(*locked)->Remove(image.sha256);
  }
  size_t total = (*locked)->Images().size() + bad.size();
  std::cout << total - bad.size() << " of " << total << " image(s) match their SHA-256\n";
  return bad.empty() ? 0 : 1;
}

Result<int> StoreCorrupt(const StoreArgs& args, const std::string& key) {
  auto session = MINT_TRY(OpenStore(args));
  auto locked = MINT_TRY(session->Lock());
  StoredImage image = MINT_TRY(FindOne(locked->store(), key));
  session->Mapping()[image.offset + image.size / 2] ^= 0x40;
  std::cout << "flipped one byte in the middle of " << DescribeStored(image) << "\n";
  return 0;
}

}  // namespace

void AddStore(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<StoreArgs>();
  CLI::App* cmd = app.add_subcommand("store", "manage the resident image store");
  cmd->footer(
      "The resident image store: kernels and initrds kept in the plan's [host] store range\n"
      "(reserved memory the host module claims and maps), named by SHA-256. `mint boot` takes\n"
      "images from it and puts images it read from disk into it (docs/store.md). The options\n"
      "above go before or after the subcommand: mint store ls --plan PLAN.");
  // Not require_subcommand(1): its error would also answer "mint store frob", which CLI11
  // reports better as an argument not expected.
  cmd->callback([cmd] {
    if (cmd->get_subcommands().empty())
      throw CLI::RequiredError("a subcommand (add, ls, rm, verify or corrupt)");
  });
  cmd->add_option("--plan", args->plan_path,
                  "the plan whose [host] store to use (without one, the range the module "
                  "already holds)")
      ->envname("MINT_PLAN");
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->add_option("--store-file", args->file, "keep the store in a plain file instead (no module)");
  cmd->add_option("--store-size", args->size_text, "the file's size when it is created, e.g. 64M")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            auto size = ParseSize(text);
            return size ? "" : size.error().message;
          },
          "SIZE"));

  // Each subcommand also takes the options above after its name (fallthrough).
  auto subcommand = [cmd](const char* name, const char* help) {
    CLI::App* sub = cmd->add_subcommand(name, help);
    sub->fallthrough();
    sub->footer("");  // not the store's, which subcommands inherit
    return sub;
  };

  auto add_args = std::make_shared<AddArgs>();
  CLI::App* add =
      subcommand("add", "store these files or URLs (evicts least recently used images when full)");
  add->add_option("FILE|URL", add_args->items,
                  "kernel or initrd images: files, or http://, https:// or tftp:// URLs")
      ->required();
  add->add_option("--sha256", add_args->sha256,
                  "the SHA-256 (hex) the one image must have; checked before it is stored");
  add->add_option("--sums", add_args->sums,
                  "a SHA256SUMS file or URL (sha256sum's format) giving each image's SHA-256 by "
                  "file name");
  add->add_option("--timeout", add_args->timeout_s,
                  "seconds to connect, and the longest a transfer may stall")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  add->footer(
      "A URL is fetched by mint-fetch (libcurl; TFTP with 65464-byte blocks) and needs --sha256\n"
      "or --sums: an image whose SHA-256 differs is refused, naming both, and nothing is\n"
      "stored. A file may be checked the same way. Progress goes to stderr (docs/store.md).");
  add->callback([args, add_args, &chosen] {
    chosen = [args, add_args] { return StoreAdd(*args, *add_args); };
  });

  auto json = std::make_shared<bool>(false);
  CLI::App* ls = subcommand("ls", "list the stored images, least recently used last");
  ls->add_flag("--json", *json, "print the store and its images as JSON");
  ls->callback([args, json, &chosen] { chosen = [args, json] { return StoreLs(*args, *json); }; });

  auto keys = std::make_shared<std::vector<std::string>>();
  CLI::App* rm = subcommand("rm", "drop images by SHA-256 prefix or by the path they came from");
  rm->add_option("SHA|PATH", *keys, "a prefix of an image's SHA-256, or its source path")
      ->required();
  rm->callback([args, keys, &chosen] { chosen = [args, keys] { return StoreRm(*args, *keys); }; });

  CLI::App* verify = subcommand(
      "verify", "recompute every image's SHA-256; drop and report the bad ones (exit 1 if any)");
  verify->callback([args, &chosen] { chosen = [args] { return StoreVerify(*args); }; });

  auto key = std::make_shared<std::string>();
  CLI::App* corrupt =
      subcommand("corrupt", "flip one byte of a stored image (to test the per-use check)");
  corrupt->add_option("SHA|PATH", *key, "a prefix of the image's SHA-256, or its source path")
      ->required();
  corrupt->callback(
      [args, key, &chosen] { chosen = [args, key] { return StoreCorrupt(*args, *key); }; });
}

}  // namespace mint::cli
