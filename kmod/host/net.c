// SPDX-License-Identifier: GPL-2.0
/*
 * Network links between the host and its nodes (docs/network.md): MINT_IOC_LINK gives a node
 * (created, not started) a region of reserved memory shared with the host, and the host a
 * network device for it (kmod/link/link.c, side 0; the node's mint_node.ko is side 1).
 *
 * A device outlives its node: when a node of the same name comes back on the same region (a
 * restart), the device is taken back, so its bridge port and addresses stay; the region is
 * zeroed and the descriptor rewritten for the new node, and the rings start a new epoch. The
 * carrier follows the node: up only while the node runs (started or ready) and its side has
 * done the handshake; down while it is stopped, suspended, destroyed or parked.
 *
 * What a node can do to the host through a link: write its own section (its control page and
 * ring) and the host's, since it is plain memory. The host reads every value of the node's
 * section once and checks it (ring.c); an impossible one resets the link. The node's doorbell
 * target is accepted only if it names one of the node's own cores, so a node cannot make the
 * host interrupt the host's or another node's cores.
 */
#include <linux/etherdevice.h>
#include <linux/io.h>
#include <linux/netdevice.h>
#include <linux/string.h>

#include "mint_host.h"
#include "link/link.h"
#include "link/ring.h"

struct mint_host_link {
	char ifname[IFNAMSIZ];
	u64 phys;
	u64 size;
	struct resource *claim;
	void *region;
	struct mint_link_desc desc;
	struct mint_link *link;
	int node; /* the slot of the node it serves, -1 for none */
};

static struct mint_host_link mint_links[MINT_MAX_NODES];

/* The host core doorbells go to: the boot CPU, which no node is ever given. */
#define MINT_LINK_HOST_CPU 0

static unsigned int mint_node_slot(const struct mint_node *n)
{
	return container_of(n, struct mint_slot, node)->id;
}

static struct mint_host_link *mint_link_named(const char *ifname)
{
	unsigned int i;

	for (i = 0; i < MINT_MAX_NODES; i++)
		if (mint_links[i].link && !strcmp(mint_links[i].ifname, ifname))
			return &mint_links[i];
	return NULL;
}

static struct mint_host_link *mint_link_of_node(unsigned int slot)
{
	unsigned int i;

	for (i = 0; i < MINT_MAX_NODES; i++)
		if (mint_links[i].link && mint_links[i].node == (int)slot)
			return &mint_links[i];
	return NULL;
}

/* Zeroes the region (nothing of an earlier node is left for the next) and writes the descriptor. */
static void mint_link_prepare(void *arg)
{
	struct mint_host_link *hl = arg;

	memset(hl->region, 0, hl->size);
	memcpy(hl->region, &hl->desc, sizeof(hl->desc));
	wmb();
}

static void mint_link_free(struct mint_host_link *hl)
{
	pr_info("mint: link %s removed\n", hl->ifname);
	mint_link_destroy(hl->link);
	memunmap(hl->region);
	mint_release_reserved(hl->claim);
	memset(hl, 0, sizeof(*hl));
	hl->node = -1;
}

/* The largest ring, a power of two, whose region fits in `size` bytes; 0 if none does. */
static u32 mint_link_ring_for(u64 size)
{
	u32 ring;

	for (ring = MINT_LINK_MAX_RING; ring >= MINT_LINK_MIN_RING; ring >>= 1)
		if (MINT_LINK_REGION(ring) <= size)
			return ring;
	return 0;
}

static int mint_link_remove(struct mint_file *f, const char *ifname)
{
	struct mint_host_link *hl = mint_link_named(ifname);

	if (!hl) {
		mint_fail(f, "link %s: no such link", ifname);
		return -ENOENT;
	}
	if (hl->node >= 0) {
		mint_fail(f, "link %s: node %s still uses it; stop the node first", ifname,
			  mint.slots[hl->node].node.name);
		return -EBUSY;
	}
	mint_link_free(hl);
	return 0;
}

