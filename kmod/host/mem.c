// SPDX-License-Identifier: GPL-2.0
/*
 * Physical memory: what the host's resource tree says about a range, claiming ranges for
 * nodes, and copying bytes into memory the host does not map.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
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
	u64 end = start + size - 1;

	if (!size || end < start)
		return false;
	walk_iomem_res_desc(desc, flags, start, end, &c, mint_cover_one);
	return !c.gap && c.next > end;
}

bool mint_overlaps(u64 a_start, u64 a_size, u64 b_start, u64 b_size)
{
	return a_start < b_start + b_size && b_start < a_start + a_size;
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
	    !mint_in(h->trampoline_start64, h->text_start, h->ro_end) ||
	    !mint_in(h->machine_real_restart_asm, h->text_start, h->ro_end))
		return false;
	if (!mint_in(h->trampoline_header, h->ro_end, lim) ||
	    !mint_in(h->trampoline_pgd, h->ro_end, lim))
		return false;
#ifdef CONFIG_ACPI_SLEEP
	if (!mint_in(h->wakeup_start, h->text_start, h->ro_end) ||
	    !mint_in(h->wakeup_header, h->ro_end, lim))
		return false;
#endif
	return h->machine_real_restart_seg == __KERNEL32_CS;
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
 * Bytes already equal are only read, not written (through a bounce buffer): a node restarted
 * from the same images, or resumed from an image of itself, finds most of its memory as it
 * was. On hardware the compare costs about what it saves; under QEMU TCG a write to memory a
 * previous node executed is slow (its translated code is dropped), ~1.6 s for a kernel.
 */
#define MINT_BOUNCE_SIZE (64u << 10)

/*
 * Word loops for the bulk work on node memory. The kernel's memcmp() goes byte by byte, and its
 * memset()/memcpy() use REP STOSB/MOVSB on CPUs with ERMS, which QEMU TCG runs one byte per
 * iteration. Any length works; the bytes past the last whole word go one at a time.
 */
static void mint_zero_words(u8 *dst, size_t len)
{
	u64 *d = (u64 *)dst;
	size_t i, words = len / 8;

	/* WRITE_ONCE: otherwise the compiler turns the loop back into a memset() call. */
	for (i = 0; i < words; i++)
		WRITE_ONCE(d[i], 0);
	for (i = words * 8; i < len; i++)
		dst[i] = 0;
}

static void mint_copy_words(u8 *dst, const u8 *src, size_t len)
{
	u64 *d = (u64 *)dst;
	const u64 *s = (const u64 *)src;
	size_t i, words = len / 8;

	for (i = 0; i < words; i++)
		WRITE_ONCE(d[i], s[i]);
	for (i = words * 8; i < len; i++)
		dst[i] = src[i];
}

static bool mint_same(const u8 *a, const u8 *b, size_t len)
{
	const u64 *x = (const u64 *)a, *y = (const u64 *)b;
	size_t i, words = len / 8;
	u64 diff = 0;

	for (i = 0; i < words; i++) {
		diff |= x[i] ^ y[i];
		if ((i & 63) == 63 && diff)
			return false;
	}
	for (i = words * 8; i < len; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

int mint_copy_to_phys(u64 phys, const void __user *src, u64 size)
{
	u8 *bounce = kmalloc(MINT_BOUNCE_SIZE, GFP_KERNEL);
	int err = 0;

	if (!bounce)
		return -ENOMEM;
	while (size && !err) {
		u64 n = min_t(u64, size, MINT_COPY_CHUNK - (phys & (MINT_COPY_CHUNK - 1)));
		u8 *dst = memremap(phys, n, MEMREMAP_WB);
		u64 off;

		if (!dst) {
			err = -ENOMEM;
			break;
		}
		for (off = 0; off < n && !err; off += MINT_BOUNCE_SIZE) {
			size_t len = min_t(u64, MINT_BOUNCE_SIZE, n - off);

			size_t page, part;

			if (copy_from_user(bounce, src + off, len)) {
				err = -EFAULT;
				break;
			}
			for (page = 0; page < len; page += part) {
				part = min_t(size_t, PAGE_SIZE, len - page);
				if (!mint_same(dst + off + page, bounce + page, part))
					mint_copy_words(dst + off + page, bounce + page, part);
			}
		}
		memunmap(dst);
		phys += n;
		src += n;
		size -= n;
		cond_resched();
	}
	kfree(bounce);
	return err;
}

int mint_copy_from_phys(void __user *dst, u64 phys, u64 size)
{
	while (size) {
		u64 n = min_t(u64, size, MINT_COPY_CHUNK - (phys & (MINT_COPY_CHUNK - 1)));
		void *src = memremap(phys, n, MEMREMAP_WB);
		unsigned long left;

		if (!src)
			return -ENOMEM;
		left = copy_to_user(dst, src, n);
		memunmap(src);
		if (left)
			return -EFAULT;
		phys += n;
		dst += n;
		size -= n;
		cond_resched();
	}
	return 0;
}

/*
 * Pages already zero are only read, not written: on hardware that costs the same, and under
 * QEMU TCG a write to memory a previous node executed is slow (translated code is dropped).
 */
int mint_zero_phys(u64 phys, u64 size)
{
	while (size) {
		u64 n = min_t(u64, size, MINT_COPY_CHUNK - (phys & (MINT_COPY_CHUNK - 1)));
		u8 *dst = memremap(phys, n, MEMREMAP_WB);
		u64 off;

		if (!dst)
			return -ENOMEM;
		for (off = 0; off < n; off += PAGE_SIZE) {
			size_t len = min_t(u64, PAGE_SIZE, n - off);

			if (memchr_inv(dst + off, 0, len))
				mint_zero_words(dst + off, len);
		}
		memunmap(dst);
		phys += n;
		size -= n;
		cond_resched();
	}
	return 0;
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
