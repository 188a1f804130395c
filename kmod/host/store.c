// SPDX-License-Identifier: GPL-2.0
/*
 * The resident image store's memory (docs/store.md): the module claims the plan's store range
 * and lets user space map it through /dev/mint. What lives inside (index, images) is user
 * space's business; the module only makes sure the range is memory the host set aside and no
 * node owns, and keeps it claimed so no node can be given it.
 *
 * Locking: store_lock guards the claim. MINT_IOC_STORE runs under mint.lock and then takes
 * store_lock; mmap runs under the caller's mmap_lock and takes store_lock only, never
 * mint.lock (the ioctl path can fault under mint.lock, which takes mmap_lock).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/security.h>

#include "compat.h"
#include "mint_host.h"

static DEFINE_MUTEX(store_lock);
static struct resource *store_claim; /* "mint store" in /proc/iomem, or NULL */
static u64 store_start, store_size;

static const struct mint_node *mint_store_node_overlap(u64 start, u64 size)
{
	unsigned int i, r;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		const struct mint_node *n = &mint.slots[i].node;

		if (n->state == MINT_STATE_FREE)
			continue;
		for (r = 0; r < n->n_ranges; r++)
			if (mint_overlaps(start, size, n->ranges[r].start, n->ranges[r].size))
				return n;
	}
	return NULL;
}

/* Called under mint.lock. */
int mint_store(struct mint_file *f, struct mint_store *s)
{
	const struct mint_node *owner;
	u64 last = s->start + s->size - 1; /* for messages; only used once the range is valid */
	int err = 0;

	mutex_lock(&store_lock);
	if (!s->start && !s->size) {
		if (!store_claim) {
			mint_fail(f, "no store is claimed; claim the plan's [host] store first");
			err = -ENOENT;
			goto out;
		}
		s->start = store_start;
		s->size = store_size;
		goto out;
	}
	if (!mint_range_valid(s->start, s->size) || !PAGE_ALIGNED(s->start) ||
	    !PAGE_ALIGNED(s->size)) {
		mint_fail(f, "store 0x%llx size 0x%llx: must be non-empty and page aligned",
			  s->start, s->size);
		err = -EINVAL;
		goto out;
	}
	if (store_claim) {
		if (s->start == store_start && s->size == store_size)
			goto out;
		mint_fail(f, "store 0x%llx-0x%llx: the store is already 0x%llx-0x%llx (unload the module to move it)",
			  s->start, last, store_start, store_start + store_size - 1);
		err = -EBUSY;
		goto out;
	}
	if (region_intersects(s->start, s->size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT) {
		mint_fail(f, "store 0x%llx-0x%llx overlaps System RAM", s->start, last);
		err = -EINVAL;
		goto out;
	}
	if (!mint_covered(s->start, s->size, IORESOURCE_MEM, IORES_DESC_RESERVED)) {
		mint_fail(f, "store 0x%llx-0x%llx is not inside ranges the host reserved (memmap=SIZE$ADDR)",
			  s->start, last);
		err = -EINVAL;
		goto out;
	}
	owner = mint_store_node_overlap(s->start, s->size);
	if (owner) {
		mint_fail(f, "store 0x%llx-0x%llx overlaps node %s's memory", s->start, last,
			  owner->name);
		err = -EBUSY;
		goto out;
	}
	err = mint_claim_reserved(s->start, s->size, "mint store", &store_claim);
	if (err) {
		mint_fail(f, "store 0x%llx-0x%llx: something else holds part of it in /proc/iomem",
			  s->start, last);
		store_claim = NULL;
		goto out;
	}
	store_start = s->start;
	store_size = s->size;
	pr_info("mint: store 0x%llx-0x%llx claimed (%llu MiB)\n", s->start, last, s->size >> 20);
out:
	mutex_unlock(&store_lock);
	return err;
}

/* mmap of /dev/mint: offset 0 is the store's first byte. */
int mint_store_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT; /* mmap's offset is an off_t: no wrap */
	int err;

	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	err = security_locked_down(LOCKDOWN_KEXEC); /* as every ioctl (main.c) */
	if (err)
		return err;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL; /* a private copy would not be the store */
	mutex_lock(&store_lock);
	if (!store_claim) {
		err = -ENXIO;
		goto out;
	}
	if (off >= store_size || len > store_size - off) {
		err = -EINVAL;
		goto out;
	}
	mint_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	err = remap_pfn_range(vma, vma->vm_start, (store_start + off) >> PAGE_SHIFT, len,
			      vma->vm_page_prot);
out:
	mutex_unlock(&store_lock);
	return err;
}

void mint_store_exit(void)
{
	mutex_lock(&store_lock);
	mint_release_reserved(store_claim);
	store_claim = NULL;
	mutex_unlock(&store_lock);
}
