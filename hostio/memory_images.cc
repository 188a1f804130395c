// Memory images: mint snapshot's reading of a suspended node, and the source a boot names.
#include "memory_images.h"
#include "format.h"

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>

#include "devices.h"
#include "files.h"
#include "layout.h"
#include "root_server.h"

namespace mint {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

constexpr uint64_t kReadChunk = 4 << 20;
constexpr char kStoreNamePrefix[] = "snapshot:";

}  // namespace

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

Result<SnapshotResult> TakeSnapshot(HostDevice& host, const mint_node_status& node,
                                    const std::vector<std::string>& devices, StoreSession* store,
                                    const std::string& name, PageCodec store_codec,
                                    const std::string& out_path, PageCodec file_codec) {
  std::string node_name(node.name, strnlen(node.name, sizeof(node.name)));
  if (node.state != MINT_STATE_SUSPENDED)
    return Fail("node ", node_name, " is not suspended; 'mint suspend ", node_name,
                "' first (an image of a running node would be torn)");
  // A diskless node's kernel holds an NBD connection to its root server (docs/diskless.md):
  // an image would resume it against a server that no longer knows that connection.
  if (std::optional<int> server = RootServerPid(node_name, DefaultRootServerPaths()))
    return Fail("node ", node_name, " is diskless (its root is served by qemu-nbd, pid ",
                std::to_string(*server),
                "): an image of it is not built (its NBD connection "
                "would not survive the resume)");
  // Memory given while it ran (docs/memory-handover.md) is not in the boot layout an image
  // boot rebuilds: an image of it would resume a kernel that uses memory it no longer has.
  for (uint32_t i = 1; i < node.n_ranges && i < MINT_MAX_RANGES; ++i) {
    mint_mem query{};
    query.op = MINT_MEM_QUERY;
    query.id = node.id;
    query.start = node.ranges[i].start;
    auto q = host.Mem(query);
    if (q && q->given)
      return Fail("node ", node_name, " holds memory ",
                  FormatRange({node.ranges[i].start, node.ranges[i].start + node.ranges[i].size}),
                  " given while it ran; an image cannot hold it: 'mint resume ", node_name,
                  "', 'mint mem take ", node_name, "', then suspend and snapshot");
  }
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

}  // namespace mint
