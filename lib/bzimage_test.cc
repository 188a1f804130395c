#include "bzimage.h"

#include <gtest/gtest.h>

#include "test_images.h"

namespace mint {
namespace {

using testing::SyntheticBzImage;

template <typename T>
void Poke(std::vector<uint8_t>& image, size_t offset, T value) {
  std::memcpy(image.data() + offset, &value, sizeof(T));
}

void ExpectError(const std::vector<uint8_t>& image, const std::string& fragment) {
  auto parsed = ParseBzImage(image);
  ASSERT_FALSE(parsed.ok()) << "expected an error containing '" << fragment << "'";
  EXPECT_NE(parsed.error().message.find(fragment), std::string::npos)
      << "error was: " << parsed.error().message;
}

TEST(BzImage, SyntheticImageParses) {
  auto image = SyntheticBzImage();
  auto parsed = ParseBzImage(image);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->protocol, 0x020f);
  EXPECT_EQ(parsed->ProtocolString(), "2.15");
  EXPECT_EQ(parsed->setup_bytes, 1024u);
  EXPECT_EQ(parsed->protected_mode_size, 64u);
  EXPECT_EQ(parsed->arch, "x86_64");
  EXPECT_EQ(parsed->version, "6.1.0-test (mint) #1");
  EXPECT_EQ(parsed->compression, Compression::kGzip);
  EXPECT_EQ(parsed->header.init_size, 0x800000u);
  EXPECT_EQ(parsed->header_bytes.size(), 0x26cu - 0x1f1u);
}

TEST(BzImage, DetectsEveryPayloadFormat) {
  struct Case {
    std::vector<uint8_t> magic;
    Compression expected;
  };
  std::vector<Case> cases = {{{0x1f, 0x8b}, Compression::kGzip},
                             {{'B', 'Z', 'h'}, Compression::kBzip2},
                             {{0x5d, 0, 0}, Compression::kLzma},
                             {{0xfd, '7', 'z', 'X', 'Z', 0}, Compression::kXz},
                             {{0x89, 'L', 'Z', 'O'}, Compression::kLzo},
                             {{0x02, 0x21, 0x4c, 0x18}, Compression::kLz4},
                             {{0x28, 0xb5, 0x2f, 0xfd}, Compression::kZstd},
                             {{0xde, 0xad}, Compression::kUnknown}};
  for (const Case& c : cases) {
    auto image = SyntheticBzImage();
    std::copy(c.magic.begin(), c.magic.end(), image.begin() + 1024);
    auto parsed = ParseBzImage(image);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->compression, c.expected) << CompressionName(c.expected);
  }
}

TEST(BzImage, ThirtyTwoBitKernel) {
  auto image = SyntheticBzImage();
  Poke<uint16_t>(image, 0x236, 0);
  auto parsed = ParseBzImage(image);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->arch, "i386");
  EXPECT_FALSE(parsed->is_64bit);
}

TEST(BzImage, SetupSectsZeroMeansFour) {
  auto image = SyntheticBzImage();
  image[0x1f1] = 0;
  image.insert(image.begin() + 1024, 3 * 512, 0);  // setup grows to 5 sectors
  auto parsed = ParseBzImage(image);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->setup_bytes, 5u * 512u);
}

