// SPDX-License-Identifier: GPL-2.0
/*
 * mint_node.ko: what a Mint node's kernel needs so that it can live beside others on one
 * machine, built from stock interfaces only (no kernel rebuild):
 *
 *  - containment: on x86 every way Linux reboots or powers off (keyboard controller, ACPI reset
 *    register, PCI CF9, BIOS, triple fault) resets the whole machine. The node never gets there:
 *      reboot / power-off / halt / kexec  -> reboot notifier (first thing kernel_restart,
 *                                            kernel_power_off, kernel_halt, kernel_kexec do)
 *      emergency_restart (sysrq-b, ...)   -> kmsg dumper, KMSG_DUMP_EMERG (its first act)
 *      panic                              -> panic notifier records, panic_blink parks (after
 *                                            the console flush; panic=0 means it is reached)
 *    Each records why in the node page and parks: the other cores stopped (the kernel's own
 *    stop IPI; the node runs with no_ipi_broadcast=1, so it names only the node's cores), then
 *    this core halts with interrupts off. The host sees the reason and reclaims the cores with
 *    INIT (`mint stop`).
 *  - a heartbeat from a work item, so the host can tell a hung node;
 *  - the shared-memory console: every kernel message (a struct console) and /dev/ttyMint0,
 *    whose input the host writes into a ring this module polls (a node has no interrupt from
 *    the host);
 *  - cores (docs/cores.md): the host grants the node its cores in the cores page; this module
 *    brings up a granted core, takes down one no longer granted, and refuses, through a CPU
 *    hotplug callback, any core its kernel tries to start that is not granted (a user in the
 *    node running chcpu must not wake another kernel's core);
 *  - memory (docs/memory-handover.md): the host grants the node ranges of its reserved memory
 *    in the memory page; this module adds a granted range to the kernel
 *    (add_memory_driver_managed, onlined movable by memhp_default_state=online_movable) and
 *    removes one no longer granted (offline_and_remove_memory), giving up at the host's
 *    deadline when the kernel cannot empty it.
 *
 * The shared sections and who writes what: docs/shared-memory.md and include/mint/abi.h.
 * The loader passes their place as mint_status= on the command line; /init hands it over as
 * the `status` parameter.
 */
#include <linux/console.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/kmsg_dump.h>
#include <linux/kthread.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/notifier.h>
#include <linux/mutex.h>
#include <linux/panic_notifier.h>
#include <linux/reboot.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/suspend.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/workqueue.h>
#include <asm/msr.h>
#include <asm/smp.h>

#include "mint/abi.h"
#include "compat.h"
#include "link/link.h"
#include "link/ring.h"

static unsigned long long status;
module_param(status, ullong, 0444);
MODULE_PARM_DESC(status, "physical address of the node's status page (mint_status= on the command line)");

static char *link;
module_param(link, charp, 0444);
MODULE_PARM_DESC(link, "the node's network link, PHYS,SIZE (mint_link= on the command line; docs/network.md)");

/* The shared sections, mapped once at load; [MINT_SHARED_NODE_PAGE, MINT_SHARED_END). */
static void *shared;
static struct mint_node_page *page;
static const struct mint_host_page *host_page;
static const u8 *console_in;
static u8 *console_out;
static const struct mint_cores_page *cores_page;
static const struct mint_mem_page *mem_page;

static char *dlink;
module_param(dlink, charp, 0444);
MODULE_PARM_DESC(dlink, "direct links to other nodes, PHYS,SIZE,SIDE[,...];... (mint_dlink= on the command line; devices mint1, mint2, ...)");

#define MINT_NODE_LINKS 5 /* mint0 (the host's link) and mint1..mint4 (direct links) */

/* The node's links: [0] to the host (mint0), [1..] to other nodes; NULL where none. */
static struct mint_link *net_links[MINT_NODE_LINKS];
static void *net_regions[MINT_NODE_LINKS];

static DEFINE_RAW_SPINLOCK(ring_lock); /* one writer of the output ring inside the node */
static atomic_t parking = ATOMIC_INIT(0);

/* ---- console output ring ---- */

