#include "decompress.h"

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "elf.h"
#include "test_images.h"

// The largest single operator-new allocation made while a test watches (LargestAllocation):
// the output buffer of DecompressPayload is a std::vector, so this is how much a payload made
// Mint reserve for it. Replaces the global operator new of the test binary; every other form
// (new[], nothrow) goes through this one in libstdc++.
namespace {
std::atomic<bool> watching{false};
std::atomic<size_t> largest{0};
}  // namespace

// g++ sees the free() below inlined next to a `new` and would call it a mismatch: here it is the
// pairing by construction.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t size) {
  if (watching.load(std::memory_order_relaxed) && size > largest.load(std::memory_order_relaxed))
    largest.store(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace mint {
namespace {

// Runs `work` and returns the largest allocation it made through operator new.
template <typename F>
size_t LargestAllocation(F&& work) {
  largest = 0;
  watching = true;
  work();
  watching = false;
  return largest;
}

// Something that compresses but not trivially: 3 MiB, so LZ4 needs more than one block? No:
// LZ4 blocks are 8 MiB; the LZ4 case below splits by hand to cover several blocks.
std::vector<uint8_t> Sample(size_t size = 3 << 20) {
  std::vector<uint8_t> bytes(size);
  uint32_t x = 12345;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245 + 12345;
    bytes[i] = static_cast<uint8_t>((i % 97 < 60) ? i % 13 : (x >> 24));
  }
  return bytes;
}

void AppendSize(std::vector<uint8_t>& payload, size_t size) {
  uint32_t le = static_cast<uint32_t>(size);
  payload.insert(payload.end(), reinterpret_cast<uint8_t*>(&le),
                 reinterpret_cast<uint8_t*>(&le) + 4);
}

std::vector<uint8_t> Gzip(const std::vector<uint8_t>& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&z, in.size()) + 64);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::vector<uint8_t> Bzip2(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(in.size() * 2 + 1024);
  unsigned size = static_cast<unsigned>(out.size());
  EXPECT_EQ(BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &size,
                                     const_cast<char*>(reinterpret_cast<const char*>(in.data())),
                                     static_cast<unsigned>(in.size()), 9, 0, 0),
            BZ_OK);
  out.resize(size);
  return out;
}

std::vector<uint8_t> Xz(const std::vector<uint8_t>& in, bool legacy) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (legacy) {
    lzma_options_lzma opt;
    lzma_lzma_preset(&opt, 6);
    EXPECT_EQ(lzma_alone_encoder(&s, &opt), LZMA_OK);
  } else {
    EXPECT_EQ(lzma_easy_encoder(&s, 6, LZMA_CHECK_CRC32), LZMA_OK);
  }
  std::vector<uint8_t> out(in.size() + 65536);
  s.next_in = in.data();
  s.avail_in = in.size();
  s.next_out = out.data();
  s.avail_out = out.size();
  EXPECT_EQ(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
  out.resize(s.total_out);
  lzma_end(&s);
  return out;
}

std::vector<uint8_t> Zstd(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(ZSTD_compressBound(in.size()));
  size_t size = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 19);
  EXPECT_FALSE(ZSTD_isError(size));
  out.resize(size);
  return out;
}

// The legacy frame, in blocks of `block` input bytes (the kernel's are 8 MiB).
std::vector<uint8_t> Lz4Legacy(const std::vector<uint8_t>& in, size_t block) {
  std::vector<uint8_t> out = {0x02, 0x21, 0x4c, 0x18};
  for (size_t at = 0; at < in.size(); at += block) {
    int n = static_cast<int>(std::min(block, in.size() - at));
    std::vector<char> buf(LZ4_compressBound(n));
    int size = LZ4_compress_default(reinterpret_cast<const char*>(in.data() + at), buf.data(), n,
                                    static_cast<int>(buf.size()));
    EXPECT_GT(size, 0);
    uint32_t le = static_cast<uint32_t>(size);
    out.insert(out.end(), reinterpret_cast<uint8_t*>(&le), reinterpret_cast<uint8_t*>(&le) + 4);
    out.insert(out.end(), buf.begin(), buf.begin() + size);
  }
  return out;
}

