// SPDX-License-Identifier: GPL-2.0
/*
 * Cores: keeping the host's hands off the ones nodes own, mapping APIC IDs to the host's CPU
 * numbers, waking and parking cores through the local APIC, and the ELCR a node's stock
 * kernel rewrites once at boot.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/io.h>
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
	pr_warn("mint: refusing to bring CPU %u (APIC ID %u) online: a Mint node owns it\n",
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
	int err = mint_ipi(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, apic_id);

	if (!err && !x2apic_mode)
		err = mint_ipi(APIC_INT_LEVELTRIG | APIC_DM_INIT, apic_id);
	return err;
}

/* The core starts in real mode at vector << 12. */
int mint_send_sipi(u32 apic_id, u8 vector)
{
	return mint_ipi(APIC_DM_STARTUP | vector, apic_id);
}

/* Edge/level control of the 8259 PICs: one byte per PIC, at 0x4d0 and 0x4d1. */
#define MINT_ELCR_PORT 0x4d0

void mint_elcr_save(u8 elcr[2])
{
	elcr[0] = inb(MINT_ELCR_PORT);
	elcr[1] = inb(MINT_ELCR_PORT + 1);
}

void mint_elcr_restore(const u8 elcr[2])
{
	u8 now[2];

	mint_elcr_save(now);
	if (now[0] == elcr[0] && now[1] == elcr[1])
		return;
	outb(elcr[0], MINT_ELCR_PORT);
	outb(elcr[1], MINT_ELCR_PORT + 1);
	pr_info("mint: ELCR restored to 0x%02x%02x (a node had set 0x%02x%02x)\n",
		elcr[1], elcr[0], now[1], now[0]);
}
