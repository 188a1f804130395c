// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls that act on the trampoline and on nodes. Each one runs under mint.lock, checks
 * everything it was given before it takes or changes anything, and on failure leaves the
 * module exactly as it found it. Every failure names what was wrong through mint_fail().
 */
#include <linux/cpu.h>
#include <linux/ctype.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/suspend.h>
#include <linux/uaccess.h>
#include <asm/barrier.h>
#include <asm/msr.h>

#include "mint_host.h"

/* When nothing saw the node come up (STATUS READY), the legacy state comes back after this. */
#define MINT_LEGACY_FALLBACK (10 * HZ)

/*
 * The live node with this id. `quiet` keeps a free slot out of the log: STATUS on every id is
 * how the CLI lists nodes, so -ENOENT there is an answer, not a failure worth a warning.
 */
struct mint_node *mint_node_get(struct mint_file *f, u32 id, bool quiet)
{
	struct mint_node *n;

	if (id >= MINT_MAX_NODES) {
		mint_fail(f, "node id %u is out of range (0..%u)", id, MINT_MAX_NODES - 1);
		return ERR_PTR(-EINVAL);
	}
	n = &mint.slots[id].node;
	if (n->state == MINT_STATE_FREE) {
		if (quiet)
			snprintf(f->last_error, sizeof(f->last_error), "node id %u: no such node", id);
		else
			mint_fail(f, "node id %u: no such node", id);
		return ERR_PTR(-ENOENT);
	}
	return n;
}

/* The live node whose memory overlaps [start, start + size), if any, and which range. */
const struct mint_node *mint_memory_owner(u64 start, u64 size, int *range)
{
	unsigned int i, r;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		const struct mint_node *n = &mint.slots[i].node;

		if (n->state == MINT_STATE_FREE)
			continue;
		for (r = 0; r < n->n_ranges; r++) {
			if (mint_overlaps(start, size, n->ranges[r].start, n->ranges[r].size)) {
				*range = r;
				return n;
			}
		}
	}
	return NULL;
}

static const struct mint_node *mint_cpu_owner(unsigned int cpu)
{
	unsigned int i, c;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		const struct mint_node *n = &mint.slots[i].node;

		if (n->state == MINT_STATE_FREE)
			continue;
		for (c = 0; c < n->n_cpus; c++)
			if (n->cpus[c] == cpu)
				return n;
	}
	return NULL;
}

/* Index of the node's range holding all of [start, start + size), or -1. */
static int mint_node_range_of(const struct mint_node *n, u64 start, u64 size)
{
	unsigned int r;

	for (r = 0; r < n->n_ranges; r++) {
		const struct mint_range *m = &n->ranges[r];

		if (mint_range_within(start, size, m->start, m->size))
			return r;
	}
	return -1;
}

bool mint_overlaps_realmode(u64 start, u64 size)
{
	return mint.realmode_end &&
	       mint_overlaps(start, size, mint.realmode_start,
			     mint.realmode_end - mint.realmode_start);
}

/* ---- CREATE ---- */

static int mint_check_name(struct mint_file *f, const char *name)
{
	size_t len = strnlen(name, MINT_NAME_LEN);
	size_t i;

	if (!len || len == MINT_NAME_LEN) {
		mint_fail(f, "node name must be 1..%u characters and NUL-terminated",
			  MINT_NAME_LEN - 1);
		return -EINVAL;
	}
	/* It appears in /proc/iomem and in every message: keep it one printable word. */
	for (i = 0; i < len; i++) {
		if (!isgraph(name[i])) {
			mint_fail(f, "node name has a blank or unprintable character at %zu", i);
			return -EINVAL;
		}
	}
	return 0;
}

static bool mint_all_zero(const void *p, size_t size)
{
	return !memchr_inv(p, 0, size);
}

