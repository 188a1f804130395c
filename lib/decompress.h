// Unpacks the kernel inside a bzImage: the payload (setup header payload_offset/payload_length)
// is the ELF vmlinux, compressed with one of the formats the kernel's build supports
// (arch/x86/boot/compressed/Makefile: gzip, bzip2, lzma, xz, lzo, lz4, zstd), with the
// uncompressed size appended as the payload's last 4 bytes (little-endian). Decoding uses
// Debian's own libraries (zlib, libbz2, liblzma, liblzo2, liblz4, libzstd). Pure: bytes in,
// bytes out.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bzimage.h"
#include "result.h"

namespace mint {

// Limits on what a payload, which comes from an untrusted image, can make Mint allocate.
//
// Output: refuse payloads claiming to unpack to more than 512 MiB. A stock x86_64 vmlinux is
// 50-70 MB (Debian 6.1: cloud 53 MB, generic 66 MB), a stripped allyesconfig one a few hundred.
// The output buffer grows with what the stream really unpacks to, never past the size trailer:
// a trailer that lies costs only what the stream holds.
inline constexpr uint64_t kMaxDecompressedKernel = uint64_t{512} << 20;
// xz and lzma: liblzma's memory limit, which is mostly the LZMA dictionary. The kernel's build
// writes xz with a 32 MiB dictionary, and with 128 MiB since Linux 6.12 (scripts/xz_wrap.sh,
// "xz: use 128 MiB dictionary"); `lzma -9` uses 64 MiB. Twice the largest leaves room, and
// refuses a header asking for up to 4 GiB before liblzma allocates it.
inline constexpr uint64_t kMaxLzmaMemory = uint64_t{256} << 20;
// zstd: the largest window (log2) a frame may ask for. The kernel's build uses `zstd -22
// --ultra`, whose window is 2^27 = 128 MiB (libzstd's own default limit, stated here).
inline constexpr int kMaxZstdWindowLog = 27;

// Decompresses `payload` (compressed stream + 4-byte size trailer) in `format`. The result
// must be exactly the size the trailer says, which must be 1..max_size; max_size is at most
// kMaxDecompressedKernel (a smaller value is for tests and fuzzing).
Result<std::vector<uint8_t>> DecompressPayload(Compression format, std::span<const uint8_t> payload,
                                               uint64_t max_size = kMaxDecompressedKernel);

// The payload of a parsed bzImage, decompressed: the kernel's ELF vmlinux (max_size as for
// DecompressPayload).
Result<std::vector<uint8_t>> ExtractKernelElf(std::span<const uint8_t> bzimage,
                                              const KernelImage& image,
                                              uint64_t max_size = kMaxDecompressedKernel);

}  // namespace mint
