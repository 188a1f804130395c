/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mint host module: what its parts share. The module is a thin mechanism: it owns cores and
 * memory on behalf of nodes, copies bytes where it is told, and wakes cores. Every policy
 * (which range, which core, what goes where) is decided in user space by the `mint` tool.
 */
#ifndef MINT_HOST_H
#define MINT_HOST_H

#include <linux/types.h>
#include <linux/ioport.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/cpumask.h>

#include "mint/abi.h" /* the only header the module shares with user space */

#define MINT_LOW_LIMIT 0x100000ull      /* 1 MiB: real-mode reachable memory */
#define MINT_START_LIMIT 0x100000000ull /* 4 GiB: the trampoline jumps with 32-bit pointers */

/*
 * Range arithmetic that cannot wrap. Callers hand in addresses and sizes straight from user
 * space, so `start + size` may overflow past 2^64 and land below a limit it should exceed (a
 * status page at 2^64 - 4 KiB once let MINT_IOC_SHARED reach physical page 0). Every bound
 * in the module goes through these, which only compare and subtract.
 */

/* [start, start + size) is non-empty and ends at or below 2^64. */
static inline bool mint_range_valid(u64 start, u64 size)
{
	return size && size - 1 <= U64_MAX - start;
}

/* [start, start + size) is valid and lies inside [outer, outer + outer_size). */
static inline bool mint_range_within(u64 start, u64 size, u64 outer, u64 outer_size)
{
	return mint_range_valid(start, size) && start >= outer &&
	       start - outer <= outer_size && size <= outer_size - (start - outer);
}

/* [start, start + size) is valid and ends at or below `limit`. */
static inline bool mint_range_below(u64 start, u64 size, u64 limit)
{
	return mint_range_within(start, size, 0, limit);
}

/*
 * Test-only fault injection (the `fault_inject` module parameter, 0 unless a test sets it),
 * so the smoke test can reach failure paths real hardware rarely takes.
 */
#define MINT_FAULT_SCRUB_MAP 0x1 /* DESTROY's zeroing cannot map the node's memory */
#define MINT_FAULT_INIT 0x2      /* the local APIC does not accept an INIT */
#define MINT_FAULT_SLOW 0x4      /* each chunk of a long copy or zeroing waits 10 ms */
extern unsigned int mint_fault_inject;

/*
 * The machine's legacy state a stock node kernel writes while it boots, though it belongs to
 * the host (cpu.c): the PIC's edge/level registers (ELCR, once, acpi_early_init), and, for
 * each secondary core it starts, the CMOS shutdown byte and the BIOS warm-reset vector at
 * 0x467 (smpboot_setup_warm_reset_vector()).
 */
struct mint_legacy {
	u8 elcr[2];
	u8 cmos_shutdown;
	u32 warm_reset;
};

/*
 * One open file of /dev/mint. `last_error` is the human reason for the latest failed ioctl
 * made through this file (empty after a success), fetched with MINT_IOC_LAST_ERROR.
 */
struct mint_file {
	char last_error[MINT_ERROR_LEN];
};

/*
 * A node as the module owns it. `claims[i]` is the iomem resource holding ranges[i]; ranges[0]
 * (the low slice, inside System RAM below 1 MiB) is inserted under its System RAM entry, the
 * others are requested inside the host's reserved ranges.
 */
struct mint_node {
	u32 state; /* enum mint_state; MINT_STATE_FREE for an unused slot */
	char name[MINT_NAME_LEN];
	char claim_name[MINT_NAME_LEN + 8]; /* "mint:<name>": /proc/iomem points here */
	u32 n_cpus;
	u32 n_ranges;
	u32 apic_ids[MINT_MAX_CPUS];      /* the cores it holds now; [0] the boot core */
	unsigned int cpus[MINT_MAX_CPUS]; /* host logical CPU numbers of apic_ids[] */
	/* Cores (cores.c): every core its MADT lists (its own at CREATE, then receivable). */
	u32 n_listed;
	u32 listed[MINT_MAX_CPUS];
	u32 releasing; /* bit i: apic_ids[i] is ungranted, waiting for the node to let it go */
	u64 cores_seq; /* the cores page's seq, as last written */
	/* Memory given at run time (hotmem.c): bit r of each is about ranges[r]. */
	u32 given;         /* ranges[r] was given while the node ran (MINT_IOC_MEM) */
	u32 mem_releasing; /* ungranted, waiting for the node to remove it */
	u64 mem_seq;       /* the memory page's seq, as last written */
	struct mint_range ranges[MINT_MAX_RANGES];
	struct resource *claims[MINT_MAX_RANGES];
	u64 status_phys;
	u32 clean; /* bit r: ranges[r] is all zero (mint_scrub) and nothing has written it since */
	u64 tsc_before_init;
	bool legacy_pending; /* booting or resuming; the legacy state not restored since */

	/*
	 * Ioctls working on this node with mint.lock dropped between chunks (LOAD, READ,
	 * DESTROY's zeroing): while non-zero, nothing may start, resume or destroy the node.
	 */
	u32 busy;

	/* Giving the node back (DESTROY), which may take several tries (MINT_STATE_DIRTY). */
	bool woken;    /* an INIT or SIPI went to its cores: they may run until parked */
	bool parked;   /* DESTROY's INIT to every core was accepted */
	u32 scrubbed;  /* bit r: DESTROY zeroed ranges[r] */

