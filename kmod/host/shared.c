// SPDX-License-Identifier: GPL-2.0
/*
 * MINT_IOC_SHARED: the host's window on a node's shared sections (docs/shared-memory.md).
 * Reads cover Mint's area of the node, writes only the sections the host owns there (host
 * page, console input ring); nothing outside the node's own area is ever reachable, and a
 * node that is gone (DESTROY), or being given back (MINT_STATE_DIRTY), has no area any more.
 */
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mint_host.h"

int mint_shared_io(struct mint_file *f, struct mint_shared_io *io)
{
	struct mint_node *n;
	u64 lo, hi, phys;
	void *buf = NULL, *virt;
	unsigned int r;
	int err;

	if (io->id >= MINT_MAX_NODES || mint.slots[io->id].node.state == MINT_STATE_FREE) {
		mint_fail(f, "shared area of node id %u: no such node", io->id);
		err = -ENOENT;
		goto out;
	}
	n = &mint.slots[io->id].node;
	if (n->state == MINT_STATE_DIRTY) {
		/* DESTROY zeroes the area; a write now would hand back memory it did not zero. */
		mint_fail(f, "node %s: being given back (DESTROY did not finish)", n->name);
		err = -EBUSY;
		goto out;
	}
	lo = io->write ? MINT_SHARED_HOST_PAGE : 0;
	hi = io->write ? MINT_SHARED_CONSOLE_IN + MINT_CONSOLE_IN_SIZE : MINT_SHARED_END;
	if (io->write > 1 || !io->size || io->size > MINT_SHARED_IO_MAX || io->offset < lo ||
	    io->offset > hi || io->size > hi - io->offset) {
		mint_fail(f, "node %s: shared %s of 0x%llx bytes at offset 0x%llx: allowed are 1..0x%x bytes inside 0x%llx-0x%llx",
			  n->name, io->write ? "write" : "read", io->size, io->offset,
			  MINT_SHARED_IO_MAX, lo, hi - 1);
		err = -EINVAL;
		goto out;
	}
	/*
	 * The area starts at the status page and lies in one range the node owns (CREATE
	 * checked it; checked again here without adding, so no address can wrap past 2^64).
	 */
	for (r = 1; r < n->n_ranges; r++) {
		const struct mint_range *m = &n->ranges[r];

		if (mint_range_within(n->status_phys, MINT_SHARED_END, m->start, m->size))
			break;
	}
	if (r >= n->n_ranges) {
		mint_fail(f, "node %s: its shared area 0x%llx-0x%llx is not inside one of its ranges",
			  n->name, n->status_phys, n->status_phys + MINT_SHARED_END - 1);
		err = -EINVAL;
		goto out;
	}
	phys = n->status_phys + io->offset; /* inside the area, checked above */
	buf = kvmalloc(io->size, GFP_KERNEL);
	if (!buf) {
		err = -ENOMEM;
		mint_fail(f, "node %s: no memory for a 0x%llx-byte shared transfer", n->name,
			  io->size);
		goto out;
	}
	if (io->write && copy_from_user(buf, u64_to_user_ptr(io->data), io->size)) {
		mint_fail(f, "node %s: cannot read 0x%llx bytes at user 0x%llx", n->name, io->size,
			  io->data);
		err = -EFAULT;
		goto out;
	}
	virt = memremap(phys, io->size, MEMREMAP_WB);
	if (!virt) {
		mint_fail(f, "node %s: cannot map 0x%llx-0x%llx", n->name, phys,
			  phys + io->size - 1);
		err = -ENOMEM;
		goto out;
	}
	if (io->write) {
		n->clean = 0; /* node.c: a zero pass must not skip these bytes */
		memcpy(virt, buf, io->size);
		wmb(); /* the node reads these bytes from another core */
	} else {
		memcpy(buf, virt, io->size);
	}
	memunmap(virt);
	if (!io->write && copy_to_user(u64_to_user_ptr(io->data), buf, io->size)) {
		mint_fail(f, "node %s: cannot write 0x%llx bytes to user 0x%llx", n->name,
			  io->size, io->data);
		err = -EFAULT;
		goto out;
	}
	err = 0;
out:
	kvfree(buf);
	return err;
}
