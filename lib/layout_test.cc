#include "layout.h"

#include <gtest/gtest.h>

#include "test_images.h"

namespace mint {
namespace {

KernelImage Kernel(uint32_t init_size = 0x3378000) {
  auto bytes = testing::SyntheticBzImage();
  auto image = ParseBzImage(bytes);
  EXPECT_TRUE(image.ok());
  image->header.init_size = init_size;
  return *image;
}

constexpr PhysRange kLow{0x70000, 0x80000};
constexpr PhysRange kNodeMemory{0x40000000, 0x50000000};

TEST(Layout, PlacesEveryPieceWhereTheHeaderSays) {
  auto layout = PlanNodeLayout({kNodeMemory}, kLow, Kernel(), 0x200000);
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_EQ(layout->status_page, 0x40000000u);
  EXPECT_EQ(layout->boot_params, 0x40001000u);
  EXPECT_EQ(layout->cmdline, 0x40002000u);
  EXPECT_EQ(layout->acpi, 0x40004000u);
  EXPECT_EQ(layout->shared, 0x40010000u);
  EXPECT_EQ(layout->kernel, 0x40200000u);  // first 2 MiB boundary after Mint's area
  EXPECT_EQ(layout->kernel_room, 0x3378000u);
  EXPECT_EQ(layout->initrd, 0x50000000u - 0x200000u);  // as high as it goes
  EXPECT_EQ(layout->initrd_size, 0x200000u);
}

TEST(Layout, E820MapsLowSliceHolesMintAreaAndRam) {
  auto layout = PlanNodeLayout({kNodeMemory}, kLow, Kernel(), 0);
  ASSERT_TRUE(layout.ok());
  struct Want {
    uint64_t addr, size;
    E820Type type;
  };
  std::vector<Want> want = {
      {0x70000, 0x10000, E820Type::kRam},
      {0x9fc00, 0x400, E820Type::kReserved},
      {0xf0000, 0x10000, E820Type::kReserved},
      {0x40000000, 0x4000, E820Type::kReserved},
      // Reserved: the shared sections (0x20000) and the boot page tables (0x10000).
      {0x40004000, 0xc000, E820Type::kAcpi},
      {0x40010000, 0x30000, E820Type::kReserved},
      {0x40040000, 0xffc0000, E820Type::kRam}};
  ASSERT_EQ(layout->e820.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(layout->e820[i].addr, want[i].addr) << i;
    EXPECT_EQ(layout->e820[i].size, want[i].size) << i;
    EXPECT_EQ(layout->e820[i].type, static_cast<uint32_t>(want[i].type)) << i;
  }
  EXPECT_EQ(layout->initrd, 0u);
}

TEST(Layout, SeveralRangesInAnyOrder) {
  auto layout = PlanNodeLayout({{0x60000000, 0x70000000}, kNodeMemory}, kLow, Kernel(), 0x1000);
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_EQ(layout->base, 0x40000000u);
  EXPECT_EQ(layout->initrd, 0x70000000u - 0x1000u);  // the highest range
  EXPECT_EQ(layout->e820.back().addr, 0x60000000u);
}

TEST(Layout, KernelNeverBelowPrefAddress) {
  // A node at 8 MiB would have its kernel relocated by the decompressor to 16 MiB.
  auto layout = PlanNodeLayout({{0x800000, 0x8000000}}, kLow, Kernel(0x100000), 0);
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_EQ(layout->kernel, 0x1000000u);
}

TEST(LayoutErrors, NodeTooSmallSaysHowMuch) {
  auto layout = PlanNodeLayout({{0x40000000, 0x41000000}}, kLow, Kernel(), 0);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.error().message.find("too small"), std::string::npos) << layout.error().message;
  EXPECT_NE(layout.error().message.find("at least 54 MiB"), std::string::npos)
      << layout.error().message;
}

TEST(LayoutErrors, NoRoomForInitrd) {
  auto layout = PlanNodeLayout({{0x40000000, 0x43800000}}, kLow, Kernel(), 0x1000000);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.error().message.find("no room for the 0x1000000-byte initrd"), std::string::npos)
      << layout.error().message;
}

TEST(LayoutErrors, InitrdRespectsInitrdAddrMax) {
  KernelImage kernel = Kernel(0x100000);
  kernel.header.xloadflags = 0;
  kernel.header.initrd_addr_max = 0x37ffffff;
  auto layout = PlanNodeLayout({{0x40000000, 0x50000000}}, kLow, kernel, 0x1000);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.error().message.find("initrd_addr_max"), std::string::npos);
  auto low_enough = PlanNodeLayout({{0x30000000, 0x50000000}}, kLow, kernel, 0x1000);
  ASSERT_TRUE(low_enough.ok()) << low_enough.error().message;
  EXPECT_EQ(low_enough->initrd, 0x38000000u - 0x1000u);
}

TEST(LayoutErrors, LowSliceTooSmallOrInEbda) {
  // 24 KiB is below the measured minimum (kMinLowSlice, 28 KiB); 28 KiB is enough.
  EXPECT_FALSE(PlanNodeLayout({kNodeMemory}, {0x70000, 0x76000}, Kernel(), 0).ok());
  EXPECT_TRUE(PlanNodeLayout({kNodeMemory}, {0x70000, 0x77000}, Kernel(), 0).ok());
  EXPECT_FALSE(PlanNodeLayout({kNodeMemory}, {0x90000, 0xa0000}, Kernel(), 0).ok());
}

TEST(LayoutErrors, OverlappingRanges) {
  auto layout = PlanNodeLayout({kNodeMemory, {0x48000000, 0x58000000}}, kLow, Kernel(), 0);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.error().message.find("overlaps"), std::string::npos);
}

TEST(LayoutErrors, FirstRangeAbove4GiB) {
  auto layout = PlanNodeLayout({{0x100000000, 0x110000000}}, kLow, Kernel(), 0);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.error().message.find("above 4 GiB"), std::string::npos);
}

TEST(LayoutErrors, NoMemory) {
  EXPECT_FALSE(PlanNodeLayout({}, kLow, Kernel(), 0).ok());
}

// Property: for many node sizes and initrd sizes, an accepted layout never overlaps its own
// pieces and keeps everything inside the node.
TEST(LayoutProperties, PiecesAreDisjointAndInside) {
  KernelImage kernel = Kernel();
  for (uint64_t mib = 32; mib <= 512; mib += 8) {
    for (uint64_t initrd :
         {uint64_t{0}, uint64_t{0x1000}, uint64_t{0x123456}, uint64_t{0x2000000}}) {
      PhysRange memory{0x40000000, 0x40000000 + (mib << 20)};
      auto layout = PlanNodeLayout({memory}, kLow, kernel, initrd);
      if (!layout.ok()) continue;
      PhysRange kernel_room{layout->kernel, layout->kernel + layout->kernel_room};
      EXPECT_TRUE(memory.Contains(kernel_room));
      EXPECT_GE(layout->kernel, memory.start + kMintAreaSize);
      EXPECT_EQ(layout->kernel % kernel.header.kernel_alignment, 0u);
      if (initrd) {
        PhysRange initrd_range{layout->initrd, layout->initrd + initrd};
        EXPECT_TRUE(memory.Contains(initrd_range));
        EXPECT_FALSE(initrd_range.Overlaps(kernel_room));
        EXPECT_EQ(layout->initrd % 0x1000, 0u);
      }
      for (size_t i = 1; i < layout->e820.size(); ++i)
        EXPECT_GE(layout->e820[i].addr, layout->e820[i - 1].addr + layout->e820[i - 1].size);
    }
  }
}

}  // namespace
}  // namespace mint