	/* Suspend (sleep.c): the status page's sleep control byte, mapped while started. */
	u8 *sleep_byte;
	unsigned long sleep_seen; /* jiffies when a request was first seen, 0 for none */
	u32 sleep_type;
	u32 suspends;
	u64 tsc_sleep_request;
	u64 tsc_suspended;
	u64 tsc_resume_sipi;
	u64 tsc_kernel_back;
};

/* A slot of the node table; the work item outlives the node it serves (see node.c). */
struct mint_slot {
	struct delayed_work legacy_work;
	unsigned int id;
	struct mint_node node;
};

/* Everything the module owns, under `lock`. */
struct mint_host {
	struct mutex lock;
	struct mint_slot slots[MINT_MAX_NODES];
	unsigned int n_nodes;

	/* The trampoline: code page then table page, claimed as "mint trampoline". */
	bool tramp_ok;
	u64 tramp_phys;
	struct resource *tramp_claim;
	void *tramp_virt; /* direct-map address (low RAM is always mapped) */

	/* The host kernel's own real-mode blob, if we recognised it; [start, end). */
	u64 realmode_start;
	u64 realmode_end;

	/* The legacy state as it was before the first node of a batch started (or resumed). */
	bool legacy_saved;
	struct mint_legacy legacy;
};

extern struct mint_host mint;

/* Cores nodes own; read locklessly by the hotplug callback. */
extern struct cpumask mint_owned_cpus;

__printf(2, 3) void mint_fail(struct mint_file *f, const char *fmt, ...);

/* mem.c */
bool mint_covered(u64 start, u64 size, unsigned long flags, unsigned long desc);
bool mint_overlaps(u64 a_start, u64 a_size, u64 b_start, u64 b_size);
int mint_claim_low(u64 start, u64 size, const char *name, struct resource **out,
		   const char **conflict);
int mint_claim_reserved(u64 start, u64 size, const char *name, struct resource **out);
void mint_release_low(struct resource *res);
void mint_release_reserved(struct resource *res);
void mint_find_realmode(u64 *start, u64 *end);
int mint_copy_to_phys(u64 phys, const void __user *src, u64 size);
int mint_zero_phys(u64 phys, u64 size);
int mint_copy_from_phys(void __user *dst, u64 phys, u64 size);
int mint_read_phys(u64 phys, void *dst, size_t size);
int mint_chunk_break(void);

/* cpu.c */
int mint_hotplug_init(void);
void mint_hotplug_exit(void);
int mint_apic_to_cpu(u32 apic_id, unsigned int *cpu);
int mint_send_init(u32 apic_id);
int mint_send_sipi(u32 apic_id, u8 vector);
void mint_legacy_save(struct mint_legacy *l);
void mint_legacy_restore(const struct mint_legacy *l);

/* cores.c */
int mint_cpu(struct mint_file *f, struct mint_cpu *c);
int mint_cores_publish(struct mint_node *n);
void mint_cores_forget(const struct mint_node *n);

/* hotmem.c */
int mint_mem(struct mint_file *f, struct mint_mem *m);

/* node.c */
void mint_nodes_init(void);
void mint_nodes_exit(void);
const struct mint_node *mint_memory_owner(u64 start, u64 size, int *range);
bool mint_overlaps_realmode(u64 start, u64 size);
int mint_create(struct mint_file *f, struct mint_create *c);
int mint_load(struct mint_file *f, struct mint_load *l);
int mint_read(struct mint_file *f, struct mint_load *l);
int mint_start(struct mint_file *f, struct mint_start *s);
int mint_status(struct mint_file *f, struct mint_node_status *s);
int mint_destroy(struct mint_file *f, struct mint_destroy *d);
struct mint_node *mint_node_get(struct mint_file *f, u32 id, bool quiet);
bool mint_clean_take(u64 start, u64 size);
void mint_clean_add(u64 start, u64 size);
void mint_legacy_pending(struct mint_node *n);
void mint_legacy_restore_node(struct mint_node *n);
int mint_pm_init(void);
void mint_pm_exit(void);

/* trampoline.c */
int mint_trampoline(struct mint_file *f, struct mint_trampoline *t);
struct mint_trampoline_entry *mint_table_entry(u32 apic_id);
void mint_trampoline_exit(void);

/* net.c */
int mint_net_init(void);
void mint_net_exit(void);
int mint_link_attach(struct mint_file *f, struct mint_link_attach *a);
int mint_dlink_attach(struct mint_file *f, struct mint_dlink_attach *a);
int mint_dlink_status(struct mint_file *f, struct mint_dlink_status *s);
void mint_net_node_state(struct mint_node *n); /* after a node's state changed */
void mint_net_node_gone(struct mint_node *n);  /* DESTROY: its link waits for the next */
bool mint_net_overlaps(u64 start, u64 size);

/* sleep.c */
int mint_park(struct mint_node *n);
int mint_sleep_watch_node(struct mint_node *n);
void mint_sleep_unwatch_node(struct mint_node *n);
int mint_resume(struct mint_file *f, struct mint_resume *r);
void mint_sleep_exit(void);

/* shared.c */
int mint_shared_io(struct mint_file *f, struct mint_shared_io *io);

/* store.c */
struct file;
struct vm_area_struct;
int mint_store(struct mint_file *f, struct mint_store *s);
int mint_store_mmap(struct file *file, struct vm_area_struct *vma);
void mint_store_exit(void);

#endif /* MINT_HOST_H */