void Be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// lzop's format, as `lzop -9` writes it (version 0x1030 header, ADLER32_D checksums).
std::vector<uint8_t> Lzop(const std::vector<uint8_t>& in) {
  EXPECT_EQ(lzo_init(), LZO_E_OK);
  // Magic, then version 0x1030, library 0x20a0, needed 0x0940, method 3 (LZO1X-1), level 9.
  static const uint8_t kHeader[] = {0x89, 'L',  'Z',  'O',  0,    '\r', '\n', 0x1a, '\n',
                                    0x10, 0x30, 0x20, 0xa0, 0x09, 0x40, 0x03, 0x09};
  std::vector<uint8_t> out(std::begin(kHeader), std::end(kHeader));
  Be32(out, 0x1);     // flags: ADLER32_D
  Be32(out, 0x81a4);  // mode
  Be32(out, 0);       // mtime
  Be32(out, 0);       // mtime high
  out.push_back(0);   // no name
  Be32(out, 0);       // header checksum
  std::vector<uint8_t> work(LZO1X_1_MEM_COMPRESS);
  constexpr size_t kBlock = 256 * 1024;
  for (size_t at = 0; at < in.size(); at += kBlock) {
    size_t n = std::min(kBlock, in.size() - at);
    std::vector<uint8_t> buf(n + n / 16 + 64 + 3);
    lzo_uint size = 0;
    EXPECT_EQ(lzo1x_1_compress(in.data() + at, n, buf.data(), &size, work.data()), LZO_E_OK);
    Be32(out, static_cast<uint32_t>(n));
    bool stored = size >= n;
    Be32(out, static_cast<uint32_t>(stored ? n : size));
    Be32(out, 0);  // adler32 of the data (not checked, as the kernel does not)
    if (stored)
      out.insert(out.end(), in.begin() + at, in.begin() + at + n);
    else
      out.insert(out.end(), buf.begin(), buf.begin() + size);
  }
  Be32(out, 0);
  return out;
}

struct FormatCase {
  Compression format;
  std::vector<uint8_t> (*pack)(const std::vector<uint8_t>&);
};

TEST(Decompress, EveryKernelFormatRoundTrips) {
  std::vector<uint8_t> data = Sample();
  std::vector<FormatCase> cases = {
      {Compression::kGzip, Gzip},
      {Compression::kBzip2, Bzip2},
      {Compression::kLzma, [](const std::vector<uint8_t>& in) { return Xz(in, true); }},
      {Compression::kXz, [](const std::vector<uint8_t>& in) { return Xz(in, false); }},
      {Compression::kLzo, Lzop},
      {Compression::kLz4, [](const std::vector<uint8_t>& in) { return Lz4Legacy(in, 1 << 20); }},
      {Compression::kZstd, Zstd},
  };
  for (const FormatCase& c : cases) {
    std::vector<uint8_t> payload = c.pack(data);
    AppendSize(payload, data.size());
    auto out = DecompressPayload(c.format, payload);
    ASSERT_TRUE(out.ok()) << CompressionName(c.format) << ": " << out.error().message;
    EXPECT_EQ(*out, data) << CompressionName(c.format);

    // A size trailer that lies is caught, in both directions.
    std::vector<uint8_t> wrong = payload;
    wrong.resize(wrong.size() - 4);
    AppendSize(wrong, data.size() + 1);
    EXPECT_FALSE(DecompressPayload(c.format, wrong).ok()) << CompressionName(c.format);
    wrong.resize(wrong.size() - 4);
    AppendSize(wrong, data.size() - 1);
    EXPECT_FALSE(DecompressPayload(c.format, wrong).ok()) << CompressionName(c.format);

    // Truncated data is an error, never a crash.
    std::vector<uint8_t> cut(payload.begin(), payload.begin() + payload.size() / 2);
    AppendSize(cut, data.size());
    EXPECT_FALSE(DecompressPayload(c.format, cut).ok()) << CompressionName(c.format);
  }
}

TEST(Decompress, RefusesUnknownFormatsAndSillySizes) {
  std::vector<uint8_t> payload(64, 0xab);
  auto unknown = DecompressPayload(Compression::kUnknown, payload);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("--entry=decompress"), std::string::npos);
  std::vector<uint8_t> huge = Gzip(Sample(1000));
  AppendSize(huge, 0xffffffff);
  auto refused = DecompressPayload(Compression::kGzip, huge);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("size trailer"), std::string::npos);
  EXPECT_FALSE(DecompressPayload(Compression::kLz4, std::vector<uint8_t>(3)).ok());
}

