// SPDX-License-Identifier: GPL-2.0
/*
 * Physical memory: what the host's resource tree says about a range, claiming ranges for
 * nodes, and copying bytes into memory the host does not map.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/realmode.h>
#include <asm/segment.h>

#include "mint_host.h"

struct mint_coverage {
	u64 next; /* first byte not yet covered */
	bool gap;
};

static int mint_cover_one(struct resource *res, void *arg)
{
	struct mint_coverage *c = arg;

	if (res->start > c->next) {
		c->gap = true;
		return 1;
	}
	c->next = max_t(u64, c->next, res->end + 1);
	return 0;
}

/*
 * True when every byte of [start, start + size) lies in iomem resources matching flags and
 * desc. walk_iomem_res_desc() hands out matches clipped to the range, in address order and
 * without overlap (it resumes after each match), so coverage is a moving cursor: any jump
 * past it is a hole.
 */
bool mint_covered(u64 start, u64 size, unsigned long flags, unsigned long desc)
{
	struct mint_coverage c = { .next = start };
	u64 end;

	if (!mint_range_valid(start, size))
		return false;
	end = start + (size - 1);
	walk_iomem_res_desc(desc, flags, start, end, &c, mint_cover_one);
	/* iomem never reaches 2^64 - 1 (it ends at the CPU's physical address width). */
	return !c.gap && c.next > end;
}

/* The last byte of [start, start + size), size > 0, clamped at 2^64 - 1. */
static u64 mint_last(u64 start, u64 size)
{
	return size - 1 > U64_MAX - start ? U64_MAX : start + (size - 1);
}

/* Whether two ranges share a byte; empty ranges share none. Compares last bytes: no wrap. */
bool mint_overlaps(u64 a_start, u64 a_size, u64 b_start, u64 b_size)
{
	if (!a_size || !b_size)
		return false;
	return a_start <= mint_last(b_start, b_size) && b_start <= mint_last(a_start, a_size);
}

/*
 * Below 1 MiB every e820 entry, System RAM included, is a busy resource, so
 * request_mem_region() cannot nest a claim there. insert_resource() can: it puts the claim
 * under the System RAM entry that holds it and fails on a partial overlap with anything.
 * It would also adopt whole resources the claim covers, so a claim that ends up with
 * children, or under anything but a top-level System RAM entry, is taken back out.
 */
int mint_claim_low(u64 start, u64 size, const char *name, struct resource **out,
		   const char **conflict)
{
	struct resource *res;
	int err;

	*conflict = NULL;
	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	res->name = name;
	res->start = start;
	res->end = start + size - 1;
	res->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	res->desc = IORES_DESC_NONE;

	err = insert_resource(&iomem_resource, res);
	if (err) {
		*conflict = "another resource";
		kfree(res);
		return -EBUSY;
	}
	if (res->child) {
		*conflict = res->child->name;
		err = -EBUSY;
	} else if (!res->parent || res->parent->parent != &iomem_resource ||
		   !(res->parent->flags & IORESOURCE_SYSRAM)) {
		*conflict = res->parent ? res->parent->name : "the resource tree";
		err = -EBUSY;
	}
	if (err) {
		remove_resource(res);
		kfree(res);
		return err;
	}
	*out = res;
	return 0;
}

void mint_release_low(struct resource *res)
{
	if (!res)
		return;
	remove_resource(res);
	kfree(res);
}

/* memmap=SIZE$ADDR ranges are plain, non-busy "Reserved" entries: a claim nests inside. */
int mint_claim_reserved(u64 start, u64 size, const char *name, struct resource **out)
{
	*out = request_mem_region(start, size, name);
	return *out ? 0 : -EBUSY;
}

void mint_release_reserved(struct resource *res)
{
	if (res)
		release_mem_region(res->start, resource_size(res));
}

static bool mint_in(u32 v, u64 lo, u64 hi)
{
	return v >= lo && v < hi;
}

/*
 * Does the page at `base` hold the host's real_mode_header? The blob is linked at 0 and
 * relocated to its physical home, so every field is a physical address inside the blob: code
 * entries between text_start and ro_end, data pointers after ro_end, and the far segment of
 * machine_real_restart is the constant __KERNEL32_CS. Chance matches of all of that are
 * negligible; the end signature is checked by the caller as well.
 */