static int mint_check_ranges(struct mint_file *f, const struct mint_create *c)
{
	const char *name = c->name;
	unsigned int i, j;
	int owner_range;

	for (i = 0; i < c->n_ranges; i++) {
		const struct mint_range *r = &c->ranges[i];
		u64 last = r->start + r->size - 1;

		if (!mint_range_valid(r->start, r->size) || !PAGE_ALIGNED(r->start) ||
		    !PAGE_ALIGNED(r->size)) {
			mint_fail(f, "node %s: memory range %u (start 0x%llx size 0x%llx) must be page aligned, non-empty and not wrap",
				  name, i, r->start, r->size);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			const struct mint_range *o = &c->ranges[j];

			if (mint_overlaps(r->start, r->size, o->start, o->size)) {
				mint_fail(f, "node %s: memory 0x%llx-0x%llx overlaps its own range 0x%llx-0x%llx",
					  name, r->start, last, o->start, o->start + o->size - 1);
				return -EINVAL;
			}
		}
	}

	for (i = 0; i < c->n_ranges; i++) {
		const struct mint_range *r = &c->ranges[i];
		u64 last = r->start + r->size - 1;
		const struct mint_node *owner;

		if (i == 0) {
			if (!mint_range_below(r->start, r->size, MINT_LOW_LIMIT)) {
				mint_fail(f, "node %s: low slice 0x%llx-0x%llx must lie below 1 MiB",
					  name, r->start, last);
				return -EINVAL;
			}
			if (!mint_covered(r->start, r->size, IORESOURCE_SYSTEM_RAM,
					  IORES_DESC_NONE)) {
				mint_fail(f, "node %s: low slice 0x%llx-0x%llx is not entirely System RAM",
					  name, r->start, last);
				return -EINVAL;
			}
			if (mint.tramp_ok &&
			    mint_overlaps(r->start, r->size, mint.tramp_phys, MINT_TRAMPOLINE_SIZE)) {
				mint_fail(f, "node %s: low slice 0x%llx-0x%llx overlaps the trampoline at 0x%llx",
					  name, r->start, last, mint.tramp_phys);
				return -EBUSY;
			}
			if (mint_overlaps_realmode(r->start, r->size)) {
				mint_fail(f, "node %s: low slice 0x%llx-0x%llx overlaps the host's real-mode code 0x%llx-0x%llx",
					  name, r->start, last, mint.realmode_start,
					  mint.realmode_end - 1);
				return -EBUSY;
			}
		} else {
			if (r->start < MINT_LOW_LIMIT) {
				mint_fail(f, "node %s: memory 0x%llx-0x%llx: only ranges[0] may lie below 1 MiB",
					  name, r->start, last);
				return -EINVAL;
			}
			if (region_intersects(r->start, r->size, IORESOURCE_SYSTEM_RAM,
					      IORES_DESC_NONE) != REGION_DISJOINT) {
				mint_fail(f, "node %s: memory 0x%llx-0x%llx overlaps System RAM",
					  name, r->start, last);
				return -EINVAL;
			}
			if (!mint_covered(r->start, r->size, IORESOURCE_MEM, IORES_DESC_RESERVED)) {
				mint_fail(f, "node %s: memory 0x%llx-0x%llx is not inside ranges the host reserved (memmap=SIZE$ADDR)",
					  name, r->start, last);
				return -EINVAL;
			}
		}
		owner = mint_memory_owner(r->start, r->size, &owner_range);
		if (owner) {
			const struct mint_range *o = &owner->ranges[owner_range];

			mint_fail(f, "node %s: memory 0x%llx-0x%llx overlaps node %s (0x%llx-0x%llx)",
				  name, r->start, last, owner->name, o->start,
				  o->start + o->size - 1);
			return -EBUSY;
		}
		if (mint_net_overlaps(r->start, r->size)) {
			mint_fail(f, "node %s: memory 0x%llx-0x%llx overlaps a network link's region",
				  name, r->start, last);
			return -EBUSY;
		}
	}

	if (!PAGE_ALIGNED(c->status_phys) || !c->status_phys ||
	    !mint_range_below(c->status_phys, PAGE_SIZE, MINT_START_LIMIT)) {
		mint_fail(f, "node %s: status page 0x%llx must be page aligned and below 4 GiB",
			  name, c->status_phys);
		return -EINVAL;
	}
	/*
	 * Mint's whole shared area starts at the status page (docs/shared-memory.md): SHARED,
	 * START and the sleep watcher reach into it, so all of it must be this node's, in one
	 * range.
	 */
	for (i = 1; i < c->n_ranges; i++) {
		const struct mint_range *r = &c->ranges[i];

		if (mint_range_within(c->status_phys, MINT_SHARED_END, r->start, r->size))
			break;
	}
	if (i == c->n_ranges) {
		mint_fail(f, "node %s: shared area 0x%llx+0x%x (from the status page) is not inside one of the node's ranges above 1 MiB",
			  name, c->status_phys, MINT_SHARED_END);
		return -EINVAL;
	}
	return 0;
}

