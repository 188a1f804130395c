/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Mint's one header shared by the C++ tools, the host module, the node's agent and the
 * trampoline's table. Every structure is made of fixed-width fields with explicit padding,
 * and its size is asserted below. Any change to a layout bumps MINT_ABI_REVISION.
 *
 * The host module checks magic and revision on every ioctl; a caller built against another
 * revision is refused with -EPROTO instead of being misread.
 */
#ifndef MINT_ABI_H
#define MINT_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h> /* the same __u8..__u64 the kernel uses (linux-libc-dev) */
#include <sys/ioctl.h>
#endif

#define MINT_ABI_MAGIC 0x544e494du /* "MINT" little-endian */
/*
 * 2: long-mode entry (32-byte table entries); 3: suspend/resume; 4: network links;
 * 5: direct node-to-node links (MINT_IOC_DLINK); 6: their status (MINT_IOC_DLINK_STATUS);
 * 7: cores moved between kernels (MINT_IOC_CPU, the cores page, receivable cores at CREATE);
 * 8: memory given to running nodes (MINT_IOC_MEM, the memory page, the node page's mem_*)
 */
#define MINT_ABI_REVISION 8u

#define MINT_NAME_LEN 32
#define MINT_MAX_CPUS 16   /* cores one node may own */
#define MINT_MAX_RANGES 8  /* memory ranges one node may own, low slice included */
#define MINT_MAX_NODES 64  /* nodes the module tracks at once */
#define MINT_MEM_GRANTS 4  /* ranges one node may be given at run time, at once */

/* A physical memory range, [start, start + size). Both page aligned. */
struct mint_range {
	__u64 start;
	__u64 size;
};

/* Every ioctl argument starts with this; the module refuses a wrong magic or revision. */
struct mint_hdr {
	__u32 magic;
	__u32 revision;
};

/*
 * MINT_IOC_INFO: what the host module sees of the machine; filled by the module.
 */
struct mint_info {
	struct mint_hdr hdr;
	__u64 tsc_khz;
	__u32 nodes;         /* nodes currently owned */
	__u32 trampoline_ok; /* 1 once MINT_IOC_TRAMPOLINE succeeded */
	__u64 trampoline_phys;
	__u32 x2apic;        /* 1 if the host runs its local APIC in x2APIC mode */
	__u32 pad0;
};

/*
 * MINT_IOC_TRAMPOLINE: install the one trampoline every node's boot core enters. `phys` is
 * page aligned, below 1 MiB, in RAM the host never uses; the module owns it from then on.
 * `code` is the assembled trampoline (boot/trampoline.S), at most MINT_TRAMPOLINE_CODE_SIZE
 * bytes; the APIC-ID-indexed table follows it at phys + MINT_TRAMPOLINE_CODE_SIZE.
 */
#define MINT_TRAMPOLINE_CODE_SIZE 0x1000u
#define MINT_TRAMPOLINE_TABLE_SIZE 0x2000u /* 256 entries of 32 bytes */
#define MINT_TRAMPOLINE_SIZE (MINT_TRAMPOLINE_CODE_SIZE + MINT_TRAMPOLINE_TABLE_SIZE)

struct mint_trampoline {
	struct mint_hdr hdr;
	__u64 phys;
	__u64 code;      /* user pointer */
	__u32 code_size;
	__u32 pad0;
};

/*
 * One entry of the trampoline's table, indexed by the xAPIC ID of the core that reads it.
 * Written by the module just before it wakes that core; read by boot/trampoline.S, which
 * knows these offsets through boot/trampoline_layout.h (asserted against this struct there).
 *
 * Without MINT_ENTRY_LONG_MODE the core enters `entry` in 32-bit flat protected mode, paging
 * off (the 32-bit boot protocol). With it, the core switches to long mode on the identity map
 * whose roots are `pml4` and `pml5` (CR3 = pml5 exactly when the CPU offers LA57, which the
 * trampoline then turns on) and enters `entry` in 64-bit mode with RSI = boot_params (the
 * kernel's startup_64, decompressor skipped: docs/trampoline.md).
 *
 * With MINT_ENTRY_RESUME the core does none of that: still in real mode, it far-jumps to the
 * real-mode pointer in `resume` (offset in the low 16 bits, segment in the high 16), the
 * suspended node kernel's own wakeup code (docs/suspend.md).
 */
#define MINT_TRAMPOLINE_ENTRY_VALID 0x4e4f4445u /* "EDON" */
#define MINT_ENTRY_LONG_MODE 0x1u
#define MINT_ENTRY_RESUME 0x2u
struct mint_trampoline_entry {
	__u32 valid;       /* MINT_TRAMPOLINE_ENTRY_VALID, or 0 */
	__u32 flags;       /* MINT_ENTRY_LONG_MODE, or 0 */
	__u32 boot_params; /* physical address of the node's zero page, loaded into ESI/RSI */
	__u32 entry;       /* physical address of the kernel's 32-bit or 64-bit entry */
	__u32 status;      /* physical address of the node's status page */
	__u32 pml4;        /* long mode: 4-level root of the identity map */
	__u32 pml5;        /* long mode: 5-level root, used when the CPU has LA57 */
	__u32 resume;      /* MINT_ENTRY_RESUME: real-mode far pointer (segment << 16 | offset) */
};