static void mint_ring_write(const u8 *buf, size_t len)
{
	unsigned long flags;
	u64 head;
	size_t i;

	/* In an oops or a panic another CPU may hold the lock forever: do not wait for it. */
	if (oops_in_progress) {
		if (!raw_spin_trylock_irqsave(&ring_lock, flags))
			return;
	} else {
		raw_spin_lock_irqsave(&ring_lock, flags);
	}
	head = page->console_head;
	for (i = 0; i < len; i++)
		console_out[(head + i) & (MINT_CONSOLE_OUT_SIZE - 1)] = buf[i];
	smp_wmb(); /* bytes before the head that publishes them */
	WRITE_ONCE(page->console_head, head + len);
	raw_spin_unlock_irqrestore(&ring_lock, flags);
}

static void mint_console_write(struct console *con, const char *s, unsigned int n)
{
	mint_ring_write((const u8 *)s, n);
}

static struct tty_driver *tty_driver;

static struct tty_driver *mint_console_device(struct console *con, int *index)
{
	*index = 0;
	return tty_driver;
}

static struct console mint_console = {
	.name = "mint",
	.write = mint_console_write,
	.device = mint_console_device,
	/* Enabled without console= (as netconsole is); replays the log from boot. */
	.flags = CON_ENABLED | CON_PRINTBUFFER,
	.index = 0,
};

/* ---- containment ---- */

static void mint_record(u32 reason, const char *fmt, ...)
{
	va_list ap;

	if (READ_ONCE(page->reason) != MINT_PARK_NONE)
		return; /* the first path taken is the reason */
	va_start(ap, fmt);
	vsnprintf(page->reason_text, sizeof(page->reason_text), fmt, ap);
	va_end(ap);
	WRITE_ONCE(page->reason, reason);
}

/* Stops every other core of the node, then this one, for good. Any context. */
static void __noreturn mint_park(void)
{
	unsigned int i;

	local_irq_disable();
	if (atomic_inc_return(&parking) == 1) {
		/* A panic has stopped the others already; the call returns at once then. */
		smp_ops.stop_other_cpus(0);
		WRITE_ONCE(page->park_cpu, smp_processor_id());
		WRITE_ONCE(page->tsc_parked, rdtsc_ordered());
		for (i = 0; i < MINT_NODE_LINKS; i++)
			if (net_links[i])
				mint_link_park(net_links[i]); /* the peer's end goes down at once */
		wmb(); /* reason and stamps before the condition the host trusts them by */
		WRITE_ONCE(page->condition, MINT_NODE_PARKED);
		wmb();
	}
	for (;;)
		native_halt();
}

static int mint_reboot_notify(struct notifier_block *nb, unsigned long code, void *cmd)
{
	switch (code) {
	case SYS_RESTART:
		mint_record(MINT_PARK_REBOOT, "reboot%s%s", cmd ? ": " : "",
			    cmd ? (const char *)cmd : "");
		break;
	case SYS_POWER_OFF:
		mint_record(MINT_PARK_POWER_OFF, "power-off");
		break;
	case SYS_HALT:
	default:
		mint_record(MINT_PARK_HALT, "halt");
		break;
	}
	pr_emerg("mint-node: %s: parking the node's cores instead (the machine is shared)\n",
		 page->reason_text);
	mint_park();
}

/* Last of the chain: every other notifier (file systems, drivers) has run. */
static struct notifier_block mint_reboot_nb = {
	.notifier_call = mint_reboot_notify,
	.priority = INT_MIN,
};

static void mint_kmsg_dump(struct kmsg_dumper *dumper, mint_kmsg_dump_arg arg)
{
	switch (mint_kmsg_reason(arg)) {
	case KMSG_DUMP_EMERG:
		/* emergency_restart(): sysrq-b, a watchdog, panic with a timeout. */
		mint_record(MINT_PARK_EMERGENCY_RESTART, "emergency restart");
		pr_emerg("mint-node: emergency restart: parking the node's cores instead\n");
		mint_park();
	case KMSG_DUMP_SHUTDOWN:
		/* Reached only if the reboot notifier was skipped: park all the same. */
		mint_record(system_state == SYSTEM_POWER_OFF ? MINT_PARK_POWER_OFF :
			    system_state == SYSTEM_HALT ? MINT_PARK_HALT : MINT_PARK_REBOOT,
			    "shutdown (system_state %d)", system_state);
		mint_park();
	default:
		break;
	}
}

static struct kmsg_dumper mint_dumper = {
	.dump = mint_kmsg_dump,
	.max_reason = KMSG_DUMP_MAX,
};