static int mint_check_cpus(struct mint_file *f, const struct mint_create *c,
			   unsigned int *cpus)
{
	unsigned int i, j;

	if (c->apic_ids[0] >= MINT_TRAMPOLINE_TABLE_SIZE / sizeof(struct mint_trampoline_entry)) {
		mint_fail(f, "node %s: boot core APIC ID %u does not fit the trampoline's 8-bit table",
			  c->name, c->apic_ids[0]);
		return -EINVAL;
	}
	if (c->n_receive > MINT_MAX_CPUS - c->n_cpus) {
		mint_fail(f, "node %s: %u own and %u receivable cores; at most %u in all", c->name,
			  c->n_cpus, c->n_receive, MINT_MAX_CPUS);
		return -EINVAL;
	}
	for (i = 0; i < c->n_receive; i++) {
		u32 id = c->receive_ids[i];
		unsigned int cpu;

		for (j = 0; j < c->n_cpus + i; j++) {
			if ((j < c->n_cpus ? c->apic_ids[j] : c->receive_ids[j - c->n_cpus]) == id) {
				mint_fail(f, "node %s: receivable APIC ID %u is listed twice", c->name, id);
				return -EINVAL;
			}
		}
		if (mint_apic_to_cpu(id, &cpu)) {
			mint_fail(f, "node %s: receivable APIC ID %u is not a present CPU of the host",
				  c->name, id);
			return -ENODEV;
		}
	}
	for (i = 0; i < c->n_cpus; i++) {
		u32 id = c->apic_ids[i];
		const struct mint_node *owner;

		for (j = 0; j < i; j++) {
			if (c->apic_ids[j] == id) {
				mint_fail(f, "node %s: APIC ID %u is listed twice", c->name, id);
				return -EINVAL;
			}
		}
		if (mint_apic_to_cpu(id, &cpus[i])) {
			mint_fail(f, "node %s: APIC ID %u is not a present CPU of the host",
				  c->name, id);
			return -ENODEV;
		}
		owner = mint_cpu_owner(cpus[i]);
		if (owner) {
			mint_fail(f, "node %s: APIC ID %u (CPU %u) belongs to node %s", c->name, id,
				  cpus[i], owner->name);
			return -EBUSY;
		}
		if (cpu_online(cpus[i])) {
			mint_fail(f, "node %s: APIC ID %u (CPU %u) is online in the host; take it offline first",
				  c->name, id, cpus[i]);
			return -EBUSY;
		}
	}
	return 0;
}

/*
 * Memory the module zeroed when a node gave it back (mint_scrub) and nobody has claimed since,
 * under mint.lock: a node created on it marks those ranges clean, and MINT_LOAD_ZERO there
 * has nothing to do until something writes the range. Forgetting an entry is always safe (the
 * zero pass then reads the memory instead), so a full table overwrites its last entry.
 */
#define MINT_MAX_CLEAN (2 * MINT_MAX_NODES)
static struct mint_range mint_clean[MINT_MAX_CLEAN];
static unsigned int mint_n_clean;

void mint_clean_add(u64 start, u64 size)
{
	if (mint_n_clean == MINT_MAX_CLEAN)
		mint_n_clean--;
	mint_clean[mint_n_clean].start = start;
	mint_clean[mint_n_clean].size = size;
	mint_n_clean++;
}

/*
 * Takes [start, start + size) out of the table; true if all of it was there. Whatever writes
 * memory no node owns calls it (CREATE, to learn what is clean; installing the trampoline).
 */
bool mint_clean_take(u64 start, u64 size)
{
	bool whole = false;
	unsigned int i = 0;

	while (i < mint_n_clean) {
		struct mint_range c = mint_clean[i];

		if (!mint_overlaps(start, size, c.start, c.size)) {
			i++;
			continue;
		}
		whole |= mint_range_within(start, size, c.start, c.size);
		mint_clean[i] = mint_clean[--mint_n_clean];
		if (c.start < start)
			mint_clean_add(c.start, start - c.start);
		/* Both are memory that was claimed or is being claimed: neither ends at 2^64. */
		if (c.start + c.size > start + size)
			mint_clean_add(start + size, c.start + c.size - (start + size));
	}
	return whole;
}

static void mint_release_claims(struct mint_node *n)
{
	unsigned int r;

	for (r = 0; r < MINT_MAX_RANGES; r++) {
		if (!n->claims[r])
			continue;
		if (r == 0)
			mint_release_low(n->claims[r]);
		else
			mint_release_reserved(n->claims[r]);
		n->claims[r] = NULL;
	}
}

