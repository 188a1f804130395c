// A node's memory image: what `mint snapshot` saves of a suspended node and `mint boot --image`
// puts back, so the node resumes instead of booting (docs/suspend.md).
//
// Only the pages that are not all zero are kept, in runs of consecutive pages, either raw (a
// restore then copies them straight from where the image lies, e.g. the resident store) or
// LZ4-compressed as one block (LZ4 for its decompression speed: restoring is on the boot path,
// though under QEMU TCG it runs at ~190 MB/s). A restore
// zeroes every other page of the node's memory, so an image never depends on what a previous
// tenant left there. The image is tied to its physical layout: the same memory ranges, low
// slice, cores (APIC IDs) and status page; a plan that differs is refused.
//
// Format (little-endian, every part 8-byte aligned):
//   MemoryImageHeader (128 bytes)
//   n_ranges x {start, end}      the node's memory, the low slice first (u64 pairs)
//   n_cpus x u32 APIC IDs        padded to 8 bytes
//   devices                      (version 2) `device_bytes` of NUL-terminated names, padded
//                                to 8: the devices the node owned ("pci 0000:01:00.0", ...)
//   n_runs x {phys, pages}       non-zero page runs, ascending, inside the ranges (u64 pairs)
//   page data                    sum(pages) * 4096 bytes, the runs in order: raw, or one LZ4
//                                block (flags)
// `checksum` is the XXH64 of everything after the header.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plan.h"
#include "result.h"

namespace mint {

inline constexpr char kMemoryImageMagic[8] = {'M', 'I', 'N', 'T', 'I', 'M', 'G', '1'};
// 2: the devices the node owned (read: 1 and 2; an image of version 1 owned none).
inline constexpr uint32_t kMemoryImageVersion = 2;

struct MemoryImageHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;  // sizeof(MemoryImageHeader)
  char node[32];          // the node's name when the image was taken, NUL-padded
  uint32_t n_ranges;
  uint32_t n_cpus;
  uint64_t n_runs;
  uint64_t status_page;
  uint64_t page_bytes;        // uncompressed page data
  uint64_t compressed_bytes;  // the LZ4 block
  uint64_t total_pages;       // pages in the ranges (zero ones included)
  uint64_t checksum;          // XXH64 of the bytes after the header
  uint64_t flags;             // kMemoryImageRaw, or 0: LZ4
  uint64_t device_bytes;      // version 2: the devices section, padding included
  uint64_t reserved;
};
inline constexpr uint64_t kMemoryImageRaw = 1;  // page data stored as is

enum class PageCodec { kRaw, kLz4 };
static_assert(sizeof(MemoryImageHeader) == 128);

// What an image depends on.
struct MemoryImageLayout {
  std::string node;
  std::vector<PhysRange> ranges;  // low slice first
  std::vector<uint32_t> apic_ids;
  uint64_t status_page = 0;
  // The devices the node owned (NodeDeviceNames), sorted: its kernel resumes with drivers
  // bound to them, so it may only resume where it owns exactly these again.
  std::vector<std::string> devices;
  bool operator==(const MemoryImageLayout&) const = default;
};

struct PageRun {
  uint64_t phys = 0;
  uint64_t pages = 0;
};

// Collects a node's memory range by range (in layout order, each in any number of pieces in
// address order) and keeps its non-zero pages.
class MemoryImageWriter {
 public:
  explicit MemoryImageWriter(MemoryImageLayout layout) : layout_(std::move(layout)) {}
  // `bytes` are the node's memory at `phys` (page aligned, a whole number of pages, inside a
  // range of the layout).
  Result<void> Add(uint64_t phys, std::span<const uint8_t> bytes);
  // The image, its page data stored raw or LZ4-compressed. Can be called more than once.
  Result<std::vector<uint8_t>> Finish(PageCodec codec = PageCodec::kLz4) const;
  uint64_t nonzero_pages() const { return pages_.size() / 4096; }

 private:
  MemoryImageLayout layout_;
  std::vector<PageRun> runs_;
  std::vector<uint8_t> pages_;
};

// A parsed image: its layout and runs, the compressed data still packed.
struct MemoryImage {
  MemoryImageLayout layout;
  std::vector<PageRun> runs;
  uint64_t page_bytes = 0;
  uint64_t total_pages = 0;
  PageCodec codec = PageCodec::kLz4;
  std::span<const uint8_t> data;  // the page data as stored: into the bytes parsed
};

// Checks everything (magic, version, sizes, checksum, ranges, runs inside them and in order)
// without decompressing; trailing bytes after the image are ignored (a block device).
Result<MemoryImage> ParseMemoryImage(std::span<const uint8_t> bytes);
// The page data of an LZ4 image, runs in order (page_bytes bytes). A raw image's is `data`.
Result<std::vector<uint8_t>> DecompressPages(const MemoryImage& image);
// The pages of the layout's ranges that are in no run: what a restore zeroes.
std::vector<PageRun> ZeroRuns(const MemoryImage& image);
// A plan node's devices as an image records them: "pci 0000:01:00.0", "io_apic 1",
// "virtio_mmio 0xfeb02e00-0xfeb02fff@47", sorted.
std::vector<std::string> NodeDeviceNames(const NodePlan& node);
// Why `image` cannot resume as `want`, naming the first difference; empty when it can.
std::string LayoutMismatch(const MemoryImageLayout& image, const MemoryImageLayout& want);

}  // namespace mint