static int mint_panic_notify(struct notifier_block *nb, unsigned long code, void *msg)
{
	char text[100];
	size_t len;

	strscpy(text, msg ? (const char *)msg : "", sizeof(text));
	len = strlen(text);
	while (len && text[len - 1] == '\n')
		text[--len] = '\0';
	mint_record(MINT_PARK_PANIC, "panic: %s", text);
	return NOTIFY_DONE;
}

static struct notifier_block mint_panic_nb = {
	.notifier_call = mint_panic_notify,
	.priority = INT_MIN,
};

static long (*saved_panic_blink)(int state);

/* panic() calls this once the console is flushed, with panic=0 and with a timeout alike. */
static long __noreturn mint_panic_blink(int state)
{
	mint_park();
}

/* With a power-off handler, poweroff(2) stays a power-off instead of becoming a halt. */
static struct sys_off_handler *mint_power_off;

static int mint_power_off_handler(struct sys_off_data *data)
{
	mint_record(MINT_PARK_POWER_OFF, "power-off");
	mint_park();
}

/* ---- memory given at run time (docs/memory-handover.md) ---- */

#if IS_ENABLED(CONFIG_MEMORY_HOTREMOVE)
static struct task_struct *mem_task;
static DECLARE_WAIT_QUEUE_HEAD(mem_wait);
static bool mem_kick;
static bool mem_paused;                  /* a sleep transition is under way */
static DEFINE_MUTEX(mem_lock);           /* held by each pass and by the PM notifier */
static struct mint_range mem_have[MINT_MEM_GRANTS]; /* what this kernel has added now */
static unsigned long mem_deadline;       /* jiffies by which a removal under way gives up */
static bool mem_removing;

static bool mint_mem_in(const struct mint_range *list, const struct mint_range *r)
{
	unsigned int i;

	for (i = 0; i < MINT_MEM_GRANTS; i++)
		if (list[i].size && list[i].start == r->start && list[i].size == r->size)
			return true;
	return false;
}

static void mint_mem_error(const struct mint_range *r, int err, const char *what)
{
	pr_warn("mint-node: cannot %s memory 0x%llx-0x%llx: %d%s\n", what, r->start,
		r->start + r->size - 1, err,
		err == -EINTR ? " (still in use when the host's deadline passed)" : "");
	WRITE_ONCE(page->mem_error_start, r->start);
	WRITE_ONCE(page->mem_error, err);
}

/*
 * One pass over the memory page: removes what is added and no longer granted, adds what is
 * granted and not added, reports, then acknowledges the seq it acted on. A removal runs until
 * the kernel has emptied the range (it migrates what is there) or the poll, at the deadline,
 * interrupts it with a signal: the range then stays added and the error says -EINTR.
 */
static void mint_mem_apply(void)
{
	struct mint_range want[MINT_MEM_GRANTS];
	unsigned int i, j;
	u32 remove_ms;
	u64 seq;

	mutex_lock(&mem_lock);
	if (mem_paused) {
		mutex_unlock(&mem_lock);
		return;
	}
	seq = READ_ONCE(mem_page->seq);
	smp_rmb(); /* the seq before the grants it announces */
	for (i = 0; i < MINT_MEM_GRANTS; i++) {
		want[i].start = READ_ONCE(mem_page->grants[i].start);
		want[i].size = READ_ONCE(mem_page->grants[i].size);
	}
	remove_ms = READ_ONCE(mem_page->remove_ms);
	WRITE_ONCE(page->mem_error, 0); /* errors of this pass only */
	for (i = 0; i < MINT_MEM_GRANTS; i++) {
		int err;

		if (!mem_have[i].size || mint_mem_in(want, &mem_have[i]))
			continue;
		WRITE_ONCE(mem_deadline, jiffies + msecs_to_jiffies(remove_ms ? remove_ms : 10000));
		WRITE_ONCE(mem_removing, true);
		err = offline_and_remove_memory(mem_have[i].start, mem_have[i].size);
		WRITE_ONCE(mem_removing, false);
		flush_signals(current);
		if (err) {
			mint_mem_error(&mem_have[i], err, "give back");
			continue;
		}
		pr_info("mint-node: memory 0x%llx-0x%llx back to the host\n", mem_have[i].start,
			mem_have[i].start + mem_have[i].size - 1);
		memset(&mem_have[i], 0, sizeof(mem_have[i]));
	}
	for (i = 0; i < MINT_MEM_GRANTS; i++) {
		int err;

		if (!want[i].size || mint_mem_in(mem_have, &want[i]))
			continue;
		for (j = 0; j < MINT_MEM_GRANTS && mem_have[j].size; j++)
			;
		if (j == MINT_MEM_GRANTS) {
			mint_mem_error(&want[i], -ENOSPC, "add");
			continue;
		}
		err = add_memory_driver_managed(memory_add_physaddr_to_nid(want[i].start),
						want[i].start, want[i].size, "System RAM (mint)",
						MHP_NONE);
		if (err) {
			mint_mem_error(&want[i], err, "add");
			continue;
		}
		mem_have[j] = want[i];
		pr_info("mint-node: memory 0x%llx-0x%llx received from the host\n", want[i].start,
			want[i].start + want[i].size - 1);
	}
	for (i = 0; i < MINT_MEM_GRANTS; i++) {
		WRITE_ONCE(page->mem_added[i].start, mem_have[i].start);
		WRITE_ONCE(page->mem_added[i].size, mem_have[i].size);
	}
	smp_wmb(); /* what it did before the seq that says it is done */
	WRITE_ONCE(page->mem_seq, seq);
	mutex_unlock(&mem_lock);
}

