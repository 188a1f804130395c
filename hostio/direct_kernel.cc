#include "direct_kernel.h"
#include "format.h"

#include <sys/random.h>

#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <iostream>

#include "decompress.h"
#include "store_session.h"

namespace mint {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The size the payload's trailer promises: the derived entry's size, known before unpacking.
uint64_t UnpackedSize(std::span<const uint8_t> bzimage, const KernelImage& image) {
  uint64_t end = image.payload_file_offset + image.header.payload_length;
  if (image.header.payload_length < 4 || end > bzimage.size()) return 0;
  uint32_t size = 0;
  std::memcpy(&size, bzimage.data() + end - 4, 4);
  return size;
}

ImageSource DerivedSource(const Sha256Digest& sha, uint64_t size) {
  ImageSource source;
  source.path = DerivedKernelPath(sha);
  source.size = size;
  return source;
}

// The bzImage's SHA-256: from the store's entry for the file when it has one (no hashing).
Sha256Digest ImageSha(const std::string& path, std::span<const uint8_t> bzimage,
                      ResidentStore& store) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    ImageSource source{path, static_cast<uint64_t>(st.st_size),
                       static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                       st.st_ino, st.st_dev};
    if (auto found = store.FindBySource(source)) return found->sha256;
  }
  return Sha256Of(bzimage);
}

}  // namespace

std::string DerivedKernelPath(const Sha256Digest& bzimage_sha) {
  return "vmlinux-of:" + HexDigest(bzimage_sha);
}

Result<DirectKernelBytes> UnpackKernel(std::span<const uint8_t> bzimage, const KernelImage& image) {
  auto start = std::chrono::steady_clock::now();
  DirectKernelBytes out;
  if (!image.is_64bit)
    return Fail("direct entry needs an x86_64 kernel; this one is ", image.arch,
                " (use --entry=decompress)");
  out.elf = MINT_TRY(ExtractKernelElf(bzimage, image));
  out.parsed = MINT_TRY(ParseKernelElf(out.elf, image.header.pref_address, image.header.init_size));
  out.ms = MsSince(start);
  return out;
}

Result<DirectKernelBytes> LoadDirectKernel(const std::string& path,
                                           std::span<const uint8_t> bzimage,
                                           const KernelImage& image, StoreSession* store) {
  if (store == nullptr) return UnpackKernel(bzimage, image);
  auto start = std::chrono::steady_clock::now();
  uint64_t size = UnpackedSize(bzimage, image);
  Sha256Digest sha{};
  {
    auto locked = MINT_TRY(store->Lock());
    sha = ImageSha(path, bzimage, locked->store());
    auto found = (*locked)->FindBySource(DerivedSource(sha, size));
    if (found) {
      // No copy: the host module copies the segments straight from the store into the node.
      auto stored = (*locked)->Bytes(*found);
      if (ResidentStore::FastCheck(*found, stored)) {
        (*locked)->Touch(*found);
        auto parsed = ParseKernelElf(stored, image.header.pref_address, image.header.init_size);
        if (parsed) {
          DirectKernelBytes out;
          locked->Pin(found->sha256);
          out.elf = ImageBytes(stored, std::move(locked));
          out.parsed = std::move(*parsed);
          out.from_store = true;
          out.ms = MsSince(start);
          return out;
        }
      }
      std::cerr << "mint: store: the unpacked kernel of " << path
                << " is corrupt; dropped it, unpacking again\n";
      (void)(*locked)->Remove(found->sha256);
    }
  }
  auto out = MINT_TRY(UnpackKernel(bzimage, image));
  auto locked = MINT_TRY(store->Lock());
  auto added = (*locked)->Add(out.elf, DerivedSource(sha, out.elf.size()));
  if (!added)
    std::cerr << "mint: store: the unpacked kernel of " << path
              << " was not stored: " << added.error().message << "\n";
  out.ms = MsSince(start);
  return out;
}

Result<bool> AddDerivedKernel(ResidentStore& store, std::span<const uint8_t> bzimage,
                              const Sha256Digest& bzimage_sha) {
  auto image = ParseBzImage(bzimage);
  if (!image || !image->is_64bit) return false;
  if (store.FindBySource(DerivedSource(bzimage_sha, UnpackedSize(bzimage, *image)))) return false;
  auto unpacked = MINT_TRY(UnpackKernel(bzimage, *image));
  MINT_TRY(store.Add(unpacked.elf, DerivedSource(bzimage_sha, unpacked.elf.size())));
  return true;
}

}  // namespace mint

namespace mint {

Result<EntryMode> ParseEntryMode(const std::string& text) {
  if (text == "auto") return EntryMode::kAuto;
  if (text == "decompress") return EntryMode::kDecompress;
  if (text == "direct") return EntryMode::kDirect;
  return Fail("--entry '", text, "' is not one of auto, decompress, direct");
}

bool UseDirectEntry(EntryMode mode, const KernelImage& image, bool unpacked_in_store) {
  if (mode == EntryMode::kDirect) return true;
  return mode == EntryMode::kAuto && image.is_64bit && unpacked_in_store;
}

bool StoreHasUnpackedKernel(StoreSession* store, const std::string& path,
                            std::span<const uint8_t> bzimage, const KernelImage& image) {
  if (store == nullptr || !image.is_64bit) return false;
  auto locked = store->Lock();
  if (!locked) return false;
  ResidentStore& resident = (*locked)->store();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  ImageSource source{path, static_cast<uint64_t>(st.st_size),
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                     st.st_ino, st.st_dev};
  auto bzimage_entry = resident.FindBySource(source);  // no hashing: only what is stored
  if (!bzimage_entry) return false;
  return resident.FindBySource(DerivedSource(bzimage_entry->sha256, UnpackedSize(bzimage, image)))
      .has_value();
}

uint64_t KaslrSeed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return seed;
}

}  // namespace mint
