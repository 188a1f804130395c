// A node's memory image: what `mint snapshot` saves of a suspended node and `mint boot --image`
// puts back, so the node resumes instead of booting (docs/suspend.md).
//
// Only the pages that are not all zero are kept, in runs of consecutive pages, LZ4-compressed
// as one block (LZ4 for its decompression speed: restoring is on the boot path). A restore
// zeroes every other page of the node's memory, so an image never depends on what a previous
// tenant left there. The image is tied to its physical layout: the same memory ranges, low
// slice, cores (APIC IDs) and status page; a plan that differs is refused.
//
// Format (little-endian, every part 8-byte aligned):
//   MemoryImageHeader (128 bytes)
//   n_ranges x {start, end}      the node's memory, the low slice first (u64 pairs)
//   n_cpus x u32 APIC IDs        padded to 8 bytes
//   n_runs x {phys, pages}       non-zero page runs, ascending, inside the ranges (u64 pairs)
//   compressed page data         LZ4 block of sum(pages) * 4096 bytes, the runs in order
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
inline constexpr uint32_t kMemoryImageVersion = 1;

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
  uint64_t reserved[3];
};
static_assert(sizeof(MemoryImageHeader) == 128);

// What an image depends on.
struct MemoryImageLayout {
  std::string node;
  std::vector<PhysRange> ranges;  // low slice first
  std::vector<uint32_t> apic_ids;
  uint64_t status_page = 0;
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
  // The image; `level` > 0 trades speed for size (LZ4 HC), 0 is LZ4's fast mode.
  Result<std::vector<uint8_t>> Finish(int level = 0);
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
  std::span<const uint8_t> compressed;  // into the bytes given to ParseMemoryImage
};

// Checks everything (magic, version, sizes, checksum, ranges, runs inside them and in order)
// without decompressing; trailing bytes after the image are ignored (a block device).
Result<MemoryImage> ParseMemoryImage(std::span<const uint8_t> bytes);
// The page data, runs in order (page_bytes bytes).
Result<std::vector<uint8_t>> DecompressPages(const MemoryImage& image);
// The pages of the layout's ranges that are in no run: what a restore zeroes.
std::vector<PageRun> ZeroRuns(const MemoryImage& image);
// Why `image` cannot resume as `want`, naming the first difference; empty when it can.
std::string LayoutMismatch(const MemoryImageLayout& image, const MemoryImageLayout& want);

}  // namespace mint
