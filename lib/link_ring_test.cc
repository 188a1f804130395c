// The network link's rings (kmod/link/ring.c, the code both kernel modules run), with both
// sides in one process: frames cross in order and intact across many wraps, a full ring waits
// for room, doorbells are asked for only when a side sleeps, and a peer that restarts or writes
// impossible values is followed or refused.
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "ring.h"

namespace {

constexpr uint32_t kRing = MINT_LINK_MIN_RING;

struct Link {
  std::vector<uint64_t> memory = std::vector<uint64_t>(MINT_LINK_REGION(kRing) / 8);
  mint_link_desc desc{};
  mint_ring a{}, b{};  // side 0, side 1

  Link() {
    desc.magic = MINT_LINK_MAGIC;
    desc.version = MINT_LINK_VERSION;
    desc.size = MINT_LINK_REGION(kRing);
    desc.ring_size = kRing;
    desc.mtu = MINT_LINK_MTU;
    std::memcpy(memory.data(), &desc, sizeof(desc));
    mint_ring_init(&a, memory.data(), &desc, 0, 11);
    mint_ring_init(&b, memory.data(), &desc, 1, 22);
  }
  mint_link_control* Control(int side) {
    return reinterpret_cast<mint_link_control*>(reinterpret_cast<uint8_t*>(memory.data()) +
                                                MINT_LINK_SECTION(side, kRing));
  }
  bool Up() {
    mint_ring_sync(&a);
    mint_ring_sync(&b);
    return mint_ring_sync(&a) && mint_ring_sync(&b);
  }
};

// Sends `len` bytes of `seed`'s pattern; false when the ring is full.
bool Send(mint_ring* r, uint32_t len, uint8_t seed, bool* kick = nullptr) {
  int err = 0;
  uint8_t* p = mint_ring_tx_reserve(r, len, &err);
  EXPECT_EQ(err, 0);
  if (!p) return false;
  for (uint32_t i = 0; i < len; ++i) p[i] = static_cast<uint8_t>(seed + i);
  bool k = mint_ring_tx_commit(r, len, 0, 0, 0);
  if (kick) *kick = k;
  return true;
}

// Receives one frame and checks it is `len` bytes of `seed`'s pattern.
void Expect(mint_ring* r, uint32_t len, uint8_t seed) {
  mint_link_frame frame{};
  const uint8_t* data = nullptr;
  ASSERT_EQ(mint_ring_rx_peek(r, &frame, &data), 1);
  ASSERT_EQ(frame.len, len);
  for (uint32_t i = 0; i < len; ++i) ASSERT_EQ(data[i], static_cast<uint8_t>(seed + i)) << i;
  mint_ring_rx_consume(r, &frame);
}

TEST(LinkRing, UpOnlyOnceEachSideAcknowledgedTheOther) {
  Link link;
  EXPECT_FALSE(mint_ring_sync(&link.a));  // b's ack of a is not there yet
  EXPECT_TRUE(mint_ring_sync(&link.b));   // b has a's epoch, a acked b's
  EXPECT_TRUE(mint_ring_sync(&link.a));
}

TEST(LinkRing, FramesCrossInOrderAcrossManyWraps) {
  Link link;
  ASSERT_TRUE(link.Up());
  uint32_t sizes[] = {14, 60, 1514, 9000, MINT_LINK_MTU + 14, 333};
  for (int round = 0; round < 200; ++round) {
    uint32_t len = sizes[round % 6];
    ASSERT_TRUE(Send(&link.a, len, static_cast<uint8_t>(round)));
    Expect(&link.b, len, static_cast<uint8_t>(round));
    mint_ring_rx_publish(&link.b);
  }
  EXPECT_GT(link.a.head, 8u * kRing);  // wrapped many times
  mint_link_frame frame{};
  const uint8_t* data = nullptr;
  EXPECT_EQ(mint_ring_rx_peek(&link.b, &frame, &data), 0);
}

TEST(LinkRing, AFullRingWaitsForRoomAndThePeerRingsWhenItFrees) {
  Link link;
  ASSERT_TRUE(link.Up());
  int sent = 0;
  while (Send(&link.a, 9000, static_cast<uint8_t>(sent))) ++sent;
  EXPECT_EQ(sent, kRing / (9000 + 8 + 16));       // 9000 rounds to 9008, plus its header
  EXPECT_FALSE(mint_ring_tx_arm(&link.a, 9000));  // still full: a sleeps, asking for a doorbell
  Expect(&link.b, 9000, 0);
  EXPECT_TRUE(mint_ring_rx_publish(&link.b));  // the room a waits for: ring it
  EXPECT_TRUE(Send(&link.a, 9000, 99));
  Expect(&link.b, 9000, 1);
  EXPECT_FALSE(mint_ring_rx_publish(&link.b));  // a is no longer waiting
}

TEST(LinkRing, DoorbellsOnlyForASleepingReader) {
  Link link;
  ASSERT_TRUE(link.Up());
  bool kick = false;
  ASSERT_TRUE(Send(&link.a, 100, 1, &kick));
  EXPECT_TRUE(kick);  // b starts asleep, waiting for the first frame
  ASSERT_TRUE(Send(&link.a, 100, 2, &kick));
  EXPECT_FALSE(kick);  // b has not slept since: it will find this one
  Expect(&link.b, 100, 1);
  Expect(&link.b, 100, 2);
  mint_ring_rx_publish(&link.b);
  EXPECT_FALSE(mint_ring_rx_arm(&link.b));  // nothing more: b sleeps
  ASSERT_TRUE(Send(&link.a, 100, 3, &kick));
  EXPECT_TRUE(kick);
  ASSERT_TRUE(Send(&link.a, 100, 4, &kick));
  EXPECT_TRUE(mint_ring_rx_arm(&link.b));  // a frame came after b looked: b keeps polling
}

TEST(LinkRing, ARestartedPeerResetsBothRings) {
  Link link;
  ASSERT_TRUE(link.Up());
  ASSERT_TRUE(Send(&link.a, 500, 7));
  ASSERT_TRUE(Send(&link.b, 500, 8));
  mint_ring_restart(&link.b, 23);  // b restarts: what a sent it is gone, and so is b's
  EXPECT_TRUE(mint_ring_peer_moved(&link.a));
  EXPECT_FALSE(mint_ring_sync(&link.b));
  EXPECT_TRUE(mint_ring_sync(&link.a));  // a resets for b's new epoch
  EXPECT_EQ(link.a.head, 0u);
  EXPECT_TRUE(mint_ring_sync(&link.b));
  mint_link_frame frame{};
  const uint8_t* data = nullptr;
  EXPECT_EQ(mint_ring_rx_peek(&link.a, &frame, &data), 0);
  EXPECT_EQ(mint_ring_rx_peek(&link.b, &frame, &data), 0);
  ASSERT_TRUE(Send(&link.a, 64, 9));
  Expect(&link.b, 64, 9);
}

TEST(LinkRing, APeerThatLeftTakesTheLinkDown) {
  Link link;
  ASSERT_TRUE(link.Up());
  mint_ring_stop(&link.b);
  EXPECT_FALSE(mint_ring_sync(&link.a));
  EXPECT_EQ(link.a.ack, 0u);
}

TEST(LinkRing, ImpossiblePeerValuesAreRefused) {
  Link link;
  ASSERT_TRUE(link.Up());
  mint_link_frame frame{};
  const uint8_t* data = nullptr;
  mint_link_control* b = link.Control(1);
  b->tx_head = kRing + 8;  // more than a ring ahead
  EXPECT_EQ(mint_ring_rx_peek(&link.a, &frame, &data), -EPROTO);
  EXPECT_FALSE(mint_ring_peer_moved(&link.a));  // not a restart: a resets the link
  b->tx_head = 12;                              // not 8-aligned
  EXPECT_EQ(mint_ring_rx_peek(&link.a, &frame, &data), -EPROTO);
  // A record longer than the largest frame.
  ASSERT_TRUE(Send(&link.b, 100, 1));
  reinterpret_cast<mint_link_frame*>(link.b.tx)->len = MINT_LINK_MTU + 15;
  EXPECT_EQ(mint_ring_rx_peek(&link.a, &frame, &data), -EPROTO);
  // A checksum place outside the frame.
  reinterpret_cast<mint_link_frame*>(link.b.tx)->len = 100;
  reinterpret_cast<mint_link_frame*>(link.b.tx)->flags = MINT_FRAME_CSUM_PARTIAL;
  reinterpret_cast<mint_link_frame*>(link.b.tx)->csum_start = 90;
  reinterpret_cast<mint_link_frame*>(link.b.tx)->csum_offset = 16;
  EXPECT_EQ(mint_ring_rx_peek(&link.a, &frame, &data), -EPROTO);
  // A tail ahead of what a ever sent.
  ASSERT_TRUE(Send(&link.a, 100, 1));
  b->rx_tail = link.a.head + 8;
  int err = 0;
  EXPECT_EQ(mint_ring_tx_reserve(&link.a, 100, &err), nullptr);
  EXPECT_EQ(err, -EPROTO);
  // a's answer: a new epoch; b follows and the link comes back clean.
  mint_ring_restart(&link.a, 12);
  EXPECT_TRUE(link.Up());
  ASSERT_TRUE(Send(&link.b, 70, 5));
  Expect(&link.a, 70, 5);
}

TEST(LinkRing, TheDescriptorIsChecked) {
  Link link;
  mint_link_desc d = link.desc;
  EXPECT_EQ(mint_ring_check_desc(&d, d.size), 0);
  d.ring_size = kRing + 4096;  // not a power of two
  EXPECT_EQ(mint_ring_check_desc(&d, d.size), -EPROTO);
  d = link.desc;
  EXPECT_EQ(mint_ring_check_desc(&d, d.size - 4096), -EPROTO);  // larger than the region
  d.size = MINT_LINK_REGION(kRing) - 8;
  EXPECT_EQ(mint_ring_check_desc(&d, d.size), -EPROTO);  // too small for its rings
  d = link.desc;
  d.mtu = MINT_LINK_MTU + 1;
  EXPECT_EQ(mint_ring_check_desc(&d, d.size), -EPROTO);
  d = link.desc;
  d.version = 2;
  EXPECT_EQ(mint_ring_check_desc(&d, d.size), -EPROTO);
}

}  // namespace
