// Memory images (docs/suspend.md): mint snapshot NODE saves a suspended node's memory
// (lib/memory_image.h); mint boot PLAN --image SRC puts it back into a node of the same layout
// and resumes it, so the node is up without booting.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "boot_node.h"
#include "commands.h"
#include "devices.h"
#include "files.h"
#include "image.h"
#include "image_store.h"
#include "layout.h"
#include "memory_image.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kSnapshotUsage =
    "usage: mint snapshot NODE [--out FILE] [--name NAME] [--plan PLAN] [--no-store] [--json]\n"
    "                          [--store-codec raw|lz4] [--file-codec raw|lz4] [--device PATH]\n"
    "\n"
    "Saves a suspended node's memory (mint suspend NODE first) as a memory image: its non-zero\n"
    "pages with the layout they depend on (memory ranges, low slice, APIC IDs, status page, and\n"
    "the devices the node owns). The image goes into the plan's resident store as NAME\n"
    "(default: the node's name), and to FILE with --out. 'mint boot PLAN --image NAME|FILE'\n"
    "resumes it in a node of the same layout, on this host or after a reboot. The node stays\n"
    "suspended.\n"
    "  --plan PLAN   the plan the node was booted from (default: the one mint remembers): its\n"
    "                store, and the devices the node owns\n"
    "  --no-store    only write FILE\n"
    "  --store-codec, --file-codec\n"
    "                how the pages are kept: raw (a boot copies them straight from the store\n"
    "                into the node; the store's default) or LZ4 (smaller, decompressed at\n"
    "                boot; the file's default)\n";

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

constexpr uint64_t kReadChunk = 4 << 20;
constexpr char kStoreNamePrefix[] = "snapshot:";

// The layout a plan's node would give an image: ranges as the module holds them (low slice
// first), cores, and the status page at the start of its lowest memory (lib/layout.h).
MemoryImageLayout PlanLayout(const NodePlan& node) {
  MemoryImageLayout layout;
  layout.node = node.name;
  if (node.low) layout.ranges.push_back(*node.low);
  layout.ranges.insert(layout.ranges.end(), node.memory.begin(), node.memory.end());
  layout.apic_ids = node.cpus;
  layout.devices = NodeDeviceNames(node);
  uint64_t lowest = UINT64_MAX;
  for (const PhysRange& range : node.memory) lowest = std::min(lowest, range.start);
  layout.status_page = lowest + kStatusPageOffset;
  return layout;
}

Result<PageCodec> ParseCodec(const std::string& text) {
  if (text == "raw") return PageCodec::kRaw;
  if (text == "lz4") return PageCodec::kLz4;
  return Fail("codec '", text, "': raw or lz4");
}

// The image SRC names: a file, or an image in the store (kept as "snapshot:NAME"), viewed in
// place (the store stays locked while the view lives). No separate store check: the image's
// own XXH64 covers the same bytes and ParseMemoryImage checks it.
Result<ImageBytes> ReadImageSource(const std::string& source, StoreSession* store) {
  std::ifstream probe(source);
  if (probe.good()) return ImageBytes(MINT_TRY(MappedFile::Map(source, "memory image")));
  if (store == nullptr)
    return Fail("no file ", source, ", and the plan has no store to find an image named so in");
  auto locked = MINT_TRY(store->Lock());
  std::optional<StoredImage> newest;
  for (const StoredImage& image : (*locked)->Images()) {
    if (image.source.path == kStoreNamePrefix + source &&
        (!newest || image.last_used > newest->last_used))
      newest = image;
  }
  if (!newest)
    return Fail("no file ", source, " and no image named ", source, " in the ", store->Describe(),
                " (mint snapshot puts them there)");
  auto bytes = (*locked)->Bytes(*newest);
  (*locked)->Touch(*newest);
  locked->Pin(newest->sha256);
  return ImageBytes(bytes, std::move(locked));
}

}  // namespace

