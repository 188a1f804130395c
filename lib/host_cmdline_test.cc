// The host command line a plan needs, compared with command lines as the kernel and GRUB
// read them, and the GRUB drop-in written for it.
#include "host_cmdline.h"

#include <gtest/gtest.h>

#include "plan.h"

namespace mint {
namespace {

using Strings = std::vector<std::string>;
using State = OptionStatus::State;

HostPlan TwoReserved() {
  HostPlan host;
  host.cpus = {0, 1};
  host.reserved = {{0x40000000, 0x60000000}, {0x100000000, 0x140000000}};
  return host;
}

TEST(HostKernelOptions, OneOptionEachAndTheLineMintPlanPrints) {
  HostPlan host = TwoReserved();
  EXPECT_EQ(HostKernelOptions(host),
            (Strings{"maxcpus=2", "memmap=0x20000000$0x40000000", "memmap=0x40000000$0x100000000",
                     "no_ipi_broadcast=1"}));
  EXPECT_EQ(HostKernelArgs(host),
            "maxcpus=2 memmap=0x20000000$0x40000000 memmap=0x40000000$0x100000000 "
            "no_ipi_broadcast=1");
}

TEST(SplitKernelCmdline, BlanksSeparateQuotesGroup) {
  EXPECT_EQ(SplitKernelCmdline("BOOT_IMAGE=/vmlinuz root=UUID=1 ro  quiet\n"),
            (Strings{"BOOT_IMAGE=/vmlinuz", "root=UUID=1", "ro", "quiet"}));
  EXPECT_EQ(SplitKernelCmdline("a=\"b c\" d"), (Strings{"a=b c", "d"}));
  EXPECT_TRUE(SplitKernelCmdline("  \n").empty());
}

TEST(CompareHostCmdline, EverythingPresent) {
  auto diff = CompareHostCmdline(HostKernelOptions(TwoReserved()),
                                 SplitKernelCmdline("ro quiet maxcpus=2 memmap=512M$1G "
                                                    "memmap=0x40000000$0x100000000 "
                                                    "no_ipi_broadcast=1"));
  EXPECT_TRUE(diff.Complete());
  EXPECT_TRUE(diff.Missing().empty());
  EXPECT_EQ(diff.options[1].found, Strings{"memmap=512M$1G"});
}

TEST(CompareHostCmdline, MissingOptionsAreListedInThePlansOrder) {
  auto diff = CompareHostCmdline(HostKernelOptions(TwoReserved()),
                                 SplitKernelCmdline("ro quiet memmap=512M$1G"));
  EXPECT_FALSE(diff.Complete());
  EXPECT_EQ(diff.Missing(),
            (Strings{"maxcpus=2", "memmap=0x40000000$0x100000000", "no_ipi_broadcast=1"}));
  EXPECT_TRUE(diff.Conflicts().empty());
}

TEST(CompareHostCmdline, ALargerOrSplitReservationCovers) {
  HostPlan host;
  host.reserved = {{0x40000000, 0x60000000}};
  auto larger = CompareHostCmdline(HostKernelOptions(host),
                                   {"maxcpus=1", "memmap=1G$0x40000000", "no_ipi_broadcast=1"});
  EXPECT_TRUE(larger.Complete());
  // Two reservations in one memmap= (the kernel splits at commas), meeting at 0x50000000.
  auto split = CompareHostCmdline(
      HostKernelOptions(host),
      {"maxcpus=1", "memmap=256M$0x40000000,256M$0x50000000", "no_ipi_broadcast=1"});
  EXPECT_TRUE(split.Complete());
  auto partial = CompareHostCmdline(HostKernelOptions(host), {"memmap=256M$0x40000000"});
  EXPECT_EQ(partial.options[1].state, State::kMissing);
}

TEST(CompareHostCmdline, TheLastOccurrenceWinsAndAnotherValueConflicts) {
  auto diff = CompareHostCmdline({"maxcpus=1", "no_ipi_broadcast=1"},
                                 {"maxcpus=1", "maxcpus=4", "no_ipi_broadcast=0"});
  ASSERT_EQ(diff.Conflicts().size(), 2u);
  EXPECT_EQ(diff.options[0].state, State::kConflict);
  EXPECT_EQ(diff.options[0].found, Strings{"maxcpus=4"});
  EXPECT_EQ(diff.options[0].why, "maxcpus=4 is the line's last maxcpus=, and the kernel takes it");
  // The plan's value last: present (how GRUB_CMDLINE_LINUX's drop-in overrides an earlier one).
  EXPECT_TRUE(CompareHostCmdline({"maxcpus=1"}, {"maxcpus=4", "maxcpus=1"}).Complete());
  // After "--" the words are init's.
  EXPECT_EQ(CompareHostCmdline({"maxcpus=1"}, {"ro", "--", "maxcpus=1"}).Missing(),
            Strings{"maxcpus=1"});
}

TEST(CompareHostCmdline, AnotherKindOfMemmapOverTheRangeConflicts) {
  auto diff = CompareHostCmdline({"memmap=0x20000000$0x40000000"}, {"memmap=64M@0x48000000"});
  ASSERT_EQ(diff.Conflicts().size(), 1u);
  EXPECT_EQ(diff.options[0].why,
            "memmap=64M@0x48000000 makes 0x40000000-0x5fffffff usable RAM, not reserved");
  // Elsewhere it is none of Mint's business.
  EXPECT_TRUE(CompareHostCmdline({"memmap=0x20000000$0x40000000"},
                                 {"memmap=64M@0x100000000", "memmap=0x20000000$0x40000000"})
                  .Complete());
  EXPECT_EQ(
      CompareHostCmdline({"memmap=0x20000000$0x40000000"}, {"memmap=exactmap"}).options[0].state,
      State::kConflict);
}

TEST(CompareHostCmdline, AMemmapTheKernelCannotReadIsAProblemNamingIt) {
  // What the shell leaves of memmap=512M$0x40000000 written in double quotes without
  // backslashes ($0 is the script's name), and what GRUB leaves of an unescaped $0x...
  for (const char* word : {"memmap=512M/usr/sbin/grub-mkconfigx40000000", "memmap=512Mx40000000"}) {
    auto diff = CompareHostCmdline({"memmap=0x20000000$0x40000000"}, {word});
    ASSERT_EQ(diff.problems.size(), 1u) << word;
    EXPECT_TRUE(diff.problems[0].starts_with(std::string(word) + ": the kernel cannot read"))
        << diff.problems[0];
    EXPECT_EQ(diff.options[0].state, State::kMissing);
    EXPECT_FALSE(diff.Complete());
  }
}

TEST(SplitGrubArgs, BackslashesQuotesAndVariablesAsGrubReadsThem) {
  // What grub.cfg holds after the shell read memmap=512M\\\$0x40000000 from /etc/default/grub.
  auto escaped = SplitGrubArgs(" maxcpus=1 memmap=512M\\$0x40000000  quiet");
  EXPECT_EQ(escaped.words, (Strings{"maxcpus=1", "memmap=512M$0x40000000", "quiet"}));
  EXPECT_TRUE(escaped.expanded.empty());
  // Written with one backslash: the shell ate it, and GRUB takes $0 for a variable.
  auto lost = SplitGrubArgs("memmap=512M$0x40000000 a=${x}b c=$vt_handoff");
  EXPECT_EQ(lost.words, (Strings{"memmap=512Mx40000000", "a=b", "c="}));
  EXPECT_EQ(lost.expanded, (Strings{"memmap=512M$0x40000000", "a=${x}b", "c=$vt_handoff"}));
  EXPECT_EQ(SplitGrubArgs("'a b' \"c\\$d\\e\"").words, (Strings{"a b", "c$d\\e"}));
}

TEST(GrubConfigEscape, EachDollarBecomesThreeBackslashesAndADollar) {
  EXPECT_EQ(*GrubConfigEscape("memmap=0x20000000$0x40000000"),
            "memmap=0x20000000\\\\\\$0x40000000");
  EXPECT_EQ(*GrubConfigEscape("maxcpus=1"), "maxcpus=1");
  auto bad = GrubConfigEscape("a\nb");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'a\nb'"), std::string::npos);
}

// What the kernel receives from a value written into /etc/default/grub: the shell's double
// quotes undone (backslash before \ $ " `), then GRUB's reading (SplitGrubArgs).
std::string ShellDoubleQuoted(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() &&
        std::string_view("\\$\"`").find(text[i + 1]) != std::string_view::npos)
      ++i;
    out.push_back(text[i]);
  }
  return out;
}

