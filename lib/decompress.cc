#include "decompress.h"
#include "format.h"

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "byte_reader.h"

namespace mint {
namespace {

std::string Num(uint64_t value) {
  return std::to_string(value);
}

std::string Mib(uint64_t bytes) {
  return Num((bytes + (uint64_t{1} << 20) - 1) >> 20) + " MiB";
}

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// zlib and libbz2 count in 32 bits: offer them at most this much output room per call.
uint32_t Clamp32(size_t size) {
  return static_cast<uint32_t>(std::min<size_t>(size, UINT32_MAX));
}

// The output of one payload. It grows as the decoder fills it and never past `limit` (the size
// trailer), so a trailer that lies costs only what the stream really unpacks to. A kernel
// compresses 3-8x (Debian 6.1: cloud lz4 3.8x, generic xz 8.0x), so when the trailer is within
// kPlausibleRatio of the compressed size the first allocation is the whole of it: an honest
// payload unpacks with one allocation and no copy. Otherwise it starts at that ratio and doubles.
class Output {
 public:
  static constexpr uint64_t kPlausibleRatio = 16;
  static constexpr uint64_t kFirstAtLeast = uint64_t{64} << 10;

  Output(uint64_t limit, size_t compressed) : limit_(limit) {
    uint64_t first = compressed >= limit / kPlausibleRatio
                         ? limit
                         : std::max<uint64_t>(kFirstAtLeast, compressed * kPlausibleRatio);
    bytes_.resize(std::min(first, limit));
  }

  uint64_t limit() const { return limit_; }

  // The room after `produced` bytes, grown to at least min(want, limit - produced) bytes; empty
  // once `produced` is the limit.
  std::span<uint8_t> Room(uint64_t produced, uint64_t want = 1) {
    uint64_t need = produced + std::min(want, limit_ - produced);
    if (need > bytes_.size()) {
      bytes_.resize(std::max(need, std::min<uint64_t>(limit_, uint64_t{bytes_.size()} * 2)));
    }
    return std::span<uint8_t>(bytes_).subspan(produced);
  }

  std::vector<uint8_t> Take(uint64_t produced) && {
    bytes_.resize(produced);
    return std::move(bytes_);
  }