int mint_link_attach(struct mint_file *f, struct mint_link_attach *a)
{
	struct mint_host_link *hl;
	struct mint_node *n;
	const struct mint_node *owner;
	unsigned int i, slot;
	int range, err;
	u32 ring;

	if (!memchr(a->ifname, '\0', sizeof(a->ifname)) || !dev_valid_name(a->ifname)) {
		mint_fail(f, "link: '%.*s' is not a valid network device name",
			  (int)sizeof(a->ifname), a->ifname);
		return -EINVAL;
	}
	if (!a->size)
		return mint_link_remove(f, a->ifname);

	n = mint_node_get(f, a->id, false);
	if (IS_ERR(n))
		return PTR_ERR(n);
	slot = mint_node_slot(n);
	if (n->state != MINT_STATE_OWNED) {
		mint_fail(f, "node %s: a link is given before START", n->name);
		return -EBUSY;
	}
	if (mint_link_of_node(slot)) {
		mint_fail(f, "node %s already has a link", n->name);
		return -EEXIST;
	}
	if (!PAGE_ALIGNED(a->phys) || !PAGE_ALIGNED(a->size) || !mint_range_valid(a->phys, a->size)) {
		mint_fail(f, "link %s: region 0x%llx+0x%llx is not page aligned or wraps", a->ifname,
			  a->phys, a->size);
		return -EINVAL;
	}
	ring = mint_link_ring_for(a->size);
	if (!ring) {
		mint_fail(f, "link %s: region of 0x%llx bytes is below the 0x%llx a link needs",
			  a->ifname, a->size, (u64)MINT_LINK_REGION(MINT_LINK_MIN_RING));
		return -EINVAL;
	}
	if (!is_valid_ether_addr(a->mac[0]) || !is_valid_ether_addr(a->mac[1]) ||
	    ether_addr_equal(a->mac[0], a->mac[1])) {
		mint_fail(f, "link %s: the host's and the node's Ethernet addresses must be two valid unicast ones",
			  a->ifname);
		return -EINVAL;
	}

	hl = mint_link_named(a->ifname);
	if (hl && hl->node >= 0) {
		mint_fail(f, "link %s: node %s uses it", a->ifname, mint.slots[hl->node].node.name);
		return -EBUSY;
	}
	if (hl && (hl->phys != a->phys || hl->size != a->size))
		mint_link_free(hl); /* a new place: a new device */
	else if (hl)
		goto renew;

	owner = mint_memory_owner(a->phys, a->size, &range);
	if (owner) {
		mint_fail(f, "link %s: region 0x%llx+0x%llx overlaps node %s's memory", a->ifname,
			  a->phys, a->size, owner->name);
		return -EBUSY;
	}
	for (i = 0; i < MINT_MAX_NODES && mint_links[i].link; i++)
		;
	if (i == MINT_MAX_NODES) {
		mint_fail(f, "link %s: all %u links are in use", a->ifname, MINT_MAX_NODES);
		return -ENOSPC;
	}
	hl = &mint_links[i];
	strscpy(hl->ifname, a->ifname, sizeof(hl->ifname));
	hl->phys = a->phys;
	hl->size = a->size;
	err = mint_claim_reserved(a->phys, a->size, "mint link", &hl->claim);
	if (err) {
		mint_fail(f, "link %s: region 0x%llx+0x%llx is not free reserved memory (memmap=) or another claim holds it",
			  a->ifname, a->phys, a->size);
		goto clear;
	}
	hl->region = memremap(a->phys, a->size, MEMREMAP_WB);
	if (!hl->region) {
		mint_fail(f, "link %s: cannot map region 0x%llx+0x%llx", a->ifname, a->phys, a->size);
		err = -ENOMEM;
		goto release;
	}
	hl->desc.magic = MINT_LINK_MAGIC;
	hl->desc.version = MINT_LINK_VERSION;
	hl->desc.size = a->size;
	hl->desc.ring_size = ring;
	hl->desc.mtu = MINT_LINK_MTU;
	memcpy(hl->desc.mac, a->mac, sizeof(hl->desc.mac));
	mint_link_prepare(hl);
	hl->link = mint_link_create(a->ifname, hl->region, &hl->desc, 0, MINT_LINK_HOST_CPU,
				    n->apic_ids, n->n_cpus);
	if (IS_ERR(hl->link)) {
		err = PTR_ERR(hl->link);
		hl->link = NULL;
		mint_fail(f, "link %s: cannot create the network device: %d", a->ifname, err);
		goto unmap;
	}
	hl->node = slot;
	a->ring_size = ring;
	pr_info("mint: link %s for node %s: region 0x%llx+0x%llx, rings of %u KiB\n", a->ifname,
		n->name, a->phys, a->size, ring >> 10);
	return 0;

renew:
	memcpy(hl->desc.mac, a->mac, sizeof(hl->desc.mac));
	mint_link_renew(hl->link, n->apic_ids, n->n_cpus, mint_link_prepare, hl);
	hl->node = slot;
	a->ring_size = hl->desc.ring_size;
	pr_info("mint: link %s taken back for node %s\n", a->ifname, n->name);
	return 0;

unmap:
	memunmap(hl->region);
release:
	mint_release_reserved(hl->claim);
clear:
	memset(hl, 0, sizeof(*hl));
	hl->node = -1;
	return err;
}

