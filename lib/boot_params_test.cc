#include "boot_params.h"

#include <gtest/gtest.h>

#include <cstring>

#include "test_images.h"

namespace mint {
namespace {

NodeCommandLine Options() {
  NodeCommandLine options;
  options.user = "quiet";
  options.tsc_khz = 2999999;
  options.cpus = 2;
  options.console = "ttyS1";
  options.status_page = 0x40000000;
  return options;
}

TEST(CommandLine, UserPartThenWhatEveryNodeNeeds) {
  auto line = BuildCommandLine(Options(), 2048);
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(
      *line,
      "quiet tsc_early_khz=2999999 nr_cpus=2 pci=off panic=0 no_ipi_broadcast=1 8250.nr_uarts=0 "
      "earlyprintk=serial,0x2f8,115200,keep mint_status=0x40000000");
}

// The node is named after its plan, before the user's part, so that the user's own
// hostname= (parsed later by the kernel) is the one that counts.
TEST(CommandLine, HostnameFromThePlanThenTheUsersPart) {
  NodeCommandLine options = Options();
  options.hostname = "alpha";
  auto line = BuildCommandLine(options, 2048);
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(line->rfind("hostname=alpha quiet tsc_early_khz=", 0), 0u) << *line;

  options.user = "hostname=web-1";
  line = BuildCommandLine(options, 2048);
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(line->rfind("hostname=alpha hostname=web-1 tsc_early_khz=", 0), 0u) << *line;
}

// A node that owns PCI functions keeps PCI but stays off the host's CF8/CFC at early boot.
TEST(CommandLine, SharedConsoleHasNoEarlyprintkAndPciNodeHasPciNoearly) {
  NodeCommandLine options = Options();
  options.console = "shared";
  options.owns_pci = true;
  options.user.clear();
  auto line = BuildCommandLine(options, 2048);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line,
            "tsc_early_khz=2999999 nr_cpus=2 pci=noearly panic=0 no_ipi_broadcast=1 "
            "8250.nr_uarts=0 mint_status=0x40000000");
}

// Receivable cores (docs/cores.md): nr_cpus counts them, maxcpus= keeps the kernel to its own.
TEST(CommandLine, ReceivableCoresAreCountedButNotStarted) {
  NodeCommandLine options = Options();
  options.cpus = 3;
  options.own_cpus = 1;
  auto line = BuildCommandLine(options, 2048);
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_NE(line->find(" nr_cpus=3 maxcpus=1 "), std::string::npos) << *line;
  options.own_cpus = 3;  // nothing to receive: no maxcpus
  line = BuildCommandLine(options, 2048);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->find("maxcpus"), std::string::npos) << *line;
}

// x86 earlyprintk maps any ttySn but ttyS0/ttyS1 to ttyS0, the host's console: Mint names
// the port instead (a node on ttyS2 once wrote into the host's COM1 in the lab).
TEST(CommandLine, NoapicWhenAsked) {
  NodeCommandLine options;
  options.tsc_khz = 2999999;
  options.console = "ttyS1";
  options.status_page = 0x20000000;
  options.noapic = true;
  auto line = BuildCommandLine(options, 2048);
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_NE(line->find(" pci=off noapic panic=0"), std::string::npos) << *line;
  options.noapic = false;
  EXPECT_EQ(BuildCommandLine(options, 2048)->find("noapic"), std::string::npos);
}

TEST(CommandLine, ConsoleIsNamedByPort) {
  NodeCommandLine options = Options();
  options.console = "ttyS2";
  EXPECT_NE(BuildCommandLine(options, 2048)->find("earlyprintk=serial,0x3e8,115200,keep"),
            std::string::npos);
  options.console = "ttyS3";
  EXPECT_NE(BuildCommandLine(options, 2048)->find("earlyprintk=serial,0x2e8,115200,keep"),
            std::string::npos);
  options.console = "ttyS0";
  EXPECT_FALSE(BuildCommandLine(options, 2048).ok());
}

TEST(CommandLine, RefusesWhatMintSets) {
  for (const char* bad : {"nr_cpus=4", "panic=10", "pci=noacpi", "acpi=off", "earlyprintk=vga"}) {
    NodeCommandLine options = Options();
    options.user = std::string("quiet ") + bad;
    auto line = BuildCommandLine(options, 2048);
    ASSERT_FALSE(line.ok()) << bad;
    EXPECT_NE(line.error().message.find(bad), std::string::npos) << line.error().message;
  }
}