/*
 * MINT_IOC_CREATE: take ownership of a node's cores and memory. Either everything is owned
 * afterwards, or (on any error) nothing is. `ranges[0]` is the low slice below 1 MiB; the
 * rest lie in ranges the host's e820 marks reserved. `id` is returned.
 */
struct mint_create {
	struct mint_hdr hdr;
	char name[MINT_NAME_LEN];
	__u32 n_cpus;
	__u32 n_ranges;
	__u32 apic_ids[MINT_MAX_CPUS]; /* apic_ids[0] is the boot core */
	struct mint_range ranges[MINT_MAX_RANGES];
	__u64 status_phys;             /* the node's status page, inside its memory */
	__u32 id;                      /* out */
	/*
	 * Cores the node may receive later (MINT_IOC_CPU): its MADT lists them after its own.
	 * None of apic_ids[]; the node does not own them at CREATE.
	 */
	__u32 n_receive;
	__u32 receive_ids[MINT_MAX_CPUS];
};

/*
 * MINT_IOC_LOAD: copy `size` bytes from user `data` to physical `phys`, all of it owned, before
 * START; with MINT_LOAD_ZERO, zero them instead (`data` unused).
 * MINT_IOC_READ: the other way, from a node's memory into user `data`, only while the node is
 * suspended or stopped (its memory is still): how mint snapshot takes a memory image.
 */
#define MINT_LOAD_ZERO 0x1u
struct mint_load {
	struct mint_hdr hdr;
	__u32 id;
	__u32 flags; /* LOAD: MINT_LOAD_ZERO or 0; READ: 0 */
	__u64 phys;
	__u64 data; /* user pointer */
	__u64 size;
};

/*
 * MINT_IOC_START: fill the boot core's table entry, then INIT / SIPI / SIPI. With
 * MINT_ENTRY_LONG_MODE in `flags`, `pml4` and `pml5` (page aligned, below 4 GiB, each a
 * whole page inside the node's memory) are the identity map's roots; otherwise both are 0.
 */
struct mint_start {
	struct mint_hdr hdr;
	__u32 id;
	__u32 flags;           /* MINT_ENTRY_LONG_MODE, or 0 */
	__u64 boot_params;
	__u64 entry;
	__u64 pml4;
	__u64 pml5;
	__u64 tsc_before_init; /* out: TSC just before INIT was sent */
	__u64 tsc_after_sipi;  /* out: TSC after the second SIPI */
};

/* Node states as the module reports them. */
enum mint_state {
	MINT_STATE_FREE = 0,
	MINT_STATE_OWNED = 1,   /* created, segments may be loaded */
	MINT_STATE_STARTED = 2, /* INIT/SIPI sent */
	MINT_STATE_READY = 3,   /* the node's agent wrote READY in its status page */
	MINT_STATE_STOPPED = 4, /* cores parked with INIT */
	MINT_STATE_SUSPENDED = 5, /* the node entered ACPI S3: cores parked, memory kept */
	/*
	 * DESTROY could not finish: an INIT was not accepted (the cores may still run), zeroing
	 * the memory failed, or a fatal signal stopped it. The module keeps the cores and memory
	 * owned, so nothing it did not zero or could not park is handed back; DESTROY again.
	 */
	MINT_STATE_DIRTY = 6,
};

/*
 * The node's status page: one page inside the node's memory, marked reserved in the node's
 * e820 so its kernel leaves it alone. Single writer per field: the trampoline writes
 * tsc_trampoline, the node's agent writes the rest. The host reads it; the host module only
 * zeroes it at START and clears the sleep control byte below once it acted on a request.
 */
#define MINT_STATUS_MAGIC 0x5441544eu /* "NTAT" */
enum mint_node_phase {
	MINT_PHASE_NONE = 0,
	MINT_PHASE_TRAMPOLINE = 1, /* the trampoline ran */
	MINT_PHASE_READY = 2,      /* node userspace is up */
};
struct mint_status_page {
	__u32 magic;          /* written by the agent with phase */
	__u32 phase;          /* enum mint_node_phase */
	__u64 tsc_trampoline; /* TSC when the trampoline ran (written by the trampoline) */
	__u64 tsc_ready;      /* TSC when the agent reported ready */
	__u64 heartbeat;      /* incremented by the agent */
	__u32 trampoline_apic;/* APIC ID the trampoline read (written by the trampoline) */
	__u32 pad0;
	char message[64];     /* NUL-terminated; last words from the agent */
	__u64 tsc_suspend;    /* agent: TSC just before it asked its kernel for S3 */
	__u64 tsc_resumed;    /* agent: TSC when that request returned: userspace is back */
	__u32 resumes;        /* agent: suspend/resume cycles it went through */
	__u32 pad1;
};

