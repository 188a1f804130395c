// mint host-setup end to end on a fake machine (a temporary tree with proc/cmdline,
// etc/default/grub and sys/firmware), with a fake update-grub: nothing here reads or writes the
// real /etc or runs update-grub. And what mint check --live adds about the host, from plain
// values.
#include "host_setup.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app.h"

namespace mint::cli {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// A machine's files under a temporary root, a plan (host cores 0, 512 MiB reserved at 1 GiB)
// and a fake update-grub that counts its runs and exits with the status in ROOT/update-status.
class FakeHost : public testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() / ("mint_host_setup_test." + std::to_string(::getpid()) + "." +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    WriteText(root_ / "proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz root=UUID=1 ro quiet\n");
    WriteText(root_ / "etc/default/grub",
              "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
    WriteText(root_ / "update-status", "0");
    WriteText(
        root_ / "plan.toml",
        "[host]\nreserved = [\"0x40000000-0x5fffffff\"]\n\n[[node]]\nname = \"alpha\"\n"
        "kernel = \"/nonexistent/vmlinuz\"\ncpus = [1]\nmemory = [\"0x40000000-0x4fffffff\"]\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Root() const { return root_.string(); }
  std::string Plan() const { return (root_ / "plan.toml").string(); }
  std::string DropIn() const { return ReadText(root_ / "etc/default/grub.d/mint.cfg"); }
  bool HasDropIn() const { return fs::exists(root_ / "etc/default/grub.d/mint.cfg"); }
  std::string UpdateGrub() const {
    return "echo Generating grub configuration file ...; echo run >> " + Root() +
           "/update-runs; exit $(cat " + Root() + "/update-status)";
  }
  int UpdateRuns() const {
    std::string runs = ReadText(root_ / "update-runs");
    return static_cast<int>(std::count(runs.begin(), runs.end(), '\n'));
  }

  // mint host-setup PLAN --root ROOT ARGS...: the status; stdout and stderr kept.
  int Run(Strings args) {
    args.insert(args.begin(), {"host-setup", Plan(), "--root", Root()});
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int status = Main(args);
    out_ = testing::internal::GetCapturedStdout();
    err_ = testing::internal::GetCapturedStderr();
    return status;
  }

  // What grub-mkconfig's shell makes of the configuration: GRUB_CMDLINE_LINUX as 10_linux
  // puts it on the linux line of grub.cfg.
  std::string GrubLinuxLine() const {
    std::string script = ". " + Root() + "/etc/default/grub; for x in " + Root() +
                         "/etc/default/grub.d/*.cfg; do . \"$x\"; done; printf '%s' "
                         "\"$GRUB_CMDLINE_LINUX\" > " +
                         Root() + "/linux-line";
    EXPECT_EQ(std::system(("/bin/sh -c '" + script + "'").c_str()), 0);
    return ReadText(root_ / "linux-line");
  }

  fs::path root_;
  std::string out_, err_;
};

TEST_F(FakeHost, DryRunShowsTheDiffAndTheDropInAndWritesNothing) {
  EXPECT_EQ(Run({"--dry-run", "--update-grub", UpdateGrub()}), 0) << err_;
  EXPECT_NE(out_.find("host kernel options for " + Plan() +
                      ": maxcpus=1 memmap=0x20000000$0x40000000 no_ipi_broadcast=1\n"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("running kernel (" + Root() +
                      "/proc/cmdline):\n"
                      "  missing   maxcpus=1\n"
                      "  missing   memmap=0x20000000$0x40000000\n"
                      "  missing   no_ipi_broadcast=1\n"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("    GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX maxcpus=1 "
                      "memmap=0x20000000\\\\\\$0x40000000 no_ipi_broadcast=1\"\n"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("not written: --dry-run"), std::string::npos) << out_;
  EXPECT_FALSE(HasDropIn());
  EXPECT_EQ(UpdateRuns(), 0);
}

TEST_F(FakeHost, WithoutConsentOffATerminalNothingIsWritten) {
  EXPECT_EQ(Run({"--update-grub", UpdateGrub()}), 0) << err_;
  EXPECT_NE(out_.find("not written: no consent"), std::string::npos) << out_;
  EXPECT_FALSE(HasDropIn());
}

TEST_F(FakeHost, YesWritesTheDropInRunsUpdateGrubOnceAndASecondRunHasNothingToDo) {
  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 0) << err_;
  EXPECT_TRUE(HasDropIn());
  EXPECT_EQ(UpdateRuns(), 1);
  EXPECT_NE(out_.find("Generating grub configuration file"), std::string::npos) << out_;
  // The shell leaves \$ for grub.cfg, where GRUB reads it as $.
  EXPECT_EQ(GrubLinuxLine(), " maxcpus=1 memmap=0x20000000\\$0x40000000 no_ipi_broadcast=1");
  EXPECT_FALSE(fs::exists(root_ / "etc/default/grub.d/mint.cfg.mint-new"));

  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 0) << err_;
  EXPECT_NE(out_.find("  present   memmap=0x20000000$0x40000000\n"), std::string::npos) << out_;
  EXPECT_NE(out_.find("nothing to do (reboot to use them)"), std::string::npos) << out_;
  EXPECT_EQ(UpdateRuns(), 1);
}

TEST_F(FakeHost, OptionsAlreadyGivenByHandNeedNoDropIn) {
  WriteText(root_ / "etc/default/grub",
            "GRUB_CMDLINE_LINUX=\"memmap=1G\\\\\\$0x40000000 maxcpus=1 no_ipi_broadcast=1\"\n");
  WriteText(root_ / "proc/cmdline", "ro memmap=1G$0x40000000 maxcpus=1 no_ipi_broadcast=1\n");
  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 0) << err_;
  EXPECT_NE(out_.find("  present   memmap=0x20000000$0x40000000 (memmap=1G$0x40000000)\n"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("already gives every option: nothing to do\n"), std::string::npos) << out_;
  EXPECT_FALSE(HasDropIn());
}

TEST_F(FakeHost, AContradictionInTheDefaultLineWritesNothingAndNamesIt) {
  WriteText(root_ / "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet maxcpus=4\"\n");
  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 1);
  EXPECT_NE(err_.find("Nothing was written:\n  maxcpus=1: maxcpus=4 is the line's last maxcpus=, "
                      "and the kernel takes it"),
            std::string::npos)
      << err_;
  EXPECT_FALSE(HasDropIn());
  EXPECT_EQ(UpdateRuns(), 0);
  // Added after the drop-in was written: a second run does not call that "nothing to do".
  WriteText(root_ / "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 0) << err_;
  WriteText(root_ / "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet maxcpus=4\"\n");
  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 1);
  EXPECT_NE(err_.find("maxcpus=4 is the line's last"), std::string::npos) << err_;
  EXPECT_EQ(UpdateRuns(), 1);
}

TEST_F(FakeHost, ADollarWrittenWithoutItsBackslashesIsNamed) {
  WriteText(root_ / "etc/default/grub", "GRUB_CMDLINE_LINUX=\"memmap=512M\\$0x40000000\"\n");
  // The kernel would read memmap=512Mx40000000 as a limit and drop the RAM above 512 MiB: a
  // word to remove by hand, so nothing is written.
  EXPECT_EQ(Run({"--dry-run"}), 1);
  EXPECT_NE(out_.find("  problem   memmap=512M$0x40000000: GRUB replaces the $ in it"),
            std::string::npos)
      << out_;
  EXPECT_NE(err_.find("Nothing was written:\n  memmap=512Mx40000000: the kernel cannot read"),
            std::string::npos)
      << err_;
}

TEST_F(FakeHost, AFailedUpdateGrubIsReportedAndTheDropInPutBack) {
  WriteText(root_ / "update-status", "3");
  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 1);
  EXPECT_NE(err_.find("failed (status 3); the drop-in was removed. Its output:\n"
                      "Generating grub configuration file ..."),
            std::string::npos)
      << err_;
  EXPECT_FALSE(HasDropIn());
  // An earlier drop-in is put back as it was.
  WriteText(root_ / "etc/default/grub.d/mint.cfg", "# an older plan's\n");
  EXPECT_EQ(Run({"--yes", "--update-grub", UpdateGrub()}), 1);
  EXPECT_EQ(DropIn(), "# an older plan's\n");
  EXPECT_EQ(Run({"--yes", "--keep-on-failure", "--update-grub", UpdateGrub()}), 1);
  EXPECT_TRUE(DropIn().starts_with("# Written by mint host-setup"));
}

TEST_F(FakeHost, AnotherRootRunsNoUpdateGrubUnlessTold) {
  EXPECT_EQ(Run({"--yes"}), 0) << err_;
  EXPECT_TRUE(HasDropIn());
  EXPECT_NE(out_.find("update-grub not run: --root " + Root()), std::string::npos) << out_;
}

TEST_F(FakeHost, NoGrubConfigurationSaysWhatToGiveByHand) {
  fs::remove(root_ / "etc/default/grub");
  EXPECT_EQ(Run({"--yes"}), 1);
  EXPECT_NE(err_.find("this machine boots some other way; give the host kernel these options "
                      "through its boot loader by hand: maxcpus=1 memmap=0x20000000$0x40000000 "
                      "no_ipi_broadcast=1"),
            std::string::npos)
      << err_;
}

TEST_F(FakeHost, SecureBootIsDetectedAndExplained) {
  WriteText(root_ / "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
            std::string("\x06\x00\x00\x00\x01", 5));
  WriteText(root_ / "sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
  EXPECT_EQ(Run({"--dry-run"}), 0) << err_;
  EXPECT_NE(out_.find("note: Secure Boot is on and the kernel is locked down (integrity)"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("sudo mokutil --import /var/lib/dkms/mok.pub"), std::string::npos);
}

TEST_F(FakeHost, JsonForScripts) {
  EXPECT_EQ(Run({"--json", "--yes", "--update-grub", UpdateGrub()}), 0) << err_;
  auto json = nlohmann::json::parse(out_);
  EXPECT_EQ(json["options"],
            (Strings{"maxcpus=1", "memmap=0x20000000$0x40000000", "no_ipi_broadcast=1"}));
  EXPECT_EQ(json["running"]["complete"], false);
  EXPECT_EQ(json["running"]["options"][0]["state"], "missing");
  EXPECT_EQ(json["grub"]["cmdline_linux_default"], "quiet");
  EXPECT_EQ(json["drop_in"]["action"], "write");
  EXPECT_EQ(json["drop_in"]["written"], true);
  EXPECT_EQ(json["update_grub"]["status"], 0);
  EXPECT_EQ(json["secure_boot"]["secure_boot"], nullptr);
}

TEST(HostNotes, NamesWhatTheRunningKernelLacks) {
  HostPlan host;
  host.reserved = {{0x40000000, 0x60000000}};
  Plan plan;
  plan.host = host;
  EXPECT_EQ(HostNotes(plan, "p.toml", "ro maxcpus=1 memmap=512M$0x40000000 no_ipi_broadcast=1",
                      SecureBootState{}),
            Strings{});
  EXPECT_EQ(HostNotes(plan, "p.toml", "ro maxcpus=2", SecureBootState{}),
            (Strings{"the host kernel was booted without maxcpus=1 memmap=0x20000000$0x40000000 "
                     "no_ipi_broadcast=1 (from /proc/cmdline); 'mint host-setup p.toml' shows "
                     "why and writes them for GRUB",
                     "conflict  maxcpus=1: maxcpus=2 is the line's last maxcpus=, and the kernel "
                     "takes it",
                     "missing   memmap=0x20000000$0x40000000", "missing   no_ipi_broadcast=1"}));
  auto with_lockdown =
      HostNotes(plan, "p.toml", "maxcpus=1 memmap=512M$0x40000000 no_ipi_broadcast=1",
                SecureBootState{true, true, "integrity"});
  ASSERT_EQ(with_lockdown.size(), 3u);
  EXPECT_TRUE(with_lockdown[0].starts_with("Secure Boot is on"));
}

TEST(HostSetupParse, RefusesAMissingPlan) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(Main({"host-setup"}), 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "mint: PLAN is required\nRun 'mint host-setup --help' for the options.\n");
  testing::internal::CaptureStderr();
  EXPECT_EQ(Main({"host-setup", "/nonexistent/plan.toml", "--dry-run"}), 1);
  std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("/nonexistent/plan.toml"), std::string::npos) << said;
}

}  // namespace
}  // namespace mint::cli
