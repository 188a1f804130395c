#include "store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace mint {
namespace {

// A region in plain memory, 8-byte aligned as a mapping is.
class Region {
 public:
  explicit Region(uint64_t data_pages) : words_((kStoreIndexBytes + data_pages * kStorePage) / 8) {}
  std::span<uint8_t> Span() {
    return {reinterpret_cast<uint8_t*>(words_.data()), words_.size() * 8};
  }

 private:
  std::vector<uint64_t> words_;
};

std::vector<uint8_t> Image(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 12));
  return bytes;
}

ImageSource Source(const std::string& path, size_t size, int64_t mtime = 1) {
  return ImageSource{.path = path, .size = size, .mtime_ns = mtime, .ino = 42, .dev = 3};
}

TEST(Store, Sha256KnownAnswer) {
  std::string abc = "abc";
  EXPECT_EQ(HexDigest(Sha256Of({reinterpret_cast<const uint8_t*>(abc.data()), abc.size()})),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Store, FormatsAnEmptyRegionAndReopensIt) {
  Region region(8);
  StoreOpenReport report;
  auto store = ResidentStore::Open(region.Span(), &report);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(report.formatted);
  EXPECT_TRUE(store->CheckIndex().ok());
  EXPECT_EQ(store->Capacity(), 8 * kStorePage);
  EXPECT_EQ(store->Generation() % 2, 0u);

  auto image = Image(5000, 1);
  auto added = store->Add(image, Source("/k", image.size()));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_FALSE(added->already_stored);
  EXPECT_EQ(added->image.offset % kStorePage, 0u);
  EXPECT_GE(added->image.offset, kStoreIndexBytes);

  // A second open (a CLI restart) sees the same index without formatting.
  StoreOpenReport again;
  auto reopened = ResidentStore::Open(region.Span(), &again);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(again.formatted);
  EXPECT_TRUE(again.repaired.empty());
  auto found = reopened->FindBySource(Source("/k", image.size()));
  ASSERT_TRUE(found.has_value());
  auto bytes = reopened->Bytes(*found);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), image.begin(), image.end()));
  EXPECT_TRUE(ResidentStore::FastCheck(*found, bytes));
  EXPECT_EQ(found->sha256, Sha256Of(image));
}

TEST(Store, RefusesBadRegions) {
  std::vector<uint64_t> small(kStoreIndexBytes / 8);
  auto store = ResidentStore::Open({reinterpret_cast<uint8_t*>(small.data()), kStoreIndexBytes});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("at least"), std::string::npos);
}

TEST(Store, SourceMustMatchSizeMtimeAndInode) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  auto image = Image(100, 2);
  ASSERT_TRUE(store->Add(image, Source("/k", 100, 5)).ok());
  EXPECT_TRUE(store->FindBySource(Source("/k", 100, 5)).has_value());
  EXPECT_FALSE(store->FindBySource(Source("/k", 100, 6)).has_value());  // file changed
  EXPECT_FALSE(store->FindBySource(Source("/other", 100, 5)).has_value());
}

TEST(Store, SameContentIsStoredOnce) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  auto image = Image(100, 3);
  ASSERT_TRUE(store->Add(image, Source("/a", 100)).ok());
  auto second = store->Add(image, Source("/b", 100));
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->already_stored);
  EXPECT_EQ(store->Images().size(), 1u);
  EXPECT_EQ(store->Images()[0].source.path, "/b");
}

TEST(Store, FullStoreEvictsTheLeastRecentlyUsed) {
  Region region(6);  // room for three 2-page images
  auto store = ResidentStore::Open(region.Span());
  std::vector<StoredImage> added;
  for (uint8_t i = 0; i < 3; ++i) {
    auto image = Image(2 * kStorePage - 10, i);
    auto result = store->Add(image, Source("/img" + std::to_string(i), image.size()));
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->evicted.empty());
    added.push_back(result->image);
  }
  store->Touch(added[0]);  // image 1 is now the least recently used
  auto fourth = Image(2 * kStorePage, 9);
  auto result = store->Add(fourth, Source("/img3", fourth.size()));
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->evicted.size(), 1u);
  EXPECT_EQ(result->evicted[0].source.path, "/img1");
  EXPECT_TRUE(store->CheckIndex().ok());
  EXPECT_EQ(store->Images().size(), 3u);
  auto bytes = store->Bytes(result->image);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), fourth.begin(), fourth.end()));
  // The survivors are intact.
  for (int i : {0, 2}) {
    auto found = store->FindBySource(Source("/img" + std::to_string(i), 2 * kStorePage - 10));
    ASSERT_TRUE(found.has_value());
    EXPECT_TRUE(ResidentStore::FastCheck(*found, store->Bytes(*found)));
  }
}

