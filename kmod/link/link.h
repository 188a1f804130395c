/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A network link's kernel side (docs/network.md), the same in mint.ko (side 0, one per node)
 * and mint_node.ko (side 1): a network device whose frames go through the link's rings
 * (ring.c), received by NAPI, and a doorbell that is a real interrupt. Each module builds this
 * file in through its link_shared.c.
 */
#ifndef MINT_LINK_LINK_H
#define MINT_LINK_LINK_H

#include <linux/types.h>

#include "mint/abi.h"

struct mint_link;

/* The doorbells' interrupt domain, parented to the x86 vector domain: once per module. */
int mint_link_domain_init(void);
void mint_link_domain_exit(void);

/*
 * A link over the mapped region `region` (its descriptor `desc` already checked), as side
 * `side`, with a network device named `ifname` whose address is desc->mac[side]. Its doorbell
 * interrupt is bound to `cpu`, a core this kernel never gives away. `peer_apics` (n of them,
 * 0 for any) are the only APIC IDs the peer may name for its doorbell. The link stays down
 * until mint_link_allow(link, true).
 */
struct mint_link *mint_link_create(const char *ifname, void *region,
				   const struct mint_link_desc *desc, int side, unsigned int cpu,
				   const u32 *peer_apics, unsigned int n);
void mint_link_destroy(struct mint_link *link);

/* Whether the peer may be up (the host: its node runs); false takes the carrier down. */
void mint_link_allow(struct mint_link *link, bool allowed);
/*
 * A new peer at the same place (the host gives a restarted node the same link): quiesces the
 * device, runs `prepare` (which rewrites the region), then starts this side afresh.
 */
void mint_link_renew(struct mint_link *link, const u32 *peer_apics, unsigned int n,
		     void (*prepare)(void *arg), void *arg);
/* This side is gone for good (a node parking its cores): any context, no locks. */
void mint_link_park(struct mint_link *link);

const char *mint_link_name(const struct mint_link *link);

#endif
