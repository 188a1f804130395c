// libFuzzer target for a network link's rings (kmod/link/ring.c, the code both kernel modules
// run) facing a hostile peer: the input is a script of peer writes (its control page, bytes of
// its ring) and of this side's calls. Invariants: no access outside the region (ASan: the
// region is allocated to its exact size), every frame handed up lies inside the peer's ring and
// is at most the largest frame, every reserved slot inside this side's ring.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ring.h"

namespace {

constexpr uint32_t kRing = MINT_LINK_MIN_RING;

struct Input {
  const uint8_t* data;
  size_t size;
  uint64_t Take(size_t bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes && size; ++i, ++data, --size) v |= uint64_t{*data} << (8 * i);
    return v;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  std::vector<uint8_t> region(MINT_LINK_REGION(kRing));
  mint_link_desc desc{};
  desc.magic = MINT_LINK_MAGIC;
  desc.version = MINT_LINK_VERSION;
  desc.size = region.size();
  desc.ring_size = kRing;
  desc.mtu = static_cast<uint32_t>(68 + in.Take(2) % (MINT_LINK_MTU - 67));
  if (mint_ring_check_desc(&desc, region.size()) != 0) std::abort();
  mint_ring r{};
  mint_ring_init(&r, region.data(), &desc, static_cast<int>(in.Take(1) & 1), 5);
  auto* peer = const_cast<mint_link_control*>(r.peer);
  uint8_t* peer_ring = const_cast<uint8_t*>(r.rx);
  const uint8_t* ring_end = r.rx + kRing;
  uint32_t epoch = 5;
  while (in.size) {
    switch (in.Take(1) % 12) {
      case 0:
        peer->magic = in.Take(1) & 1 ? MINT_LINK_MAGIC : static_cast<uint32_t>(in.Take(4));
        break;
      case 1:
        peer->epoch = static_cast<uint32_t>(in.Take(1));
        peer->ack = in.Take(1) & 1 ? epoch : static_cast<uint32_t>(in.Take(4));
        break;
      case 2:
        peer->tx_head = in.Take(1) & 1 ? r.tail + (in.Take(3) & ~7u) : in.Take(8);
        break;
      case 3:
        peer->rx_tail = in.Take(1) & 1 ? r.head - (in.Take(3) & ~7u) : in.Take(8);
        break;
      case 4:
        peer->rx_event = in.Take(8);
        peer->tx_event = in.Take(8);
        break;
      case 5: {  // bytes of the peer's ring: a frame header or anything
        size_t at = in.Take(3) % kRing & ~size_t{7};
        mint_link_frame f{};
        f.len = in.Take(1) & 1 ? MINT_FRAME_WRAP : static_cast<uint32_t>(in.Take(3));
        f.flags = static_cast<uint16_t>(in.Take(1) & 3);
        f.csum_start = static_cast<uint16_t>(in.Take(2));
        f.csum_offset = static_cast<uint16_t>(in.Take(2));
        std::memcpy(peer_ring + at, &f, std::min(sizeof(f), kRing - at));
        break;
      }
      case 6:
        (void)mint_ring_sync(&r);
        break;
      case 7: {
        mint_link_frame f{};
        const uint8_t* p = nullptr;
        int got = mint_ring_rx_peek(&r, &f, &p);
        if (got == 1) {
          if (p < r.rx || p + f.len > ring_end || f.len > r.max_frame) std::abort();
          uint8_t sum = 0;
          for (uint32_t i = 0; i < f.len; ++i) sum = static_cast<uint8_t>(sum + p[i]);
          (void)sum;
          mint_ring_rx_consume(&r, &f);
        } else if (got < 0 && !mint_ring_peer_moved(&r)) {
          mint_ring_restart(&r, ++epoch);
        }
        break;
      }
      case 8:
        (void)mint_ring_rx_publish(&r);
        (void)mint_ring_rx_arm(&r);
        break;
      case 9: {
        int err = 0;
        auto len = static_cast<uint32_t>(in.Take(3));
        uint8_t* p = mint_ring_tx_reserve(&r, len, &err);
        if (p) {
          if (p < r.tx || p + len > r.tx + kRing) std::abort();
          std::memset(p, 0xa5, len);
          (void)mint_ring_tx_commit(&r, len, 0, 0, 0);
        } else if (err == -EPROTO && !mint_ring_peer_moved(&r)) {
          mint_ring_restart(&r, ++epoch);
        }
        break;
      }
      case 10:
        (void)mint_ring_tx_arm(&r, static_cast<uint32_t>(in.Take(3)));
        break;
      case 11:
        std::memset(r.mine, static_cast<int>(in.Take(1)), 64);
        break;  // a peer scribbling
    }
  }
  return 0;
}
