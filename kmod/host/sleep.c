// SPDX-License-Identifier: GPL-2.0
/*
 * Suspend to RAM, with the host in the firmware's place (docs/suspend.md).
 *
 * A node's FADT points its ACPI sleep control register at a byte of its status page
 * (MINT_STATUS_SLEEP_CONTROL). A work item polls that byte, every jiffy while any node runs.
 * When the node asks for S3 or S5, the module waits MINT_SLEEP_GRACE_MS (the node's core is
 * then spinning in ACPICA's wait for WAK_STS, which touches no memory and holds no lock), then
 * parks every core of the node with INIT. S3 keeps the node's memory and ownership
 * (MINT_STATE_SUSPENDED); S5 is a power-off, contained like any other (MINT_STATE_STOPPED).
 *
 * MINT_IOC_RESUME finds the kernel's real-mode wakeup code in the node's low slice (the
 * wakeup header's signature, then the real-mode header that points at it), marks the boot
 * core's trampoline entry MINT_ENTRY_RESUME with a far pointer to it, and sends one SIPI
 * pair: the parked core is waiting for exactly that. Its kernel restores itself, brings its
 * other cores back with its own INIT/SIPI, and writes S0 (0x20): the module stamps that as
 * "kernel back".
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/workqueue.h>
#include <asm/msr.h>

#include "mint_host.h"

/* Long enough for the node's core to leave the write and settle in ACPICA's polling loop. */
#define MINT_SLEEP_GRACE_MS 20

/* arch/x86/kernel/acpi/realmode/wakeup.h (Linux 6.1): struct wakeup_header ends with these. */
#define MINT_WAKEUP_SIGNATURE 0x51ee1111u
#define MINT_WAKEUP_REAL_MAGIC 0x12345678u
#define MINT_WAKEUP_SIGNATURE_OFFSET 56 /* offsetof(struct wakeup_header, signature) */

static void mint_sleep_poll(struct work_struct *work);
static DECLARE_DELAYED_WORK(mint_sleep_work, mint_sleep_poll);

/*
 * INIT to every core of the node, and its trampoline entry invalidated. -EIO when a core's
 * local APIC did not accept its INIT: that core may still run (DESTROY then keeps the node).
 */
int mint_park(struct mint_node *n)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n->n_cpus; i++) {
		if (mint_send_init(n->apic_ids[i])) {
			pr_warn_ratelimited("mint: node %s: INIT to APIC ID %u was not accepted\n",
					    n->name, n->apic_ids[i]);
			err = -EIO;
		}
	}
	if (mint.tramp_ok)
		WRITE_ONCE(mint_table_entry(n->apic_ids[0])->valid, 0);
	return err;
}

static void mint_sleep_check(struct mint_node *n)
{
	u8 v = READ_ONCE(*n->sleep_byte);
	u32 type = MINT_SLEEP_TYPE(v);

	if (!(v & MINT_SLEEP_ENABLE))
		return;
	if (type == 0) {
		/* S0: the kernel is back from a resume. */
		n->tsc_kernel_back = rdtsc_ordered();
		WRITE_ONCE(*n->sleep_byte, 0);
		return;
	}
	if (type != MINT_SLEEP_S3 && type != MINT_SLEEP_S5)
		return; /* nothing else is in the node's DSDT */
	if (!n->sleep_seen) {
		n->sleep_seen = jiffies ? jiffies : 1;
		n->sleep_type = type;
		n->tsc_sleep_request = rdtsc_ordered();
		return;
	}
	if (time_before(jiffies, n->sleep_seen + msecs_to_jiffies(MINT_SLEEP_GRACE_MS)))
		return;
	mint_park(n);
	n->sleep_seen = 0;
	WRITE_ONCE(*n->sleep_byte, 0);
	if (type == MINT_SLEEP_S3) {
		n->state = MINT_STATE_SUSPENDED;
		n->tsc_suspended = rdtsc_ordered();
		n->suspends++;
		pr_info("mint: node %s suspended to RAM (ACPI S3); its cores are parked\n", n->name);
	} else {
		n->state = MINT_STATE_STOPPED;
		pr_info("mint: node %s powered off (ACPI S5); its cores are parked\n", n->name);
	}
	mint_net_node_state(n);
}

static void mint_sleep_poll(struct work_struct *work)
{
	bool any = false;
	unsigned int i;

	mutex_lock(&mint.lock);
	for (i = 0; i < MINT_MAX_NODES; i++) {
		struct mint_node *n = &mint.slots[i].node;

		if (!n->sleep_byte)
			continue;
		if (n->state == MINT_STATE_STARTED || n->state == MINT_STATE_READY) {
			mint_sleep_check(n);
			any = true;
		}
	}
	mutex_unlock(&mint.lock);
	if (any)
		schedule_delayed_work(&mint_sleep_work, 1);
}

/* Called with mint.lock held when a node starts (or resumes). */
int mint_sleep_watch_node(struct mint_node *n)
{
	if (!n->sleep_byte) {
		void *page = memremap(n->status_phys, PAGE_SIZE, MEMREMAP_WB);

		if (!page)
			return -ENOMEM;
		n->sleep_byte = (u8 *)page + MINT_STATUS_SLEEP_CONTROL;
		WRITE_ONCE(*n->sleep_byte, 0);
	}
	n->sleep_seen = 0;
	schedule_delayed_work(&mint_sleep_work, 1);
	return 0;
}

/* Called with mint.lock held when a node is destroyed. */
void mint_sleep_unwatch_node(struct mint_node *n)
{
	if (n->sleep_byte)
		memunmap(n->sleep_byte - MINT_STATUS_SLEEP_CONTROL);
	n->sleep_byte = NULL;
}