int mint_create(struct mint_file *f, struct mint_create *c)
{
	unsigned int cpus[MINT_MAX_CPUS] = { 0 };
	struct mint_node *n = NULL;
	const char *conflict;
	unsigned int i, id;
	int err;

	err = mint_check_name(f, c->name);
	if (err)
		goto out;
	if (!mint_all_zero(c->name + strlen(c->name), MINT_NAME_LEN - strlen(c->name))) {
		mint_fail(f, "node %s: bytes after the name's NUL must be zero", c->name);
		err = -EINVAL;
		goto out;
	}
	if (c->n_cpus < 1 || c->n_cpus > MINT_MAX_CPUS ||
	    c->n_ranges < 1 || c->n_ranges > MINT_MAX_RANGES) {
		mint_fail(f, "node %s: %u cores and %u memory ranges; allowed 1..%u and 1..%u",
			  c->name, c->n_cpus, c->n_ranges, MINT_MAX_CPUS, MINT_MAX_RANGES);
		err = -EINVAL;
		goto out;
	}
	if (c->n_receive > MINT_MAX_CPUS ||
	    !mint_all_zero(&c->receive_ids[c->n_receive],
			   (MINT_MAX_CPUS - c->n_receive) * sizeof(c->receive_ids[0])) ||
	    !mint_all_zero(&c->apic_ids[c->n_cpus],
			   (MINT_MAX_CPUS - c->n_cpus) * sizeof(c->apic_ids[0])) ||
	    !mint_all_zero(&c->ranges[c->n_ranges],
			   (MINT_MAX_RANGES - c->n_ranges) * sizeof(c->ranges[0]))) {
		mint_fail(f, "node %s: unused apic_ids[] / receive_ids[] / ranges[] entries must be zero",
			  c->name);
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < MINT_MAX_NODES; i++) {
		const struct mint_node *o = &mint.slots[i].node;

		if (o->state != MINT_STATE_FREE && !strcmp(o->name, c->name)) {
			mint_fail(f, "node %s: a node of that name exists (id %u)", c->name, i);
			err = -EEXIST;
			goto out;
		}
	}
	err = mint_check_ranges(f, c);
	if (err)
		goto out;
	err = mint_check_cpus(f, c, cpus);
	if (err)
		goto out;
	for (id = 0; id < MINT_MAX_NODES; id++)
		if (mint.slots[id].node.state == MINT_STATE_FREE)
			break;
	if (id == MINT_MAX_NODES) {
		mint_fail(f, "node %s: all %u node slots are in use", c->name, MINT_MAX_NODES);
		err = -ENOSPC;
		goto out;
	}

	/*
	 * Take everything while holding the hotplug lock, so no core can come online between
	 * the check above and the bits that make the hotplug callback refuse it.
	 */
	n = &mint.slots[id].node;
	memset(n, 0, sizeof(*n));
	strscpy(n->name, c->name, sizeof(n->name));
	snprintf(n->claim_name, sizeof(n->claim_name), "mint:%s", c->name);

	cpus_read_lock();
	for (i = 0; i < c->n_cpus; i++) {
		if (cpu_online(cpus[i])) {
			mint_fail(f, "node %s: APIC ID %u (CPU %u) came online", c->name,
				  c->apic_ids[i], cpus[i]);
			err = -EBUSY;
			goto unlock;
		}
	}
	for (i = 0; i < c->n_ranges; i++) {
		const struct mint_range *r = &c->ranges[i];

		if (i == 0) {
			err = mint_claim_low(r->start, r->size, n->claim_name, &n->claims[i],
					     &conflict);
		} else {
			conflict = NULL;
			err = mint_claim_reserved(r->start, r->size, n->claim_name,
						  &n->claims[i]);
		}
		if (err) {
			mint_fail(f, "node %s: memory 0x%llx-0x%llx is busy in the host's resource tree%s%s",
				  c->name, r->start, r->start + r->size - 1,
				  conflict ? ": " : " (see /proc/iomem)", conflict ? conflict : "");
			goto unlock;
		}
	}
	for (i = 0; i < c->n_cpus; i++)
		cpumask_set_cpu(cpus[i], &mint_owned_cpus);
	err = 0;
unlock:
	cpus_read_unlock();
	if (err) {
		mint_release_claims(n);
		memset(n, 0, sizeof(*n));
		goto out;
	}

	n->n_cpus = c->n_cpus;
	n->n_ranges = c->n_ranges;
	memcpy(n->apic_ids, c->apic_ids, sizeof(n->apic_ids));
	memcpy(n->cpus, cpus, sizeof(n->cpus));
	n->n_listed = c->n_cpus + c->n_receive;
	memcpy(n->listed, c->apic_ids, c->n_cpus * sizeof(n->listed[0]));
	memcpy(&n->listed[c->n_cpus], c->receive_ids, c->n_receive * sizeof(n->listed[0]));
	memcpy(n->ranges, c->ranges, sizeof(n->ranges));
	n->status_phys = c->status_phys;
	for (i = 0; i < n->n_ranges; i++)
		if (mint_clean_take(n->ranges[i].start, n->ranges[i].size))
			n->clean |= 1u << i;
	n->state = MINT_STATE_OWNED;
	if (!mint.n_nodes++)
		__module_get(THIS_MODULE); /* no unload while anything is owned */
	c->id = id;
	pr_info("mint: node %s (id %u) owns %u core(s), boot APIC ID %u, may receive %u more, %u memory range(s)\n",
		n->name, id, n->n_cpus, n->apic_ids[0], c->n_receive, n->n_ranges);
out:
	return err;
}

/* ---- LOAD, READ ---- */