TEST(BzImageErrors, Empty) {
  ExpectError({}, "too short");
}
TEST(BzImageErrors, TooShortForHeader) {
  auto image = SyntheticBzImage();
  image.resize(0x260);
  ExpectError(image, "too short");
}
TEST(BzImageErrors, BadBootFlag) {
  auto image = SyntheticBzImage();
  Poke<uint16_t>(image, 0x1fe, 0x1234);
  ExpectError(image, "boot_flag");
}
TEST(BzImageErrors, NoHdrS) {
  auto image = SyntheticBzImage();
  Poke<uint32_t>(image, 0x202, 0);
  ExpectError(image, "HdrS");
}
TEST(BzImageErrors, ProtocolTooOld) {
  auto image = SyntheticBzImage();
  Poke<uint16_t>(image, 0x206, 0x020a);
  ExpectError(image, "2.10 is too old");
}
TEST(BzImageErrors, ZImage) {
  auto image = SyntheticBzImage();
  image[0x211] = 0;
  ExpectError(image, "zImage");
}
TEST(BzImageErrors, NotRelocatable) {
  auto image = SyntheticBzImage();
  image[0x234] = 0;
  ExpectError(image, "not relocatable");
}
TEST(BzImageErrors, AlignmentNotPowerOfTwo) {
  auto image = SyntheticBzImage();
  Poke<uint32_t>(image, 0x230, 0x300000);
  ExpectError(image, "not a power of two");
}
TEST(BzImageErrors, MinAlignmentAboveAlignment) {
  auto image = SyntheticBzImage();
  image[0x235] = 30;
  ExpectError(image, "min_alignment");
}
TEST(BzImageErrors, NoInitSize) {
  auto image = SyntheticBzImage();
  Poke<uint32_t>(image, 0x260, 0);
  ExpectError(image, "init_size is 0");
}
TEST(BzImageErrors, NoCmdlineSize) {
  auto image = SyntheticBzImage();
  Poke<uint32_t>(image, 0x238, 0);
  ExpectError(image, "cmdline_size is 0");
}
TEST(BzImageErrors, TruncatedAfterSetup) {
  auto image = SyntheticBzImage();
  image.resize(1024);
  ExpectError(image, "truncated");
}
TEST(BzImageErrors, HeaderLengthPastSetup) {
  auto image = SyntheticBzImage();
  image[0x1f1] = 0;        // 4 sectors claimed...
  image.resize(1024 + 8);  // ...but the file is shorter
  ExpectError(image, "truncated");
}
TEST(BzImageErrors, HeaderShorterThan214) {
  auto image = SyntheticBzImage();
  image[0x201] = 0x20;
  ExpectError(image, "before the 2.14 fields");
}
TEST(BzImageErrors, PayloadOutsideFile) {
  auto image = SyntheticBzImage();
  Poke<uint32_t>(image, 0x24c, 0x10000);
  ExpectError(image, "payload");
  Poke<uint32_t>(image, 0x24c, 0);
  ExpectError(image, "payload");
  Poke<uint32_t>(image, 0x24c, 16);
  Poke<uint32_t>(image, 0x248, 0xfffffff0);
  ExpectError(image, "outside");
}
TEST(BzImageErrors, VersionStringOutsideImage) {
  auto image = SyntheticBzImage();
  Poke<uint16_t>(image, 0x20e, 0x7000);
  ExpectError(image, "version string");
}
TEST(BzImageErrors, VersionStringUnterminated) {
  auto image = SyntheticBzImage(16);
  Poke<uint16_t>(image, 0x20e, static_cast<uint16_t>(image.size() - 4 - 0x200));
  std::fill(image.end() - 4, image.end(), 'x');
  ExpectError(image, "not terminated");
}

// The real thing: Debian's own kernels, as scripts/setup unpacked them.
TEST(BzImageDebian, CloudKernel) {
  auto path = testing::CachedKernel("MINT_KERNEL");
  if (!path) GTEST_SKIP() << "no kernel cache: run scripts/setup";
  auto bytes = testing::ReadAll(*path);
  auto parsed = ParseBzImage(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->ProtocolString(), "2.15");
  EXPECT_EQ(parsed->arch, "x86_64");
  EXPECT_TRUE(parsed->version.starts_with("6.1.")) << parsed->version;
  EXPECT_NE(parsed->version.find("cloud-amd64"), std::string::npos);
  EXPECT_EQ(parsed->compression, Compression::kLz4);
  EXPECT_EQ(parsed->header.kernel_alignment, 0x200000u);
  EXPECT_EQ(parsed->header.pref_address, 0x1000000u);
  EXPECT_GT(parsed->header.init_size, parsed->protected_mode_size);
}

TEST(BzImageDebian, GenericKernel) {
  auto path = testing::CachedKernel("MINT_GENERIC_KERNEL");
  if (!path) GTEST_SKIP() << "no kernel cache: run scripts/setup";
  auto bytes = testing::ReadAll(*path);
  auto parsed = ParseBzImage(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->arch, "x86_64");
  EXPECT_EQ(parsed->compression, Compression::kXz);
  EXPECT_EQ(parsed->version.find("cloud"), std::string::npos) << parsed->version;
}

// Every truncation of a real kernel's header area fails cleanly, never crashes.
TEST(BzImageDebian, EveryTruncationFailsCleanly) {
  auto image = SyntheticBzImage();
  for (size_t size = 0; size < 1024; ++size) {
    std::vector<uint8_t> cut(image.begin(), image.begin() + static_cast<long>(size));
    EXPECT_FALSE(ParseBzImage(cut).ok()) << size;
  }
}

}  // namespace
}  // namespace mint