/*
 * The node's ACPI sleep control register (its FADT's SLEEP_CONTROL_REG, lib/acpi.h): one byte
 * of the status page that the host module watches. The node's ACPICA writes SLP_EN | SLP_TYP << 2:
 * 0x34 to enter S3, 0x3c for S5 (power off), 0x20 right after resuming. The next byte is its
 * SLEEP_STATUS_REG, described with bit width 0 so ACPICA never touches it.
 */
#define MINT_STATUS_SLEEP_CONTROL 0x800u
#define MINT_SLEEP_ENABLE 0x20u
#define MINT_SLEEP_TYPE(v) (((v) >> 2) & 7u)
#define MINT_SLEEP_S3 5u
#define MINT_SLEEP_S5 7u

/*
 * MINT_IOC_STATUS: the module's view of one node plus a copy of its status page. Node ids are
 * slots 0 .. MINT_MAX_NODES - 1; to list the nodes, ask for every id: a free slot answers
 * -ENOENT (an id >= MINT_MAX_NODES answers -EINVAL). Only `hdr` and `id` are read.
 */
struct mint_node_status {
	struct mint_hdr hdr;
	__u32 id;
	__u32 state; /* enum mint_state */
	char name[MINT_NAME_LEN];
	__u32 n_cpus;
	__u32 n_ranges;
	__u32 apic_ids[MINT_MAX_CPUS];
	struct mint_range ranges[MINT_MAX_RANGES];
	__u64 tsc_before_init;
	__u64 tsc_sleep_request;  /* when the module saw the latest S3/S5 request */
	__u64 tsc_suspended;      /* when it parked the cores for S3 */
	__u64 tsc_resume_sipi;    /* when MINT_IOC_RESUME sent the SIPI */
	__u64 tsc_kernel_back;    /* when the node wrote S0 after resuming */
	__u32 suspends;           /* S3 entries since the node was created */
	__u32 sleep_type;         /* SLP_TYP of the latest request: MINT_SLEEP_S3, _S5, or 0 */
	__u64 status_phys;        /* the node's status page */
	struct mint_status_page page;
};

/*
 * MINT_IOC_RESUME: wake a node in MINT_STATE_SUSPENDED. The module finds the kernel's wakeup
 * code in the node's low slice (its wakeup header, signature 0x51ee1111) and sends its boot
 * core a SIPI to the trampoline, whose entry sends it there (MINT_ENTRY_RESUME). A node still
 * in MINT_STATE_OWNED whose memory was loaded from a memory image resumes the same way, after
 * an INIT (its core was never parked by this node).
 */
struct mint_resume {
	struct mint_hdr hdr;
	__u32 id;
	__u32 wakeup;        /* out: physical address of the kernel's wakeup_start */
	__u64 tsc_sipi;      /* out: TSC just before the SIPI */
};

/* MINT_IOC_DESTROY: park the node's cores with INIT and give everything back. */
struct mint_destroy {
	struct mint_hdr hdr;
	__u32 id;
	__u32 pad0;
};

/*
 * MINT_IOC_LAST_ERROR: the human reason ("node alpha: memory 0x3000000-0x3ffffff overlaps
 * System RAM") for the latest failed ioctl made through the same open file, NUL-terminated;
 * empty when the latest ioctl succeeded. The module also prints it with pr_warn.
 */
#define MINT_ERROR_LEN 120
struct mint_last_error {
	struct mint_hdr hdr;
	char text[MINT_ERROR_LEN]; /* out */
};

/*
 * MINT_IOC_STORE: claim the resident image store (docs/store.md): [start, start + size), page
 * aligned, inside memory the host reserved (memmap=$), never System RAM, no node's. Once
 * claimed, mmap of /dev/mint at offset 0 (MAP_SHARED, at most `size` bytes) maps the store's
 * first byte, so the index and images outlive every mint process (not a host reboot). The same
 * range again is a no-op; another range while one is claimed is -EBUSY. start == size == 0
 * only asks: the current claim comes back in start/size (-ENOENT when there is none). The
 * claim lasts until the module is unloaded.
 */
struct mint_store {
	struct mint_hdr hdr;
	__u64 start; /* in, or out when asking */
	__u64 size;
};

/*
 * Mint's shared area, at fixed offsets from the node's status page (the start of Mint's area
 * in the node's lowest range, lib/layout.h). docs/shared-memory.md is the protocol: one writer
 * per page-rounded section.
 */
#define MINT_SHARED_NODE_PAGE 0x10000u   /* struct mint_node_page: node module writes */
#define MINT_SHARED_HOST_PAGE 0x11000u   /* struct mint_host_page: host writes */
#define MINT_SHARED_CONSOLE_IN 0x12000u  /* console input ring: host writes */
#define MINT_CONSOLE_IN_SIZE 0x1000u
#define MINT_SHARED_EXEC_RESULT 0x13000u /* struct mint_exec_result + output: agent writes */
#define MINT_EXEC_RESULT_SIZE 0xc000u
#define MINT_SHARED_CORES 0x1f000u       /* struct mint_cores_page: host module writes */
#define MINT_SHARED_CONSOLE_OUT 0x20000u /* console output ring: node module writes */
#define MINT_CONSOLE_OUT_SIZE 0x10000u
#define MINT_SHARED_END 0x30000u         /* end of Mint's area */