static bool mint_is_realmode_header(const struct real_mode_header *h, u64 base, u64 lim)
{
	if (!PAGE_ALIGNED(h->text_start) || !mint_in(h->text_start, base + 1, lim))
		return false;
	if (!mint_in(h->ro_end, h->text_start + 1, lim + 1))
		return false;
	if (!mint_in(h->trampoline_start, h->text_start, h->ro_end) ||
	    !mint_in(h->machine_real_restart_asm, h->text_start, h->ro_end) ||
	    !mint_in(h->trampoline_header, h->ro_end, lim))
		return false;
#ifdef CONFIG_X86_64
	if (!mint_in(h->trampoline_start64, h->text_start, h->ro_end) ||
	    !mint_in(h->trampoline_pgd, h->ro_end, lim))
		return false;
#endif
#ifdef CONFIG_ACPI_SLEEP
	if (!mint_in(h->wakeup_start, h->text_start, h->ro_end) ||
	    !mint_in(h->wakeup_header, h->ro_end, lim))
		return false;
#endif
#ifdef CONFIG_X86_64
	return h->machine_real_restart_seg == __KERNEL32_CS;
#else
	return true; /* a 32-bit header has no far segment to check */
#endif
}

#define MINT_REALMODE_MAX 0x10000u      /* the 6.1 blob is ~6 pages; allow 64 KiB */
#define MINT_REALMODE_SIGNATURE 0x65a22c82u /* REALMODE_END_SIGNATURE, arch/x86/realmode/rm */

/*
 * The host kernel puts its real-mode blob (AP startup, reboot, ACPI wakeup) somewhere in low
 * RAM, recording where only in the unexported real_mode_header pointer; nothing in iomem shows
 * it, since 6.1 reserves the whole first MiB in memblock instead. So look for it: scan every
 * System RAM page below 1 MiB for a header whose fields are consistent, then for the blob's
 * end signature. This is best effort; when nothing is found, [0, 0) is returned and the
 * caller says so in the log.
 */
void mint_find_realmode(u64 *start, u64 *end)
{
	u64 base, lim, off;

	*start = 0;
	*end = 0;
	for (base = PAGE_SIZE; base < MINT_LOW_LIMIT; base += PAGE_SIZE) {
		const struct real_mode_header *h;
		const u32 *words;
		bool ok;

		if (!mint_covered(base, PAGE_SIZE, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE))
			continue;
		lim = min_t(u64, base + MINT_REALMODE_MAX, MINT_LOW_LIMIT);
		while (lim > base + PAGE_SIZE &&
		       !mint_covered(base, lim - base, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE))
			lim -= PAGE_SIZE;

		h = memremap(base, lim - base, MEMREMAP_WB);
		if (!h)
			continue;
		ok = mint_is_realmode_header(h, base, lim);
		if (ok) {
			words = (const u32 *)h;
			ok = false;
			for (off = PAGE_ALIGN(h->ro_end) - base; off + 4 <= lim - base; off += 4) {
				if (words[off / 4] == MINT_REALMODE_SIGNATURE) {
					*start = base;
					*end = base + PAGE_ALIGN(off + 4);
					ok = true;
					break;
				}
			}
		}
		memunmap((void *)h);
		if (ok)
			return;
	}
}

/* Memory nodes own is not in the host's direct map (memmap=$): map it a piece at a time. */
#define MINT_COPY_CHUNK (2ull << 20)

/*
 * Between two chunks of a long copy or zeroing (LOAD, READ, DESTROY's scrub: up to gigabytes,
 * ~0.1 s a GiB on hardware, seconds under TCG): stop for a fatal signal, and let everyone
 * else have mint.lock and the CPU for a moment, so STATUS, other nodes' ioctls and the sleep
 * watcher (sleep.c) wait at most one chunk, not the whole operation. Callers hold mint.lock
 * and a busy count on their node (mint_node.busy), which keeps the node from being started,
 * resumed or destroyed while the lock is dropped. -EINTR when a fatal signal is pending.
 */
int mint_chunk_break(void)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	mutex_unlock(&mint.lock);
	if (mint_fault_inject & MINT_FAULT_SLOW)
		schedule_timeout_killable(msecs_to_jiffies(10)); /* test only */
	cond_resched();
	mutex_lock(&mint.lock);
	return fatal_signal_pending(current) ? -EINTR : 0;
}

/*
 * The bulk work on node memory is word loops, straight between the caller's buffer and the
 * node (no bounce buffer), and only words that differ are written:
 *
 * - copy_{from,to}_user() and memset() use REP MOVSB/STOSB on CPUs with ERMS, which QEMU TCG
 *   runs one byte per iteration (~200 ms for 64 MiB); the kernel's memcmp() goes byte by byte.
 * - A node restarted from the same images, or resumed from an image of itself, finds most of
 *   its memory as it was: those words are only read. On hardware the compare costs about what
 *   it saves; under TCG a write to a page some node executed code from goes through QEMU's
 *   slow path (~50 ns a word instead of ~3) until its translations are gone.
 *
 * unsafe_{get,put}_user() inside one user_access_begin() per piece: a fault in the caller's
 * buffer ends the copy with -EFAULT, as copy_from_user() would. No calls inside the region.
 */
