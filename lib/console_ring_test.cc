#include "console_ring.h"

#include <gtest/gtest.h>

#include <vector>

namespace mint {
namespace {

std::vector<uint8_t> Ring(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

TEST(ConsoleRing, ReadsNewBytesInOrder) {
  auto ring = Ring("abcdefgh");
  RingChunk chunk = ReadRing(2, 5, 5, ring);
  EXPECT_EQ(chunk.bytes, "cde");
  EXPECT_EQ(chunk.next_tail, 5u);
  EXPECT_EQ(chunk.lost, 0u);
}

TEST(ConsoleRing, WrapsAround) {
  // head 10 in an 8-byte ring: bytes 6..9 sit at 6, 7, 0, 1.
  auto ring = Ring("IJcdefGH");
  RingChunk chunk = ReadRing(6, 10, 10, ring);
  EXPECT_EQ(chunk.bytes, "GHIJ");
}

TEST(ConsoleRing, CountsBytesAlreadyOverwritten) {
  auto ring = Ring("abcdefgh");
  RingChunk chunk = ReadRing(0, 20, 20, ring);
  EXPECT_EQ(chunk.lost, 12u);
  EXPECT_EQ(chunk.bytes.size(), 8u);
  EXPECT_EQ(chunk.next_tail, 20u);
}

TEST(ConsoleRing, DropsBytesOverwrittenWhileCopying) {
  auto ring = Ring("abcdefgh");
  // The node wrote 3 more bytes during the copy: the 3 oldest of the copy are suspect.
  RingChunk chunk = ReadRing(0, 8, 11, ring);
  EXPECT_EQ(chunk.lost, 3u);
  EXPECT_EQ(chunk.bytes, "defgh");
  EXPECT_EQ(chunk.next_tail, 8u);
}

TEST(ConsoleRing, HeadGoingBackwardsRestartsAtTheNewHead) {
  auto ring = Ring("abcdefgh");
  RingChunk chunk = ReadRing(100, 4, 4, ring);
  EXPECT_TRUE(chunk.bytes.empty());
  EXPECT_EQ(chunk.next_tail, 4u);
}

TEST(ConsoleRing, InputRoom) {
  EXPECT_EQ(InputRoom(0, 0, 4096), 4096u);
  EXPECT_EQ(InputRoom(5000, 1000, 4096), 96u);
  EXPECT_EQ(InputRoom(10, 20, 4096), 0u);    // tail ahead of head: a confused node
  EXPECT_EQ(InputRoom(9000, 10, 4096), 0u);  // more in flight than fits
}

TEST(NodeState, FromModuleStateNodePageAndHeartbeat) {
  NodeView view;
  view.module_state = MINT_STATE_OWNED;
  EXPECT_EQ(NodeStateName(view), "loading");
  view.module_state = MINT_STATE_DIRTY;
  EXPECT_EQ(NodeStateName(view), "dirty");
  view.module_state = MINT_STATE_OWNED;
  view.module_state = MINT_STATE_STARTED;
  EXPECT_EQ(NodeStateName(view), "booting");
  view.module_state = MINT_STATE_READY;
  EXPECT_EQ(NodeStateName(view), "running");
  view.has_node_page = true;
  view.condition = MINT_NODE_UP;
  view.heartbeat_age_s = 0.2;
  EXPECT_EQ(NodeStateName(view), "running");
  view.heartbeat_age_s = 5;
  EXPECT_EQ(NodeStateName(view), "hung");
  view.condition = MINT_NODE_PARKED;
  view.reason = MINT_PARK_PANIC;
  EXPECT_EQ(NodeStateName(view), "crashed");
  view.reason = MINT_PARK_REBOOT;
  EXPECT_EQ(NodeStateName(view), "stopped");
  view.module_state = MINT_STATE_STOPPED;
  EXPECT_EQ(NodeStateName(view), "stopped");
  EXPECT_EQ(ParkReasonName(MINT_PARK_EMERGENCY_RESTART), "emergency restart");
  EXPECT_EQ(ParkReasonName(99), "");
}

}  // namespace
}  // namespace mint
