#include "initramfs.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

TEST(HostInitScript, CarriesTheMarkerAndTheModuleOnlyWhenAsked) {
  std::string with = HostInitScript("abc123", true);
  EXPECT_NE(with.find("echo \"mint-lab[abc123]: $*\""), std::string::npos);
  EXPECT_NE(with.find("insmod /lib/mint/mint.ko ||"), std::string::npos);
  EXPECT_NE(with.find("export MINT_PLAN=/mint/plan.toml"), std::string::npos);
  EXPECT_NE(with.find("sh -c \"$(cat /mint/command)\""), std::string::npos);
  EXPECT_EQ(with.find('@'), std::string::npos) << "a placeholder was left unreplaced";
  std::string without = HostInitScript("abc123", false);
  EXPECT_EQ(without.find("mint.ko"), std::string::npos);
  // Extra host kernel modules (a network plan's bridge) load either way, before mint.ko.
  EXPECT_NE(without.find("for m in /lib/mint/kernel/*.ko"), std::string::npos);
  EXPECT_LT(with.find("/lib/mint/kernel/"), with.find("insmod /lib/mint/mint.ko"));
}

TEST(ParseHostMarker, ReadsTheProtocolLinesOfItsOwnRunOnly) {
  auto exit_line = ParseHostMarker("mint-lab[abc]: exit 3", "abc");
  ASSERT_TRUE(exit_line);
  EXPECT_EQ(exit_line->kind, HostMarkerLine::Kind::kExit);
  EXPECT_EQ(exit_line->status, 3);
  // Kernel messages may land in front of the line on a shared console.
  auto start = ParseHostMarker("[ 1.2] x mint-lab[abc]: command start (uptime 1.5 s)", "abc");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->kind, HostMarkerLine::Kind::kCommandStart);
  auto failed = ParseHostMarker("mint-lab[abc]: setup failed: insmod x", "abc");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->kind, HostMarkerLine::Kind::kSetupFailed);
  EXPECT_EQ(failed->detail, "insmod x");
  EXPECT_FALSE(ParseHostMarker("mint-lab[other]: exit 0", "abc"));
  EXPECT_FALSE(ParseHostMarker("mint-lab[abc]: exit x", "abc"));
  // The command echoing the script's text must not look like an exit.
  EXPECT_FALSE(ParseHostMarker("echo \"mint-lab[abc]: $*\"", "abc"));
}

TEST(CheckStaticExecutable, RefusesWhatIsNotAStaticElf) {
  std::vector<uint8_t> not_elf = {'#', '!', '/', 'b'};
  auto result = CheckStaticExecutable(not_elf, "/x", "rebuild it");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "/x is not an x86-64 or i386 ELF executable; rebuild it");
  // The shell the test runs under is dynamically linked on Debian.
  auto sh = ReadWholeFile("/bin/sh");
  if (sh.ok()) {
    EXPECT_FALSE(CheckStaticExecutable(*sh, "/bin/sh", "").ok());
  }
}

TEST(Gzip, IsReproducibleAndHasNoTimestamp) {
  std::vector<uint8_t> data(10000, 'm');
  auto first = Gzip(data);
  auto second = Gzip(data);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  ASSERT_GT(first->size(), 10u);
  EXPECT_EQ((*first)[0], 0x1f);
  EXPECT_EQ((*first)[1], 0x8b);
  EXPECT_EQ((*first)[4] | (*first)[5] | (*first)[6] | (*first)[7], 0);  // MTIME
}

}  // namespace
}  // namespace mint
