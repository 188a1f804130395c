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

// Refuse payloads claiming to unpack to more than this: a stock x86_64 vmlinux is ~50-70 MB.
constexpr uint64_t kMaxDecompressedKernel = uint64_t{512} << 20;

// Decompresses `payload` (compressed stream + 4-byte size trailer) in `format`. The result
// must be exactly the size the trailer says.
Result<std::vector<uint8_t>> DecompressPayload(Compression format,
                                               std::span<const uint8_t> payload);

// The payload of a parsed bzImage, decompressed: the kernel's ELF vmlinux.
Result<std::vector<uint8_t>> ExtractKernelElf(std::span<const uint8_t> bzimage,
                                              const KernelImage& image);

}  // namespace mint