/* Its own thread, not a work item: a removal may take seconds and must take a signal. */
static int mint_mem_thread(void *unused)
{
	allow_signal(SIGKILL);
	while (!kthread_should_stop()) {
		if (wait_event_interruptible(mem_wait, READ_ONCE(mem_kick) || kthread_should_stop()))
			flush_signals(current);
		if (kthread_should_stop())
			break;
		WRITE_ONCE(mem_kick, false);
		mint_mem_apply();
	}
	return 0;
}

static void mint_mem_poll(void)
{
	if (!mem_task || READ_ONCE(mem_paused))
		return;
	if (READ_ONCE(mem_removing) && time_after(jiffies, READ_ONCE(mem_deadline)))
		send_sig(SIGKILL, mem_task, 1); /* offline_pages() gives up on a pending signal */
	else if (READ_ONCE(mem_page->seq) != READ_ONCE(page->mem_seq) && !READ_ONCE(mem_kick)) {
		WRITE_ONCE(mem_kick, true);
		wake_up(&mem_wait);
	}
}

static void mint_mem_pause(bool pause)
{
	if (!mem_task)
		return;
	if (pause) {
		WRITE_ONCE(mem_paused, true);
		if (READ_ONCE(mem_removing))
			send_sig(SIGKILL, mem_task, 1); /* the sleep does not wait for a removal */
		mutex_lock(&mem_lock); /* a pass under way ends first */
		mutex_unlock(&mem_lock);
	} else {
		WRITE_ONCE(mem_paused, false);
	}
}

static void mint_mem_init(void)
{
	unsigned int i;

	for (i = 0; i < MINT_MEM_GRANTS; i++) /* a reloaded module finds what it added */
		mem_have[i] = page->mem_added[i];
	page->mem_seq = 0; /* acts once on the memory page as it finds it */
	page->mem_error = 0;
	mem_task = kthread_run(mint_mem_thread, NULL, "mint-mem");
	if (IS_ERR(mem_task)) {
		pr_warn("mint-node: no memory from the host: cannot start a thread: %ld\n",
			PTR_ERR(mem_task));
		mem_task = NULL;
		page->mem_block_size = 0;
		return;
	}
	page->mem_block_size = memory_block_size_bytes();
}

static void mint_mem_exit(void)
{
	if (mem_task) {
		send_sig(SIGKILL, mem_task, 1);
		kthread_stop(mem_task);
		mem_task = NULL;
	}
}
#else
/* No memory hotplug in this kernel (686: FLATMEM): a block size of 0 says so to the host. */
static void mint_mem_poll(void)
{
}

static void mint_mem_pause(bool pause)
{
}

static void mint_mem_init(void)
{
	page->mem_block_size = 0;
}

static void mint_mem_exit(void)
{
}
#endif

/* ---- cores (docs/cores.md) ---- */

static int cores_hp_state;
static struct work_struct cores_work;
/*
 * Held by each pass and by the PM notifier, which sets cores_paused from the start of a sleep
 * transition to its end: a pass racing the kernel's own freezing or thawing of its secondary
 * cores could bring one up while the host parks it, and wait for it forever.
 */