// A payload may claim up to kMaxDecompressedKernel in its size trailer; what Mint reserves
// follows what the stream really unpacks to, so a trailer that lies costs no more than the
// truth. Every codec: 1000 real bytes, a trailer claiming the cap.
TEST(DecompressLimits, ATrailerThatLiesDoesNotReserveWhatItClaims) {
  std::vector<uint8_t> data = Sample(1000);
  std::vector<FormatCase> cases = {
      {Compression::kGzip, Gzip},
      {Compression::kBzip2, Bzip2},
      {Compression::kLzma, [](const std::vector<uint8_t>& in) { return Xz(in, true); }},
      {Compression::kXz, [](const std::vector<uint8_t>& in) { return Xz(in, false); }},
      {Compression::kLzo, Lzop},
      {Compression::kLz4, [](const std::vector<uint8_t>& in) { return Lz4Legacy(in, 1 << 20); }},
      {Compression::kZstd, Zstd},
  };
  for (const FormatCase& c : cases) {
    std::vector<uint8_t> payload = c.pack(data);
    AppendSize(payload, kMaxDecompressedKernel);
    std::string message;
    size_t reserved = LargestAllocation([&] {
      auto out = DecompressPayload(c.format, payload);
      message = out.ok() ? "accepted" : out.error().message;
    });
    EXPECT_NE(message.find("unpacked to 1000 bytes"), std::string::npos)
        << CompressionName(c.format) << ": " << message;
    EXPECT_LT(reserved, size_t{16} << 20) << CompressionName(c.format) << " reserved " << reserved;
  }
}

// The same cap, enforced by every decoder while it writes: a stream that goes on past what the
// caller allows is cut off there, never written past it.
TEST(DecompressLimits, NoCodecWritesPastTheCap) {
  std::vector<uint8_t> data = Sample(1 << 20);
  std::vector<FormatCase> cases = {
      {Compression::kGzip, Gzip},
      {Compression::kBzip2, Bzip2},
      {Compression::kLzma, [](const std::vector<uint8_t>& in) { return Xz(in, true); }},
      {Compression::kXz, [](const std::vector<uint8_t>& in) { return Xz(in, false); }},
      {Compression::kLzo, Lzop},
      {Compression::kLz4, [](const std::vector<uint8_t>& in) { return Lz4Legacy(in, 1 << 17); }},
      {Compression::kZstd, Zstd},
  };
  for (const FormatCase& c : cases) {
    std::vector<uint8_t> payload = c.pack(data);
    AppendSize(payload, 1 << 18);  // 1 MiB of stream, a trailer saying 256 KiB
    std::string message;
    size_t reserved = LargestAllocation([&] {
      auto out = DecompressPayload(c.format, payload);
      message = out.ok() ? "accepted" : out.error().message;
    });
    EXPECT_NE(message.find("the size trailer's 262144 bytes"), std::string::npos)
        << CompressionName(c.format) << ": " << message;
    EXPECT_LE(reserved, size_t{1} << 18) << CompressionName(c.format);
  }
  // A caller may set a lower cap than kMaxDecompressedKernel (the fuzzer does).
  std::vector<uint8_t> payload = Gzip(data);
  AppendSize(payload, data.size());
  auto refused = DecompressPayload(Compression::kGzip, payload, /*max_size=*/1 << 18);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("says 1048576 bytes; expected 1..262144"),
            std::string::npos)
      << refused.error().message;
}

// An xz block header whose LZMA2 dictionary is rewritten to `dict` bytes (the header's CRC32
// fixed up), which liblzma would have to allocate before decoding a byte.
std::vector<uint8_t> XzWithDictionary(const std::vector<uint8_t>& data, uint32_t dict) {
  std::vector<uint8_t> xz = Xz(data, false);
  constexpr size_t kBlockHeader = LZMA_STREAM_HEADER_SIZE;
  lzma_filter filters[LZMA_FILTERS_MAX + 1];
  lzma_block block{};
  block.version = 1;
  block.check = LZMA_CHECK_CRC32;
  block.filters = filters;
  block.header_size = lzma_block_header_size_decode(xz[kBlockHeader]);
  EXPECT_EQ(lzma_block_header_decode(&block, nullptr, &xz[kBlockHeader]), LZMA_OK);
  EXPECT_EQ(filters[0].id, LZMA_FILTER_LZMA2);
  static_cast<lzma_options_lzma*>(filters[0].options)->dict_size = dict;
  EXPECT_EQ(lzma_block_header_encode(&block, &xz[kBlockHeader]), LZMA_OK);
  for (size_t i = 0; filters[i].id != LZMA_VLI_UNKNOWN; ++i) free(filters[i].options);
  return xz;
}