/*
 * Direct links between two nodes (docs/network.md, "Direct links"): the host has no device on
 * them and runs no side. It claims the region while either node has it, prepares a side's
 * section for each node that takes it, and speaks for a node that cannot: when a node is
 * destroyed, suspended or parked, the host clears that side's magic and epoch, which is what
 * the node itself does when it parks (mint_ring_stop), so the other node's carrier goes down.
 */
struct mint_host_dlink {
	char name[32];
	u64 phys;
	u64 size;
	struct resource *claim;
	void *region; /* NULL: the entry is free */
	struct mint_link_desc desc;
	int node[2]; /* the slot of the node on each side, -1 for none */
};

static struct mint_host_dlink mint_dlinks[MINT_MAX_NODES];

static void mint_dlink_free(struct mint_host_dlink *dl)
{
	pr_info("mint: direct link %s given back\n", dl->name);
	memunmap(dl->region);
	mint_release_reserved(dl->claim);
	memset(dl, 0, sizeof(*dl));
	dl->node[0] = -1;
	dl->node[1] = -1;
}

/* Side `side`'s section: its control page, then its ring. */
static void *mint_dlink_section(struct mint_host_dlink *dl, unsigned int side)
{
	return dl->region + MINT_LINK_SECTION(side, dl->desc.ring_size);
}

/* The side of a node that stopped running: its control page says so, as a parking node's would. */
static void mint_dlink_side_stopped(struct mint_host_dlink *dl, unsigned int side)
{
	struct mint_link_control *c = mint_dlink_section(dl, side);

	WRITE_ONCE(c->magic, 0);
	WRITE_ONCE(c->epoch, 0);
	wmb();
}

