#include "memory_image.h"

#include <lz4.h>
#include <lz4hc.h>

#include <algorithm>
#include <cstring>

#include "boot_protocol.h"
#include "format.h"
#include "pci.h"
#include "store.h"

namespace mint {
namespace {

bool AllZero(const uint8_t* page) {
  uint64_t acc = 0;
  for (size_t i = 0; i < kPage; i += 8) {
    uint64_t word;
    std::memcpy(&word, page + i, 8);
    acc |= word;
  }
  return acc == 0;
}

void Put(std::vector<uint8_t>& out, const void* data, size_t size) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  out.insert(out.end(), bytes, bytes + size);
}

void Put64(std::vector<uint8_t>& out, uint64_t value) {
  Put(out, &value, sizeof(value));
}

}  // namespace

Result<void> MemoryImageWriter::Add(uint64_t phys, std::span<const uint8_t> bytes) {
  if (phys % kPage != 0 || bytes.size() % kPage != 0)
    return Fail("memory image: ", Hex(phys), " + ", Hex(bytes.size()), " is not whole pages");
  bool inside = false;
  for (const PhysRange& range : layout_.ranges)
    inside |= phys >= range.start && phys + bytes.size() <= range.end;
  if (!inside)
    return Fail("memory image: ", Hex(phys), " + ", Hex(bytes.size()),
                " is outside the node's memory");
  if (!runs_.empty() && phys < runs_.back().phys + runs_.back().pages * kPage)
    return Fail("memory image: ", Hex(phys), " comes before memory already added");
  for (size_t offset = 0; offset < bytes.size(); offset += kPage) {
    const uint8_t* page = bytes.data() + offset;
    if (AllZero(page)) continue;
    uint64_t at = phys + offset;
    if (!runs_.empty() && runs_.back().phys + runs_.back().pages * kPage == at)
      ++runs_.back().pages;
    else
      runs_.push_back({at, 1});
    pages_.insert(pages_.end(), page, page + kPage);
  }
  return Ok{};
}

Result<std::vector<uint8_t>> MemoryImageWriter::Finish(PageCodec codec) const {
  std::vector<uint8_t> compressed;
  if (codec == PageCodec::kLz4) {
    if (pages_.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE))
      return Fail("memory image: ", MiB(pages_.size()),
                  " of non-zero pages is more than LZ4 takes; store it raw");
    compressed.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(pages_.size()))));
    int packed = LZ4_compress_default(
        reinterpret_cast<const char*>(pages_.data()), reinterpret_cast<char*>(compressed.data()),
        static_cast<int>(pages_.size()), static_cast<int>(compressed.size()));
    if (packed <= 0 && !pages_.empty()) return Fail("memory image: LZ4 compression failed");
    compressed.resize(static_cast<size_t>(std::max(packed, 0)));
  }
  std::span<const uint8_t> data = codec == PageCodec::kLz4 ? std::span<const uint8_t>(compressed)
                                                           : std::span<const uint8_t>(pages_);

  std::vector<uint8_t> body;
  for (const PhysRange& range : layout_.ranges) {
    Put64(body, range.start);
    Put64(body, range.end);
  }
  for (uint32_t id : layout_.apic_ids) Put(body, &id, sizeof(id));
  if (layout_.apic_ids.size() % 2) Put(body, "\0\0\0\0", 4);
  size_t devices_at = body.size();
  for (const std::string& device : layout_.devices) Put(body, device.c_str(), device.size() + 1);
  while (body.size() % 8) Put(body, "", 1);
  uint64_t device_bytes = body.size() - devices_at;
  for (const PageRun& run : runs_) {
    Put64(body, run.phys);
    Put64(body, run.pages);
  }
  Put(body, data.data(), data.size());

  MemoryImageHeader header{};
  std::memcpy(header.magic, kMemoryImageMagic, sizeof(header.magic));
  header.version = kMemoryImageVersion;
  header.header_bytes = sizeof(MemoryImageHeader);
  std::memcpy(header.node, layout_.node.data(),
              std::min(layout_.node.size(), sizeof(header.node) - 1));
  header.n_ranges = static_cast<uint32_t>(layout_.ranges.size());
  header.n_cpus = static_cast<uint32_t>(layout_.apic_ids.size());
  header.n_runs = runs_.size();
  header.status_page = layout_.status_page;
  header.page_bytes = pages_.size();
  header.compressed_bytes = data.size();
  header.flags = codec == PageCodec::kRaw ? kMemoryImageRaw : 0;
  header.device_bytes = device_bytes;
  for (const PhysRange& range : layout_.ranges) header.total_pages += range.size() / kPage;
  header.checksum = Xxh64Of(body);
  std::vector<uint8_t> out;
  out.reserve(sizeof(header) + body.size());
  Put(out, &header, sizeof(header));
  Put(out, body.data(), body.size());
  return out;
}

