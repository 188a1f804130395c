// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A network link's rings (docs/network.md, include/mint/abi.h): see ring.h. Each ring is a
 * byte ring of records, a struct mint_link_frame then the frame, rounded up to 8 bytes. A
 * record never crosses the ring's end: the writer marks the rest MINT_FRAME_WRAP (or leaves it,
 * when fewer than a header's bytes remain) and starts again at 0. Positions are free-running
 * 64-bit byte counts, so a ring is full when head - tail == size, and the index is pos & mask.
 *
 * Doorbells are asked for event-index style (as virtio's): a side that is about to sleep
 * writes the position it waits for (rx_event: the peer's next frame; tx_event: room in its own
 * ring); the other side rings only when its own position moves across that value, so a busy
 * reader gets no interrupts at all.
 */
#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/errno.h>
#include <asm/barrier.h>
#endif
#include "ring.h"

#define MINT_FRAME_HDR ((u32)sizeof(struct mint_link_frame))
#define MINT_ETH_HLEN 14u

static u64 mint_round8(u64 v)
{
	return (v + 7) & ~(u64)7;
}

/* True when `event` lies in [old, new): the position moved across it. */
static bool mint_crossed(u64 event, u64 old, u64 new)
{
	return new - event - 1 < new - old;
}

int mint_ring_check_desc(const struct mint_link_desc *d, u64 region_size)
{
	if (d->magic != MINT_LINK_MAGIC || d->version != MINT_LINK_VERSION || d->flags)
		return -EPROTO;
	if (d->ring_size < MINT_LINK_MIN_RING || d->ring_size > MINT_LINK_MAX_RING ||
	    (d->ring_size & (d->ring_size - 1)))
		return -EPROTO;
	if (d->size > region_size || d->size < MINT_LINK_REGION(d->ring_size))
		return -EPROTO;
	if (d->mtu < 68 || d->mtu > MINT_LINK_MTU)
		return -EPROTO;
	return 0;
}

/* Writes this side's state into its control page; magic last, so a peer reads it whole. */
static void mint_ring_publish(struct mint_ring *r)
{
	struct mint_link_control *c = r->mine;

	WRITE_ONCE(c->tx_head, r->head);
	WRITE_ONCE(c->rx_tail, r->tail);
	WRITE_ONCE(c->rx_event, r->tail); /* a doorbell for the peer's first frame */
	WRITE_ONCE(c->tx_event, ~(u64)0); /* none for room: nothing waits */
	smp_wmb(); /* positions before the epoch and ack that make them valid */
	WRITE_ONCE(c->ack, r->ack);
	WRITE_ONCE(c->epoch, r->epoch);
	WRITE_ONCE(c->magic, MINT_LINK_MAGIC);
	smp_wmb();
}

static void mint_ring_reset(struct mint_ring *r, u32 ack)
{
	r->head = 0;
	r->pending = 0;
	r->tail = 0;
	r->published = 0;
	r->peer_tail = 0;
	r->ack = ack;
	mint_ring_publish(r);
}

void mint_ring_init(struct mint_ring *r, void *region, const struct mint_link_desc *desc,
		    int side, u32 epoch)
{
	u8 *base = region;

	r->mine = (struct mint_link_control *)(base + MINT_LINK_SECTION(side, desc->ring_size));
	r->tx = (u8 *)r->mine + MINT_LINK_PAGE;
	r->peer = (const struct mint_link_control *)(base +
						     MINT_LINK_SECTION(!side, desc->ring_size));
	r->rx = (const u8 *)r->peer + MINT_LINK_PAGE;
	r->size = desc->ring_size;
	r->max_frame = desc->mtu + MINT_ETH_HLEN;
	r->epoch = epoch;
	mint_ring_reset(r, 0);
}

void mint_ring_restart(struct mint_ring *r, u32 epoch)
{
	r->epoch = epoch;
	mint_ring_reset(r, r->ack);
}

void mint_ring_stop(struct mint_ring *r)
{
	WRITE_ONCE(r->mine->magic, 0);
	WRITE_ONCE(r->mine->epoch, 0);
	smp_wmb();
}

bool mint_ring_peer_moved(const struct mint_ring *r)
{
	return READ_ONCE(r->peer->epoch) != r->ack;
}

bool mint_ring_sync(struct mint_ring *r)
{
	const struct mint_link_control *p = r->peer;
	u32 magic, epoch, ack;

	/* Our page cleared or changed under us (a restored image, a scribbling peer): restart. */
	if (READ_ONCE(r->mine->magic) != MINT_LINK_MAGIC || READ_ONCE(r->mine->epoch) != r->epoch ||
	    READ_ONCE(r->mine->ack) != r->ack)
		mint_ring_restart(r, r->epoch + 1 ? r->epoch + 1 : 1);

	magic = READ_ONCE(p->magic);
	epoch = READ_ONCE(p->epoch);
	if (magic != MINT_LINK_MAGIC || !epoch) {
		if (r->ack)
			mint_ring_reset(r, 0); /* the peer left: nothing of its rings counts */
		return false;
	}
	if (epoch != r->ack)
		mint_ring_reset(r, epoch); /* the peer (re)started: so do our rings */
	smp_rmb(); /* its epoch before its ack */
	ack = READ_ONCE(p->ack);
	smp_rmb(); /* its ack before the positions it reset before acking (pairs with publish) */
	return ack == r->epoch;
}

/*
 * Whether a frame of `len` bytes fits: 1 (and *start is where its record goes), 0 (full), or
 * -EPROTO (the peer's tail is not between the last one we saw and our head).
 */
static int mint_ring_room(struct mint_ring *r, u32 len, u64 *start)
{
	u64 tail = READ_ONCE(r->peer->rx_tail);
	u64 need = MINT_FRAME_HDR + mint_round8(len);
	u64 left = r->size - (r->head & (r->size - 1));
	u64 skip = need > left ? left : 0; /* a record never crosses the ring's end */

	if (tail - r->peer_tail > r->head - r->peer_tail || (tail & 7))
		return -EPROTO;
	r->peer_tail = tail;
	if (skip + need > r->size - (r->head - tail))
		return 0;
	*start = r->head + skip;
	return 1;
}

u8 *mint_ring_tx_reserve(struct mint_ring *r, u32 len, int *err)
{
	u64 start, off;
	int fits;

	*err = 0;
	if (!len || len > r->max_frame) {
		*err = -EMSGSIZE;
		return NULL;
	}
	fits = mint_ring_room(r, len, &start);
	if (fits <= 0) {
		*err = fits;
		return NULL;
	}
	off = r->head & (r->size - 1);
	if (start != r->head && r->size - off >= MINT_FRAME_HDR) {
		struct mint_link_frame *wrap = (struct mint_link_frame *)(r->tx + off);

		WRITE_ONCE(wrap->len, MINT_FRAME_WRAP);
	}
	r->pending = start;
	return r->tx + (start & (r->size - 1)) + MINT_FRAME_HDR;
}

bool mint_ring_tx_commit(struct mint_ring *r, u32 len, u16 flags, u16 csum_start,
			 u16 csum_offset)
{
	struct mint_link_frame *f = (struct mint_link_frame *)(r->tx + (r->pending & (r->size - 1)));
	u64 old = r->head;

	f->len = len;
	f->flags = flags;
	f->csum_start = csum_start;
	f->csum_offset = csum_offset;
	f->pad0 = 0;
	f->pad1 = 0;
	r->head = r->pending + MINT_FRAME_HDR + mint_round8(len);
	smp_wmb(); /* the record before the head that publishes it */
	WRITE_ONCE(r->mine->tx_head, r->head);
	smp_mb(); /* our head before the peer's event (pairs with mint_ring_rx_arm) */
	return mint_crossed(READ_ONCE(r->peer->rx_event), old, r->head);
}

bool mint_ring_tx_arm(struct mint_ring *r, u32 len)
{
	u64 start;

	WRITE_ONCE(r->mine->tx_event, r->peer_tail);
	smp_mb(); /* the event before the tail we look at again (pairs with rx_publish) */
	return mint_ring_room(r, len, &start) == 1;
}

int mint_ring_rx_peek(struct mint_ring *r, struct mint_link_frame *frame, const u8 **data)
{
	u64 head = READ_ONCE(r->peer->tx_head);
	int pass;

	if (head - r->tail > r->size || (head & 7))
		return -EPROTO;
	smp_rmb(); /* the head before the records it publishes */
	/* At most one wrap, then a frame: a record never crosses the end. */
	for (pass = 0; pass < 2; pass++) {
		const struct mint_link_frame *f;
		u64 avail = head - r->tail;
		u64 off = r->tail & (r->size - 1);
		u64 left = r->size - off;
		u64 record;

		if (!avail)
			return 0;
		if (left >= MINT_FRAME_HDR) {
			if (avail < MINT_FRAME_HDR)
				return -EPROTO;
			f = (const struct mint_link_frame *)(r->rx + off);
			frame->len = READ_ONCE(f->len);
			frame->flags = READ_ONCE(f->flags);
			frame->csum_start = READ_ONCE(f->csum_start);
			frame->csum_offset = READ_ONCE(f->csum_offset);
			frame->pad0 = 0;
			frame->pad1 = 0;
		}
		if (left < MINT_FRAME_HDR || frame->len == MINT_FRAME_WRAP) {
			if (avail < left)
				return -EPROTO;
			r->tail += left;
			continue;
		}
		record = MINT_FRAME_HDR + mint_round8(frame->len);
		if (frame->len < MINT_ETH_HLEN || frame->len > r->max_frame || record > left ||
		    record > avail)
			return -EPROTO;
		if (frame->flags & ~MINT_FRAME_CSUM_PARTIAL)
			return -EPROTO;
		if ((frame->flags & MINT_FRAME_CSUM_PARTIAL) &&
		    (u32)frame->csum_start + frame->csum_offset + 2 > frame->len)
			return -EPROTO;
		*data = r->rx + off + MINT_FRAME_HDR;
		return 1;
	}
	return -EPROTO;
}

void mint_ring_rx_consume(struct mint_ring *r, const struct mint_link_frame *frame)
{
	r->tail += MINT_FRAME_HDR + mint_round8(frame->len);
}

bool mint_ring_rx_publish(struct mint_ring *r)
{
	u64 old = r->published;

	if (r->tail == old)
		return false;
	smp_mb(); /* the frames read before their room is given back */
	WRITE_ONCE(r->mine->rx_tail, r->tail);
	r->published = r->tail;
	smp_mb(); /* our tail before the peer's event (pairs with mint_ring_tx_arm) */
	return mint_crossed(READ_ONCE(r->peer->tx_event), old, r->tail);
}

bool mint_ring_rx_arm(struct mint_ring *r)
{
	WRITE_ONCE(r->mine->rx_event, r->tail);
	smp_mb(); /* the event before the head we look at again (pairs with tx_commit) */
	return READ_ONCE(r->peer->tx_head) != r->tail;
}