#define MINT_NODE_PAGE_MAGIC 0x45444f4eu /* "NODE" */
enum mint_node_condition {
	MINT_NODE_UNKNOWN = 0, /* no node module (yet) */
	MINT_NODE_UP = 1,      /* the node module runs */
	MINT_NODE_PARKED = 2,  /* the node parked its cores; reason says why */
};
enum mint_park_reason {
	MINT_PARK_NONE = 0,
	MINT_PARK_REBOOT = 1,            /* kernel_restart: reboot(2), kexec, ctrl-alt-del */
	MINT_PARK_POWER_OFF = 2,         /* kernel_power_off */
	MINT_PARK_HALT = 3,              /* kernel_halt */
	MINT_PARK_PANIC = 4,             /* panic() */
	MINT_PARK_EMERGENCY_RESTART = 5, /* emergency_restart(): sysrq-b, watchdogs */
};
/* Written by the node's mint_node.ko only; the host reads it through MINT_IOC_SHARED. */
struct mint_node_page {
	__u32 magic;           /* MINT_NODE_PAGE_MAGIC once the module runs */
	__u32 condition;       /* enum mint_node_condition, written last */
	__u32 reason;          /* enum mint_park_reason */
	__u32 park_cpu;        /* the node's CPU number that parked the node */
	__u64 heartbeat;       /* +1 every MINT_HEARTBEAT_MS */
	__u64 tsc_heartbeat;   /* TSC at the latest heartbeat */
	__u64 tsc_loaded;      /* TSC when the module loaded */
	__u64 tsc_parked;      /* TSC when the node parked */
	__u64 console_head;    /* bytes ever written to the console output ring */
	__u64 console_in_tail; /* bytes of console input consumed */
	char reason_text[128]; /* NUL-terminated: "panic: sysrq triggered crash" */
	/* Cores (docs/cores.md): what the node acted on and what it runs on now. */
	__u64 cores_seq;        /* the cores page's seq the node has acted on; written last */
	__u32 cores_online[8];  /* bit per APIC ID: the node's online cores, every poll */
	__u32 cores_error_apic; /* the latest core the node failed to bring up or down */
	__s32 cores_error;      /* and the kernel's error (-errno), 0 for none */
	/* Memory given at run time (docs/memory-handover.md): what the node acted on and has. */
	__u64 mem_seq;          /* the memory page's seq the node has acted on; written last */
	__u64 mem_block_size;   /* the kernel's memory block size; 0: it cannot add memory */
	struct mint_range mem_added[MINT_MEM_GRANTS]; /* ranges added and not removed (size 0: an unused slot) */
	__u64 mem_error_start;  /* the latest range the node failed to add or remove */
	__s32 mem_error;        /* and the kernel's error (-errno), 0 for none */
	__u32 mem_pad;
};
#define MINT_HEARTBEAT_MS 100u

#define MINT_EXEC_ARGV_MAX 4072u
/* Written by the host only. */
struct mint_host_page {
	__u64 console_in_head; /* bytes ever written to the console input ring */
	__u64 exec_seq;        /* +1 once a request is complete */
	__u32 exec_argc;
	__u32 exec_len;        /* bytes used in exec_argv */
	char exec_argv[MINT_EXEC_ARGV_MAX]; /* NUL-separated arguments */
};

/*
 * Written by the host module only (MINT_IOC_CPU, START, RESUME): the cores the node may have
 * online now, its own and those it was given. Each time `seq` changes, the node module brings
 * up what is granted and not online and takes down what is online and not granted; it refuses
 * any other core its kernel tries to bring up (docs/cores.md).
 */
struct mint_cores_page {
	__u64 seq;        /* +1 after each change of granted[]; written last */
	__u32 granted[8]; /* bit per APIC ID */
};

/*
 * Written by the host module only (MINT_IOC_MEM), in the cores page's section: the ranges of
 * the host's reserved memory the node may have added to its own now, beyond its boot memory.
 * Each time `seq` changes, the node module adds what is granted and not added
 * (add_memory_driver_managed, onlined movable) and removes what is added and not granted
 * (offline_and_remove_memory, given up after `remove_ms`), then reports in its node page.
 */
#define MINT_SHARED_MEM (MINT_SHARED_CORES + 0x800u)
struct mint_mem_page {
	__u64 seq;       /* +1 after each change of grants[]; written last */
	__u32 remove_ms; /* how long the node may try to empty a range before it gives up */
	__u32 pad0;
	struct mint_range grants[MINT_MEM_GRANTS]; /* size 0: an unused slot */
};