static DEFINE_MUTEX(cores_lock);
static bool cores_paused;

static bool mint_core_granted(u32 apic_id)
{
	return apic_id < 256 && (READ_ONCE(cores_page->granted[apic_id / 32]) >> (apic_id % 32)) & 1;
}

/*
 * Runs on the control CPU before the kernel sends INIT/SIPI to `cpu` (the BP prepare section
 * of bringing it up), so a refusal here means the core is never woken.
 */
static int mint_core_prepare(unsigned int cpu)
{
	u32 apic_id = per_cpu(x86_cpu_to_apicid, cpu);

	if (mint_core_granted(apic_id))
		return 0;
	pr_warn_ratelimited("mint-node: refusing to bring CPU %u (APIC ID %u) online: the host has not given this node that core\n",
			    cpu, apic_id);
	return -EPERM;
}

/* The node's online cores, by APIC ID, into the node page. */
static void mint_cores_report(void)
{
	u32 online[8] = { 0 };
	unsigned int cpu, i;

	for_each_online_cpu(cpu) {
		u32 apic_id = per_cpu(x86_cpu_to_apicid, cpu);

		if (apic_id < 256)
			online[apic_id / 32] |= 1u << (apic_id % 32);
	}
	for (i = 0; i < ARRAY_SIZE(online); i++)
		WRITE_ONCE(page->cores_online[i], online[i]);
}

/*
 * On CPU 0 (the boot core, which never moves), so the work never runs on a core it takes
 * down. Brings up what is granted and offline, takes down what is online and not granted,
 * then reports, then acknowledges the seq it acted on.
 */
static void mint_cores_apply(struct work_struct *work)
{
	u64 seq;
	unsigned int cpu;

	mutex_lock(&cores_lock);
	if (cores_paused) {
		mutex_unlock(&cores_lock); /* the poll queues it again once the node is back */
		return;
	}
	seq = READ_ONCE(cores_page->seq);
	smp_rmb(); /* the seq before the bitmap it announces */
	WRITE_ONCE(page->cores_error, 0); /* errors of this pass only */
	for_each_present_cpu(cpu) {
		u32 apic_id = per_cpu(x86_cpu_to_apicid, cpu);
		bool granted = mint_core_granted(apic_id);
		int err = 0;

		if (cpu == 0 || granted == cpu_online(cpu))
			continue;
		err = granted ? add_cpu(cpu) : remove_cpu(cpu);
		if (err > 0)
			err = 0; /* device_online/offline: it already was */
		if (err) {
			pr_warn("mint-node: cannot take CPU %u (APIC ID %u) %s: %d\n", cpu, apic_id,
				granted ? "online" : "offline", err);
			WRITE_ONCE(page->cores_error_apic, apic_id);
			WRITE_ONCE(page->cores_error, err);
		} else {
			pr_info("mint-node: CPU %u (APIC ID %u) %s\n", cpu, apic_id,
				granted ? "received from the host: online" : "offline: back to the host");
		}
	}
	mint_cores_report();
	smp_wmb(); /* what it did before the seq that says it is done */
	WRITE_ONCE(page->cores_seq, seq);
	mutex_unlock(&cores_lock);
}

static int mint_cores_pm(struct notifier_block *nb, unsigned long action, void *data)
{
	switch (action) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
		mutex_lock(&cores_lock); /* a pass under way ends first */
		WRITE_ONCE(cores_paused, true);
		mutex_unlock(&cores_lock);
		mint_mem_pause(true);
		break;
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		WRITE_ONCE(cores_paused, false);
		mint_mem_pause(false);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block mint_cores_pm_nb = {
	.notifier_call = mint_cores_pm,
};

static void mint_cores_poll(void)
{
	if (READ_ONCE(cores_paused))
		return; /* mid-transition: neither a report nor a pass until the node is back */
	mint_cores_report();
	if (READ_ONCE(cores_page->seq) != READ_ONCE(page->cores_seq) && !work_pending(&cores_work))
		queue_work_on(0, system_long_wq, &cores_work);
}

static int mint_cores_init(void)
{
	int ret;

	INIT_WORK(&cores_work, mint_cores_apply);
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mint/node:granted",
					mint_core_prepare, NULL);
	if (ret < 0)
		return ret;
	cores_hp_state = ret;
	ret = register_pm_notifier(&mint_cores_pm_nb);
	if (ret) {
		cpuhp_remove_state_nocalls(cores_hp_state);
		cores_hp_state = 0;
	}
	return ret;
}