 private:
  std::vector<uint8_t> bytes_;  // never longer than limit_
  uint64_t limit_;
};

Error PastTrailer(const char* format, const Output& out) {
  return Fail(format, " payload unpacks past the size trailer's ", Num(out.limit()),
              " bytes; the image is damaged");
}

// Each decoder returns how many bytes it produced: at most out.limit(), since it only ever
// writes into out.Room(). The caller checks that count against the trailer.
Result<uint64_t> Gunzip(std::span<const uint8_t> in, Output& out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Fail("gzip: zlib would not start");
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = Clamp32(in.size());  // DecompressPayload refuses payloads of 4 GiB or more
  int rc = Z_OK;
  bool at_limit = false;
  while (rc == Z_OK) {
    std::span<uint8_t> room = out.Room(z.total_out);
    at_limit = room.empty();  // one more call may still finish the stream without output
    z.next_out = room.data();
    z.avail_out = Clamp32(room.size());
    rc = inflate(&z, Z_NO_FLUSH);
  }
  uint64_t produced = z.total_out;
  inflateEnd(&z);
  if (rc == Z_STREAM_END) return produced;
  if (rc == Z_BUF_ERROR && at_limit) return PastTrailer("gzip", out);
  return Fail("gzip payload does not decode (zlib error ", std::to_string(rc), " after ",
              Num(produced), " bytes)");
}

Result<uint64_t> Bunzip2(std::span<const uint8_t> in, Output& out) {
  bz_stream bz{};
  if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK) return Fail("bzip2: libbz2 would not start");
  bz.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
  bz.avail_in = Clamp32(in.size());
  auto total_out = [&bz] { return (uint64_t{bz.total_out_hi32} << 32) | bz.total_out_lo32; };
  int rc = BZ_OK;
  bool stalled = false, at_limit = false;
  while (rc == BZ_OK && !stalled) {
    std::span<uint8_t> room = out.Room(total_out());
    at_limit = room.empty();
    bz.next_out = reinterpret_cast<char*>(room.data());
    bz.avail_out = Clamp32(room.size());
    unsigned in_before = bz.avail_in, out_before = bz.avail_out;
    rc = BZ2_bzDecompress(&bz);
    // libbz2 has no "buffer error": a call that moves nothing means the input ended, or the
    // output is at the limit.
    stalled = rc == BZ_OK && bz.avail_in == in_before && bz.avail_out == out_before;
  }
  uint64_t produced = total_out();
  BZ2_bzDecompressEnd(&bz);
  if (rc == BZ_STREAM_END) return produced;
  if (stalled && at_limit) return PastTrailer("bzip2", out);
  if (stalled)
    return Fail("bzip2 payload ends before its stream does (after ", Num(produced), " bytes)");
  return Fail("bzip2 payload does not decode (libbz2 error ", std::to_string(rc), " after ",
              Num(produced), " bytes)");
}

Result<uint64_t> Unxz(std::span<const uint8_t> in, Output& out, bool legacy_lzma) {
  const char* name = legacy_lzma ? "lzma" : "xz";
  lzma_stream stream = LZMA_STREAM_INIT;
  lzma_ret rc = legacy_lzma ? lzma_alone_decoder(&stream, kMaxLzmaMemory)
                            : lzma_stream_decoder(&stream, kMaxLzmaMemory, 0);
  if (rc != LZMA_OK) return Fail(name, ": liblzma would not start (error ", Num(rc), ")");
  stream.next_in = in.data();
  stream.avail_in = in.size();
  bool at_limit = false;
  while (rc == LZMA_OK) {
    std::span<uint8_t> room = out.Room(stream.total_out);
    at_limit = room.empty();
    stream.next_out = room.data();
    stream.avail_out = room.size();
    // LZMA_BUF_ERROR comes on the second call in a row that moves nothing: input or room gone.
    rc = lzma_code(&stream, LZMA_FINISH);
  }
  uint64_t produced = stream.total_out;
  uint64_t needed = lzma_memusage(&stream);
  lzma_end(&stream);
  if (rc == LZMA_STREAM_END) return produced;
  if (rc == LZMA_MEMLIMIT_ERROR)
    return Fail(name, " payload needs ", Mib(needed),
                " of memory to decode (mostly its dictionary), more than the ", Mib(kMaxLzmaMemory),
                " Mint allows (kMaxLzmaMemory: twice the 128 MiB of the "
                "largest dictionary the kernel's build uses); the image is damaged");
  if (rc == LZMA_BUF_ERROR && at_limit) return PastTrailer(name, out);
  return Fail(name, " payload does not decode (liblzma error ", Num(rc), " after ", Num(produced),
              " bytes)");
}

Result<uint64_t> Unzstd(std::span<const uint8_t> in, Output& out) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) return Fail("zstd: libzstd would not start");
  if (ZSTD_isError(ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, kMaxZstdWindowLog))) {
    ZSTD_freeDCtx(ctx);
    return Fail("zstd: libzstd refused a window limit of 2^", Num(kMaxZstdWindowLog));
  }
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  uint64_t produced = 0;
  size_t rc = 1;
  bool at_limit = false;
  while (rc != 0) {
    std::span<uint8_t> room = out.Room(produced);
    at_limit = room.empty();
    ZSTD_outBuffer output{room.data(), room.size(), 0};
    size_t before_in = input.pos;
    rc = ZSTD_decompressStream(ctx, &output, &input);
    if (ZSTD_isError(rc)) break;
    produced += output.pos;
    if (rc != 0 && input.pos == before_in && output.pos == 0) break;  // stuck
  }
  ZSTD_freeDCtx(ctx);
  if (ZSTD_isError(rc) && ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
    return Fail("zstd payload's frame asks for a window larger than the ",
                Mib(uint64_t{1} << kMaxZstdWindowLog),
                " Mint allows (kMaxZstdWindowLog: the window of the kernel's zstd -22 --ultra); "
                "the image is damaged");
  if (ZSTD_isError(rc))
    return Fail("zstd payload does not decode (", ZSTD_getErrorName(rc), " after ", Num(produced),
                " bytes)");
  if (rc != 0 && at_limit) return PastTrailer("zstd", out);
  if (rc != 0) return Fail("zstd payload is truncated after ", Num(produced), " bytes");
  return produced;
}

// The LZ4 legacy frame (lz4 -l, what the kernel's build uses): magic 0x184C2102, then blocks
// of a little-endian u32 compressed size and the data, each unpacking to at most 8 MiB. The
// stream ends with the input or at another frame's magic.
Result<uint64_t> Unlz4(std::span<const uint8_t> in, Output& out) {
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
    std::span<uint8_t> room = out.Room(produced, kBlock);
    int got = LZ4_decompress_safe(reinterpret_cast<const char*>(block->data()),
                                  reinterpret_cast<char*>(room.data()), static_cast<int>(size),
                                  static_cast<int>(std::min<uint64_t>(kBlock, room.size())));
    if (got < 0)
      return Fail("lz4 block at payload offset ", Hex(reader.offset() - size),
                  " does not decode (or unpacks past the size trailer's ", Num(out.limit()),
                  " bytes)");
    produced += static_cast<uint64_t>(got);
  }
  return produced;
}