static int mint_update_from_user(u64 *dst, const u64 __user *src, size_t words)
{
	size_t i;
	u64 v;

	if (!user_access_begin(src, words * 8))
		return -EFAULT;
	for (i = 0; i < words; i++) {
		unsafe_get_user(v, &src[i], fault);
		if (READ_ONCE(dst[i]) != v)
			WRITE_ONCE(dst[i], v);
	}
	user_access_end();
	return 0;
fault:
	user_access_end();
	return -EFAULT;
}

static int mint_copy_words_to_user(u64 __user *dst, const u64 *src, size_t words)
{
	size_t i;

	if (!user_access_begin(dst, words * 8))
		return -EFAULT;
	for (i = 0; i < words; i++)
		unsafe_put_user(READ_ONCE(src[i]), &dst[i], fault);
	user_access_end();
	return 0;
fault:
	user_access_end();
	return -EFAULT;
}

/* WRITE_ONCE: otherwise the compiler turns the loop back into a memset() call. */
static void mint_zero_words(u64 *dst, size_t words)
{
	size_t i;

	for (i = 0; i < words; i++)
		if (READ_ONCE(dst[i]))
			WRITE_ONCE(dst[i], 0);
}

/*
 * One piece of node memory at a time, mapped: `fn` gets the mapping, the offset from the start
 * of the whole range, and the length. The bytes past the last whole word (a kernel image's
 * size need not be a multiple of 8) are the piece function's. Between pieces mint.lock is
 * dropped (mint_chunk_break): a caller working on more than one piece holds its node busy.
 */
typedef int (*mint_piece_fn)(u8 *node, u64 done, u64 len, void *arg);

static int mint_for_each_piece(u64 phys, u64 size, mint_piece_fn fn, void *arg)
{
	u64 done = 0;
	int err = 0;

	while (done < size && !err) {
		u64 at = phys + done;
		u64 n = min_t(u64, size - done, MINT_COPY_CHUNK - (at & (MINT_COPY_CHUNK - 1)));
		u8 *node = memremap(at, n, MEMREMAP_WB);

		if (!node)
			return -ENOMEM;
		err = fn(node, done, n, arg);
		memunmap(node);
		done += n;
		if (!err && done < size)
			err = mint_chunk_break();
	}
	return err;
}

static int mint_piece_from_user(u8 *node, u64 done, u64 len, void *arg)
{
	const u8 __user *src = (const u8 __force __user *)arg + done;
	size_t words = len / 8, i;
	int err = mint_update_from_user((u64 *)node, (const u64 __user *)src, words);
	u8 tail[8];

	if (err || len == words * 8)
		return err;
	if (copy_from_user(tail, src + words * 8, len - words * 8))
		return -EFAULT;
	for (i = words * 8; i < len; i++)
		node[i] = tail[i - words * 8];
	return 0;
}

static int mint_piece_to_user(u8 *node, u64 done, u64 len, void *arg)
{
	u8 __user *dst = (u8 __force __user *)arg + done;
	size_t words = len / 8;

	if (mint_copy_words_to_user((u64 __user *)dst, (const u64 *)node, words))
		return -EFAULT;
	if (len > words * 8 && copy_to_user(dst + words * 8, node + words * 8, len - words * 8))
		return -EFAULT;
	return 0;
}

static int mint_piece_zero(u8 *node, u64 done, u64 len, void *arg)
{
	size_t words = len / 8, i;

	mint_zero_words((u64 *)node, words);
	for (i = words * 8; i < len; i++)
		node[i] = 0;
	return 0;
}

int mint_copy_to_phys(u64 phys, const void __user *src, u64 size)
{
	return mint_for_each_piece(phys, size, mint_piece_from_user, (void __force *)src);
}

int mint_copy_from_phys(void __user *dst, u64 phys, u64 size)
{
	return mint_for_each_piece(phys, size, mint_piece_to_user, (void __force *)dst);
}

int mint_zero_phys(u64 phys, u64 size)
{
	return mint_for_each_piece(phys, size, mint_piece_zero, NULL);
}

int mint_read_phys(u64 phys, void *dst, size_t size)
{
	void *src = memremap(phys, size, MEMREMAP_WB);

	if (!src)
		return -ENOMEM;
	memcpy(dst, src, size);
	memunmap(src);
	return 0;
}
