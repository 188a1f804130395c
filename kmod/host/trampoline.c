// SPDX-License-Identifier: GPL-2.0
/*
 * MINT_IOC_TRAMPOLINE: the one trampoline every node's boot core enters (boot/trampoline.S,
 * docs/trampoline.md). 4 KiB of code and the 8 KiB table of entries indexed by xAPIC ID, in
 * low RAM the module claims as "mint trampoline" and keeps mapped until it is unloaded.
 * Runs under mint.lock like every ioctl.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mint_host.h"

/* Unmaps and gives back the installed trampoline. */
static void mint_trampoline_drop(void)
{
	memunmap(mint.tramp_virt);
	mint_release_low(mint.tramp_claim);
	mint.tramp_claim = NULL;
	mint.tramp_virt = NULL;
	mint.tramp_phys = 0;
	mint.tramp_ok = false;
}

struct mint_trampoline_entry *mint_table_entry(u32 apic_id)
{
	struct mint_trampoline_entry *table = mint.tramp_virt + MINT_TRAMPOLINE_CODE_SIZE;

	return &table[apic_id];
}

int mint_trampoline(struct mint_file *f, struct mint_trampoline *t)
{
	u64 phys = t->phys;
	struct resource *claim = NULL;
	const char *conflict;
	void *code = NULL, *virt;
	int range, err;

	if (!PAGE_ALIGNED(phys) || !mint_range_below(phys, MINT_TRAMPOLINE_SIZE, MINT_LOW_LIMIT)) {
		mint_fail(f, "trampoline at 0x%llx: must be page aligned and end below 1 MiB", phys);
		err = -EINVAL;
		goto out;
	}
	if (!t->code_size || t->code_size > MINT_TRAMPOLINE_CODE_SIZE) {
		mint_fail(f, "trampoline code is %u bytes; it must be 1..%u", t->code_size,
			  MINT_TRAMPOLINE_CODE_SIZE);
		err = -EINVAL;
		goto out;
	}
	code = memdup_user(u64_to_user_ptr(t->code), t->code_size);
	if (IS_ERR(code)) {
		err = PTR_ERR(code);
		code = NULL;
		mint_fail(f, "trampoline code: cannot read %u bytes at user 0x%llx", t->code_size,
			  t->code);
		goto out;
	}

	if (mint.tramp_ok && phys == mint.tramp_phys) {
		/* Same place: new code, and the table (live nodes' entries) stays. */
		memset(mint.tramp_virt, 0, MINT_TRAMPOLINE_CODE_SIZE);
		memcpy(mint.tramp_virt, code, t->code_size);
		err = 0;
		goto out;
	}
	if (mint.tramp_ok && mint.n_nodes) {
		mint_fail(f, "trampoline at 0x%llx: already installed at 0x%llx and %u node(s) rely on it",
			  phys, mint.tramp_phys, mint.n_nodes);
		err = -EBUSY;
		goto out;
	}
	if (!mint_covered(phys, MINT_TRAMPOLINE_SIZE, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE)) {
		mint_fail(f, "trampoline 0x%llx-0x%llx is not entirely System RAM", phys,
			  phys + MINT_TRAMPOLINE_SIZE - 1);
		err = -EINVAL;
		goto out;
	}
	if (mint_overlaps_realmode(phys, MINT_TRAMPOLINE_SIZE)) {
		mint_fail(f, "trampoline 0x%llx-0x%llx overlaps the host's real-mode code 0x%llx-0x%llx",
			  phys, phys + MINT_TRAMPOLINE_SIZE - 1, mint.realmode_start,
			  mint.realmode_end - 1);
		err = -EBUSY;
		goto out;
	}
	if (mint_memory_owner(phys, MINT_TRAMPOLINE_SIZE, &range)) {
		mint_fail(f, "trampoline 0x%llx-0x%llx overlaps memory a node owns", phys,
			  phys + MINT_TRAMPOLINE_SIZE - 1);
		err = -EBUSY;
		goto out;
	}
	err = mint_claim_low(phys, MINT_TRAMPOLINE_SIZE, "mint trampoline", &claim, &conflict);
	if (err) {
		mint_fail(f, "trampoline 0x%llx-0x%llx: cannot claim it (%s is there)", phys,
			  phys + MINT_TRAMPOLINE_SIZE - 1, conflict ? conflict : "memory");
		goto out;
	}
	virt = memremap(phys, MINT_TRAMPOLINE_SIZE, MEMREMAP_WB);
	if (!virt) {
		mint_release_low(claim);
		mint_fail(f, "trampoline 0x%llx: cannot map it", phys);
		err = -ENOMEM;
		goto out;
	}

	if (mint.tramp_ok)
		mint_trampoline_drop();
	/*
	 * The code goes into memory that may be in the known-zero table (a destroyed node's low
	 * slice): take it out, or a node later given this memory would skip its zero pass here
	 * and start with the trampoline's bytes in it.
	 */
	mint_clean_take(phys, MINT_TRAMPOLINE_SIZE);
	memset(virt, 0, MINT_TRAMPOLINE_SIZE);
	memcpy(virt, code, t->code_size);
	mint.tramp_claim = claim;
	mint.tramp_virt = virt;
	mint.tramp_phys = phys;
	mint.tramp_ok = true;
	pr_info("mint: trampoline installed at 0x%llx (%u bytes of code)\n", phys, t->code_size);
	err = 0;
out:
	kfree(code);
	return err;
}

/* Module unload (no node exists then: each holds a module reference). */
void mint_trampoline_exit(void)
{
	if (mint.tramp_ok)
		mint_trampoline_drop();
}