/* The kernel's wakeup_start, found in the node's memory below 1 MiB; 0 if not there. */
static u32 mint_find_wakeup(struct mint_node *n)
{
	const struct mint_range *low = NULL;
	u32 wakeup = 0;
	u64 off, page;
	u32 *p;
	unsigned int i, k;

	for (i = 0; i < n->n_ranges; i++)
		if (mint_range_below(n->ranges[i].start, n->ranges[i].size, MINT_LOW_LIMIT))
			low = &n->ranges[i];
	if (!low)
		return 0;
	p = memremap(low->start, low->size, MEMREMAP_WB);
	if (!p)
		return 0;
	for (off = 4; off + 4 <= low->size && !wakeup; off += 4) {
		u64 header = low->start + off - MINT_WAKEUP_SIGNATURE_OFFSET;

		if (p[off / 4] != MINT_WAKEUP_SIGNATURE || p[off / 4 - 1] != MINT_WAKEUP_REAL_MAGIC ||
		    off < MINT_WAKEUP_SIGNATURE_OFFSET)
			continue;
		/*
		 * The real-mode header starts the kernel's page-aligned real-mode blob, and its
		 * wakeup_start field comes right before its wakeup_header field. Which u32 that is
		 * depends on the kernel's configuration, so look for the header's address.
		 */
		for (page = 0; page < low->size && !wakeup; page += PAGE_SIZE) {
			for (k = 1; k < 12 && page + 4 * k + 4 <= low->size; k++) {
				u32 start = p[page / 4 + k - 1];

				if (p[page / 4 + k] == header && start >= low->start &&
				    start < low->start + low->size) {
					wakeup = start;
					break;
				}
			}
		}
	}
	memunmap(p);
	return wakeup;
}

int mint_resume(struct mint_file *f, struct mint_resume *r)
{
	struct mint_node *n = mint_node_get(f, r->id, false);
	struct mint_trampoline_entry *e;
	u32 apic_id, wakeup;
	bool image;
	int err;

	if (IS_ERR(n))
		return PTR_ERR(n);
	if (n->state != MINT_STATE_SUSPENDED && n->state != MINT_STATE_OWNED) {
		mint_fail(f, "node %s: not suspended", n->name);
		return -EINVAL;
	}
	if (n->busy) {
		mint_fail(f, "node %s: a LOAD or READ of it is still running", n->name);
		return -EBUSY;
	}
	image = n->state == MINT_STATE_OWNED;
	if (!mint.tramp_ok) {
		mint_fail(f, "node %s: no trampoline installed", n->name);
		return -ENXIO;
	}
	wakeup = mint_find_wakeup(n);
	if (!wakeup) {
		mint_fail(f, "node %s: no kernel wakeup code (signature 0x%x) in its memory below 1 MiB",
			  n->name, MINT_WAKEUP_SIGNATURE);
		return -ENOENT;
	}
	apic_id = n->apic_ids[0];
	e = mint_table_entry(apic_id);
	WRITE_ONCE(e->valid, 0);
	wmb(); /* invalid before the fields change */
	e->flags = MINT_ENTRY_RESUME;
	e->boot_params = 0;
	e->entry = wakeup;
	e->status = (u32)n->status_phys;
	e->pml4 = 0;
	e->pml5 = 0;
	e->resume = (wakeup >> 4) << 16 | (wakeup & 0xf);
	wmb(); /* fields before valid */
	WRITE_ONCE(e->valid, MINT_TRAMPOLINE_ENTRY_VALID);
	wmb(); /* valid before the IPIs */

	err = mint_sleep_watch_node(n);
	if (err) {
		mint_fail(f, "node %s: cannot map the status page 0x%llx", n->name, n->status_phys);
		return err;
	}
	/*
	 * Its kernel brings back the cores it had online: only those it holds now may come (an
	 * image's cores page is the image's, not this host's).
	 */
	err = mint_cores_publish(n);
	if (err) {
		mint_fail(f, "node %s: cannot map its cores page", n->name);
		return err;
	}
	n->state = MINT_STATE_READY;
	n->woken = true;
	mint_net_node_state(n);
	/* Its kernel starts its secondary cores again: the legacy state needs the same care. */
	mint_legacy_pending(n);
	n->tsc_kernel_back = 0;
	r->tsc_sipi = rdtsc_ordered();
	n->tsc_resume_sipi = r->tsc_sipi;
	/*
	 * A suspended node's core has waited for a SIPI since INIT parked it: no INIT, no 10 ms
	 * wait. A node restored from an image gets the INIT first, as a boot does.
	 */
	err = 0;
	if (image) {
		n->tsc_before_init = r->tsc_sipi;
		err = mint_send_init(apic_id);
		if (!err)
			usleep_range(10000, 10500);
	}
	if (!err)
		err = mint_send_sipi(apic_id, mint.tramp_phys >> PAGE_SHIFT);
	if (!err) {
		udelay(200);
		err = mint_send_sipi(apic_id, mint.tramp_phys >> PAGE_SHIFT);
	}
	if (err) {
		mint_fail(f, "node %s: the local APIC did not accept the SIPI to APIC ID %u",
			  n->name, apic_id);
		return err;
	}
	r->wakeup = wakeup;
	pr_info("mint: node %s resuming on APIC ID %u (wakeup code at 0x%x%s)\n", n->name, apic_id,
		wakeup, image ? ", memory from an image" : "");
	return 0;
}

void mint_sleep_exit(void)
{
	cancel_delayed_work_sync(&mint_sleep_work);
}
