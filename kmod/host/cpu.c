// SPDX-License-Identifier: GPL-2.0
/*
 * Cores: keeping the host's hands off the ones nodes own, mapping APIC IDs to the host's CPU
 * numbers, waking and parking cores through the local APIC, and the legacy state (ELCR, CMOS
 * shutdown byte, warm-reset vector) a node's stock kernel rewrites while it boots.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/io.h>
#include <linux/mc146818rtc.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <asm/apic.h>
#include <asm/apicdef.h>

#include "mint_host.h"

struct cpumask mint_owned_cpus;

static int mint_hp_state;

/*
 * Runs on the control CPU in the BP prepare section of bringing `cpu` up, before the host
 * sends INIT/SIPI to it, so refusing here means the host never touches a node's core.
 * It cannot take mint.lock (CREATE holds it while it holds the hotplug lock), hence the
 * lockless mask: CREATE sets bits under cpus_read_lock(), which excludes this callback.
 */
static int mint_cpu_prepare(unsigned int cpu)
{
	if (!cpumask_test_cpu(cpu, &mint_owned_cpus))
		return 0;
	pr_warn_ratelimited("mint: refusing to bring CPU %u (APIC ID %u) online: a Mint node owns it\n",
		cpu, per_cpu(x86_cpu_to_apicid, cpu));
	return -EBUSY;
}

int mint_hotplug_init(void)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mint/host:owned",
					    mint_cpu_prepare, NULL);

	if (ret < 0)
		return ret;
	mint_hp_state = ret;
	return 0;
}

void mint_hotplug_exit(void)
{
	if (mint_hp_state > 0)
		cpuhp_remove_state_nocalls(mint_hp_state);
	mint_hp_state = 0;
}

/* -ENODEV when no present CPU of the host has this APIC ID. */
int mint_apic_to_cpu(u32 apic_id, unsigned int *cpu)
{
	unsigned int c;

	for_each_present_cpu(c) {
		if (per_cpu(x86_cpu_to_apicid, c) == apic_id) {
			*cpu = c;
			return 0;
		}
	}
	return -ENODEV;
}

/* One ICR write, waiting for the previous and this one to be accepted. */
static int mint_ipi(u32 low, u32 apic_id)
{
	u32 busy;

	preempt_disable();
	apic->wait_icr_idle();
	apic->icr_write(low, apic_id);
	busy = apic->safe_wait_icr_idle();
	preempt_enable();
	return busy ? -EIO : 0;
}

/*
 * INIT puts a core in wait-for-SIPI, whatever it was running: this both prepares a boot and
 * parks a node. xAPIC wants the level-triggered assert followed by a deassert; x2APIC has no
 * deassert (the SDM drops INIT level de-assert for it).
 */
int mint_send_init(u32 apic_id)
{
	int err;

	if (mint_fault_inject & MINT_FAULT_INIT)
		return -EIO; /* test only: as if the ICR never went idle */
	err = mint_ipi(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, apic_id);

	if (!err && !x2apic_mode)
		err = mint_ipi(APIC_INT_LEVELTRIG | APIC_DM_INIT, apic_id);
	return err;
}

/* The core starts in real mode at vector << 12. */
int mint_send_sipi(u32 apic_id, u8 vector)
{
	return mint_ipi(APIC_DM_STARTUP | vector, apic_id);
}

/*
 * The legacy state (struct mint_legacy): saved when a node starts booting, put back once it
 * is up. The ELCR is the two PICs' edge/level control bytes at ports 0x4d0/0x4d1. The CMOS
 * shutdown byte (register 0xf) and the warm-reset vector (the real-mode far pointer at
 * 0x467/0x469 in the BIOS data area, page 0) tell the firmware where to go after a warm
 * reset; a stock kernel points them at its own real-mode trampoline while it starts each
 * secondary core, and sets them to 0 afterwards, whatever the host had there.
 *
 * CMOS goes through the kernel's rtc_cmos_read/write under rtc_lock, as the host's own RTC
 * driver and smpboot do; the node's kernel takes its own rtc_lock, not the host's, so the
 * index/data pair can still interleave with the host's RTC driver (README, Limits). Page 0
 * is always in the direct map (init_mem_mapping() maps the whole ISA range), as smpboot uses.
 */
#define MINT_ELCR_PORT 0x4d0
#define MINT_CMOS_SHUTDOWN 0xf

static u32 *mint_warm_reset(void)
{
	return phys_to_virt(TRAMPOLINE_PHYS_LOW);
}

void mint_legacy_save(struct mint_legacy *l)
{
	unsigned long flags;

	l->elcr[0] = inb(MINT_ELCR_PORT);
	l->elcr[1] = inb(MINT_ELCR_PORT + 1);
	spin_lock_irqsave(&rtc_lock, flags);
	l->cmos_shutdown = CMOS_READ(MINT_CMOS_SHUTDOWN);
	spin_unlock_irqrestore(&rtc_lock, flags);
	l->warm_reset = READ_ONCE(*mint_warm_reset());
}

void mint_legacy_restore(const struct mint_legacy *l)
{
	struct mint_legacy now;
	unsigned long flags;

	mint_legacy_save(&now);
	if (now.elcr[0] != l->elcr[0] || now.elcr[1] != l->elcr[1]) {
		outb(l->elcr[0], MINT_ELCR_PORT);
		outb(l->elcr[1], MINT_ELCR_PORT + 1);
		pr_info("mint: ELCR restored to 0x%02x%02x (a node had set 0x%02x%02x)\n",
			l->elcr[1], l->elcr[0], now.elcr[1], now.elcr[0]);
	}
	if (now.cmos_shutdown != l->cmos_shutdown) {
		spin_lock_irqsave(&rtc_lock, flags);
		CMOS_WRITE(l->cmos_shutdown, MINT_CMOS_SHUTDOWN);
		spin_unlock_irqrestore(&rtc_lock, flags);
		pr_info("mint: CMOS shutdown byte restored to 0x%02x (a node had set 0x%02x)\n",
			l->cmos_shutdown, now.cmos_shutdown);
	}
	if (now.warm_reset != l->warm_reset) {
		WRITE_ONCE(*mint_warm_reset(), l->warm_reset);
		pr_info("mint: warm-reset vector at 0x%x restored to 0x%08x (a node had set 0x%08x)\n",
			TRAMPOLINE_PHYS_LOW, l->warm_reset, now.warm_reset);
	}
}