// lzop's file format (what the kernel's build writes with `lzop -9`), read as the kernel's
// lib/decompress_unlzo.c reads it: a header, then blocks of big-endian (uncompressed size,
// compressed size, checksums, data) ending with an uncompressed size of 0.
Result<uint64_t> Unlzo(std::span<const uint8_t> in, Output& out) {
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
    if (!need(src_len))
      return Fail("lzo block at payload offset ", Hex(at), " runs past the payload");
    std::span<uint8_t> room = out.Room(produced, dst_len);
    if (room.size() < dst_len) return PastTrailer("lzo", out);
    if (src_len == dst_len) {
      std::memcpy(room.data(), &in[at], dst_len);
    } else {
      lzo_uint got = dst_len;
      int rc = lzo1x_decompress_safe(&in[at], src_len, room.data(), &got, nullptr);
      if (rc != LZO_E_OK || got != dst_len)
        return Fail("lzo block at payload offset ", Hex(at), " does not decode (liblzo2 error ",
                    std::to_string(rc), ")");
    }
    at += src_len;
    produced += dst_len;
  }
  return produced;
}

}  // namespace

Result<std::vector<uint8_t>> DecompressPayload(Compression format, std::span<const uint8_t> payload,
                                               uint64_t max_size) {
  if (format == Compression::kUnknown)
    return Fail(
        "the kernel's payload is in an unknown compression format (none of gzip, "
        "bzip2, lzma, xz, lzo, lz4, zstd); boot it with --entry=decompress");
  if (payload.size() < 8)
    return Fail("kernel payload of ", Num(payload.size()),
                " bytes is too short to hold data "
                "and its 4-byte size trailer");
  if (payload.size() > UINT32_MAX)
    return Fail("kernel payload of ", Num(payload.size()),
                " bytes is more than a bzImage's 32-bit payload_length can describe");
  max_size = std::min(max_size, kMaxDecompressedKernel);
  uint32_t size = 0;
  std::memcpy(&size, payload.data() + payload.size() - 4, 4);
  if (size == 0 || size > max_size)
    return Fail("kernel payload's size trailer says ", Num(size), " bytes; expected 1..",
                Num(max_size));
  std::span<const uint8_t> data = payload.first(payload.size() - 4);
  Output out(size, data.size());
  const char* name = CompressionName(format);
  Result<uint64_t> produced = uint64_t{0};
  switch (format) {
    case Compression::kGzip:
      produced = Gunzip(data, out);
      break;
    case Compression::kBzip2:
      produced = Bunzip2(data, out);
      break;
    case Compression::kLzma:
      produced = Unxz(data, out, /*legacy_lzma=*/true);
      break;
    case Compression::kXz:
      produced = Unxz(data, out, /*legacy_lzma=*/false);
      break;
    case Compression::kLzo:
      produced = Unlzo(data, out);
      break;
    case Compression::kLz4:
      produced = Unlz4(data, out);
      break;
    case Compression::kZstd:
      produced = Unzstd(data, out);
      break;
    case Compression::kUnknown:
      break;  // refused above
  }
  if (!produced) return produced.take_error();
  if (*produced != size)
    return Fail(name, " payload unpacked to ", Num(*produced), " bytes but its size trailer says ",
                Num(size), "; the image is damaged");
  return std::move(out).Take(size);
}

Result<std::vector<uint8_t>> ExtractKernelElf(std::span<const uint8_t> bzimage,
                                              const KernelImage& image, uint64_t max_size) {
  ByteReader reader(bzimage);
  auto payload = reader.SpanAt(image.payload_file_offset, image.header.payload_length);
  if (!payload)
    return Fail("payload at ", Hex(image.payload_file_offset), " (",
                Num(image.header.payload_length), " bytes) lies outside the ", Num(bzimage.size()),
                "-byte image");
  auto elf = DecompressPayload(image.compression, *payload, max_size);
  if (!elf)
    return Fail("kernel ", image.version.substr(0, image.version.find(' ')), ": ",
                CompressionName(image.compression), ": ", elf.error().message);
  return elf;
}

}  // namespace mint
