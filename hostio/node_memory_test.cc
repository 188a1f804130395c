#include "node_memory.h"

#include <gtest/gtest.h>

namespace mint {
namespace {

constexpr uint64_t kBlock = 128ull << 20;

NodePlan Receiving(std::vector<PhysRange> pool) {
  NodePlan node;
  node.name = "alpha";
  node.receive_memory = std::move(pool);
  return node;
}

TEST(PickReceivable, TakesTheLowestFreeBlocks) {
  NodePlan node = Receiving({{0x68000000, 0x70000000}, {0x60000000, 0x68000000}});
  auto picked = PickReceivable(node, kBlock, {});
  ASSERT_TRUE(picked.ok()) << picked.error().message;
  EXPECT_EQ(*picked, (PhysRange{0x60000000, 0x68000000}));
}

TEST(PickReceivable, SkipsWhatNodesHold) {
  NodePlan node = Receiving({{0x60000000, 0x70000000}});
  auto picked = PickReceivable(node, kBlock, {{{0x60000000, 0x68000000}, "node beta"}});
  ASSERT_TRUE(picked.ok()) << picked.error().message;
  EXPECT_EQ(*picked, (PhysRange{0x68000000, 0x70000000}));
  auto both = PickReceivable(node, 2 * kBlock, {});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(*both, (PhysRange{0x60000000, 0x70000000}));
}

TEST(PickReceivable, SaysWhyNothingFits) {
  NodePlan node = Receiving({{0x60000000, 0x68000000}});
  auto full = PickReceivable(node, kBlock, {{{0x60000000, 0x68000000}, "node beta"}});
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message.find("has no free 128 MiB now"), std::string::npos)
      << full.error().message;
  auto odd = PickReceivable(node, 64ull << 20, {});
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().message.find("not a whole number of 128 MiB blocks"), std::string::npos);
  auto none = PickReceivable(Receiving({}), kBlock, {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no receive_memory"), std::string::npos);
}

}  // namespace
}  // namespace mint
