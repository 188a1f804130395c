// libFuzzer target for the kernel payload decoders (decompress.cc) and the way to the ELF
// vmlinux inside a bzImage. The first byte picks the mode:
//   0-6: the rest is a payload (stream + 4-byte size trailer) in gzip, bzip2, lzma, xz, lzo,
//        lz4 or zstd; 7: the rest is a bzImage, parsed, its payload unpacked and the ELF parsed.
// Whatever a decoder accepts is exactly as long as its trailer says and within the cap; nothing
// reads or writes outside its buffers (ASan), and liblzma and libzstd are held to their memory
// limits (libFuzzer's -malloc_limit_mb catches any allocation past them).
//
// The output cap here is 16 MiB instead of kMaxDecompressedKernel, so that streams which really
// unpack to hundreds of MiB (zeros compress ~1000:1) do not slow the run; the code path is the
// same.
//
// Seeds (tests/fuzz/decompress_fuzz/), made with the command-line tools over a 1.1 KiB text
// and a tiny ELF: the mode byte, then the stream of `gzip -9 -c`, `bzip2 -9 -c`,
// `lzma --lzma1=preset=9,dict=64KiB -c`, `xz --check=crc32 --lzma2=preset=6,dict=64KiB -c`,
// `lzop -9 -c`, `lz4 -l -9 -c` or `zstd -19 -c`, then the size as 4 little-endian bytes (small
// dictionaries: under ASan every exec allocates the whole one, and 64 MiB ran at 40 execs/s);
// "-cut" seeds are the same streams cut in half; bzimage-* are
// tests/fuzz/bzimage_fuzz/synthetic-2.15 with such a payload (tests/fuzz/elf_fuzz/tiny-kernel
// through gzip, lz4 and xz) and payload_length (0x24c) set.
// Regression seeds: this fuzzer over the code before its limits found, within seconds,
// oom-lzma-dictionary-2.3GiB (an lzma header whose dictionary made liblzma ask for 3.6 GB) and
// oom-zstd-trailer-466MiB (a size trailer that made Mint reserve 466 MiB for a 1 KiB stream).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "bzimage.h"
#include "decompress.h"
#include "elf.h"

namespace {

constexpr uint64_t kFuzzMaxSize = uint64_t{16} << 20;

constexpr mint::Compression kCodecs[] = {
    mint::Compression::kGzip, mint::Compression::kBzip2, mint::Compression::kLzma,
    mint::Compression::kXz,   mint::Compression::kLzo,   mint::Compression::kLz4,
    mint::Compression::kZstd,
};

void Check(bool condition) {
  if (!condition) std::abort();
}

uint32_t Trailer(std::span<const uint8_t> payload) {
  uint32_t size = 0;
  if (payload.size() >= 4) std::memcpy(&size, payload.data() + payload.size() - 4, 4);
  return size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 8;
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (mode < 7) {
    auto out = mint::DecompressPayload(kCodecs[mode], rest, kFuzzMaxSize);
    if (out.ok()) {
      Check(out->size() == Trailer(rest));
      Check(out->size() >= 1 && out->size() <= kFuzzMaxSize);
    } else {
      Check(!out.error().message.empty());
    }
    return 0;
  }
  auto image = mint::ParseBzImage(rest);
  if (!image.ok()) return 0;
  auto elf = mint::ExtractKernelElf(rest, *image, kFuzzMaxSize);
  if (!elf.ok()) {
    Check(!elf.error().message.empty());
    return 0;
  }
  Check(image->header.payload_length >= 8);
  Check(elf->size() ==
        Trailer(rest.subspan(image->payload_file_offset, image->header.payload_length)));
  auto parsed = mint::ParseKernelElf(*elf, image->header.pref_address, image->header.init_size);
  if (parsed.ok()) {
    for (const mint::ElfSegment& s : parsed->segments)
      Check(s.offset <= elf->size() && elf->size() - s.offset >= s.filesz);
  }
  return 0;
}