static void mint_cores_exit(void)
{
	if (cores_hp_state > 0) {
		unregister_pm_notifier(&mint_cores_pm_nb);
		cpuhp_remove_state_nocalls(cores_hp_state);
	}
	cancel_work_sync(&cores_work);
}

/* ---- heartbeat and console input ---- */

static struct tty_port tty_port;
static struct delayed_work poll_work;
static unsigned long last_beat;

#define MINT_POLL_MS 20

static void mint_poll(struct work_struct *work)
{
	u64 head = READ_ONCE(host_page->console_in_head);
	u64 tail = page->console_in_tail;
	u8 chunk[64];

	/* A head behind the tail or too far ahead is the host's bug: resynchronise. */
	if (head - tail > MINT_CONSOLE_IN_SIZE)
		tail = head;
	smp_rmb(); /* the head before the bytes it publishes */
	while (tail != head) {
		size_t n = min_t(u64, head - tail, sizeof(chunk));
		size_t i;

		for (i = 0; i < n; i++)
			chunk[i] = READ_ONCE(console_in[(tail + i) & (MINT_CONSOLE_IN_SIZE - 1)]);
		if (tty_insert_flip_string(&tty_port, chunk, n) != n)
			break; /* the tty is full: keep the rest for the next poll */
		tail += n;
	}
	if (tail != page->console_in_tail) {
		smp_mb(); /* bytes read before the ring space is given back */
		WRITE_ONCE(page->console_in_tail, tail);
		tty_flip_buffer_push(&tty_port);
	}

	if (time_after_eq(jiffies, last_beat + msecs_to_jiffies(MINT_HEARTBEAT_MS))) {
		last_beat = jiffies;
		WRITE_ONCE(page->tsc_heartbeat, rdtsc());
		WRITE_ONCE(page->heartbeat, page->heartbeat + 1);
	}
	mint_cores_poll();
	mint_mem_poll();
	schedule_delayed_work(&poll_work, msecs_to_jiffies(MINT_POLL_MS));
}

/* ---- /dev/ttyMint0 ---- */

static int mint_tty_open(struct tty_struct *tty, struct file *filp)
{
	return tty_port_open(&tty_port, tty, filp);
}

static void mint_tty_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(&tty_port, tty, filp);
}

static mint_tty_write_ret mint_tty_write(struct tty_struct *tty, const u8 *buf,
					 mint_tty_write_count count)
{
	mint_ring_write(buf, count);
	return count;
}

static unsigned int mint_tty_write_room(struct tty_struct *tty)
{
	return MINT_CONSOLE_OUT_SIZE / 4; /* the ring never blocks: old bytes give way */
}

static const struct tty_operations mint_tty_ops = {
	.open = mint_tty_open,
	.close = mint_tty_close,
	.write = mint_tty_write,
	.write_room = mint_tty_write_room,
};

static const struct tty_port_operations mint_port_ops = {};

static int mint_tty_init(void)
{
	struct device *dev;
	int err;

	tty_driver = tty_alloc_driver(1, TTY_DRIVER_REAL_RAW | TTY_DRIVER_DYNAMIC_DEV);
	if (IS_ERR(tty_driver))
		return PTR_ERR(tty_driver);
	tty_driver->driver_name = "mint";
	tty_driver->name = "ttyMint";
	tty_driver->type = TTY_DRIVER_TYPE_SYSTEM;
	tty_driver->subtype = SYSTEM_TYPE_CONSOLE;
	tty_driver->init_termios = tty_std_termios;
	tty_driver->init_termios.c_cflag |= CLOCAL; /* no modem lines: never wait for carrier */
	tty_set_operations(tty_driver, &mint_tty_ops);
	tty_port_init(&tty_port);
	tty_port.ops = &mint_port_ops;
	err = tty_register_driver(tty_driver);
	if (err)
		goto put;
	dev = tty_port_register_device(&tty_port, tty_driver, 0, NULL);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		tty_unregister_driver(tty_driver);
		goto put;
	}
	return 0;
put:
	tty_port_destroy(&tty_port);
	tty_driver_kref_put(tty_driver);
	tty_driver = NULL;
	return err;
}

