#include "decompress.h"
#include "format.h"

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include <climits>
#include <cstring>
#include <sstream>

#include "byte_reader.h"

namespace mint {
namespace {

std::string Num(uint64_t value) {
  return std::to_string(value);
}

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Every decoder fills `out` (sized by the trailer) and says how many bytes it produced;
// "produced more than the trailer says" is caught by the decoders' own bounds.
Error Short(const char* format, uint64_t produced, uint64_t expected) {
  return Fail(format, " payload unpacked to ", Num(produced), " bytes but its size trailer says ",
              Num(expected), "; the image is damaged");
}

Result<void> Gunzip(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Fail("gzip: zlib would not start");
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  uint64_t produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END)
    return Fail("gzip payload does not decode (zlib error ", std::to_string(rc), " after ",
                Num(produced), " bytes)");
  if (produced != out.size()) return Short("gzip", produced, out.size());
  return Ok{};
}

Result<void> Bunzip2(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  bz_stream bz{};
  if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK) return Fail("bzip2: libbz2 would not start");
  bz.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
  bz.avail_in = static_cast<unsigned>(in.size());
  bz.next_out = reinterpret_cast<char*>(out.data());
  bz.avail_out = static_cast<unsigned>(out.size());
  int rc = BZ2_bzDecompress(&bz);
  uint64_t produced = (uint64_t{bz.total_out_hi32} << 32) | bz.total_out_lo32;
  BZ2_bzDecompressEnd(&bz);
  if (rc != BZ_STREAM_END)
    return Fail("bzip2 payload does not decode (libbz2 error ", std::to_string(rc), " after ",
                Num(produced), " bytes)");
  if (produced != out.size()) return Short("bzip2", produced, out.size());
  return Ok{};
}

Result<void> Unxz(std::span<const uint8_t> in, std::vector<uint8_t>& out, bool legacy_lzma) {
  const char* name = legacy_lzma ? "lzma" : "xz";
  lzma_stream stream = LZMA_STREAM_INIT;
  lzma_ret rc = legacy_lzma ? lzma_alone_decoder(&stream, UINT64_MAX)
                            : lzma_stream_decoder(&stream, UINT64_MAX, 0);
  if (rc != LZMA_OK) return Fail(name, ": liblzma would not start (error ", Num(rc), ")");
  stream.next_in = in.data();
  stream.avail_in = in.size();
  stream.next_out = out.data();
  stream.avail_out = out.size();
  rc = lzma_code(&stream, LZMA_FINISH);
  uint64_t produced = stream.total_out;
  lzma_end(&stream);
  if (rc != LZMA_STREAM_END)
    return Fail(name, " payload does not decode (liblzma error ", Num(rc), " after ", Num(produced),
                " bytes)");
  if (produced != out.size()) return Short(name, produced, out.size());
  return Ok{};
}

Result<void> Unzstd(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) return Fail("zstd: libzstd would not start");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  ZSTD_outBuffer output{out.data(), out.size(), 0};
  size_t rc = 1;
  while (rc != 0) {
    size_t before_in = input.pos, before_out = output.pos;
    rc = ZSTD_decompressStream(ctx, &output, &input);
    if (ZSTD_isError(rc)) break;
    if (rc != 0 && input.pos == before_in && output.pos == before_out) break;  // stuck
  }
  ZSTD_freeDCtx(ctx);
  if (ZSTD_isError(rc))
    return Fail("zstd payload does not decode (", ZSTD_getErrorName(rc), " after ", Num(output.pos),
                " bytes)");
  if (rc != 0) return Fail("zstd payload is truncated after ", Num(output.pos), " bytes");
  if (output.pos != out.size()) return Short("zstd", output.pos, out.size());
  return Ok{};
}

// The LZ4 legacy frame (lz4 -l, what the kernel's build uses): magic 0x184C2102, then blocks
// of a little-endian u32 compressed size and the data, each unpacking to at most 8 MiB. The
// stream ends with the input or at another frame's magic.
Result<void> Unlz4(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  constexpr uint32_t kMagic = 0x184C2102;
  constexpr uint64_t kBlock = 8 << 20;
  ByteReader reader(in);
  if (reader.Read<uint32_t>() != kMagic) return Fail("lz4 payload lacks the legacy frame magic");
  uint64_t produced = 0;
  while (reader.remaining() >= 4) {
    uint32_t size = *reader.Read<uint32_t>();
    if (size == kMagic) continue;  // a concatenated frame
    auto block = reader.SpanAt(reader.offset(), size);
    if (!block || size > INT_MAX)
      return Fail("lz4 block of ", Num(size), " bytes at payload offset ", Hex(reader.offset()),
                  " runs past the payload's end");
    reader.Skip(size);
    uint64_t room = std::min<uint64_t>(kBlock, out.size() - produced);
    int got = LZ4_decompress_safe(reinterpret_cast<const char*>(block->data()),
                                  reinterpret_cast<char*>(out.data() + produced),
                                  static_cast<int>(size), static_cast<int>(room));
    if (got < 0)
      return Fail("lz4 block at payload offset ", Hex(reader.offset() - size),
                  " does not decode (or unpacks past the size trailer's ", Num(out.size()),
                  " bytes)");
    produced += static_cast<uint64_t>(got);
  }
  if (produced != out.size()) return Short("lz4", produced, out.size());
  return Ok{};
}