int mint_dlink_attach(struct mint_file *f, struct mint_dlink_attach *a)
{
	struct mint_host_dlink *dl = NULL;
	struct mint_node *n;
	const struct mint_node *owner;
	unsigned int i, slot, side = a->side;
	int range, err;
	u32 ring;

	a->name[sizeof(a->name) - 1] = '\0';
	n = mint_node_get(f, a->id, false);
	if (IS_ERR(n))
		return PTR_ERR(n);
	slot = mint_node_slot(n);
	if (n->state != MINT_STATE_OWNED) {
		mint_fail(f, "node %s: a direct link is given before START", n->name);
		return -EBUSY;
	}
	if (side > 1) {
		mint_fail(f, "direct link %s: side %u is neither 0 nor 1", a->name, side);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(a->phys) || !PAGE_ALIGNED(a->size) || !mint_range_valid(a->phys, a->size)) {
		mint_fail(f, "direct link %s: region 0x%llx+0x%llx is not page aligned or wraps",
			  a->name, a->phys, a->size);
		return -EINVAL;
	}
	ring = mint_link_ring_for(a->size);
	if (!ring) {
		mint_fail(f, "direct link %s: region of 0x%llx bytes is below the 0x%llx a link needs",
			  a->name, a->size, (u64)MINT_LINK_REGION(MINT_LINK_MIN_RING));
		return -EINVAL;
	}
	if (!is_valid_ether_addr(a->mac[0]) || !is_valid_ether_addr(a->mac[1]) ||
	    ether_addr_equal(a->mac[0], a->mac[1])) {
		mint_fail(f, "direct link %s: the two sides' Ethernet addresses must be two valid unicast ones",
			  a->name);
		return -EINVAL;
	}
	for (i = 0; i < MINT_MAX_NODES; i++) {
		if (!mint_dlinks[i].region)
			continue;
		if (mint_dlinks[i].phys == a->phys && mint_dlinks[i].size == a->size) {
			dl = &mint_dlinks[i];
			continue;
		}
		if (mint_overlaps(a->phys, a->size, mint_dlinks[i].phys, mint_dlinks[i].size)) {
			mint_fail(f, "direct link %s: region 0x%llx+0x%llx overlaps direct link %s",
				  a->name, a->phys, a->size, mint_dlinks[i].name);
			return -EBUSY;
		}
	}
	if (dl) {
		if (dl->node[side] >= 0) {
			mint_fail(f, "direct link %s: node %s already has side %u", a->name,
				  mint.slots[dl->node[side]].node.name, side);
			return -EBUSY;
		}
		if (dl->node[!side] == (int)slot) {
			mint_fail(f, "direct link %s: node %s cannot be both sides of a link", a->name,
				  n->name);
			return -EINVAL;
		}
		if (memcmp(dl->desc.mac, a->mac, sizeof(dl->desc.mac))) {
			mint_fail(f, "direct link %s: the Ethernet addresses differ from those node %s took it with",
				  a->name, mint.slots[dl->node[!side]].node.name);
			return -EINVAL;
		}
		/* The other node runs on: only this side's section starts afresh. */
		memset(mint_dlink_section(dl, side), 0, MINT_LINK_PAGE + dl->desc.ring_size);
		wmb();
		goto attached;
	}

	owner = mint_memory_owner(a->phys, a->size, &range);
	if (owner) {
		mint_fail(f, "direct link %s: region 0x%llx+0x%llx overlaps node %s's memory", a->name,
			  a->phys, a->size, owner->name);
		return -EBUSY;
	}
	if (mint_net_overlaps(a->phys, a->size)) {
		mint_fail(f, "direct link %s: region 0x%llx+0x%llx overlaps a link to the host",
			  a->name, a->phys, a->size);
		return -EBUSY;
	}
	for (i = 0; i < MINT_MAX_NODES && mint_dlinks[i].region; i++)
		;
	if (i == MINT_MAX_NODES) {
		mint_fail(f, "direct link %s: all %u direct links are in use", a->name, MINT_MAX_NODES);
		return -ENOSPC;
	}
	dl = &mint_dlinks[i];
	err = mint_claim_reserved(a->phys, a->size, "mint direct link", &dl->claim);
	if (err) {
		mint_fail(f, "direct link %s: region 0x%llx+0x%llx is not free reserved memory (memmap=) or another claim holds it",
			  a->name, a->phys, a->size);
		return err;
	}
	dl->region = memremap(a->phys, a->size, MEMREMAP_WB);
	if (!dl->region) {
		mint_fail(f, "direct link %s: cannot map region 0x%llx+0x%llx", a->name, a->phys,
			  a->size);
		mint_release_reserved(dl->claim);
		memset(dl, 0, sizeof(*dl));
		return -ENOMEM;
	}
	strscpy(dl->name, a->name, sizeof(dl->name));
	dl->phys = a->phys;
	dl->size = a->size;
	dl->node[0] = -1;
	dl->node[1] = -1;
	dl->desc.magic = MINT_LINK_MAGIC;
	dl->desc.version = MINT_LINK_VERSION;
	dl->desc.size = a->size;
	dl->desc.ring_size = ring;
	dl->desc.mtu = MINT_LINK_MTU;
	memcpy(dl->desc.mac, a->mac, sizeof(dl->desc.mac));
	/* Nobody runs on it yet: the whole region is zeroed and described. */
	memset(dl->region, 0, dl->size);
	memcpy(dl->region, &dl->desc, sizeof(dl->desc));
	wmb();
	pr_info("mint: direct link %s: region 0x%llx+0x%llx, rings of %u KiB\n", dl->name,
		dl->phys, dl->size, ring >> 10);

attached:
	dl->node[side] = slot;
	a->ring_size = dl->desc.ring_size;
	pr_info("mint: direct link %s: node %s is side %u\n", dl->name, n->name, side);
	return 0;
}