Result<MemoryImage> ParseMemoryImage(std::span<const uint8_t> bytes) {
  MemoryImageHeader header;
  if (bytes.size() < sizeof(header))
    return Fail("not a memory image: ", std::to_string(bytes.size()), " bytes");
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (std::memcmp(header.magic, kMemoryImageMagic, sizeof(header.magic)) != 0)
    return Fail("not a memory image (no MINTIMG1 magic)");
  if (header.version < 1 || header.version > kMemoryImageVersion ||
      header.header_bytes != sizeof(header))
    return Fail("memory image version ", std::to_string(header.version), "; this mint reads 1 to ",
                std::to_string(kMemoryImageVersion));
  if (header.version < 2 && header.device_bytes != 0)
    return Fail("memory image: version 1 with a devices section");
  if (header.device_bytes % 8 || header.device_bytes > 64 * 1024)
    return Fail("memory image: a devices section of ", std::to_string(header.device_bytes),
                " bytes");
  if (header.n_ranges == 0 || header.n_ranges > 64 || header.n_cpus == 0 || header.n_cpus > 256)
    return Fail("memory image: ", std::to_string(header.n_ranges), " ranges and ",
                std::to_string(header.n_cpus), " cores make no node");
  uint64_t cpu_bytes = (uint64_t{header.n_cpus} * 4 + 7) / 8 * 8;
  uint64_t body = uint64_t{header.n_ranges} * 16 + cpu_bytes + header.device_bytes;
  uint64_t limit = bytes.size() - sizeof(header);
  if (header.n_runs > limit / 16 || header.compressed_bytes > limit ||
      body + header.n_runs * 16 + header.compressed_bytes > limit)
    return Fail(
        "memory image: truncated (", std::to_string(bytes.size()), " bytes, the header says ",
        std::to_string(sizeof(header) + body + header.n_runs * 16 + header.compressed_bytes), ")");
  body += header.n_runs * 16 + header.compressed_bytes;
  auto payload = bytes.subspan(sizeof(header), body);
  if (Xxh64Of(payload) != header.checksum) return Fail("memory image: checksum mismatch (damaged)");

  MemoryImage image;
  header.node[sizeof(header.node) - 1] = '\0';
  image.layout.node = header.node;
  image.layout.status_page = header.status_page;
  auto read64 = [&](size_t& at) {
    uint64_t value;
    std::memcpy(&value, payload.data() + at, 8);
    at += 8;
    return value;
  };
  size_t at = 0;
  uint64_t total = 0;
  for (uint32_t i = 0; i < header.n_ranges; ++i) {
    PhysRange range{read64(at), 0};
    range.end = read64(at);
    if (range.start % kPage || range.end % kPage || range.end <= range.start)
      return Fail("memory image: range ", FormatRange(range), " is not whole pages");
    for (const PhysRange& other : image.layout.ranges)
      if (range.Overlaps(other)) return Fail("memory image: ranges overlap");
    image.layout.ranges.push_back(range);
    total += range.size() / kPage;
  }
  for (uint32_t i = 0; i < header.n_cpus; ++i) {
    uint32_t id;
    std::memcpy(&id, payload.data() + at + i * 4, 4);
    image.layout.apic_ids.push_back(id);
  }
  at += cpu_bytes;
  auto devices = payload.subspan(at, header.device_bytes);
  for (size_t i = 0; i < devices.size();) {
    auto end = std::find(devices.begin() + static_cast<std::ptrdiff_t>(i), devices.end(), 0);
    if (end == devices.end()) return Fail("memory image: a device name without its NUL");
    size_t length = static_cast<size_t>(end - devices.begin()) - i;
    if (length == 0) {  // padding: only NULs may follow
      if (std::any_of(end, devices.end(), [](uint8_t b) { return b != 0; }))
        return Fail("memory image: bytes after the devices' padding");
      break;
    }
    image.layout.devices.emplace_back(reinterpret_cast<const char*>(devices.data()) + i, length);
    i += length + 1;
  }
  at += header.device_bytes;
  uint64_t pages = 0;
  for (uint64_t i = 0; i < header.n_runs; ++i) {
    PageRun run{read64(at), 0};
    run.pages = read64(at);
    bool inside = false;
    for (const PhysRange& range : image.layout.ranges)
      inside |= run.phys % kPage == 0 && run.phys >= range.start && run.phys < range.end &&
                run.pages > 0 && run.pages <= (range.end - run.phys) / kPage;
    if (!inside)
      return Fail("memory image: page run at ", Hex(run.phys), " is outside the node's memory");
    if (!image.runs.empty() && run.phys < image.runs.back().phys + image.runs.back().pages * kPage)
      return Fail("memory image: page runs out of order at ", Hex(run.phys));
    pages += run.pages;
    image.runs.push_back(run);
  }
  if (pages * kPage != header.page_bytes || header.total_pages != total)
    return Fail("memory image: the page counts do not add up");
  if (header.flags & ~kMemoryImageRaw)
    return Fail("memory image: unknown flags ", Hex(header.flags));
  image.codec = header.flags & kMemoryImageRaw ? PageCodec::kRaw : PageCodec::kLz4;
  if (image.codec == PageCodec::kRaw && header.compressed_bytes != header.page_bytes)
    return Fail("memory image: raw page data of ", std::to_string(header.compressed_bytes),
                " bytes for ", std::to_string(header.page_bytes));
  image.page_bytes = header.page_bytes;
  image.total_pages = total;
  image.data = payload.subspan(at, header.compressed_bytes);
  return image;
}

