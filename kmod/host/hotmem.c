// SPDX-License-Identifier: GPL-2.0
/*
 * Memory given to running nodes (MINT_IOC_MEM, docs/memory-handover.md). A stock kernel can
 * take memory it was not booted with: its node module calls add_memory_driver_managed() on a
 * range the host grants it (onlined movable: the node boots with
 * memhp_default_state=online_movable), and gives it back with offline_and_remove_memory().
 * This file keeps the books: a given range is one more of the node's ranges (claimed in the
 * host's reserved memory, zeroed, released by DESTROY with the rest), granted in the node's
 * memory page; every byte is the host's or exactly one node's at every step.
 *
 *   host -> node   GIVE: claimed, zeroed, the node's, granted; the node module adds it.
 *   node -> host   RELEASE: ungranted; the node module removes it and says so in its node
 *                  page; RECLAIM: zeroed, released, the host's again. KEEP undoes a RELEASE
 *                  the node could not carry out (the range was busy).
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <asm/msr.h>

#include "mint_host.h"

#define MINT_MEM_REMOVE_MS 10000u /* the node's default deadline for emptying a range */

/* The index of the given range starting at `start` in the node's ranges, or -1. */
static int mint_mem_index(const struct mint_node *n, u64 start)
{
	unsigned int r;

	for (r = 1; r < n->n_ranges; r++)
		if ((n->given & (1u << r)) && n->ranges[r].start == start)
			return r;
	return -1;
}

/* Writes the node's memory page: its given ranges but those being released, then seq + 1. */
static int mint_mem_publish(struct mint_node *n, u32 remove_ms)
{
	struct mint_mem_page *p;
	unsigned int r, slot = 0;

	p = memremap(n->status_phys + MINT_SHARED_MEM, sizeof(*p), MEMREMAP_WB);
	if (!p)
		return -ENOMEM;
	for (r = 1; r < n->n_ranges; r++) {
		if (!(n->given & (1u << r)) || (n->mem_releasing & (1u << r)))
			continue;
		if (slot == MINT_MEM_GRANTS)
			break; /* GIVE never lets more than MINT_MEM_GRANTS be given */
		WRITE_ONCE(p->grants[slot].start, n->ranges[r].start);
		WRITE_ONCE(p->grants[slot].size, n->ranges[r].size);
		slot++;
	}
	for (; slot < MINT_MEM_GRANTS; slot++) {
		WRITE_ONCE(p->grants[slot].start, 0);
		WRITE_ONCE(p->grants[slot].size, 0);
	}
	WRITE_ONCE(p->remove_ms, remove_ms ? remove_ms : MINT_MEM_REMOVE_MS);
	smp_wmb(); /* the grants before the seq that announces them */
	n->mem_seq++;
	WRITE_ONCE(p->seq, n->mem_seq);
	memunmap(p);
	return 0;
}

/* What the node page says of [m->start, m->start + m->size): added, acted on, its error. */
static int mint_mem_node_view(const struct mint_node *n, struct mint_mem *m)
{
	struct mint_node_page np;
	unsigned int i;
	int err = mint_read_phys(n->status_phys + MINT_SHARED_NODE_PAGE, &np, sizeof(np));

	if (err)
		return err;
	if (np.magic != MINT_NODE_PAGE_MAGIC || np.condition != MINT_NODE_UP)
		return -ENODEV;
	m->block_size = np.mem_block_size;
	m->acked = np.mem_seq == n->mem_seq;
	m->added = 0;
	for (i = 0; i < MINT_MEM_GRANTS; i++)
		if (np.mem_added[i].size && np.mem_added[i].start == m->start)
			m->added = 1;
	m->node_error = np.mem_error_start == m->start ? np.mem_error : 0;
	return 0;
}

/* The node, running with its module up, for GIVE and RELEASE. */
static struct mint_node *mint_mem_running(struct mint_file *f, struct mint_mem *m,
					  const char *what)
{
	struct mint_node *n = mint_node_get(f, m->id, false);

	if (IS_ERR(n))
		return n;
	if (n->state != MINT_STATE_READY) {
		mint_fail(f, "node %s: cannot %s memory: the node is not running (state %u)", n->name,
			  what, n->state);
		return ERR_PTR(-EBUSY);
	}
	if (n->busy) {
		/* Another step is zeroing with mint.lock dropped: one at a time per node. */
		mint_fail(f, "node %s: cannot %s memory now: another step on it is under way; try again",
			  n->name, what);
		return ERR_PTR(-EBUSY);
	}
	if (mint_mem_node_view(n, m)) {
		mint_fail(f, "node %s: cannot %s memory: its mint_node.ko is not running", n->name,
			  what);
		return ERR_PTR(-ENODEV);
	}
	return n;
}