// An image a boot still reads in place (pinned) is never evicted: the next least recently used
// one goes instead, and when only pinned images are left the add is refused, not forced.
TEST(Store, PinnedImagesAreNotEvicted) {
  Region region(4);  // room for two 2-page images
  auto store = ResidentStore::Open(region.Span());
  auto a = store->Add(Image(2 * kStorePage, 1), Source("/a", 2 * kStorePage));
  auto b = store->Add(Image(2 * kStorePage, 2), Source("/b", 2 * kStorePage));
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<Sha256Digest> pinned = {a->image.sha256};  // /a is the least recently used
  store->SetPinned(&pinned);
  auto c = store->Add(Image(2 * kStorePage, 3), Source("/c", 2 * kStorePage));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->evicted.size(), 1u);
  EXPECT_EQ(c->evicted[0].source.path, "/b");
  EXPECT_TRUE(ResidentStore::FastCheck(a->image, store->Bytes(a->image)));
  pinned.push_back(c->image.sha256);
  auto d = store->Add(Image(2 * kStorePage, 4), Source("/d", 2 * kStorePage));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("in use"), std::string::npos) << d.error().message;
  EXPECT_EQ(store->Images().size(), 2u);
  EXPECT_TRUE(store->CheckIndex().ok());
}

TEST(Store, EvictsSeveralForABigImageAndRefusesOneTooBig) {
  Region region(4);
  auto store = ResidentStore::Open(region.Span());
  ASSERT_TRUE(store->Add(Image(kStorePage, 1), Source("/a", kStorePage)).ok());
  ASSERT_TRUE(store->Add(Image(kStorePage, 2), Source("/b", kStorePage)).ok());
  auto big = store->Add(Image(4 * kStorePage, 3), Source("/c", 4 * kStorePage));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->evicted.size(), 2u);
  auto too_big = store->Add(Image(4 * kStorePage + 1, 4), Source("/d", 4 * kStorePage + 1));
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("make the plan's [host] store larger"), std::string::npos);
  EXPECT_TRUE(store->CheckIndex().ok());
}

// Adding content whose SHA-256 an entry claims, while that entry's bytes are damaged, stores
// the content again instead of trusting the entry (found by the store fuzzer).
TEST(Store, AddingOverADamagedEntryStoresTheBytesAgain) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  auto image = Image(3 * kStorePage, 4);
  auto first = store->Add(image, Source("/k", image.size()));
  ASSERT_TRUE(first.ok());
  region.Span()[first->image.offset + 100] ^= 0xff;
  auto again = store->Add(image, Source("/k", image.size()));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->already_stored);
  auto bytes = store->Bytes(again->image);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), image.begin(), image.end()));
  EXPECT_EQ(store->Images().size(), 1u);
  EXPECT_TRUE(store->CheckIndex().ok());
}

TEST(Store, CorruptDataFailsTheFastCheckAndVerify) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  auto image = Image(3 * kStorePage, 4);
  auto added = store->Add(image, Source("/k", image.size()));
  ASSERT_TRUE(added.ok());
  region.Span()[added->image.offset + 100] ^= 0xff;
  std::vector<uint8_t> copy(store->Bytes(added->image).begin(), store->Bytes(added->image).end());
  EXPECT_FALSE(ResidentStore::FastCheck(added->image, copy));
  auto bad = store->VerifyAll();
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].sha256, added->image.sha256);
  ASSERT_TRUE(store->Remove(added->image.sha256).ok());
  EXPECT_TRUE(store->Images().empty());
  EXPECT_TRUE(store->CheckIndex().ok());
}

TEST(Store, FindByPrefixAndRemove) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  auto image = Image(10, 5);
  ASSERT_TRUE(store->Add(image, Source("/k", 10)).ok());
  std::string hex = HexDigest(Sha256Of(image));
  EXPECT_EQ(store->FindByPrefix(hex.substr(0, 8)).size(), 1u);
  EXPECT_TRUE(store->FindByPrefix("").empty());
  EXPECT_FALSE(store->Remove(Sha256Of(Image(11, 5))).ok());
}