Result<std::vector<uint8_t>> DecompressPages(const MemoryImage& image) {
  if (image.codec == PageCodec::kRaw)
    return std::vector<uint8_t>(image.data.begin(), image.data.end());
  if (image.page_bytes > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE))
    return Fail("memory image: ", MiB(image.page_bytes), " of pages is more than LZ4 holds");
  std::vector<uint8_t> pages(image.page_bytes);
  int got = LZ4_decompress_safe(
      reinterpret_cast<const char*>(image.data.data()), reinterpret_cast<char*>(pages.data()),
      static_cast<int>(image.data.size()), static_cast<int>(pages.size()));
  if (got < 0 || static_cast<uint64_t>(got) != image.page_bytes)
    return Fail("memory image: the page data does not decompress to its ", MiB(image.page_bytes));
  return pages;
}

std::vector<PageRun> ZeroRuns(const MemoryImage& image) {
  std::vector<PageRun> zero;
  for (const PhysRange& range : image.layout.ranges) {
    uint64_t cursor = range.start;
    for (const PageRun& run : image.runs) {
      if (run.phys < range.start || run.phys >= range.end) continue;
      if (run.phys > cursor) zero.push_back({cursor, (run.phys - cursor) / kPage});
      cursor = run.phys + run.pages * kPage;
    }
    if (range.end > cursor) zero.push_back({cursor, (range.end - cursor) / kPage});
  }
  return zero;
}

std::vector<std::string> NodeDeviceNames(const NodePlan& node) {
  std::vector<std::string> names;
  for (const std::string& function : node.pci) {
    auto address = ParsePciAddress(function);
    names.push_back("pci " + (address ? FormatPciAddress(*address) : function));
  }
  if (node.io_apic) names.push_back("io_apic " + std::to_string(*node.io_apic));
  for (const VirtioMmioTransport& transport : node.virtio_mmio)
    names.push_back("virtio_mmio " + FormatVirtioMmio(transport));
  std::sort(names.begin(), names.end());
  return names;
}

std::string LayoutMismatch(const MemoryImageLayout& image, const MemoryImageLayout& want) {
  auto ranges = [](const std::vector<PhysRange>& list) {
    std::string text;
    for (const PhysRange& r : list) text += (text.empty() ? "" : ", ") + FormatRange(r);
    return text;
  };
  auto ids = [](const std::vector<uint32_t>& list) {
    std::string text;
    for (uint32_t id : list) text += (text.empty() ? "" : ",") + std::to_string(id);
    return text;
  };
  if (image.ranges != want.ranges)
    return "the image was taken with memory " + ranges(image.ranges) + "; this node has " +
           ranges(want.ranges);
  if (image.apic_ids != want.apic_ids)
    return "the image was taken on APIC IDs " + ids(image.apic_ids) + "; this node has " +
           ids(want.apic_ids);
  if (image.devices != want.devices) {
    auto list = [](const std::vector<std::string>& names) {
      std::string text;
      for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
      return text.empty() ? std::string("none") : text;
    };
    return "the image was taken owning devices " + list(image.devices) + "; this node owns " +
           list(want.devices);
  }
  if (image.status_page != want.status_page)
    return "the image's status page is " + Hex(image.status_page) + "; this node's is " +
           Hex(want.status_page);
  return "";
}

}  // namespace mint