/* Takes ranges[r] out of the node's ranges, moving the later ones (and their bits) down. */
static void mint_mem_drop(struct mint_node *n, unsigned int r)
{
	u32 low = (1u << r) - 1; /* the bits below r stay, those above move down one */
	unsigned int i;

	for (i = r; i + 1 < n->n_ranges; i++) {
		n->ranges[i] = n->ranges[i + 1];
		n->claims[i] = n->claims[i + 1];
	}
	n->n_ranges--;
	memset(&n->ranges[n->n_ranges], 0, sizeof(n->ranges[0]));
	n->claims[n->n_ranges] = NULL;
#define MINT_MEM_SHIFT(bits) ((bits) = ((bits) & low) | (((bits) >> 1) & ~low))
	MINT_MEM_SHIFT(n->given);
	MINT_MEM_SHIFT(n->mem_releasing);
	MINT_MEM_SHIFT(n->clean);
	MINT_MEM_SHIFT(n->scrubbed);
#undef MINT_MEM_SHIFT
}

static int mint_mem_give(struct mint_file *f, struct mint_mem *m)
{
	u64 last = m->start + m->size - 1;
	const struct mint_node *owner;
	struct mint_node *n;
	unsigned int r, given = 0;
	int owner_range, err;

	n = mint_mem_running(f, m, "give");
	if (IS_ERR(n))
		return PTR_ERR(n);
	if (!m->block_size) {
		mint_fail(f, "node %s: its kernel cannot add memory at run time (no memory hotplug)",
			  n->name);
		return -EOPNOTSUPP;
	}
	if (!mint_range_valid(m->start, m->size) || !IS_ALIGNED(m->start, m->block_size) ||
	    !IS_ALIGNED(m->size, m->block_size)) {
		mint_fail(f, "node %s: memory 0x%llx+0x%llx must start and end on the node's memory block size 0x%llx",
			  n->name, m->start, m->size, m->block_size);
		return -EINVAL;
	}
	for (r = 1; r < n->n_ranges; r++)
		given += !!(n->given & (1u << r));
	if (given >= MINT_MEM_GRANTS || n->n_ranges >= MINT_MAX_RANGES) {
		mint_fail(f, "node %s: it holds %u memory ranges (%u given); at most %u, %u given",
			  n->name, n->n_ranges, given, MINT_MAX_RANGES, MINT_MEM_GRANTS);
		return -ENOSPC;
	}
	if (region_intersects(m->start, m->size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT) {
		mint_fail(f, "node %s: memory 0x%llx-0x%llx overlaps the host's System RAM", n->name,
			  m->start, last);
		return -EINVAL;
	}
	if (!mint_covered(m->start, m->size, IORESOURCE_MEM, IORES_DESC_RESERVED)) {
		mint_fail(f, "node %s: memory 0x%llx-0x%llx is not inside ranges the host reserved (memmap=SIZE$ADDR)",
			  n->name, m->start, last);
		return -EINVAL;
	}
	owner = mint_memory_owner(m->start, m->size, &owner_range);
	if (owner) {
		const struct mint_range *o = &owner->ranges[owner_range];

		mint_fail(f, "node %s: memory 0x%llx-0x%llx overlaps node %s's 0x%llx-0x%llx",
			  n->name, m->start, last, owner->name, o->start, o->start + o->size - 1);
		return -EBUSY;
	}
	if (mint_net_overlaps(m->start, m->size)) {
		mint_fail(f, "node %s: memory 0x%llx-0x%llx overlaps a network link's region",
			  n->name, m->start, last);
		return -EBUSY;
	}
	r = n->n_ranges;
	err = mint_claim_reserved(m->start, m->size, n->claim_name, &n->claims[r]);
	if (err) {
		mint_fail(f, "node %s: memory 0x%llx-0x%llx is busy in the host's resource tree (see /proc/iomem)",
			  n->name, m->start, last);
		return err;
	}
	/* Zeroed before the node sees it: whoever had it last left it zero, or this does. */
	if (!mint_clean_take(m->start, m->size)) {
		n->busy++;
		err = mint_zero_phys(m->start, m->size);
		n->busy--;
		if (err) {
			mint_release_reserved(n->claims[r]);
			n->claims[r] = NULL;
			mint_fail(f, "node %s: zeroing memory 0x%llx-0x%llx: %d", n->name, m->start,
				  last, err);
			return err;
		}
	}
	n->ranges[r].start = m->start;
	n->ranges[r].size = m->size;
	n->n_ranges++;
	n->given |= 1u << r;
	n->mem_releasing &= ~(1u << r);
	n->clean &= ~(1u << r);
	n->scrubbed &= ~(1u << r);
	err = mint_mem_publish(n, m->remove_ms);
	if (err) {
		struct resource *claim = n->claims[r];

		mint_mem_drop(n, r);
		mint_release_reserved(claim);
		mint_clean_add(m->start, m->size);
		mint_fail(f, "node %s: cannot map its memory page", n->name);
		return err;
	}
	pr_info("mint: node %s given memory 0x%llx-0x%llx\n", n->name, m->start, last);
	m->granted = 1;
	m->given = 1;
	return 0;
}

/* The node holding a given range that starts at m->start; its index in *index. */
static struct mint_node *mint_mem_held(struct mint_file *f, struct mint_mem *m, int *index)
{
	struct mint_node *n = mint_node_get(f, m->id, false);

	if (IS_ERR(n))
		return n;
	*index = mint_mem_index(n, m->start);
	if (*index < 0) {
		mint_fail(f, "node %s: holds no memory given at 0x%llx", n->name, m->start);
		return ERR_PTR(-ENOENT);
	}
	m->size = n->ranges[*index].size;
	return n;
}

static int mint_mem_release(struct mint_file *f, struct mint_mem *m, bool keep)
{
	struct mint_node *n;
	int r, err;

	n = mint_mem_held(f, m, &r);
	if (IS_ERR(n))
		return PTR_ERR(n);
	if (n->state != MINT_STATE_READY) {
		mint_fail(f, "node %s: cannot %s memory: the node is not running (state %u)", n->name,
			  keep ? "keep" : "take back", n->state);
		return -EBUSY;
	}
	if (keep)
		n->mem_releasing &= ~(1u << r);
	else
		n->mem_releasing |= 1u << r;
	err = mint_mem_publish(n, m->remove_ms);
	if (err) {
		mint_fail(f, "node %s: cannot map its memory page", n->name);
		return err;
	}
	m->granted = keep;
	m->given = 1;
	return 0;
}

static int mint_mem_reclaim(struct mint_file *f, struct mint_mem *m)
{
	struct mint_node *n;
	struct resource *claim;
	u64 start, size;
	int r, err;

	n = mint_mem_held(f, m, &r);
	if (IS_ERR(n))
		return PTR_ERR(n);
	if (n->busy) {
		mint_fail(f, "node %s: cannot take memory back now: another step on it is under way; try again",
			  n->name);
		return -EBUSY;
	}
	if (!(n->mem_releasing & (1u << r))) {
		mint_fail(f, "node %s: memory 0x%llx-0x%llx is granted: release it first", n->name,
			  m->start, m->start + m->size - 1);
		return -EBUSY;
	}
	err = mint_mem_node_view(n, m);
	if (err || !m->acked || m->added) {
		mint_fail(f, "node %s: has not removed memory 0x%llx-0x%llx yet%s", n->name,
			  m->start, m->start + m->size - 1,
			  err ? " (its mint_node.ko is not running)" : "");
		return -EAGAIN;
	}
	start = n->ranges[r].start;
	size = n->ranges[r].size;
	n->busy++;
	err = mint_zero_phys(start, size);
	n->busy--;
	if (err) {
		mint_fail(f, "node %s: zeroing memory 0x%llx-0x%llx: %d; it stays the node's",
			  n->name, start, start + size - 1, err);
		return err;
	}
	/* The zeroing may have dropped mint.lock: find the range again. */
	r = mint_mem_index(n, start);
	if (r < 0)
		return 0; /* DESTROY gave it back meanwhile */
	claim = n->claims[r];
	mint_mem_drop(n, r);
	mint_release_reserved(claim);
	mint_clean_add(start, size);
	pr_info("mint: node %s gave back memory 0x%llx-0x%llx\n", n->name, start, start + size - 1);
	m->given = 0;
	m->granted = 0;
	return 0;
}

static int mint_mem_query(struct mint_file *f, struct mint_mem *m)
{
	struct mint_node *n = mint_node_get(f, m->id, false);
	int r;

	if (IS_ERR(n))
		return PTR_ERR(n);
	r = mint_mem_index(n, m->start);
	m->given = r >= 0;
	m->granted = r >= 0 && !(n->mem_releasing & (1u << r));
	if (r >= 0)
		m->size = n->ranges[r].size;
	if (n->state == MINT_STATE_READY)
		mint_mem_node_view(n, m); /* a node without its module answers what it can */
	return 0;
}

int mint_mem(struct mint_file *f, struct mint_mem *m)
{
	int err;

	switch (m->op) {
	case MINT_MEM_QUERY:
		err = mint_mem_query(f, m);
		break;
	case MINT_MEM_GIVE:
		err = mint_mem_give(f, m);
		break;
	case MINT_MEM_RELEASE:
		err = mint_mem_release(f, m, false);
		break;
	case MINT_MEM_KEEP:
		err = mint_mem_release(f, m, true);
		break;
	case MINT_MEM_RECLAIM:
		err = mint_mem_reclaim(f, m);
		break;
	default:
		mint_fail(f, "MINT_IOC_MEM: unknown op %u", m->op);
		err = -EINVAL;
	}
	m->tsc_done = rdtsc_ordered();
	return err;
}