// lzop's file format (what the kernel's build writes with `lzop -9`), read as the kernel's
// lib/decompress_unlzo.c reads it: a header, then blocks of big-endian (uncompressed size,
// compressed size, checksums, data) ending with an uncompressed size of 0.
Result<void> Unlzo(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  static const uint8_t kMagic[9] = {0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n'};
  constexpr uint32_t kHasFilter = 0x800, kAdler32D = 0x1, kAdler32C = 0x2, kCrc32D = 0x100,
                     kCrc32C = 0x200;
  constexpr uint32_t kMaxBlock = 256 * 1024;
  if (lzo_init() != LZO_E_OK) return Fail("lzo: liblzo2 would not start");
  if (in.size() < sizeof(kMagic) || std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0)
    return Fail("lzo payload lacks lzop's magic");
  size_t at = sizeof(kMagic);
  auto need = [&](size_t bytes) { return at <= in.size() && in.size() - at >= bytes; };
  if (!need(7)) return Fail("lzo header is truncated");
  uint16_t version = static_cast<uint16_t>((in[at] << 8) | in[at + 1]);
  at += 7;                         // version, library version, version needed, method
  if (version >= 0x0940) at += 1;  // level
  if (!need(4)) return Fail("lzo header is truncated");
  uint32_t flags = Be32(&in[at]);
  at += (flags & kHasFilter) ? 8 : 4;
  at += 8;                         // mode, mtime
  if (version >= 0x0940) at += 4;  // mtime high
  if (!need(1)) return Fail("lzo header is truncated");
  at += 1 + in[at] + 4;  // file name, header checksum
  uint32_t d_sums = ((flags & kAdler32D) ? 4 : 0) + ((flags & kCrc32D) ? 4 : 0);
  uint32_t c_sums = ((flags & kAdler32C) ? 4 : 0) + ((flags & kCrc32C) ? 4 : 0);
  uint64_t produced = 0;
  for (;;) {
    if (!need(4)) return Fail("lzo stream is truncated after ", Num(produced), " bytes");
    uint32_t dst_len = Be32(&in[at]);
    at += 4;
    if (dst_len == 0) break;
    if (!need(4)) return Fail("lzo stream is truncated after ", Num(produced), " bytes");
    uint32_t src_len = Be32(&in[at]);
    at += 4;
    if (dst_len > kMaxBlock || src_len == 0 || src_len > dst_len)
      return Fail("lzo block at payload offset ", Hex(at - 8), " has impossible sizes (",
                  Num(src_len), " -> ", Num(dst_len), ")");
    at += d_sums + (src_len < dst_len ? c_sums : 0);
    if (!need(src_len) || out.size() - produced < dst_len)
      return Fail("lzo block at payload offset ", Hex(at),
                  " runs past the payload or the size "
                  "trailer");
    if (src_len == dst_len) {
      std::memcpy(out.data() + produced, &in[at], dst_len);
    } else {
      lzo_uint got = dst_len;
      int rc = lzo1x_decompress_safe(&in[at], src_len, out.data() + produced, &got, nullptr);
      if (rc != LZO_E_OK || got != dst_len)
        return Fail("lzo block at payload offset ", Hex(at), " does not decode (liblzo2 error ",
                    std::to_string(rc), ")");
    }
    at += src_len;
    produced += dst_len;
  }
  if (produced != out.size()) return Short("lzo", produced, out.size());
  return Ok{};
}

}  // namespace

Result<std::vector<uint8_t>> DecompressPayload(Compression format,
                                               std::span<const uint8_t> payload) {
  if (format == Compression::kUnknown)
    return Fail(
        "the kernel's payload is in an unknown compression format (none of gzip, "
        "bzip2, lzma, xz, lzo, lz4, zstd); boot it with --entry=decompress");
  if (payload.size() < 8)
    return Fail("kernel payload of ", Num(payload.size()),
                " bytes is too short to hold data "
                "and its 4-byte size trailer");
  uint32_t size = 0;
  std::memcpy(&size, payload.data() + payload.size() - 4, 4);
  if (size == 0 || size > kMaxDecompressedKernel)
    return Fail("kernel payload's size trailer says ", Num(size), " bytes; expected 1..",
                Num(kMaxDecompressedKernel));
  std::span<const uint8_t> data = payload.first(payload.size() - 4);
  std::vector<uint8_t> out(size);
  Result<void> done = Ok{};
  switch (format) {
    case Compression::kGzip:
      done = Gunzip(data, out);
      break;
    case Compression::kBzip2:
      done = Bunzip2(data, out);
      break;
    case Compression::kLzma:
      done = Unxz(data, out, /*legacy_lzma=*/true);
      break;
    case Compression::kXz:
      done = Unxz(data, out, /*legacy_lzma=*/false);
      break;
    case Compression::kLzo:
      done = Unlzo(data, out);
      break;
    case Compression::kLz4:
      done = Unlz4(data, out);
      break;
    case Compression::kZstd:
      done = Unzstd(data, out);
      break;
    case Compression::kUnknown:
      break;  // refused above
  }
  if (!done) return done.take_error();
  return out;
}

Result<std::vector<uint8_t>> ExtractKernelElf(std::span<const uint8_t> bzimage,
                                              const KernelImage& image) {
  ByteReader reader(bzimage);
  auto payload = reader.SpanAt(image.payload_file_offset, image.header.payload_length);
  if (!payload)
    return Fail("payload at ", Hex(image.payload_file_offset), " (",
                Num(image.header.payload_length), " bytes) lies outside the ", Num(bzimage.size()),
                "-byte image");
  auto elf = DecompressPayload(image.compression, *payload);
  if (!elf)
    return Fail("kernel ", image.version.substr(0, image.version.find(' ')), ": ",
                CompressionName(image.compression), ": ", elf.error().message);
  return elf;
}

}  // namespace mint