/* What a failed copy or zeroing says about `err`. */
static const char *mint_copy_error(int err, bool to_node)
{
	if (err == -EINTR)
		return "interrupted by a fatal signal";
	if (err == -EFAULT)
		return to_node ? "cannot read the caller's buffer" : "cannot write the caller's buffer";
	return to_node ? "cannot map the target" : "cannot map the source";
}

int mint_load(struct mint_file *f, struct mint_load *l)
{
	struct mint_node *n = mint_node_get(f, l->id, false);
	int err, r;

	if (IS_ERR(n)) {
		err = PTR_ERR(n);
		goto out;
	}
	if (n->state != MINT_STATE_OWNED) {
		mint_fail(f, "node %s: LOAD only before START", n->name);
		err = -EBUSY;
		goto out;
	}
	if (!mint_range_valid(l->phys, l->size)) {
		mint_fail(f, "node %s: LOAD of 0x%llx bytes at 0x%llx is empty or wraps", n->name,
			  l->size, l->phys);
		err = -EINVAL;
		goto out;
	}
	r = mint_node_range_of(n, l->phys, l->size);
	if (r < 0) {
		mint_fail(f, "node %s: LOAD 0x%llx-0x%llx is not inside one range the node owns",
			  n->name, l->phys, l->phys + l->size - 1);
		err = -EINVAL;
		goto out;
	}
	/* mint.lock is dropped between chunks: busy keeps START and DESTROY off the node. */
	n->busy++;
	if (l->flags & MINT_LOAD_ZERO) {
		err = n->clean & (1u << r) ? 0 : mint_zero_phys(l->phys, l->size);
	} else {
		n->clean &= ~(1u << r);
		err = mint_copy_to_phys(l->phys, u64_to_user_ptr(l->data), l->size);
	}
	n->busy--;
	if (err)
		mint_fail(f, "node %s: LOAD 0x%llx-0x%llx: %s", n->name, l->phys,
			  l->phys + l->size - 1, mint_copy_error(err, true));
out:
	return err;
}

int mint_read(struct mint_file *f, struct mint_load *l)
{
	struct mint_node *n = mint_node_get(f, l->id, false);
	int err;

	if (IS_ERR(n)) {
		err = PTR_ERR(n);
		goto out;
	}
	if (n->state != MINT_STATE_SUSPENDED && n->state != MINT_STATE_STOPPED) {
		mint_fail(f, "node %s: READ only while the node is suspended or stopped", n->name);
		err = -EBUSY;
		goto out;
	}
	if (mint_node_range_of(n, l->phys, l->size) < 0) {
		mint_fail(f, "node %s: READ 0x%llx+0x%llx is not inside one range the node owns",
			  n->name, l->phys, l->size);
		err = -EINVAL;
		goto out;
	}
	n->busy++; /* as in LOAD: nothing resumes or destroys the node meanwhile */
	err = mint_copy_from_phys(u64_to_user_ptr(l->data), l->phys, l->size);
	n->busy--;
	if (err)
		mint_fail(f, "node %s: READ 0x%llx-0x%llx: %s", n->name, l->phys,
			  l->phys + l->size - 1, mint_copy_error(err, false));
out:
	return err;
}

/* ---- legacy state around a boot (cpu.c) ---- */

/*
 * A node is about to boot or resume: keep the legacy state as the host had it (once per
 * batch of nodes coming up at the same time: a second node's START must not sample what the
 * first one wrote), and put it back by the fallback if nothing sees the node come up.
 */
void mint_legacy_pending(struct mint_node *n)
{
	struct mint_slot *slot = container_of(n, struct mint_slot, node);

	if (!mint.legacy_saved) {
		mint_legacy_save(&mint.legacy);
		mint.legacy_saved = true;
	}
	n->legacy_pending = true;
	mod_delayed_work(system_wq, &slot->legacy_work, MINT_LEGACY_FALLBACK);
}

void mint_legacy_restore_node(struct mint_node *n)
{
	unsigned int i;

	if (!n->legacy_pending)
		return;
	n->legacy_pending = false;
	if (mint.legacy_saved)
		mint_legacy_restore(&mint.legacy);
	for (i = 0; i < MINT_MAX_NODES; i++)
		if (mint.slots[i].node.legacy_pending)
			return;
	/* No node is coming up any more: the next START samples the legacy state afresh. */
	mint.legacy_saved = false;
}

static void mint_legacy_fallback(struct work_struct *work)
{
	struct mint_slot *slot = container_of(to_delayed_work(work), struct mint_slot, legacy_work);

	mutex_lock(&mint.lock);
	if (slot->node.state != MINT_STATE_FREE)
		mint_legacy_restore_node(&slot->node);
	mutex_unlock(&mint.lock);
}

/* ---- START ---- */