TEST(Store, RepairsAHalfWrittenIndex) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  ASSERT_TRUE(store->Add(Image(100, 1), Source("/a", 100)).ok());
  ASSERT_TRUE(store->Add(Image(100, 2), Source("/b", 100)).ok());
  // A writer died between BeginWrite and EndWrite, after scribbling an impossible entry.
  uint8_t* base = region.Span().data();
  uint64_t generation;
  std::memcpy(&generation, base + offsetof(StoreHeader, generation), 8);
  generation |= 1;
  std::memcpy(base + offsetof(StoreHeader, generation), &generation, 8);
  StoreEntry bogus{};
  bogus.state = kStoreEntryValid;
  bogus.offset = kStoreIndexBytes;  // overlaps the first image
  bogus.size = 50;
  std::memcpy(base + sizeof(StoreHeader) + 7 * sizeof(StoreEntry), &bogus, sizeof(bogus));
  EXPECT_FALSE(store->CheckIndex().ok());

  StoreOpenReport report;
  auto reopened = ResidentStore::Open(region.Span(), &report);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(report.formatted);
  ASSERT_FALSE(report.repaired.empty());
  EXPECT_TRUE(reopened->CheckIndex().ok()) << reopened->CheckIndex().error().message;
  EXPECT_EQ(reopened->Images().size(), 2u);
}

TEST(Store, DropsImpossibleEntries) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  ASSERT_TRUE(store->Add(Image(100, 1), Source("/a", 100)).ok());
  StoreEntry bogus{};
  bogus.state = kStoreEntryValid;
  bogus.offset = kStoreIndexBytes + 64 * kStorePage;  // past the end
  bogus.size = 10;
  std::memcpy(region.Span().data() + sizeof(StoreHeader) + 3 * sizeof(StoreEntry), &bogus,
              sizeof(bogus));
  StoreOpenReport report;
  auto reopened = ResidentStore::Open(region.Span(), &report);
  ASSERT_TRUE(reopened.ok());
  ASSERT_EQ(report.repaired.size(), 1u);
  EXPECT_NE(report.repaired[0].find("slot 3"), std::string::npos);
  EXPECT_EQ(reopened->Images().size(), 1u);
}

TEST(Store, AnotherVersionIsFormatted) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  ASSERT_TRUE(store->Add(Image(100, 1), Source("/a", 100)).ok());
  uint32_t version = kStoreVersion + 1;
  std::memcpy(region.Span().data() + offsetof(StoreHeader, version), &version, 4);
  StoreOpenReport report;
  auto reopened = ResidentStore::Open(region.Span(), &report);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE(report.formatted);
  EXPECT_TRUE(reopened->Images().empty());
}

TEST(Store, FillsEverySlotThenEvicts) {
  Region region(kStoreMaxEntries + 1);
  auto store = ResidentStore::Open(region.Span());
  for (uint32_t i = 0; i < kStoreMaxEntries; ++i) {
    std::vector<uint8_t> image(16, 0);
    std::memcpy(image.data(), &i, sizeof(i));
    auto added = store->Add(image, Source("/" + std::to_string(i), 16));
    ASSERT_TRUE(added.ok());
    ASSERT_TRUE(added->evicted.empty());
  }
  std::vector<uint8_t> one_more(16, 0xee);
  auto added = store->Add(one_more, Source("/x", 16));
  ASSERT_TRUE(added.ok());
  ASSERT_EQ(added->evicted.size(), 1u);  // out of slots, not of bytes
  EXPECT_EQ(added->evicted[0].source.path, "/0");
  EXPECT_TRUE(store->CheckIndex().ok());
}

TEST(Store, EveryWriteMovesTheGenerationByAnEvenStep) {
  Region region(8);
  auto store = ResidentStore::Open(region.Span());
  uint64_t before = store->Generation();
  auto added = store->Add(Image(100, 1), Source("/a", 100));
  ASSERT_TRUE(added.ok());
  uint64_t after = store->Generation();
  EXPECT_GT(after, before);
  EXPECT_EQ(after % 2, 0u);
  store->Touch(added->image);
  EXPECT_GT(store->Generation(), after);
}

}  // namespace
}  // namespace mint