TEST(GrubConfigEscape, RoundTripsThroughTheShellAndGrub) {
  for (const char* option :
       {"memmap=0x20000000$0x40000000", "a=\"q\"", "b='s'", "c=x\\y", "d=$HOME;{}|&<>", "e=`x`"}) {
    auto escaped = GrubConfigEscape(option);
    ASSERT_TRUE(escaped) << option;
    EXPECT_EQ(SplitGrubArgs(ShellDoubleQuoted(*escaped)).words, Strings{option}) << *escaped;
  }
}

TEST(GrubDropIn, AppendsToGrubCmdlineLinux) {
  auto text = GrubDropIn({"maxcpus=1", "memmap=0x20000000$0x40000000", "no_ipi_broadcast=1"},
                         "/etc/mint/plan.toml");
  ASSERT_TRUE(text);
  EXPECT_TRUE(text->starts_with("# Written by mint host-setup for /etc/mint/plan.toml"));
  EXPECT_TRUE(text->ends_with(
      "\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX maxcpus=1 memmap=0x20000000\\\\\\$0x40000000 "
      "no_ipi_broadcast=1\"\n"));
  EXPECT_FALSE(GrubDropIn({"maxcpus=1"}, "a\nb.toml"));
}

TEST(GrubSourceOrder, DefaultThenCfgFilesInByteOrderWithTheDropInInItsPlace) {
  EXPECT_EQ(
      GrubSourceOrder(true, {"zz.cfg", "init-select.cfg", "README", "10-a.cfg"}, "mint.cfg", true),
      (Strings{"grub", "grub.d/10-a.cfg", "grub.d/init-select.cfg", "grub.d/mint.cfg",
               "grub.d/zz.cfg"}));
  EXPECT_EQ(GrubSourceOrder(false, {"mint.cfg", "a.cfg"}, "mint.cfg", false),
            (Strings{"grub.d/a.cfg"}));
}