int mint_start(struct mint_file *f, struct mint_start *s)
{
	struct mint_node *n = mint_node_get(f, s->id, false);
	struct mint_trampoline_entry *e;
	u32 apic_id;
	unsigned int i;
	int err;

	if (IS_ERR(n)) {
		err = PTR_ERR(n);
		goto out;
	}
	if (n->state != MINT_STATE_OWNED) {
		mint_fail(f, "node %s: already started, or being given back (state %u)", n->name,
			  n->state);
		err = -EBUSY;
		goto out;
	}
	if (n->busy) {
		mint_fail(f, "node %s: a LOAD into it is still running", n->name);
		err = -EBUSY;
		goto out;
	}
	if (!mint.tramp_ok) {
		mint_fail(f, "node %s: no trampoline installed", n->name);
		err = -ENXIO;
		goto out;
	}
	if (!mint_range_below(s->boot_params, PAGE_SIZE, MINT_START_LIMIT) ||
	    mint_node_range_of(n, s->boot_params, PAGE_SIZE) < 0) {
		mint_fail(f, "node %s: boot_params 0x%llx-0x%llx must lie below 4 GiB in the node's memory",
			  n->name, s->boot_params, s->boot_params + PAGE_SIZE - 1);
		err = -EINVAL;
		goto out;
	}
	if (s->entry >= MINT_START_LIMIT || mint_node_range_of(n, s->entry, 1) < 0) {
		mint_fail(f, "node %s: entry 0x%llx must lie below 4 GiB in the node's memory",
			  n->name, s->entry);
		err = -EINVAL;
		goto out;
	}
	if (s->flags & ~MINT_ENTRY_LONG_MODE) {
		mint_fail(f, "node %s: START flags 0x%x: only MINT_ENTRY_LONG_MODE (0x%x) is known",
			  n->name, s->flags, MINT_ENTRY_LONG_MODE);
		err = -EINVAL;
		goto out;
	}
	if (s->flags & MINT_ENTRY_LONG_MODE) {
		/* The core runs on these tables before the kernel has its own: the node's memory. */
		if (!PAGE_ALIGNED(s->pml4) || !PAGE_ALIGNED(s->pml5) ||
		    !mint_range_below(s->pml4, PAGE_SIZE, MINT_START_LIMIT) ||
		    !mint_range_below(s->pml5, PAGE_SIZE, MINT_START_LIMIT) ||
		    mint_node_range_of(n, s->pml4, PAGE_SIZE) < 0 ||
		    mint_node_range_of(n, s->pml5, PAGE_SIZE) < 0) {
			mint_fail(f, "node %s: page-table roots 0x%llx and 0x%llx must be page aligned, below 4 GiB, in the node's memory",
				  n->name, s->pml4, s->pml5);
			err = -EINVAL;
			goto out;
		}
	} else if (s->pml4 || s->pml5) {
		mint_fail(f, "node %s: page-table roots given for a 32-bit entry", n->name);
		err = -EINVAL;
		goto out;
	}
	/*
	 * A stale READY from an earlier tenant of the page must not count for this boot. One
	 * page is one chunk: mint.lock stays held.
	 */
	err = mint_zero_phys(n->status_phys, PAGE_SIZE);
	if (err) {
		mint_fail(f, "node %s: cannot map the status page 0x%llx", n->name, n->status_phys);
		goto out;
	}
	/* The cores its module lets its kernel bring up: its own (docs/cores.md). */
	n->releasing = 0;
	err = mint_cores_publish(n);
	if (err) {
		mint_fail(f, "node %s: cannot map its cores page", n->name);
		goto out;
	}

	apic_id = n->apic_ids[0];
	e = mint_table_entry(apic_id);
	/*
	 * The woken core reads the entry without any lock: invalidate it, fill it, and only then
	 * mark it valid, each step ordered before the next and all of it before the INIT below.
	 */
	WRITE_ONCE(e->valid, 0);
	wmb(); /* invalid before the fields change */
	e->flags = s->flags;
	e->boot_params = (u32)s->boot_params;
	e->entry = (u32)s->entry;
	e->status = (u32)n->status_phys;
	e->pml4 = (u32)s->pml4;
	e->pml5 = (u32)s->pml5;
	e->resume = 0;
	wmb(); /* fields before valid */
	WRITE_ONCE(e->valid, MINT_TRAMPOLINE_ENTRY_VALID);
	wmb(); /* valid before the IPIs */

	/* From here the core may be running: the node counts as started whatever happens. */
	n->state = MINT_STATE_STARTED;
	n->woken = true;
	mint_net_node_state(n);
	if (mint_sleep_watch_node(n))
		pr_warn_ratelimited("mint: node %s: cannot map its status page; suspend requests go unseen\n",
				    n->name);
	mint_legacy_pending(n);

	s->tsc_before_init = rdtsc_ordered();
	n->tsc_before_init = s->tsc_before_init;
	err = mint_send_init(apic_id);
	if (!err) {
		usleep_range(10000, 10500);
		for (i = 0; i < 2 && !err; i++) {
			err = mint_send_sipi(apic_id, mint.tramp_phys >> PAGE_SHIFT);
			if (!i)
				udelay(200);
		}
	}
	s->tsc_after_sipi = rdtsc_ordered();
	if (err) {
		mint_fail(f, "node %s: the local APIC did not accept the IPI to APIC ID %u; DESTROY the node",
			  n->name, apic_id);
		goto out;
	}
	pr_info("mint: node %s started on APIC ID %u (%s entry 0x%llx, boot_params 0x%llx)\n",
		n->name, apic_id, (s->flags & MINT_ENTRY_LONG_MODE) ? "64-bit" : "32-bit",
		s->entry, s->boot_params);
out:
	return err;
}

