#include "remote_image.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

const char kHexA[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const char kHexB[] = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

TEST(RemoteImage, TellsUrlsFromPaths) {
  EXPECT_TRUE(LooksLikeUrl("http://10.0.0.1/vmlinuz"));
  EXPECT_TRUE(LooksLikeUrl("tftp://host/x"));
  EXPECT_FALSE(LooksLikeUrl("/boot/vmlinuz"));
  EXPECT_FALSE(LooksLikeUrl("images/a://b"));  // a slash before "://": a path
  EXPECT_FALSE(LooksLikeUrl("://host/x"));
}

TEST(RemoteImage, ChecksSchemesAndNamesTheUrl) {
  EXPECT_TRUE(CheckFetchUrl("http://127.0.0.1:8080/vmlinuz"));
  EXPECT_TRUE(CheckFetchUrl("HTTPS://host/vmlinuz"));
  EXPECT_TRUE(CheckFetchUrl("tftp://127.0.0.1/vmlinuz"));
  auto ftp = CheckFetchUrl("ftp://host/vmlinuz");
  ASSERT_FALSE(ftp);
  EXPECT_NE(ftp.error().message.find("ftp://host/vmlinuz"), std::string::npos);
  EXPECT_NE(ftp.error().message.find("not ftp://"), std::string::npos);
  EXPECT_FALSE(CheckFetchUrl("http:///vmlinuz"));
  EXPECT_FALSE(CheckFetchUrl("http://host/a b"));
  EXPECT_FALSE(CheckFetchUrl("/boot/vmlinuz"));
}

TEST(RemoteImage, FileNameIsTheLastPathComponent) {
  EXPECT_EQ(UrlFileName("http://h/boot/vmlinuz-6.1?x=1#y"), "vmlinuz-6.1");
  EXPECT_EQ(UrlFileName("tftp://h/initrd.gz"), "initrd.gz");
  EXPECT_EQ(UrlFileName("http://h/dir/"), "");
  EXPECT_EQ(UrlFileName("http://h"), "");
}

TEST(RemoteImage, ParsesHexDigests) {
  auto digest = ParseSha256Hex(std::string(" ") + kHexA + "\n");
  ASSERT_TRUE(digest);
  EXPECT_EQ(HexDigest(*digest), kHexA);
  std::string upper = kHexA;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(ParseSha256Hex(upper));
  EXPECT_EQ(*ParseSha256Hex(upper), *digest);
  auto short_one = ParseSha256Hex("abc");
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.error().message.find("'abc'"), std::string::npos);
  EXPECT_FALSE(ParseSha256Hex(std::string(kHexA).replace(3, 1, "g")));
}

TEST(RemoteImage, FindsTheEntryInSha256Sums) {
  std::string sums = std::string("# published with the images\n\n") + kHexA + "  vmlinuz\n" +
                     kHexB + " *boot/initrd.gz\n";
  auto kernel = FindInSha256Sums(sums, "vmlinuz", "SHA256SUMS");
  ASSERT_TRUE(kernel) << kernel.error().message;
  EXPECT_EQ(HexDigest(*kernel), kHexA);
  auto initrd = FindInSha256Sums(sums, "initrd.gz", "SHA256SUMS");
  ASSERT_TRUE(initrd) << initrd.error().message;
  EXPECT_EQ(HexDigest(*initrd), kHexB);
  auto missing = FindInSha256Sums(sums, "bzImage", "http://h/SHA256SUMS");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "http://h/SHA256SUMS has no entry for bzImage");
}

TEST(RemoteImage, RefusesMalformedOrContradictorySums) {
  auto bad = FindInSha256Sums(std::string(kHexA) + "  vmlinuz\nnot a line\n", "vmlinuz", "S");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("S line 2"), std::string::npos);
  auto twice = FindInSha256Sums(std::string(kHexA) + "  vmlinuz\n" + kHexB + "  a/vmlinuz\n",
                                "vmlinuz", "S");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("two different"), std::string::npos);
  // The same digest twice is no contradiction.
  EXPECT_TRUE(FindInSha256Sums(std::string(kHexA) + "  vmlinuz\n" + kHexA + "  b/vmlinuz\n",
                               "vmlinuz", "S"));
}

}  // namespace
}  // namespace mint