static void mint_tty_exit(void)
{
	tty_unregister_device(tty_driver, 0);
	tty_unregister_driver(tty_driver);
	tty_port_destroy(&tty_port);
	tty_driver_kref_put(tty_driver);
}

/* ---- network links (docs/network.md) ---- */

/*
 * Maps one link's region and makes its device `ifname` as side `side`. The doorbell goes to
 * CPU 0, the node's boot core: a core the node never gives away.
 */
static int mint_net_attach(unsigned int index, const char *ifname, unsigned long long phys,
			   unsigned long long size, int side)
{
	struct mint_link_desc desc;
	struct mint_link *l;
	void *region;
	int err;

	if (!PAGE_ALIGNED(phys) || !size || size - 1 > U64_MAX - phys) {
		pr_err("mint-node: %s: region 0x%llx+0x%llx is not page aligned or wraps\n", ifname,
		       phys, size);
		return -EINVAL;
	}
	region = memremap(phys, size, MEMREMAP_WB);
	if (!region) {
		pr_err("mint-node: cannot map the link at 0x%llx+0x%llx\n", phys, size);
		return -ENOMEM;
	}
	memcpy(&desc, region, sizeof(desc)); /* read once: only the copy is used */
	err = mint_ring_check_desc(&desc, size);
	if (err) {
		pr_err("mint-node: the link at 0x%llx has no valid descriptor (magic 0x%x, version %u, ring 0x%x, mtu %u)\n",
		       phys, desc.magic, desc.version, desc.ring_size, desc.mtu);
		goto unmap;
	}
	l = mint_link_create(ifname, region, &desc, side, 0, NULL, 0);
	if (IS_ERR(l)) {
		err = PTR_ERR(l);
		pr_err("mint-node: cannot create %s: %d\n", ifname, err);
		goto unmap;
	}
	mint_link_allow(l, true);
	net_links[index] = l;
	net_regions[index] = region;
	pr_info("mint-node: link %s at 0x%llx+0x%llx, side %d, rings of %u KiB, mtu %u\n", ifname,
		phys, size, side, desc.ring_size >> 10, desc.mtu);
	return 0;
unmap:
	memunmap(region);
	return err;
}

/*
 * The links the loader gave this node: link=PHYS,SIZE (to the host: mint0, side 1) and
 * dlink=PHYS,SIZE,SIDE[,ADDRESS/PREFIX];... (to other nodes: mint1, mint2, ..., in order; the
 * address is for the node's init). A link that fails is left out; the others still come up.
 */
static void mint_net_init(void)
{
	unsigned long long phys, size;
	const char *p;
	unsigned int index, side;
	bool any = (link && *link) || (dlink && *dlink);
	int err;

	if (!any)
		return;
	err = mint_link_domain_init();
	if (err) /* links work without: the peer's frames wait for the 100 ms tick */
		pr_warn("mint-node: no interrupt domain for the links' doorbells: %d\n", err);
	if (link && *link) {
		if (sscanf(link, "%llx,%llx", &phys, &size) != 2)
			pr_err("mint-node: link=%s: expected PHYS,SIZE in hexadecimal\n", link);
		else
			mint_net_attach(0, "mint0", phys, size, 1);
	}
	for (p = dlink, index = 1; p && *p && index < MINT_NODE_LINKS; index++) {
		char ifname[IFNAMSIZ];

		snprintf(ifname, sizeof(ifname), "mint%u", index);
		if (sscanf(p, "%llx,%llx,%u", &phys, &size, &side) != 3 || side > 1)
			pr_err("mint-node: dlink=%s: expected PHYS,SIZE,SIDE (side 0 or 1) for %s\n",
			       p, ifname);
		else
			mint_net_attach(index, ifname, phys, size, side);
		p = strchr(p, ';');
		if (p)
			p++;
	}
}

static void mint_net_exit(void)
{
	unsigned int i;

	for (i = 0; i < MINT_NODE_LINKS; i++) {
		if (!net_links[i])
			continue;
		mint_link_destroy(net_links[i]);
		net_links[i] = NULL;
		memunmap(net_regions[i]);
		net_regions[i] = NULL;
	}
	mint_link_domain_exit(); /* nothing when there was no domain */
}

/* ---- module life ---- */