Result<SnapshotResult> TakeSnapshot(HostDevice& host, const mint_node_status& node,
                                    const std::vector<std::string>& devices, StoreSession* store,
                                    const std::string& name, PageCodec store_codec,
                                    const std::string& out_path, PageCodec file_codec) {
  std::string node_name(node.name, strnlen(node.name, sizeof(node.name)));
  if (node.state != MINT_STATE_SUSPENDED)
    return Fail("node ", node_name, " is not suspended; 'mint suspend ", node_name,
                "' first (an image of a running node would be torn)");
  MemoryImageLayout layout;
  layout.node = node_name;
  for (uint32_t i = 0; i < node.n_ranges && i < MINT_MAX_RANGES; ++i)
    layout.ranges.push_back({node.ranges[i].start, node.ranges[i].start + node.ranges[i].size});
  layout.apic_ids.assign(node.apic_ids,
                         node.apic_ids + std::min<uint32_t>(node.n_cpus, MINT_MAX_CPUS));
  layout.status_page = node.status_phys;
  layout.devices = devices;

  SnapshotResult result;
  auto start = Clock::now();
  MemoryImageWriter writer(layout);
  std::vector<uint8_t> chunk(kReadChunk);
  for (const PhysRange& range : layout.ranges) {
    for (uint64_t at = range.start; at < range.end; at += kReadChunk) {
      std::span<uint8_t> piece(chunk.data(), std::min<uint64_t>(kReadChunk, range.end - at));
      MINT_TRY_VOID(host.Read(node.id, at, piece));
      MINT_TRY_VOID(writer.Add(at, piece));
      result.pages += piece.size() / kPage;
    }
  }
  result.read_ms = MsSince(start);
  result.nonzero_pages = writer.nonzero_pages();
  auto finish = [&](PageCodec codec) {
    auto compress_start = Clock::now();
    auto image = writer.Finish(codec);
    if (codec == PageCodec::kLz4) result.compress_ms = MsSince(compress_start);
    return image;
  };
  if (!out_path.empty()) {
    auto image = MINT_TRY(finish(file_codec));
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(image.data()),
              static_cast<std::streamsize>(image.size()));
    out.flush();
    if (!out) return Fail("cannot write the image to ", out_path);
    result.file_bytes = image.size();
  }
  if (store != nullptr) {
    auto image = MINT_TRY(finish(store_codec));
    auto locked = MINT_TRY(store->Lock());
    ImageSource source;
    source.path = kStoreNamePrefix + name;
    source.size = image.size();
    auto added = (*locked)->Add(image, source);
    if (!added) return Fail("the image was not stored: ", added.error().message);
    for (const StoredImage& evicted : added->evicted)
      std::cerr << "mint: store: full; evicted the least recently used image "
                << evicted.source.path << "\n";
    result.store_bytes = image.size();
  }
  return result;
}

