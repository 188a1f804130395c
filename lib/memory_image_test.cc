#include "memory_image.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mint {
namespace {

constexpr uint64_t kLow = 0x70000, kBase = 0x40000000;

MemoryImageLayout Layout() {
  MemoryImageLayout layout;
  layout.node = "alpha";
  layout.ranges = {{kLow, kLow + 0x8000}, {kBase, kBase + 0x40000}};
  layout.apic_ids = {1, 2, 7};
  layout.status_page = kBase;
  return layout;
}

// Memory with a few non-zero pages: the low slice's second page, base pages 0-2 and 9.
struct Memory {
  std::vector<uint8_t> low = std::vector<uint8_t>(0x8000, 0);
  std::vector<uint8_t> high = std::vector<uint8_t>(0x40000, 0);
  Memory() {
    low[0x1000 + 17] = 0x5a;
    for (int page : {0, 1, 2, 9}) high[page * 0x1000 + page] = static_cast<uint8_t>(page + 1);
    high[9 * 0x1000 + 0xfff] = 0xee;  // the last byte of a page counts too
  }
};

std::vector<uint8_t> Build(const Memory& memory) {
  MemoryImageWriter writer(Layout());
  EXPECT_TRUE(writer.Add(kLow, memory.low).ok());
  // The big range in two pieces, as mint snapshot reads it in chunks.
  EXPECT_TRUE(writer.Add(kBase, std::span(memory.high).first(0x20000)).ok());
  EXPECT_TRUE(writer.Add(kBase + 0x20000, std::span(memory.high).subspan(0x20000)).ok());
  EXPECT_EQ(writer.nonzero_pages(), 5u);
  auto image = writer.Finish();
  EXPECT_TRUE(image.ok()) << image.error().message;
  return image.ok() ? *image : std::vector<uint8_t>{};
}

TEST(MemoryImage, KeepsOnlyNonZeroPagesAndRestoresThemExactly) {
  Memory memory;
  auto bytes = Build(memory);
  auto image = ParseMemoryImage(bytes);
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->layout, Layout());
  ASSERT_EQ(image->runs.size(), 3u);  // low page 1; base pages 0-2; base page 9
  EXPECT_EQ(image->runs[0].phys, kLow + 0x1000);
  EXPECT_EQ(image->runs[1].phys, kBase);
  EXPECT_EQ(image->runs[1].pages, 3u);
  EXPECT_EQ(image->runs[2].phys, kBase + 9 * 0x1000);
  EXPECT_EQ(image->total_pages, 8u + 64u);
  auto pages = DecompressPages(*image);
  ASSERT_TRUE(pages.ok()) << pages.error().message;
  // Rebuild memory from the runs and the zero runs: identical to what was taken.
  Memory restored;
  std::fill(restored.low.begin(), restored.low.end(), 0xcc);  // a previous tenant's bytes
  std::fill(restored.high.begin(), restored.high.end(), 0xcc);
  auto at = [&](uint64_t phys) {
    return phys >= kBase ? restored.high.data() + (phys - kBase)
                         : restored.low.data() + (phys - kLow);
  };
  for (const PageRun& run : ZeroRuns(*image)) std::memset(at(run.phys), 0, run.pages * 0x1000);
  size_t offset = 0;
  for (const PageRun& run : image->runs) {
    std::memcpy(at(run.phys), pages->data() + offset, run.pages * 0x1000);
    offset += run.pages * 0x1000;
  }
  EXPECT_EQ(restored.low, memory.low);
  EXPECT_EQ(restored.high, memory.high);
  // Trailing bytes (an image read back from a block device) are ignored.
  bytes.resize(bytes.size() + 4096, 0xab);
  EXPECT_TRUE(ParseMemoryImage(bytes).ok());
}

// Raw page data: the same pages, readable in place (no copy, no decompression).
TEST(MemoryImage, RawImagesHoldThePagesAsTheyAre) {
  Memory memory;
  MemoryImageWriter writer(Layout());
  ASSERT_TRUE(writer.Add(kLow, memory.low).ok());
  ASSERT_TRUE(writer.Add(kBase, memory.high).ok());
  auto raw = writer.Finish(PageCodec::kRaw);
  auto lz4 = writer.Finish(PageCodec::kLz4);
  ASSERT_TRUE(raw.ok() && lz4.ok());
  auto a = ParseMemoryImage(*raw), b = ParseMemoryImage(*lz4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->codec, PageCodec::kRaw);
  EXPECT_EQ(b->codec, PageCodec::kLz4);
  EXPECT_EQ(a->data.size(), 5u * 0x1000);
  auto pages = DecompressPages(*b);
  ASSERT_TRUE(pages.ok());
  EXPECT_TRUE(std::equal(a->data.begin(), a->data.end(), pages->begin(), pages->end()));
  EXPECT_EQ(a->data[0x1000 * 0 + 17], memory.low[0x1000 + 17]);  // the low page comes first
}

