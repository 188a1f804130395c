#include "page_tables.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

constexpr uint64_t kAt = 0x40030000;

TEST(PageTables, IdentityMapsLowMemoryAndTheNode) {
  auto map = BuildIdentityMap(kAt, 0x10000, {{0, 0x100000}, {0x40000000, 0x50000000}});
  ASSERT_TRUE(map.ok()) << map.error().message;
  EXPECT_EQ(map->pml5, kAt);
  EXPECT_EQ(map->pml4, kAt + 0x1000);
  // PML5, PML4, one PDPT, one PD for GiB 0 and one for GiB 1.
  EXPECT_EQ(map->bytes.size(), 5u * 0x1000);
  for (int levels : {4, 5}) {
    uint64_t root = levels == 5 ? map->pml5 : map->pml4;
    for (uint64_t a : {uint64_t{0}, uint64_t{0x10000}, uint64_t{0xfffff}, uint64_t{0x40000000},
                       uint64_t{0x40201234}, uint64_t{0x4fffffff}})
      EXPECT_EQ(WalkIdentityMap(*map, root, levels, a), a) << levels << " " << std::hex << a;
    EXPECT_FALSE(WalkIdentityMap(*map, root, levels, 0x50000000).has_value());
    EXPECT_FALSE(WalkIdentityMap(*map, root, levels, 0x3fe00000).has_value());
  }
}

TEST(PageTables, MemoryAbove4GiBAndAcross512GiB) {
  uint64_t high = uint64_t{600} << 30;
  auto map = BuildIdentityMap(kAt, 0x10000,
                              {{0, 0x100000}, {0x140000000, 0x140400000}, {high, high + 0x200000}});
  ASSERT_TRUE(map.ok()) << map.error().message;
  EXPECT_EQ(WalkIdentityMap(*map, map->pml4, 4, 0x140300000), 0x140300000u);
  EXPECT_EQ(WalkIdentityMap(*map, map->pml5, 5, high + 5), high + 5);
  EXPECT_FALSE(WalkIdentityMap(*map, map->pml4, 4, 0x140400000).has_value());
}

TEST(PageTables, RefusesWhatDoesNotFit) {
  std::vector<PhysRange> scattered;
  for (uint64_t gib = 1; gib <= 20; ++gib) scattered.push_back({gib << 30, (gib << 30) + 0x1000});
  auto map = BuildIdentityMap(kAt, 0x10000, scattered);
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.error().message.find("pages"), std::string::npos);
  EXPECT_FALSE(BuildIdentityMap(kAt + 8, 0x10000, {{0, 0x1000}}).ok());
  EXPECT_FALSE(BuildIdentityMap(kAt, 0x10000, {{uint64_t{1} << 47, (uint64_t{1} << 47) + 1}}).ok());
}

}  // namespace
}  // namespace mint