int Snapshot(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kSnapshotUsage, 0);
  bool json = TakeFlag(args, "--json");
  bool no_store = TakeFlag(args, "--no-store");
  std::string out_path, name, plan_path, device = "/dev/mint";
  std::string store_codec_text = "raw", file_codec_text = "lz4";
  bool ok = true;
  TakeValue(args, "--store-codec", store_codec_text, ok);
  TakeValue(args, "--file-codec", file_codec_text, ok);
  TakeValue(args, "--out", out_path, ok);
  TakeValue(args, "--name", name, ok);
  TakeValue(args, "--plan", plan_path, ok);
  TakeValue(args, "--device", device, ok);
  if (!ok) return 2;
  if (args.size() != 1 || args[0].starts_with("-")) return Usage(kSnapshotUsage, 2);
  const std::string& node_name = args[0];
  if (name.empty()) name = node_name;
  if (no_store && out_path.empty())
    return Error("--no-store needs --out FILE: the image must go somewhere");
  auto store_codec = ParseCodec(store_codec_text);
  auto file_codec = ParseCodec(file_codec_text);
  if (!store_codec || !file_codec)
    return Error(!store_codec ? "--store-codec: " + store_codec.error().message
                              : "--file-codec: " + file_codec.error().message);

  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto node = FindNodeByName(**host, node_name);
  if (!node) return Error(node.error().message);
  if (node->state != MINT_STATE_SUSPENDED)
    return Error("node " + node_name + " is not suspended; 'mint suspend " + node_name +
                 "' first (an image of a running node would be torn)");
  // The plan says which devices the node owns (recorded in the image) and where its store is.
  if (plan_path.empty()) plan_path = RememberedPlan(node_name).value_or("");
  std::optional<Plan> plan;
  if (!plan_path.empty()) {
    auto loaded = LoadPlanFile(plan_path);
    if (!loaded) return Error(loaded.error().message);
    plan = std::move(*loaded);
  }
  const NodePlan* node_plan = plan ? plan->FindNode(node_name) : nullptr;
  if (node_plan == nullptr && NodeOwnsDevices(node_name))
    return Error("node " + node_name + " owns devices" +
                 (plan ? ", and " + plan_path + " has no node of that name" : "") +
                 ": give --plan PLAN (the plan it was booted from) so the image records them");
  std::vector<std::string> devices;
  if (node_plan != nullptr) devices = NodeDeviceNames(*node_plan);
  std::unique_ptr<StoreSession> store;
  if (!no_store) {
    if (!plan)
      return Error("no plan is remembered for node " + node_name +
                   ": give --plan PLAN (for its store) or --no-store --out FILE");
    if (!plan->host.store)
      return Error(plan_path +
                   " has no [host] store to keep the image in; give --out FILE --no-store, or "
                   "add a store to the plan");
    auto opened = OpenPlanStore(plan->host, device);
    if (!opened) return Error(opened.error().message);
    store = std::move(*opened);
  }
  auto taken =
      TakeSnapshot(**host, *node, devices, store.get(), name, *store_codec, out_path, *file_codec);
  if (!taken) return Error("node " + node_name + ": " + taken.error().message);
  if (json) {
    std::cout << nlohmann::json{{"node", node_name},
                                {"name", name},
                                {"pages", taken->pages},
                                {"nonzero_pages", taken->nonzero_pages},
                                {"nonzero_bytes", taken->nonzero_pages * kPage},
                                {"file_bytes", taken->file_bytes},
                                {"store_bytes", taken->store_bytes},
                                {"read_ms", taken->read_ms},
                                {"compress_ms", taken->compress_ms},
                                {"file", out_path},
                                {"stored", store != nullptr}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf(
      "mint: memory image of node %s: %llu of %llu pages are non-zero (%s), read in %.0f ms\n",
      node_name.c_str(), static_cast<unsigned long long>(taken->nonzero_pages),
      static_cast<unsigned long long>(taken->pages), MiB(taken->nonzero_pages * kPage).c_str(),
      taken->read_ms);
  if (store)
    std::printf("  in the store as %s: %s (%s)\n", name.c_str(), MiB(taken->store_bytes).c_str(),
                store_codec_text.c_str());
  if (!out_path.empty())
    std::printf(
        "  written to %s: %s (%s%s)\n", out_path.c_str(), MiB(taken->file_bytes).c_str(),
        file_codec_text.c_str(),
        *file_codec == PageCodec::kLz4
            ? (", compressed in " + std::to_string(static_cast<int>(taken->compress_ms)) + " ms")
                  .c_str()
            : "");
  return 0;
}

Result<ImageBootResult> BootFromImage(HostDevice& host, const Plan& plan,
                                      const std::string& node_name, const std::string& source,
                                      StoreSession* store, double timeout_s) {
  ImageBootResult result;
  auto start = Clock::now();
  auto bytes = MINT_TRY(ReadImageSource(source, store));
  result.read_ms = MsSince(start);
  auto check_start = Clock::now();
  auto image = MINT_TRY(ParseMemoryImage(bytes));
  result.check_ms = MsSince(check_start);
  const std::string& wanted = node_name.empty() ? image.layout.node : node_name;
  const NodePlan* found = plan.FindNode(wanted);
  if (found == nullptr)
    return Fail("the plan has no node named '", wanted, "' to resume the image ", source, " as");
  const NodePlan& node = *found;
  if (!node.low) return Fail("node ", node.name, " has no low slice assigned");
  result.node = node.name;
  std::string mismatch = LayoutMismatch(image.layout, PlanLayout(node));
  if (!mismatch.empty())
    return Fail("the memory image ", source, " (node ", image.layout.node,
                ") cannot resume as node ", node.name, ": ", mismatch);
  auto unpack_start = Clock::now();
  std::vector<uint8_t> unpacked;
  std::span<const uint8_t> pages = image.data;  // raw: straight from where the image lies
  if (image.codec == PageCodec::kLz4) {
    unpacked = MINT_TRY(DecompressPages(image));
    pages = unpacked;
  }
  result.decompress_ms = MsSince(unpack_start);
  result.image_bytes = bytes.size();
  result.page_bytes = image.page_bytes;

  auto info = MINT_TRY(host.Info());
  MINT_TRY_VOID(EnsureTrampoline(host, plan.host));
  // The node's kernel resumes with its drivers bound to its devices: they come off the host's
  // drivers first, as for a boot (mint stop gives them back; a failure here does). The drivers'
  // resume callbacks set the devices up again, whatever the host did with them meanwhile.
  if (auto fenced = FenceNodeDevices(node); !fenced) {
    GiveBackNodeDevices(node.name);
    return Fail("node ", node.name, ": ", fenced.error().message);
  }
  NodeClaim claim;
  claim.name = node.name;
  claim.apic_ids = node.cpus;
  claim.low = *node.low;
  claim.memory = node.memory;
  claim.status_page = image.layout.status_page;
  auto created = host.Create(claim);
  if (!created) {
    GiveBackNodeDevices(node.name);
    return Fail(created.error().message);
  }
  uint32_t id = *created;
  auto give_back = [&](const std::string& why) -> Result<ImageBootResult> {
    (void)host.Destroy(id);
    GiveBackNodeDevices(node.name);
    return Fail("node ", node.name, ": ", why);
  };
  auto copy_start = Clock::now();
  for (const PageRun& run : ZeroRuns(image)) {
    auto zeroed = host.Zero(id, run.phys, run.pages * kPage);
    if (!zeroed) return give_back(zeroed.error().message);
  }
  result.zero_ms = MsSince(copy_start);
  auto load_start = Clock::now();
  size_t offset = 0;
  for (const PageRun& run : image.runs) {
    auto loaded = host.Load(id, run.phys, pages.subspan(offset, run.pages * kPage));
    if (!loaded) return give_back(loaded.error().message);
    offset += run.pages * kPage;
  }
  result.copy_ms = MsSince(load_start);
  result.host_ms = MsSince(start);
  auto resumed = host.Resume(id);
  if (!resumed) return give_back(resumed.error().message);
  uint64_t sipi = resumed->tsc_sipi;
  // The image was taken while its agent's suspend request was open: its return is userspace.
  for (;;) {
    auto status = MINT_TRY(host.Status(id));
    if (status.state != MINT_STATE_READY)
      return Fail("node ", node.name, " did not resume from the image: the module says state ",
                  std::to_string(status.state));
    if (status.page.tsc_resumed > sipi) {
      result.sipi_to_user_ms = TscMs(sipi, status.page.tsc_resumed, info.tsc_khz);
      result.sipi_to_kernel_ms = TscMs(sipi, status.tsc_kernel_back, info.tsc_khz);
      break;
    }
    if (SecondsSinceTsc(sipi, info.tsc_khz) > timeout_s)
      return Fail("node ", node.name,
                  ": resumed from the image, but its userspace did not say "
                  "so within ",
                  std::to_string(static_cast<int>(timeout_s)), " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.total_ms = MsSince(start);
  result.id = id;
  return result;
}

}  // namespace mint::cli