/* Written by the node's agent only; `out` follows the header. */
struct mint_exec_result {
	__u64 done_seq;    /* exec_seq answered; written last */
	__u64 started_seq; /* exec_seq picked up */
	__s32 status;      /* exit code, 128 + signal, 127 if it could not run */
	__u32 out_len;
	__u32 truncated;   /* 1 if the command wrote more than MINT_EXEC_OUTPUT_MAX bytes */
	__u32 pad0;
};
#define MINT_EXEC_OUTPUT_MAX (MINT_EXEC_RESULT_SIZE - 32u)

/*
 * MINT_IOC_SHARED: read or write `size` bytes at `offset` in node `id`'s shared area (offsets
 * as above, from its status page). Reads may cover the whole area [0, MINT_SHARED_END);
 * writes only the host's sections [MINT_SHARED_HOST_PAGE, MINT_SHARED_CONSOLE_IN +
 * MINT_CONSOLE_IN_SIZE). At most MINT_SHARED_IO_MAX bytes per call.
 */
#define MINT_SHARED_IO_MAX 0x10000u
struct mint_shared_io {
	struct mint_hdr hdr;
	__u32 id;
	__u32 write; /* 0: node -> user, 1: user -> node */
	__u64 offset;
	__u64 size;
	__u64 data;  /* user pointer */
};

/*
 * MINT_IOC_CPU: cores between kernels (docs/cores.md). Each op is one step that leaves every
 * core owned by exactly one kernel; `mint cpu` chains them.
 *   QUERY    who owns `apic_id` now (`id` unused) and, for a node's core, what its node page
 *            says about it.
 *   GIVE     a core of the host's (online or not) to node `id`, which must list it (its own
 *            or receivable) and be running: the host takes it offline if it is online, parks
 *            it with INIT, marks it the node's and grants it in the node's cores page.
 *   RELEASE  asks node `id` to take down a core it holds (never its boot core): ungrants it.
 *   KEEP     undoes a RELEASE: grants the core again.
 *   RECLAIM  a released core the node reports offline, having acted on the latest cores page,
 *            goes back to the host, parked by INIT; with
 *            MINT_CPU_HOST_ONLINE the host brings it online afterwards. MINT_CPU_PASSING says
 *            the core is on its way to another node: whether the host had it online before it
 *            was first given away (host_was_online) is kept for the take that ends its trip.
 */
enum mint_cpu_op {
	MINT_CPU_QUERY = 0,
	MINT_CPU_GIVE = 1,
	MINT_CPU_RELEASE = 2,
	MINT_CPU_KEEP = 3,
	MINT_CPU_RECLAIM = 4,
};
#define MINT_CPU_HOST_ONLINE 0x2u
#define MINT_CPU_PASSING 0x4u
#define MINT_CPU_HOST 0xffffffffu /* owner: the host */
struct mint_cpu {
	struct mint_hdr hdr;
	__u32 op;              /* enum mint_cpu_op */
	__u32 flags;           /* MINT_CPU_HOST_ONLINE, MINT_CPU_PASSING */
	__u32 id;              /* the node (not for QUERY) */
	__u32 apic_id;
	__u32 owner;           /* out: node id, or MINT_CPU_HOST */
	__u32 host_cpu;        /* out: the host's CPU number for apic_id */
	__u32 host_online;     /* out: 1 if online in the host */
	__u32 host_was_online; /* out: 1 if the host had it online when it gave it away */
	__u32 granted;         /* out: 1 if the owner's cores page grants it */
	__u32 node_online;     /* out: 1 if the owner's node page says it runs there */
	__u32 node_acked;      /* out: 1 if the owner acted on its cores page's latest seq */
	__s32 node_error;      /* out: the owner's latest cores error for this core, or 0 */
	__u32 boot_core;       /* out: 1 if it is the owner's boot core (never moves) */
	__u32 pad0;
	__u64 tsc_done;        /* out: TSC when this op finished */
};

/*
 * MINT_IOC_MEM: memory between the host and running nodes (docs/memory-handover.md). Each op
 * is one step that leaves every byte owned by exactly one kernel; `mint mem` chains them.
 *   QUERY    what node `id`'s node page says of [start, start + size) and its block size.
 *   GIVE     a range of the host's reserved memory no one holds, aligned to the node's block
 *            size, to running node `id`: claimed, zeroed, added to the node's ranges (so
 *            DESTROY gives it back with the rest) and granted in its memory page.
 *   RELEASE  asks node `id` to remove a range it was given: ungrants it.
 *   KEEP     undoes a RELEASE: grants it again.
 *   RECLAIM  a released range the node reports removed, having acted on the latest memory
 *            page, is zeroed and goes back to the host.
 */
enum mint_mem_op {
	MINT_MEM_QUERY = 0,
	MINT_MEM_GIVE = 1,
	MINT_MEM_RELEASE = 2,
	MINT_MEM_KEEP = 3,
	MINT_MEM_RECLAIM = 4,
};
struct mint_mem {
	struct mint_hdr hdr;
	__u32 op;         /* enum mint_mem_op */
	__u32 id;         /* the node */
	__u64 start;
	__u64 size;
	__u32 remove_ms;  /* GIVE, RELEASE: the node's deadline for removing (0: 10 s) */
	__u32 granted;    /* out: 1 if the node's memory page grants the range */
	__u32 added;      /* out: 1 if the node page lists it added */
	__u32 acked;      /* out: 1 if the node acted on its memory page's latest seq */
	__s32 node_error; /* out: the node's latest error for this range, or 0 */
	__u32 given;      /* out: 1 if the range is one of the node's given ranges */
	__u64 block_size; /* out: the node's memory block size, 0 if it cannot add memory */
	__u64 tsc_done;   /* out: TSC when this op finished */
};