TEST(SecureBoot, TheVariableAndTheLockdownMode) {
  EXPECT_EQ(ParseSecureBootVariable({6, 0, 0, 0, 1}), true);
  EXPECT_EQ(ParseSecureBootVariable({6, 0, 0, 0, 0}), false);
  EXPECT_EQ(ParseSecureBootVariable({1}), std::nullopt);
  EXPECT_EQ(ParseLockdown("none [integrity] confidentiality\n"), "integrity");
  EXPECT_EQ(ParseLockdown("[none] integrity confidentiality\n"), "none");
  EXPECT_EQ(ParseLockdown(""), "");
}

TEST(SecureBoot, AdviceOnlyWhenModulesAreRestricted) {
  SecureBootState off{true, false, "none"};
  EXPECT_TRUE(SecureBootAdvice(off).empty());
  EXPECT_TRUE(SecureBootAdvice(SecureBootState{}).empty());
  SecureBootState on{true, true, "integrity"};
  auto advice = SecureBootAdvice(on);
  ASSERT_EQ(advice.size(), 3u);
  EXPECT_TRUE(advice[0].starts_with(
      "Secure Boot is on and the kernel is locked down (integrity): Debian's kernel"));
  EXPECT_NE(advice[1].find("sudo mokutil --import /var/lib/dkms/mok.pub"), std::string::npos);
  // Locked down without Secure Boot (lockdown= on the command line) restricts modules too.
  SecureBootState locked{false, std::nullopt, "confidentiality"};
  EXPECT_TRUE(locked.Restricts());
  EXPECT_TRUE(SecureBootAdvice(locked)[0].starts_with("Secure Boot is off and the kernel"));
}

}  // namespace
}  // namespace mint