/* ---- STATUS ---- */

int mint_status(struct mint_file *f, struct mint_node_status *s)
{
	struct mint_node *n = mint_node_get(f, s->id, true);
	u32 id = s->id;
	int err;

	if (IS_ERR(n)) {
		err = PTR_ERR(n);
		goto out;
	}
	memset(s, 0, sizeof(*s));
	s->hdr.magic = MINT_ABI_MAGIC;
	s->hdr.revision = MINT_ABI_REVISION;
	s->id = id;
	err = mint_read_phys(n->status_phys, &s->page, sizeof(s->page));
	if (err) {
		mint_fail(f, "node %s: cannot map the status page 0x%llx", n->name, n->status_phys);
		goto out;
	}
	if (n->state == MINT_STATE_STARTED && s->page.magic == MINT_STATUS_MAGIC &&
	    s->page.phase == MINT_PHASE_READY) {
		n->state = MINT_STATE_READY;
		pr_info("mint: node %s reports ready\n", n->name);
		mint_legacy_restore_node(n);
	}
	s->state = n->state;
	memcpy(s->name, n->name, sizeof(s->name));
	s->n_cpus = n->n_cpus;
	s->n_ranges = n->n_ranges;
	memcpy(s->apic_ids, n->apic_ids, sizeof(s->apic_ids));
	memcpy(s->ranges, n->ranges, sizeof(s->ranges));
	s->tsc_before_init = n->tsc_before_init;
	s->tsc_sleep_request = n->tsc_sleep_request;
	s->tsc_suspended = n->tsc_suspended;
	s->tsc_resume_sipi = n->tsc_resume_sipi;
	s->tsc_kernel_back = n->tsc_kernel_back;
	s->suspends = n->suspends;
	s->sleep_type = n->sleep_type;
	s->status_phys = n->status_phys;
out:
	return err;
}

/* ---- DESTROY ---- */

/*
 * A node's memory goes back zeroed, low slice included: whatever node claims it next never sees
 * what this one left (keys, page cache, its kernel), exactly as a hypervisor clears a guest's
 * memory before reusing it. Only words not already zero are written. It also leaves the memory
 * in the state a memory image boot wants (docs/suspend.md): under QEMU TCG, writing memory a
 * node executed code from costs ~15x a plain write, and paying that here, once, rather than at
 * the next boot, is what keeps that boot fast. The cores are parked before this runs, so
 * nothing of the node writes behind it.
 *
 * Ranges already zeroed by an earlier, unfinished DESTROY are skipped. mint.lock is dropped
 * between chunks (the node is busy meanwhile). 0, or the first error: the range it was
 * zeroing stays unmarked, to be zeroed again by the next try.
 */
static int mint_scrub(struct mint_node *n, unsigned int *failed)
{
	unsigned int r;
	int err = 0;

	n->busy++;
	for (r = 0; r < n->n_ranges && !err; r++) {
		if (!n->claims[r] || (n->scrubbed & (1u << r)))
			continue;
		if (mint_fault_inject & MINT_FAULT_SCRUB_MAP)
			err = -ENOMEM; /* test only: as if memremap() had failed */
		else
			err = mint_zero_phys(n->ranges[r].start, n->ranges[r].size);
		if (err)
			*failed = r;
		else
			n->scrubbed |= 1u << r;
	}
	n->busy--;
	return err;
}

/*
 * Gives a node back: parks its cores, zeroes its memory, releases claims and cores. Nothing is
 * handed back that was not zeroed or whose cores may still run: when an INIT is not accepted,
 * the zeroing cannot map the memory, or a fatal signal stops it, the node stays owned in
 * MINT_STATE_DIRTY (shown by mint ps) and the next DESTROY carries on where this one stopped.
 */