/*
 * Network links (docs/network.md). A link is a region of reserved memory that two kernels share:
 * side 0 (the host, or the first node of a direct link) and side 1 (a node). Layout, from the
 * region's base:
 *   0x0000                      struct mint_link_desc: written by the host before the node
 *                               starts, read-only afterwards
 *   MINT_LINK_SECTION(0, ring)  side 0's section: struct mint_link_control (one page), then
 *                               side 0's ring of frames (ring_size bytes)
 *   MINT_LINK_SECTION(1, ring)  side 1's section, the same
 * Every section has one writer (its side). The region is MINT_LINK_REGION(ring_size) bytes.
 */
#define MINT_LINK_MAGIC 0x4b4e494cu   /* "LINK" */
#define MINT_LINK_VERSION 1u
#define MINT_LINK_PAGE 0x1000u
#define MINT_LINK_MIN_RING 0x40000u   /* 256 KiB: two largest frames and more */
#define MINT_LINK_MAX_RING 0x4000000u /* 64 MiB */
#define MINT_LINK_MTU 65280u          /* bytes of IP packet; a frame adds the Ethernet header */
#define MINT_LINK_SECTION(side, ring) \
	(MINT_LINK_PAGE + (__u64)(side) * (MINT_LINK_PAGE + (__u64)(ring)))
#define MINT_LINK_REGION(ring) MINT_LINK_SECTION(2, ring)

struct mint_link_desc {
	__u32 magic;     /* MINT_LINK_MAGIC */
	__u32 version;   /* MINT_LINK_VERSION */
	__u64 size;      /* the whole region, at least MINT_LINK_REGION(ring_size) */
	__u32 ring_size; /* each side's ring: a power of two, MIN_RING..MAX_RING */
	__u32 mtu;       /* MINT_LINK_MTU or less */
	__u8 mac[2][8];  /* side 0's, then side 1's Ethernet address (6 bytes used) */
	__u32 flags;     /* 0 */
	__u32 pad0;
};

/*
 * A side's control page. Positions count bytes ever written to or consumed from a ring
 * (free-running, 64-bit, so they never wrap in practice); byte p of a ring lives at
 * p & (ring_size - 1).
 */
struct mint_link_control {
	__u32 magic;          /* MINT_LINK_MAGIC while the side runs; 0 once it stopped */
	__u32 epoch;          /* this side's incarnation: nonzero, new at every (re)start */
	__u32 ack;            /* the peer's epoch this side has reset its rings for */
	__u32 pad0;
	__u64 tx_head;        /* bytes published in this side's ring (frames end 8-aligned) */
	__u64 rx_tail;        /* bytes consumed from the peer's ring */
	__u64 rx_event;       /* ring my doorbell once your tx_head passes this position */
	__u64 tx_event;       /* ring my doorbell once your rx_tail passes this (I wait for room) */
	__u32 irq_apic_id;    /* physical APIC ID of the core this side's doorbell goes to */
	__u32 irq_vector;     /* its vector; 0: no doorbell, the peer need not ring */
	__u32 irq_generation; /* +1 whenever irq_apic_id or irq_vector change */
	__u32 pad1;
};

/* Before each frame in a ring. A record is the header, then len bytes, rounded up to 8. */
#define MINT_FRAME_WRAP 0xffffffffu   /* len: nothing more before the ring's end; go to 0 */
#define MINT_FRAME_CSUM_PARTIAL 0x1u  /* the sender left the checksum to fill (virtio-net's) */
struct mint_link_frame {
	__u32 len;         /* bytes of Ethernet frame, at most mtu + 14, or MINT_FRAME_WRAP */
	__u16 flags;       /* MINT_FRAME_CSUM_PARTIAL or 0 */
	__u16 csum_start;  /* CSUM_PARTIAL: checksum from this offset of the frame ... */
	__u16 csum_offset; /* ... stored at csum_start + csum_offset */
	__u16 pad0;
	__u32 pad1;
};

/*
 * MINT_IOC_LINK: give node `id` (created, not started) a link to the host. [phys, phys + size)
 * is reserved memory outside every node and the store; the module claims it, zeroes it, writes
 * the descriptor and side 0's control page, and creates the host's network device `ifname`
 * (or takes back the one it made for an earlier node of that name, for the same region: a
 * restarted node keeps its device and bridge port). The node is side 1. `size` 0 removes the
 * device `ifname` and gives its region back.
 */