static int __init mint_node_init(void)
{
	int err;

	if (!status || !PAGE_ALIGNED(status)) {
		pr_err("mint-node: status=0x%llx: pass the page-aligned mint_status= address of the kernel command line\n",
		       status);
		return -EINVAL;
	}
	shared = memremap(status + MINT_SHARED_NODE_PAGE, MINT_SHARED_END - MINT_SHARED_NODE_PAGE,
			  MEMREMAP_WB);
	if (!shared) {
		pr_err("mint-node: cannot map the shared sections at 0x%llx\n",
		       status + MINT_SHARED_NODE_PAGE);
		return -ENOMEM;
	}
	page = shared;
	host_page = shared + (MINT_SHARED_HOST_PAGE - MINT_SHARED_NODE_PAGE);
	console_in = shared + (MINT_SHARED_CONSOLE_IN - MINT_SHARED_NODE_PAGE);
	console_out = shared + (MINT_SHARED_CONSOLE_OUT - MINT_SHARED_NODE_PAGE);
	cores_page = shared + (MINT_SHARED_CORES - MINT_SHARED_NODE_PAGE);
	mem_page = shared + (MINT_SHARED_MEM - MINT_SHARED_NODE_PAGE);

	/* A module reloaded in the same boot keeps the counters the host follows. */
	if (page->magic != MINT_NODE_PAGE_MAGIC) {
		memset(page, 0, sizeof(*page));
		page->console_in_tail = READ_ONCE(host_page->console_in_head);
	}
	page->reason = MINT_PARK_NONE;
	page->reason_text[0] = '\0';
	page->cores_seq = 0; /* acts once on the cores page as it finds it */
	page->cores_error = 0;
	page->tsc_loaded = rdtsc();
	page->tsc_heartbeat = page->tsc_loaded;
	wmb();
	page->condition = MINT_NODE_UP;
	page->magic = MINT_NODE_PAGE_MAGIC;

	err = mint_cores_init();
	if (err) {
		pr_err("mint-node: cannot register the CPU hotplug callback: %d\n", err);
		goto unmap;
	}
	err = mint_tty_init();
	if (err) {
		pr_err("mint-node: cannot register /dev/ttyMint0: %d\n", err);
		goto cores;
	}
	register_console(&mint_console);

	mint_power_off = register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_LOW,
						  mint_power_off_handler, NULL);
	if (IS_ERR(mint_power_off)) {
		err = PTR_ERR(mint_power_off);
		pr_err("mint-node: cannot register a power-off handler: %d\n", err);
		goto console;
	}
	err = register_reboot_notifier(&mint_reboot_nb);
	if (err)
		goto power_off;
	err = kmsg_dump_register(&mint_dumper);
	if (err)
		goto reboot;
	atomic_notifier_chain_register(&panic_notifier_list, &mint_panic_nb);
	saved_panic_blink = panic_blink;
	panic_blink = mint_panic_blink;

	mint_mem_init();
	INIT_DELAYED_WORK(&poll_work, mint_poll);
	last_beat = jiffies;
	schedule_delayed_work(&poll_work, 0);
	/* A node without its links still runs: the console and exec do not need them. */
	mint_net_init();
	pr_info("mint-node: shared console, heartbeat, reboot/power-off/halt/panic/emergency-restart containment (shared sections at 0x%llx)\n",
		status + MINT_SHARED_NODE_PAGE);
	return 0;

reboot:
	unregister_reboot_notifier(&mint_reboot_nb);
power_off:
	unregister_sys_off_handler(mint_power_off);
console:
	unregister_console(&mint_console);
	mint_tty_exit();
cores:
	mint_cores_exit();
unmap:
	page->condition = MINT_NODE_UNKNOWN;
	memunmap(shared);
	return err;
}

static void __exit mint_node_exit(void)
{
	mint_net_exit();
	cancel_delayed_work_sync(&poll_work);
	mint_mem_exit();
	mint_cores_exit();
	panic_blink = saved_panic_blink;
	atomic_notifier_chain_unregister(&panic_notifier_list, &mint_panic_nb);
	kmsg_dump_unregister(&mint_dumper);
	unregister_reboot_notifier(&mint_reboot_nb);
	unregister_sys_off_handler(mint_power_off);
	unregister_console(&mint_console);
	mint_tty_exit();
	page->condition = MINT_NODE_UNKNOWN;
	memunmap(shared);
}

module_init(mint_node_init);
module_exit(mint_node_exit);

MODULE_DESCRIPTION("Mint node: shared-memory console, heartbeat, reboot/panic containment");
MODULE_LICENSE("GPL");
