// libFuzzer target for the memory image parser: never crashes, and what it accepts holds its
// invariants (runs inside the ranges, ascending, page data the size the runs say). The
// checksum is fixed up first when the header's sizes fit, so mutations reach the deeper checks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "memory_image.h"
#include "store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  mint::MemoryImageHeader header;
  if (size >= sizeof(header)) {
    std::memcpy(&header, data, sizeof(header));
    unsigned __int128 body = uint64_t{header.n_ranges} * 16 +
                             (uint64_t{header.n_cpus} * 4 + 7) / 8 * 8 +
                             static_cast<unsigned __int128>(header.n_runs) * 16 +
                             header.compressed_bytes + header.device_bytes;
    if (body <= size - sizeof(header)) {
      header.checksum = mint::Xxh64Of(
          std::span<const uint8_t>(bytes).subspan(sizeof(header), static_cast<size_t>(body)));
      std::memcpy(bytes.data(), &header, sizeof(header));
    }
  }
  auto image = mint::ParseMemoryImage(bytes);
  if (!image) return 0;
  uint64_t pages = 0, last = 0;
  for (const mint::PageRun& run : image->runs) {
    bool inside = false;
    for (const mint::PhysRange& r : image->layout.ranges)
      inside |= run.phys >= r.start && run.phys + run.pages * 4096 <= r.end;
    if (!inside || run.phys < last) std::abort();
    last = run.phys + run.pages * 4096;
    pages += run.pages;
  }
  if (pages * 4096 != image->page_bytes) std::abort();
  if (image->page_bytes <= (64u << 20)) {
    auto decompressed = mint::DecompressPages(*image);
    if (decompressed && decompressed->size() != image->page_bytes) std::abort();
  }
  for (const mint::PageRun& zero : mint::ZeroRuns(*image))
    for (const mint::PageRun& run : image->runs)
      if (zero.phys < run.phys + run.pages * 4096 && run.phys < zero.phys + zero.pages * 4096)
        std::abort();
  return 0;
}