TEST(DecompressLimits, AnXzDictionaryAboveTheMemoryLimitIsRefused) {
  std::vector<uint8_t> data = Sample(1000);
  // Within the limit (a 6.12+ kernel's 128 MiB dictionary): decodes.
  std::vector<uint8_t> fits = XzWithDictionary(data, 128u << 20);
  AppendSize(fits, data.size());
  auto ok = DecompressPayload(Compression::kXz, fits);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok, data);
  // 1 GiB: refused before liblzma allocates it, naming the need and the limit.
  std::vector<uint8_t> huge = XzWithDictionary(data, 1u << 30);
  AppendSize(huge, data.size());
  auto refused = DecompressPayload(Compression::kXz, huge);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("more than the 256 MiB"), std::string::npos)
      << refused.error().message;
}

TEST(DecompressLimits, AnLzmaDictionaryAboveTheMemoryLimitIsRefused) {
  std::vector<uint8_t> data = Sample(1000);
  std::vector<uint8_t> lzma = Xz(data, true);
  // The .lzma header: properties byte, then the dictionary size (little-endian u32).
  const uint32_t dict = 0xF0000000;  // 3.75 GiB
  std::memcpy(&lzma[1], &dict, 4);
  AppendSize(lzma, data.size());
  auto refused = DecompressPayload(Compression::kLzma, lzma);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("more than the 256 MiB"), std::string::npos)
      << refused.error().message;
}

TEST(DecompressLimits, AZstdWindowAboveTheLimitIsRefused) {
  std::vector<uint8_t> data = Sample(1000);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ASSERT_EQ(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 28)), 0u);
  std::vector<uint8_t> frame(ZSTD_compressBound(data.size()) + 64);
  ZSTD_outBuffer out{frame.data(), frame.size(), 0};
  // Streamed, so the size is not known up front and zstd keeps the 256 MiB window it was given
  // (a one-shot compression would shrink the window to the input).
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue);
  ZSTD_inBuffer none{nullptr, 0, 0};
  ASSERT_EQ(ZSTD_compressStream2(cctx, &out, &none, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(cctx);
  frame.resize(out.pos);
  AppendSize(frame, data.size());
  auto refused = DecompressPayload(Compression::kZstd, frame);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("128 MiB"), std::string::npos) << refused.error().message;
}

// The real Debian kernels: cloud is LZ4, generic is xz. Both unpack to an x86-64 ELF whose
// segments fit the image's init_size.
void CheckRealKernel(const char* key, Compression expected, size_t segments) {
  auto path = testing::CachedKernel(key);
  if (!path) GTEST_SKIP() << key << " not in the cache (run scripts/setup)";
  std::vector<uint8_t> bytes = testing::ReadAll(*path);
  auto image = ParseBzImage(bytes);
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->compression, expected);
  auto elf = ExtractKernelElf(bytes, *image);
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  auto parsed = ParseKernelElf(*elf, image->header.pref_address, image->header.init_size);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->segments.size(), segments);
  EXPECT_EQ(parsed->entry, 0x1000000u) << "startup_64 at LOAD_PHYSICAL_ADDR";
  EXPECT_EQ(parsed->phys_start, 0x1000000u);
  EXPECT_LE(parsed->Span(), image->header.init_size);
  // The per-CPU segment is linked at virtual address 0 but has a physical address.
  bool percpu = false;
  for (const ElfSegment& s : parsed->segments) percpu |= s.vaddr == 0 && s.paddr > 0x1000000;
  EXPECT_TRUE(percpu);
  std::cout << "    " << key << ": " << CompressionName(image->compression) << ", " << bytes.size()
            << " -> " << elf->size() << " bytes, span " << parsed->Span() << ", copied "
            << parsed->FileBytes() << "\n";
}

TEST(Decompress, DebianCloudKernelIsLz4AndUnpacksToItsElf) {
  CheckRealKernel("MINT_KERNEL", Compression::kLz4, 4);
}

TEST(Decompress, DebianGenericKernelIsXzAndUnpacksToItsElf) {
  CheckRealKernel("MINT_GENERIC_KERNEL", Compression::kXz, 4);
}

TEST(Decompress, CloudKernelSpans46MiB) {
  auto path = testing::CachedKernel("MINT_KERNEL");
  if (!path) GTEST_SKIP();
  std::vector<uint8_t> bytes = testing::ReadAll(*path);
  auto image = ParseBzImage(bytes);
  ASSERT_TRUE(image.ok());
  auto elf = ExtractKernelElf(bytes, *image);
  ASSERT_TRUE(elf.ok());
  auto parsed = ParseKernelElf(*elf, 0x1000000, image->header.init_size);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Span(), uint64_t{46} << 20);
}

}  // namespace
}  // namespace mint