TEST(CommandLine, RefusesALineLongerThanCmdlineSize) {
  NodeCommandLine options = Options();
  auto fits = BuildCommandLine(options, 2048);
  ASSERT_TRUE(fits.ok());
  uint32_t exact = static_cast<uint32_t>(fits->size() + 1);
  EXPECT_TRUE(BuildCommandLine(options, exact).ok());
  auto too_long = BuildCommandLine(options, exact - 1);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("cmdline_size"), std::string::npos);
}

TEST(CommandLine, NeedsTscAndCores) {
  NodeCommandLine options = Options();
  options.tsc_khz = 0;
  EXPECT_FALSE(BuildCommandLine(options, 2048).ok());
  options = Options();
  options.cpus = 0;
  EXPECT_FALSE(BuildCommandLine(options, 2048).ok());
}

class BootParamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = testing::SyntheticBzImage();
    kernel_ = *ParseBzImage(bytes_);
    layout_ = *PlanNodeLayout({{0x40000000, 0x50000000}}, {0x70000, 0x80000}, kernel_, 0x123456);
  }
  std::vector<uint8_t> bytes_;
  KernelImage kernel_;
  NodeLayout layout_;
};

template <typename T>
T At(const std::vector<uint8_t>& page, size_t offset) {
  T value;
  std::memcpy(&value, page.data() + offset, sizeof(T));
  return value;
}

TEST_F(BootParamsTest, ZeroPageByOffset) {
  BootParamsInput input{0x40002000, 100, 0x40004000};
  auto page = BuildBootParams(kernel_, layout_, input);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->size(), 4096u);
  // Offsets from Documentation/arch/x86/zero-page.rst and boot.rst, written out on purpose.
  EXPECT_EQ(At<uint64_t>(*page, 0x070), 0x40004000u);               // acpi_rsdp_addr
  EXPECT_EQ(At<uint32_t>(*page, 0x0c0), 0u);                        // ext_ramdisk_image
  EXPECT_EQ(At<uint32_t>(*page, 0x0c8), 0u);                        // ext_cmd_line_ptr
  EXPECT_EQ(At<uint8_t>(*page, 0x1e8), 7u);                         // e820_entries
  EXPECT_EQ(At<uint8_t>(*page, 0x1ef), 0u);                         // sentinel
  EXPECT_EQ(At<uint16_t>(*page, 0x1fe), 0xaa55u);                   // boot_flag, from the image
  EXPECT_EQ(At<uint32_t>(*page, 0x202), 0x53726448u);               // "HdrS"
  EXPECT_EQ(At<uint16_t>(*page, 0x206), 0x020fu);                   // version
  EXPECT_EQ(At<uint8_t>(*page, 0x210), 0xffu);                      // type_of_loader
  EXPECT_EQ(At<uint8_t>(*page, 0x211) & 0x81, 0x01);                // LOADED_HIGH, no heap
  EXPECT_EQ(At<uint32_t>(*page, 0x214), 0x40200000u);               // code32_start
  EXPECT_EQ(At<uint32_t>(*page, 0x218), layout_.initrd);            // ramdisk_image
  EXPECT_EQ(At<uint32_t>(*page, 0x21c), 0x123456u);                 // ramdisk_size
  EXPECT_EQ(At<uint32_t>(*page, 0x228), 0x40002000u);               // cmd_line_ptr
  EXPECT_EQ(At<uint32_t>(*page, 0x260), kernel_.header.init_size);  // init_size, from the image
  // e820_table at 0x2d0, 20 bytes an entry: the first is the low slice.
  EXPECT_EQ(At<uint64_t>(*page, 0x2d0), 0x70000u);
  EXPECT_EQ(At<uint64_t>(*page, 0x2d8), 0x10000u);
  EXPECT_EQ(At<uint32_t>(*page, 0x2e0), 1u);
  EXPECT_EQ(At<uint64_t>(*page, 0x2d0 + 5 * 20), 0x40010000u);  // the shared sections
  EXPECT_EQ(At<uint64_t>(*page, 0x2d0 + 6 * 20), 0x40040000u);  // the node's RAM
  // Nothing past the header copy and e820 table is set.
  for (size_t i = 0x2d0 + 7 * 20; i < 4096; ++i) ASSERT_EQ((*page)[i], 0) << i;
}

TEST_F(BootParamsTest, RefusesACmdlineOverCmdlineSize) {
  BootParamsInput input{0x40002000, 2047, 0x40004000};
  auto page = BuildBootParams(kernel_, layout_, input);
  ASSERT_FALSE(page.ok());
  EXPECT_NE(page.error().message.find("cmdline_size"), std::string::npos);
}

}  // namespace
}  // namespace mint
