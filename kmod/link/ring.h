/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * One side of a network link's rings (docs/network.md): frames out through this side's ring,
 * frames in from the peer's, the epoch handshake, and the doorbell decisions. Pure code over
 * the shared region: no allocation, no locks, no interrupts. Built into mint.ko and
 * mint_node.ko (kmod/link/link.c calls it) and into the user-space tests and fuzzer.
 *
 * Everything the peer writes is read once into this struct and checked before use: a value
 * out of range makes the call return -EPROTO, and the caller resets the link
 * (mint_ring_restart). Callers serialise: the transmit functions under one lock, the receive
 * functions in one context, and mint_ring_sync/restart excluding both.
 */
#ifndef MINT_LINK_RING_H
#define MINT_LINK_RING_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "ring_user.h"
#endif
#include "mint/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mint_ring {
	struct mint_link_control *mine;       /* this side's control page (we write it) */
	u8 *tx;                               /* this side's ring */
	const struct mint_link_control *peer; /* the peer's: read, never trusted */
	const u8 *rx;                         /* the peer's ring */
	u32 size;                             /* each ring, a power of two */
	u32 max_frame;                        /* mtu + Ethernet header */
	u32 epoch;                            /* this side's, nonzero */
	u32 ack;                              /* the peer's epoch we reset for, 0: none yet */
	u64 head;                             /* our tx_head (our copy is the truth) */
	u64 pending;                          /* tx: where the reserved frame's record starts */
	u64 tail;                             /* our rx_tail: frames consumed */
	u64 published;                        /* the rx_tail the peer was last given */
	u64 peer_tail;                        /* the peer's rx_tail, last checked value */
};

/* The descriptor as checked by mint_ring_init: a copy, never re-read. */
int mint_ring_check_desc(const struct mint_link_desc *desc, u64 region_size);

/*
 * Points `r` at side `side` (0 or 1) of the region, whose descriptor `desc` (a checked copy)
 * describes, and starts it with `epoch` (nonzero). Writes this side's control page.
 */
void mint_ring_init(struct mint_ring *r, void *region, const struct mint_link_desc *desc,
		    int side, u32 epoch);

/* A new incarnation of this side (`epoch` nonzero, different): both rings start afresh. */
void mint_ring_restart(struct mint_ring *r, u32 epoch);

/*
 * Follows the peer: when it (re)started, this side's rings start afresh and we acknowledge
 * its epoch. True when the link is up: each side has acknowledged the other's epoch.
 * Rewrites this side's control page if something cleared it.
 */
bool mint_ring_sync(struct mint_ring *r);

/* This side stops: the peer sees the link go down. */
void mint_ring_stop(struct mint_ring *r);

/*
 * After -EPROTO: true when the peer has started a new incarnation since the last sync (its
 * values are new, not wrong: mint_ring_sync follows it). False: the peer wrote something
 * impossible, and this side restarts the link (mint_ring_restart with a new epoch).
 */
bool mint_ring_peer_moved(const struct mint_ring *r);

/*
 * Transmit: room for a frame of `len` bytes. Returns where to copy it, NULL when the ring is
 * full (then *err is 0), or NULL with *err = -EPROTO (the peer's tail is impossible) or
 * -EMSGSIZE (len is 0 or above max_frame).
 */
u8 *mint_ring_tx_reserve(struct mint_ring *r, u32 len, int *err);
/* Publishes the reserved frame. True when the peer asked for a doorbell. */
bool mint_ring_tx_commit(struct mint_ring *r, u32 len, u16 flags, u16 csum_start,
			 u16 csum_offset);
/*
 * The ring was full: asks the peer for a doorbell once it consumes, then looks again. True
 * when a frame of `len` bytes fits now (the caller goes on without waiting).
 */
bool mint_ring_tx_arm(struct mint_ring *r, u32 len);

/*
 * Receive: the next frame from the peer. 1: *frame holds its header (copied once and checked)
 * and *data its bytes inside the peer's ring; 0: nothing new; -EPROTO: the peer's ring or head
 * is impossible.
 */
int mint_ring_rx_peek(struct mint_ring *r, struct mint_link_frame *frame, const u8 **data);
/* Done with the frame mint_ring_rx_peek gave (its room is given back at publish). */
void mint_ring_rx_consume(struct mint_ring *r, const struct mint_link_frame *frame);
/* Gives the consumed room back to the peer. True when the peer asked for a doorbell. */
bool mint_ring_rx_publish(struct mint_ring *r);
/*
 * Before sleeping: asks the peer for a doorbell at its next frame, then looks again. True when
 * a frame came meanwhile (the caller keeps polling).
 */
bool mint_ring_rx_arm(struct mint_ring *r);

#ifdef __cplusplus
}
#endif

#endif