TEST(MemoryImage, RefusesDamageNamingIt) {
  auto bytes = Build(Memory());
  auto expect = [&](std::vector<uint8_t> spoiled, const char* fragment) {
    auto image = ParseMemoryImage(spoiled);
    ASSERT_FALSE(image.ok()) << fragment;
    EXPECT_NE(image.error().message.find(fragment), std::string::npos) << image.error().message;
  };
  auto flipped = bytes;
  flipped[bytes.size() - 3] ^= 1;
  expect(flipped, "checksum");
  expect(std::vector<uint8_t>(bytes.begin(), bytes.end() - 10), "truncated");
  auto magic = bytes;
  magic[0] = 'X';
  expect(magic, "magic");
  auto version = bytes;
  version[8] = 9;
  expect(version, "version");
  expect({}, "not a memory image");
}

TEST(MemoryImage, WriterRefusesMemoryOutsideTheLayoutOrOutOfOrder) {
  MemoryImageWriter writer(Layout());
  std::vector<uint8_t> page(0x1000, 1);
  EXPECT_FALSE(writer.Add(0x100000, page).ok());  // not the node's
  EXPECT_FALSE(writer.Add(kBase + 0x3f000, std::vector<uint8_t>(0x2000, 1)).ok());  // past end
  EXPECT_FALSE(writer.Add(kBase + 0x10, page).ok());  // not page aligned
  EXPECT_TRUE(writer.Add(kBase + 0x5000, page).ok());
  EXPECT_FALSE(writer.Add(kBase + 0x4000, page).ok());  // before what was added
}

TEST(MemoryImage, LayoutMismatchNamesTheDifference) {
  MemoryImageLayout want = Layout();
  EXPECT_EQ(LayoutMismatch(Layout(), want), "");
  want.ranges[1].end += 0x1000;
  EXPECT_NE(LayoutMismatch(Layout(), want).find("taken with memory"), std::string::npos);
  want = Layout();
  want.apic_ids = {1, 2};
  EXPECT_NE(LayoutMismatch(Layout(), want).find("APIC IDs 1,2,7"), std::string::npos);
  want = Layout();
  want.status_page += 0x1000;
  EXPECT_NE(LayoutMismatch(Layout(), want).find("status page"), std::string::npos);
}

TEST(MemoryImage, RecordsTheDevicesTheNodeOwned) {
  for (std::vector<std::string> devices :
       {std::vector<std::string>{"pci 0000:01:00.0", "pci 0000:01:00.1"},
        std::vector<std::string>{"io_apic 1", "virtio_mmio 0xfeb02e00-0xfeb02fff@47"},
        std::vector<std::string>{"pci 000"}}) {  // 7 bytes + NUL: no padding
    MemoryImageLayout layout = Layout();
    layout.devices = devices;
    MemoryImageWriter writer(layout);
    Memory memory;
    ASSERT_TRUE(writer.Add(kBase, memory.high).ok());
    auto bytes = writer.Finish(PageCodec::kRaw);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    auto image = ParseMemoryImage(*bytes);
    ASSERT_TRUE(image.ok()) << image.error().message;
    EXPECT_EQ(image->layout.devices, devices);
    EXPECT_EQ(image->layout, layout);
    EXPECT_EQ(image->runs.size(), 2u);  // the runs still start where they should
  }
}

TEST(MemoryImage, AVersionOneImageOwnedNoDevices) {
  auto bytes = Build(Memory());
  bytes[8] = 1;  // version 1: the same layout, no devices section (the header is not checksummed)
  auto image = ParseMemoryImage(bytes);
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_TRUE(image->layout.devices.empty());
  MemoryImageLayout layout = Layout();
  layout.devices = {"pci 0000:01:00.0"};
  MemoryImageWriter writer(layout);
  auto with_devices = writer.Finish(PageCodec::kRaw);
  ASSERT_TRUE(with_devices.ok());
  (*with_devices)[8] = 1;  // a version 1 header cannot carry a devices section
  auto refused = ParseMemoryImage(*with_devices);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("version 1 with a devices section"), std::string::npos);
}

TEST(MemoryImage, DevicesMustMatchToResume) {
  MemoryImageLayout taken = Layout();
  taken.devices = {"pci 0000:01:00.0", "pci 0000:01:00.1"};
  MemoryImageLayout want = Layout();
  EXPECT_EQ(LayoutMismatch(taken, want),
            "the image was taken owning devices pci 0000:01:00.0, pci 0000:01:00.1; this node "
            "owns none");
  want.devices = taken.devices;
  EXPECT_EQ(LayoutMismatch(taken, want), "");
}

TEST(MemoryImage, NodeDeviceNamesAreThePlansDevicesSorted) {
  NodePlan node;
  node.pci = {"0000:02:00.1", "0000:02:00.0"};
  node.io_apic = 1;
  node.virtio_mmio = {{{0xfeb02e00, 0xfeb03000}, 47}};
  EXPECT_EQ(NodeDeviceNames(node),
            (std::vector<std::string>{"io_apic 1", "pci 0000:02:00.0", "pci 0000:02:00.1",
                                      "virtio_mmio " + FormatVirtioMmio(node.virtio_mmio[0])}));
  EXPECT_TRUE(NodeDeviceNames(NodePlan{}).empty());
}

}  // namespace
}  // namespace mint
