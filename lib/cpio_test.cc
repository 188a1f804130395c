#include "cpio.h"

#include <gtest/gtest.h>

#include <string>

namespace mint {
namespace {

std::string Text(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

TEST(CpioArchive, EmptyArchiveIsOnlyTheTrailer) {
  CpioArchive archive;
  std::vector<uint8_t> bytes = archive.Serialize();
  // 110-byte header, "TRAILER!!!\0" (11 bytes), padded to a multiple of 4.
  ASSERT_EQ(bytes.size(), 124u);
  EXPECT_EQ(Text(bytes).substr(0, 6), "070701");
  EXPECT_EQ(Text(bytes).substr(110, 10), "TRAILER!!!");
  auto entries = ParseCpio(bytes);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  EXPECT_TRUE(entries->empty());
}

TEST(CpioArchive, HeaderFieldsByteForByte) {
  CpioArchive archive;
  ASSERT_TRUE(archive.AddFile("/a", std::string_view("hi\n"), 0755).ok());
  std::string text = Text(archive.Serialize());
  // ino 1, mode 0100755, uid 0, gid 0, nlink 1, mtime 0, size 3, dev 0:0, rdev 0:0,
  // namesize 2 ("a\0"), check 0; then "a\0", padding to 4 (110 + 2 = 112: none), data, pad 1.
  std::string expected =
      "070701"
      "00000001"
      "000081ED"
      "00000000"
      "00000000"
      "00000001"
      "00000000"
      "00000003"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "00000002"
      "00000000";
  expected += std::string("a\0", 2);
  expected += std::string("hi\n\0", 4);
  ASSERT_GE(text.size(), expected.size());
  EXPECT_EQ(text.substr(0, expected.size()), expected);
}

TEST(CpioArchive, RoundTripsEveryKindSortedWithParentsFirst) {
  CpioArchive archive;
  ASSERT_TRUE(archive.AddFile("/usr/bin/tool", std::string_view("12345"), 0700).ok());
  ASSERT_TRUE(archive.AddSymlink("/bin/sh", "busybox").ok());
  ASSERT_TRUE(archive.AddCharDevice("/dev/console", 5, 1).ok());
  ASSERT_TRUE(archive.AddDirectory("/proc", 0555).ok());
  ASSERT_TRUE(archive.AddFile("init", std::string_view("#!/bin/sh\n"), 0755).ok());

  auto entries = ParseCpio(archive.Serialize());
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  std::vector<std::string> paths;
  for (const auto& entry : *entries) paths.push_back(entry.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"bin", "bin/sh", "dev", "dev/console", "init", "proc",
                                             "usr", "usr/bin", "usr/bin/tool"}));
  for (size_t i = 0; i < entries->size(); ++i) {
    EXPECT_EQ((*entries)[i].ino, i + 1);
    EXPECT_EQ((*entries)[i].mtime, 0u);
  }
  EXPECT_EQ((*entries)[0].mode, 040755u);
  EXPECT_EQ((*entries)[1].mode, 0120777u);
  EXPECT_EQ(Text((*entries)[1].data), "busybox");
  EXPECT_EQ((*entries)[3].mode, 020600u);
  EXPECT_EQ((*entries)[3].rdev_major, 5u);
  EXPECT_EQ((*entries)[3].rdev_minor, 1u);
  EXPECT_EQ((*entries)[5].mode, 040555u);
  EXPECT_EQ((*entries)[8].mode, 0100700u);
  EXPECT_EQ(Text((*entries)[8].data), "12345");
}

TEST(CpioArchive, SameInputsGiveTheSameBytes) {
  CpioArchive first;
  ASSERT_TRUE(first.AddFile("b", std::string_view("2")).ok());
  ASSERT_TRUE(first.AddFile("a", std::string_view("1")).ok());
  CpioArchive second;
  ASSERT_TRUE(second.AddFile("a", std::string_view("1")).ok());
  ASSERT_TRUE(second.AddFile("b", std::string_view("2")).ok());
  EXPECT_EQ(first.Serialize(), second.Serialize());
}

TEST(CpioArchive, RefusesClashesAndBadPaths) {
  CpioArchive archive;
  ASSERT_TRUE(archive.AddFile("/etc/x", std::string_view("")).ok());
  auto twice = archive.AddFile("etc//x", std::string_view(""));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "cpio: 'etc/x' is added twice");
  auto under_file = archive.AddFile("/etc/x/y", std::string_view(""));
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().message, "cpio: cannot add 'etc/x/y': 'etc/x' is not a directory");
  EXPECT_FALSE(archive.AddFile("/../x", std::string_view("")).ok());
  EXPECT_FALSE(archive.AddDirectory("/").ok());
  EXPECT_FALSE(archive.AddSymlink("/l", "").ok());
  // A directory may be named again (e.g. to set its mode), and implicit parents exist.
  EXPECT_TRUE(archive.AddDirectory("/etc", 0700).ok());
  EXPECT_TRUE(archive.Contains("/etc"));
  EXPECT_TRUE(archive.Contains("etc/x"));
}

TEST(ParseCpio, RejectsTruncatedAndForeignData) {
  CpioArchive archive;
  ASSERT_TRUE(archive.AddFile("f", std::string_view("data")).ok());
  std::vector<uint8_t> bytes = archive.Serialize();
  std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + 112);
  EXPECT_FALSE(ParseCpio(truncated).ok());
  std::vector<uint8_t> foreign(bytes);
  foreign[0] = 'X';
  auto result = ParseCpio(foreign);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("not the newc magic"), std::string::npos);
}

}  // namespace
}  // namespace mint