int mint_destroy(struct mint_file *f, struct mint_destroy *d)
{
	struct mint_node *n = mint_node_get(f, d->id, false);
	unsigned int i, failed = 0;
	u64 t0 = ktime_get_ns();
	int err;

	if (IS_ERR(n)) {
		err = PTR_ERR(n);
		goto out;
	}
	if (n->busy) {
		mint_fail(f, "node %s: a LOAD, READ or DESTROY of it is still running; try again",
			  n->name);
		err = -EBUSY;
		goto out;
	}
	if (n->woken && !n->parked) {
		/* Parked or not, a woken core gets its INIT: a parked one just stays parked. */
		err = mint_park(n);
		if (err) {
			n->state = MINT_STATE_DIRTY;
			mint_fail(f, "node %s: a core did not accept INIT and may still run; its cores and memory stay owned (DESTROY again)",
				  n->name);
			goto out;
		}
		n->parked = true;
	}
	n->state = MINT_STATE_DIRTY; /* until the last claim goes: refused by every other ioctl */
	mint_net_node_gone(n);
	mint_legacy_restore_node(n);
	cancel_delayed_work(&mint.slots[d->id].legacy_work);
	mint_sleep_unwatch_node(n);

	err = mint_scrub(n, &failed);
	if (err) {
		mint_fail(f, "node %s: zeroing 0x%llx-0x%llx: %s; its memory stays owned (DESTROY again)",
			  n->name, n->ranges[failed].start,
			  n->ranges[failed].start + n->ranges[failed].size - 1,
			  err == -EINTR ? "interrupted by a fatal signal" : "cannot map it");
		goto out;
	}
	for (i = 0; i < n->n_ranges; i++)
		mint_clean_add(n->ranges[i].start, n->ranges[i].size);
	mint_release_claims(n);
	mint_cores_forget(n);
	for (i = 0; i < n->n_cpus; i++)
		cpumask_clear_cpu(n->cpus[i], &mint_owned_cpus);
	pr_info("mint: node %s (id %u) destroyed, its memory zeroed in %llu ms\n", n->name, d->id,
		div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC));
	memset(n, 0, sizeof(*n));
	if (!--mint.n_nodes)
		module_put(THIS_MODULE);
	err = 0;
out:
	return err;
}

/* ---- host suspend and hibernation ---- */

/*
 * The host's suspend or hibernation would take every core through the firmware and reset
 * the ones nodes run on (or leave a suspended node's kernel in memory a hibernation image does
 * not keep). Refuse it while any node has cores that may run or a kernel waiting to resume:
 * the node would die silently. A node only created (OWNED) or stopped and parked is fine.
 */
static int mint_pm_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	char names[128] = "";
	size_t len = 0;
	unsigned int i, count = 0;

	if (action != PM_SUSPEND_PREPARE && action != PM_HIBERNATION_PREPARE &&
	    action != PM_RESTORE_PREPARE)
		return NOTIFY_DONE;
	mutex_lock(&mint.lock);
	for (i = 0; i < MINT_MAX_NODES; i++) {
		const struct mint_node *n = &mint.slots[i].node;
		bool live = n->state == MINT_STATE_STARTED || n->state == MINT_STATE_READY ||
			    n->state == MINT_STATE_SUSPENDED ||
			    (n->state == MINT_STATE_DIRTY && n->woken && !n->parked);

		if (!live)
			continue;
		if (len < sizeof(names))
			len += scnprintf(names + len, sizeof(names) - len, "%s%s",
					 count ? ", " : "", n->name);
		count++;
	}
	mutex_unlock(&mint.lock);
	if (!count)
		return NOTIFY_DONE;
	pr_err_ratelimited("mint: refusing host %s: %u node(s) run on cores it would reset (%s); stop them first (mint stop)\n",
			   action == PM_SUSPEND_PREPARE ? "suspend" : "hibernation", count, names);
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block mint_pm_nb = {
	.notifier_call = mint_pm_notify,
};

int mint_pm_init(void)
{
	return register_pm_notifier(&mint_pm_nb);
}

void mint_pm_exit(void)
{
	unregister_pm_notifier(&mint_pm_nb);
}

/* ---- module life ---- */

void mint_nodes_init(void)
{
	unsigned int i;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		mint.slots[i].id = i;
		INIT_DELAYED_WORK(&mint.slots[i].legacy_work, mint_legacy_fallback);
	}
	mint_find_realmode(&mint.realmode_start, &mint.realmode_end);
	if (mint.realmode_end)
		pr_info("mint: host real-mode code found at 0x%llx-0x%llx; kept out of reach\n",
			mint.realmode_start, mint.realmode_end - 1);
	else
		pr_warn("mint: host real-mode code not found; place the trampoline and low slices clear of it by hand\n");
}

/* Only reached with no nodes (they hold a module reference). */
void mint_nodes_exit(void)
{
	unsigned int i;

	for (i = 0; i < MINT_MAX_NODES; i++)
		cancel_delayed_work_sync(&mint.slots[i].legacy_work);
}