struct mint_link_attach {
	struct mint_hdr hdr;
	__u32 id;
	__u32 ring_size;  /* out: each side's ring */
	__u64 phys;
	__u64 size;
	char ifname[16];  /* the host's device, NUL-terminated */
	__u8 mac[2][8];   /* the host's, then the node's Ethernet address (locally administered) */
};

/*
 * MINT_IOC_DLINK: give node `id` (created, not started) side `side` (0 or 1) of a direct link
 * to another node (docs/network.md, "Direct links"). [phys, phys + size) is reserved memory
 * outside every node, the store and every other link. The host has no device on it: it claims
 * the region when the first of the two nodes takes it and gives it back when both are gone;
 * it zeroes the region and writes the descriptor when the other side is free, and otherwise
 * zeroes only this side's section (the other node keeps running; the new epoch resets it).
 * When a node of the link is destroyed, suspended or parked, the host clears that side's magic
 * and epoch, so the other node's carrier goes down. `name` ("alpha-beta") is for messages.
 */
struct mint_dlink_attach {
	struct mint_hdr hdr;
	__u32 id;
	__u32 side;       /* 0 or 1: this node's side of the link */
	__u64 phys;
	__u64 size;
	__u32 ring_size;  /* out: each side's ring */
	__u32 pad0;
	char name[32];    /* the link's name, NUL-terminated */
	__u8 mac[2][8];   /* side 0's, then side 1's Ethernet address (locally administered) */
};

/*
 * MINT_IOC_DLINK_STATUS: what the host sees of direct link slot `index` (0 .. MINT_MAX_NODES - 1;
 * to list the links, ask for every index: a free slot answers -ENOENT, an index >=
 * MINT_MAX_NODES -EINVAL). Each side's numbers are copied from that side's control page, which
 * its node writes: the host reports them and never acts on them. Only `hdr` and `index` are read.
 */
struct mint_dlink_side_status {
	char node[MINT_NAME_LEN]; /* the node that has this side, "" when none has */
	__u32 running;            /* 1: its control page's magic says the side runs */
	__u32 epoch;              /* the side's incarnation (0 once it stopped) */
	__u32 ack;                /* the peer epoch it has reset its rings for */
	__u32 pad0;
	__u64 tx_bytes;           /* its tx_head: ring bytes it published (frame headers included) */
	__u64 rx_bytes;           /* its rx_tail: ring bytes it consumed from the peer */
};

struct mint_dlink_status {
	struct mint_hdr hdr;
	__u32 index;
	__u32 ring_size;          /* out: each side's ring */
	char name[32];            /* out: the link's name */
	__u64 phys;               /* out: its region */
	__u64 size;
	struct mint_dlink_side_status side[2];
};

#define MINT_IOC_TYPE 0xB7
#define MINT_IOC_INFO _IOWR(MINT_IOC_TYPE, 0, struct mint_info) /* hdr is read */
#define MINT_IOC_TRAMPOLINE _IOW(MINT_IOC_TYPE, 1, struct mint_trampoline)
#define MINT_IOC_CREATE _IOWR(MINT_IOC_TYPE, 2, struct mint_create)
#define MINT_IOC_LOAD _IOW(MINT_IOC_TYPE, 3, struct mint_load)
#define MINT_IOC_START _IOWR(MINT_IOC_TYPE, 4, struct mint_start)
#define MINT_IOC_STATUS _IOWR(MINT_IOC_TYPE, 5, struct mint_node_status)
#define MINT_IOC_DESTROY _IOW(MINT_IOC_TYPE, 6, struct mint_destroy)
#define MINT_IOC_LAST_ERROR _IOWR(MINT_IOC_TYPE, 7, struct mint_last_error)
#define MINT_IOC_SHARED _IOW(MINT_IOC_TYPE, 8, struct mint_shared_io)
#define MINT_IOC_RESUME _IOWR(MINT_IOC_TYPE, 9, struct mint_resume)
#define MINT_IOC_READ _IOW(MINT_IOC_TYPE, 10, struct mint_load)
#define MINT_IOC_LINK _IOWR(MINT_IOC_TYPE, 11, struct mint_link_attach)
#define MINT_IOC_DLINK _IOWR(MINT_IOC_TYPE, 12, struct mint_dlink_attach)
#define MINT_IOC_DLINK_STATUS _IOWR(MINT_IOC_TYPE, 13, struct mint_dlink_status)
#define MINT_IOC_CPU _IOWR(MINT_IOC_TYPE, 14, struct mint_cpu)
#define MINT_IOC_MEM _IOWR(MINT_IOC_TYPE, 15, struct mint_mem)
/* 0x10 and up: the store (numbers apart from the node ioctls others add) */
#define MINT_IOC_STORE _IOWR(MINT_IOC_TYPE, 0x10, struct mint_store)

