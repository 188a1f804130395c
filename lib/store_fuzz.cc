// libFuzzer target for the resident store's index: any bytes in the index area (the first
// 64 KiB of a region, here followed by a small data area) either open, after format or
// repair, into a store whose index invariants hold, and which stays valid through an add, a
// use and a removal. Never a crash or an out-of-bounds read.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kRegion = mint::kStoreIndexBytes + 16 * mint::kStorePage;
  std::vector<uint64_t> words(kRegion / 8);  // 8-byte aligned, as a mapping is
  std::span<uint8_t> region(reinterpret_cast<uint8_t*>(words.data()), kRegion);
  std::memcpy(region.data(), data, std::min(size, kRegion));
  // Inputs that carry the magic and the geometry reach the repair path more often.
  if (size >= 8 && data[0] == 'M') {
    mint::StoreHeader header;
    std::memcpy(&header, region.data(), sizeof(header));
    header.magic = mint::kStoreMagic;
    header.version = mint::kStoreVersion;
    header.entry_size = sizeof(mint::StoreEntry);
    header.max_entries = mint::kStoreMaxEntries;
    header.data_offset = mint::kStoreIndexBytes;
    std::memcpy(region.data(), &header, sizeof(header));
  }
  auto store = mint::ResidentStore::Open(region);
  if (!store.ok()) std::abort();  // every region of this size must open
  if (!store->CheckIndex().ok()) std::abort();
  for (const mint::StoredImage& image : store->Images()) {
    if (store->Bytes(image).size() != image.size) std::abort();
  }
  std::vector<uint8_t> image(3 * mint::kStorePage + 5, 0x5a);
  auto added = store->Add(image, mint::ImageSource{.path = "/x", .size = image.size()});
  if (!added.ok() || !store->CheckIndex().ok()) std::abort();
  auto bytes = store->Bytes(added->image);
  if (!std::equal(bytes.begin(), bytes.end(), image.begin(), image.end())) std::abort();
  store->Touch(added->image);
  if (!store->Remove(added->image.sha256).ok() || !store->CheckIndex().ok()) std::abort();
  return 0;
}