int mint_dlink_status(struct mint_file *f, struct mint_dlink_status *s)
{
	struct mint_host_dlink *dl;
	unsigned int side;

	if (s->index >= MINT_MAX_NODES)
		return -EINVAL;
	dl = &mint_dlinks[s->index];
	if (!dl->region)
		return -ENOENT;
	strscpy(s->name, dl->name, sizeof(s->name));
	s->phys = dl->phys;
	s->size = dl->size;
	s->ring_size = dl->desc.ring_size;
	memset(s->side, 0, sizeof(s->side));
	for (side = 0; side < 2; side++) {
		/* Written by the node on that side: each field read once, only copied out. */
		const struct mint_link_control *c = mint_dlink_section(dl, side);
		struct mint_dlink_side_status *out = &s->side[side];

		if (dl->node[side] >= 0)
			strscpy(out->node, mint.slots[dl->node[side]].node.name, sizeof(out->node));
		out->running = READ_ONCE(c->magic) == MINT_LINK_MAGIC;
		out->epoch = READ_ONCE(c->epoch);
		out->ack = READ_ONCE(c->ack);
		out->tx_bytes = READ_ONCE(c->tx_head);
		out->rx_bytes = READ_ONCE(c->rx_tail);
	}
	return 0;
}

void mint_net_node_state(struct mint_node *n)
{
	struct mint_host_link *hl = mint_link_of_node(mint_node_slot(n));
	bool running = n->state == MINT_STATE_STARTED || n->state == MINT_STATE_READY;
	unsigned int i, side;

	if (hl)
		mint_link_allow(hl->link, running);
	if (running || n->state == MINT_STATE_OWNED)
		return;
	/* Suspended or parked: the node's peers on direct links see it gone until it resumes. */
	for (i = 0; i < MINT_MAX_NODES; i++)
		for (side = 0; side < 2; side++)
			if (mint_dlinks[i].region && mint_dlinks[i].node[side] == (int)mint_node_slot(n))
				mint_dlink_side_stopped(&mint_dlinks[i], side);
}

void mint_net_node_gone(struct mint_node *n)
{
	struct mint_host_link *hl = mint_link_of_node(mint_node_slot(n));
	unsigned int i, side;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		struct mint_host_dlink *dl = &mint_dlinks[i];

		if (!dl->region)
			continue;
		for (side = 0; side < 2; side++) {
			if (dl->node[side] != (int)mint_node_slot(n))
				continue;
			mint_dlink_side_stopped(dl, side);
			dl->node[side] = -1;
		}
		if (dl->node[0] < 0 && dl->node[1] < 0)
			mint_dlink_free(dl);
	}
	if (!hl)
		return;
	mint_link_allow(hl->link, false);
	hl->node = -1;
}

bool mint_net_overlaps(u64 start, u64 size)
{
	unsigned int i;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		if (mint_links[i].link && mint_overlaps(start, size, mint_links[i].phys,
							 mint_links[i].size))
			return true;
		if (mint_dlinks[i].region && mint_overlaps(start, size, mint_dlinks[i].phys,
							    mint_dlinks[i].size))
			return true;
	}
	return false;
}

int mint_net_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		mint_links[i].node = -1;
		mint_dlinks[i].node[0] = -1;
		mint_dlinks[i].node[1] = -1;
	}
	/* Without a domain, links still work: the peer's frames wait for the 100 ms tick. */
	err = mint_link_domain_init();
	if (err)
		pr_warn("mint: no interrupt domain for the links' doorbells (%d): links will poll\n",
			err);
	return 0;
}

void mint_net_exit(void)
{
	unsigned int i;

	for (i = 0; i < MINT_MAX_NODES; i++)
		if (mint_links[i].link)
			mint_link_free(&mint_links[i]);
	for (i = 0; i < MINT_MAX_NODES; i++)
		if (mint_dlinks[i].region)
			mint_dlink_free(&mint_dlinks[i]);
	mint_link_domain_exit();
}