/* Sizes are part of the ABI: a change here is a revision bump. */
#ifdef __cplusplus
#define MINT_STATIC_ASSERT static_assert
#else
#define MINT_STATIC_ASSERT _Static_assert
#endif
MINT_STATIC_ASSERT(sizeof(struct mint_range) == 16, "mint_range");
MINT_STATIC_ASSERT(sizeof(struct mint_hdr) == 8, "mint_hdr");
MINT_STATIC_ASSERT(sizeof(struct mint_info) == 40, "mint_info");
MINT_STATIC_ASSERT(sizeof(struct mint_trampoline) == 32, "mint_trampoline");
MINT_STATIC_ASSERT(sizeof(struct mint_trampoline_entry) == 32, "mint_trampoline_entry");
MINT_STATIC_ASSERT(MINT_TRAMPOLINE_TABLE_SIZE / sizeof(struct mint_trampoline_entry) == 256,
		   "the table holds one entry per 8-bit xAPIC ID");
MINT_STATIC_ASSERT(sizeof(struct mint_create) == 8 + 32 + 8 + 64 + 128 + 8 + 8 + 64,
		   "mint_create");
MINT_STATIC_ASSERT(sizeof(struct mint_cpu) == 8 + 56 + 8, "mint_cpu");
MINT_STATIC_ASSERT(sizeof(struct mint_cores_page) == 40, "mint_cores_page");
MINT_STATIC_ASSERT(sizeof(struct mint_mem) == 8 + 24 + 24 + 16, "mint_mem");
MINT_STATIC_ASSERT(sizeof(struct mint_mem_page) == 16 + 16 * MINT_MEM_GRANTS, "mint_mem_page");
MINT_STATIC_ASSERT(MINT_SHARED_MEM >= MINT_SHARED_CORES + sizeof(struct mint_cores_page) &&
			   MINT_SHARED_MEM + sizeof(struct mint_mem_page) <= MINT_SHARED_CORES + 0x1000,
		   "the memory page shares the cores page's section");
MINT_STATIC_ASSERT(sizeof(struct mint_load) == 40, "mint_load");
MINT_STATIC_ASSERT(sizeof(struct mint_start) == 64, "mint_start");
MINT_STATIC_ASSERT(sizeof(struct mint_status_page) == 104 + 24, "mint_status_page");
MINT_STATIC_ASSERT(MINT_STATUS_SLEEP_CONTROL >= sizeof(struct mint_status_page), "sleep byte");
MINT_STATIC_ASSERT(sizeof(struct mint_node_status) ==
			   8 + 8 + 32 + 8 + 64 + 128 + 8 + 48 + 128, "mint_node_status");
MINT_STATIC_ASSERT(sizeof(struct mint_resume) == 24, "mint_resume");
MINT_STATIC_ASSERT(sizeof(struct mint_destroy) == 16, "mint_destroy");
MINT_STATIC_ASSERT(sizeof(struct mint_last_error) == 128, "mint_last_error");
MINT_STATIC_ASSERT(sizeof(struct mint_node_page) == 64 + 128 + 48 + 96, "mint_node_page");
MINT_STATIC_ASSERT(sizeof(struct mint_host_page) == 4096, "mint_host_page");
MINT_STATIC_ASSERT(sizeof(struct mint_exec_result) == 32, "mint_exec_result");
MINT_STATIC_ASSERT(sizeof(struct mint_shared_io) == 40, "mint_shared_io");
MINT_STATIC_ASSERT(MINT_SHARED_HOST_PAGE == MINT_SHARED_NODE_PAGE + 0x1000 &&
			   MINT_SHARED_CONSOLE_IN == MINT_SHARED_HOST_PAGE + 0x1000 &&
			   MINT_SHARED_EXEC_RESULT == MINT_SHARED_CONSOLE_IN + MINT_CONSOLE_IN_SIZE &&
			   MINT_SHARED_CORES >= MINT_SHARED_EXEC_RESULT + MINT_EXEC_RESULT_SIZE &&
			   MINT_SHARED_CONSOLE_OUT >= MINT_SHARED_CORES + 0x1000 &&
			   MINT_SHARED_END == MINT_SHARED_CONSOLE_OUT + MINT_CONSOLE_OUT_SIZE,
		   "shared sections are page-rounded and in order");
MINT_STATIC_ASSERT(sizeof(struct mint_store) == 24, "mint_store");
MINT_STATIC_ASSERT(sizeof(struct mint_link_desc) == 48, "mint_link_desc");
MINT_STATIC_ASSERT(sizeof(struct mint_link_control) == 64, "mint_link_control");
MINT_STATIC_ASSERT(sizeof(struct mint_link_frame) == 16, "mint_link_frame");
MINT_STATIC_ASSERT(sizeof(struct mint_link_attach) == 64, "mint_link_attach");
MINT_STATIC_ASSERT(sizeof(struct mint_dlink_attach) == 8 + 8 + 16 + 8 + 32 + 16,
		   "mint_dlink_attach");
MINT_STATIC_ASSERT(sizeof(struct mint_dlink_side_status) == 32 + 16 + 16,
		   "mint_dlink_side_status");
MINT_STATIC_ASSERT(sizeof(struct mint_dlink_status) == 8 + 8 + 32 + 16 + 2 * 64,
		   "mint_dlink_status");

#endif /* MINT_ABI_H */
