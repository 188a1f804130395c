// SPDX-License-Identifier: GPL-2.0
/*
 * Cores between running kernels (MINT_IOC_CPU, docs/cores.md). A node is booted knowing the
 * cores it may receive: its MADT lists them after its own and its kernel starts only its own
 * (maxcpus=). Handing one over is then a plain CPU online inside the node's stock kernel,
 * through its own real-mode trampoline. This file keeps the books: every core is the host's
 * or exactly one node's at every step, and each step is one ioctl under mint.lock.
 *
 *   host -> node   GIVE: remove_cpu() if the host has it online, INIT (parked), owned by the
 *                  node, granted in its cores page; the node module then brings it up.
 *   node -> host   RELEASE: ungranted; the node module takes it down and says so in its node
 *                  page; RECLAIM: INIT (parked), the host's again, add_cpu() if asked.
 *   node -> node   RELEASE and RECLAIM from one, then GIVE to the other (user space chains).
 *
 * A node's boot core never moves: the links' doorbells go to it (and to the host's CPU 0,
 * which is never given), so no doorbell ever lands on a core that changed hands.
 */
#include <linux/cpu.h>
#include <linux/io.h>
#include <linux/printk.h>
#include <asm/apic.h>
#include <asm/msr.h>

#include "mint_host.h"

/*
 * Host CPUs the host had online when it gave them to a node, kept while the core passes from
 * node to node, cleared when it comes back to rest in the host (`mint cpu take` brings it
 * online again by default).
 */
static struct cpumask mint_host_had;

/* DESTROY: the node's cores come back to rest in the host, parked. */
void mint_cores_forget(const struct mint_node *n)
{
	unsigned int i;

	for (i = 0; i < n->n_cpus; i++)
		cpumask_clear_cpu(n->cpus[i], &mint_host_had);
}

static int mint_cores_index(const struct mint_node *n, u32 apic_id)
{
	unsigned int i;

	for (i = 0; i < n->n_cpus; i++)
		if (n->apic_ids[i] == apic_id)
			return i;
	return -1;
}

static bool mint_cores_listed(const struct mint_node *n, u32 apic_id)
{
	unsigned int i;

	for (i = 0; i < n->n_listed; i++)
		if (n->listed[i] == apic_id)
			return true;
	return false;
}

/* The node holding `apic_id` among its cores, if any. */
static struct mint_node *mint_cores_holder(u32 apic_id, unsigned int *id)
{
	unsigned int i;

	for (i = 0; i < MINT_MAX_NODES; i++) {
		struct mint_node *n = &mint.slots[i].node;

		if (n->state != MINT_STATE_FREE && mint_cores_index(n, apic_id) >= 0) {
			*id = i;
			return n;
		}
	}
	return NULL;
}

/*
 * Writes the node's cores page: granted = the cores it holds, except one being released;
 * then seq + 1. The node module acts on each new seq.
 */
int mint_cores_publish(struct mint_node *n)
{
	struct mint_cores_page *p;
	u32 granted[8] = { 0 };
	unsigned int i;

	for (i = 0; i < n->n_cpus; i++)
		if (n->apic_ids[i] < 256 && !(n->releasing & (1u << i)))
			granted[n->apic_ids[i] / 32] |= 1u << (n->apic_ids[i] % 32);
	p = memremap(n->status_phys + MINT_SHARED_CORES, sizeof(*p), MEMREMAP_WB);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(granted); i++)
		WRITE_ONCE(p->granted[i], granted[i]);
	smp_wmb(); /* the bitmap before the seq that announces it */
	n->cores_seq++;
	WRITE_ONCE(p->seq, n->cores_seq);
	memunmap(p);
	return 0;
}

/* What the node page says about `apic_id`: online there, and whether it acted on our seq. */
static int mint_cores_node_view(const struct mint_node *n, u32 apic_id, struct mint_cpu *c)
{
	struct mint_node_page np;
	int err = mint_read_phys(n->status_phys + MINT_SHARED_NODE_PAGE, &np, sizeof(np));

	if (err)
		return err;
	if (np.magic != MINT_NODE_PAGE_MAGIC || np.condition != MINT_NODE_UP)
		return -ENODEV;
	c->node_acked = np.cores_seq == n->cores_seq;
	c->node_online = apic_id < 256 && (np.cores_online[apic_id / 32] >> (apic_id % 32)) & 1;
	c->node_error = np.cores_error_apic == apic_id ? np.cores_error : 0;
	return 0;
}

static int mint_cores_query(struct mint_file *f, struct mint_cpu *c)
{
	unsigned int cpu, id;
	struct mint_node *n;
	int i;

	if (mint_apic_to_cpu(c->apic_id, &cpu)) {
		/* An answer, not a failure worth a log line: `mint cpu ls` asks every APIC ID. */
		snprintf(f->last_error, sizeof(f->last_error),
			 "APIC ID %u is not a present CPU of the host", c->apic_id);
		return -ENODEV;
	}
	c->host_cpu = cpu;
	c->host_online = cpu_online(cpu);
	c->host_was_online = cpumask_test_cpu(cpu, &mint_host_had);
	n = mint_cores_holder(c->apic_id, &id);
	if (!n) {
		c->owner = MINT_CPU_HOST;
		return 0;
	}
	c->owner = id;
	i = mint_cores_index(n, c->apic_id);
	c->boot_core = i == 0;
	c->granted = !(n->releasing & (1u << i));
	if (n->state == MINT_STATE_READY && !mint_cores_node_view(n, c->apic_id, c) &&
	    c->node_acked && c->node_online && n->legacy_pending && !c->boot_core)
		mint_legacy_restore_node(n); /* its kernel is done starting the core */
	return 0;
}

/* The node, checked to be running with its module up, for GIVE and RELEASE. */
static struct mint_node *mint_cores_running(struct mint_file *f, u32 id, const char *what)
{
	struct mint_node *n = mint_node_get(f, id, false);
	struct mint_cpu view = { 0 };

	if (IS_ERR(n))
		return n;
	if (n->state != MINT_STATE_READY) {
		mint_fail(f, "node %s: cannot %s a core: the node is not running (state %u)",
			  n->name, what, n->state);
		return ERR_PTR(-EBUSY);
	}
	if (mint_cores_node_view(n, 0, &view)) {
		mint_fail(f, "node %s: cannot %s a core: its mint_node.ko is not running", n->name,
			  what);
		return ERR_PTR(-ENODEV);
	}
	return n;
}

static int mint_cores_give(struct mint_file *f, struct mint_cpu *c)
{
	struct mint_node *n = mint_cores_running(f, c->id, "give");
	struct mint_node *holder;
	unsigned int cpu, hid;
	bool was_online;
	int err;

	if (IS_ERR(n))
		return PTR_ERR(n);
	if (!mint_cores_listed(n, c->apic_id)) {
		mint_fail(f, "node %s: APIC ID %u is neither its own core nor one it may receive",
			  n->name, c->apic_id);
		return -EINVAL;
	}
	if (mint_apic_to_cpu(c->apic_id, &cpu)) {
		mint_fail(f, "APIC ID %u is not a present CPU of the host", c->apic_id);
		return -ENODEV;
	}
	holder = mint_cores_holder(c->apic_id, &hid);
	if (holder) {
		mint_fail(f, "node %s: APIC ID %u belongs to node %s%s", n->name, c->apic_id,
			  holder->name, holder == n ? " already" : "; take it from there first");
		return -EBUSY;
	}
	if (cpu == 0) {
		mint_fail(f, "node %s: APIC ID %u is the host's CPU 0 (its boot core, where the links' doorbells go): it never moves",
			  n->name, c->apic_id);
		return -EPERM;
	}
	if (n->n_cpus == MINT_MAX_CPUS) {
		mint_fail(f, "node %s: it holds %u cores already, the most one node may", n->name,
			  MINT_MAX_CPUS);
		return -ENOSPC;
	}
	was_online = cpu_online(cpu);
	if (was_online) {
		err = remove_cpu(cpu);
		if (err) {
			mint_fail(f, "node %s: the host could not take CPU %u (APIC ID %u) offline: %d",
				  n->name, cpu, c->apic_id, err);
			return err;
		}
	}
	/* Owned before anything can bring it back: the hotplug callback refuses it from here. */
	cpus_read_lock();
	if (cpu_online(cpu)) {
		cpus_read_unlock();
		mint_fail(f, "node %s: CPU %u (APIC ID %u) came online in the host again",
			  n->name, cpu, c->apic_id);
		return -EBUSY;
	}
	cpumask_set_cpu(cpu, &mint_owned_cpus);
	cpus_read_unlock();
	err = mint_send_init(c->apic_id);
	if (err) {
		cpumask_clear_cpu(cpu, &mint_owned_cpus);
		mint_fail(f, "node %s: APIC ID %u did not accept INIT; it stays the host's, offline",
			  n->name, c->apic_id);
		return err;
	}
	if (was_online)
		cpumask_set_cpu(cpu, &mint_host_had);
	n->apic_ids[n->n_cpus] = c->apic_id;
	n->cpus[n->n_cpus] = cpu;
	n->n_cpus++;
	mint_legacy_pending(n); /* its kernel sets the warm-reset vector to start the core */
	err = mint_cores_publish(n);
	if (err) {
		/* Never granted, so never started by the node: back to the host, parked. */
		n->n_cpus--;
		cpumask_clear_cpu(cpu, &mint_owned_cpus);
		mint_fail(f, "node %s: cannot map its cores page; APIC ID %u stays the host's, offline",
			  n->name, c->apic_id);
		return err;
	}
	c->owner = c->id;
	c->host_cpu = cpu;
	c->host_was_online = was_online;
	pr_info("mint: APIC ID %u (host CPU %u%s) given to node %s\n", c->apic_id, cpu,
		was_online ? ", taken offline" : "", n->name);
	return 0;
}

/* The node and the index of `apic_id` among its cores, for RELEASE, KEEP and RECLAIM. */
static struct mint_node *mint_cores_held(struct mint_file *f, struct mint_cpu *c, int *index)
{
	struct mint_node *n = mint_node_get(f, c->id, false);

	if (IS_ERR(n))
		return n;
	*index = mint_cores_index(n, c->apic_id);
	if (*index < 0) {
		mint_fail(f, "node %s: APIC ID %u is not one of its cores", n->name, c->apic_id);
		return ERR_PTR(-EINVAL);
	}
	if (*index == 0) {
		mint_fail(f, "node %s: APIC ID %u is its boot core: it never moves", n->name,
			  c->apic_id);
		return ERR_PTR(-EPERM);
	}
	return n;
}

static int mint_cores_release(struct mint_file *f, struct mint_cpu *c, bool keep)
{
	struct mint_node *n;
	int i, err;

	/* A release needs the node running; a keep undoes one whatever the node is doing. */
	if (!keep) {
		n = mint_cores_running(f, c->id, "take");
		if (IS_ERR(n))
			return PTR_ERR(n);
	}
	n = mint_cores_held(f, c, &i);
	if (IS_ERR(n))
		return PTR_ERR(n);
	if (keep)
		n->releasing &= ~(1u << i);
	else
		n->releasing |= 1u << i;
	err = mint_cores_publish(n);
	if (err) {
		mint_fail(f, "node %s: cannot map its cores page", n->name);
		return err;
	}
	c->owner = c->id;
	c->granted = keep;
	return 0;
}

static int mint_cores_reclaim(struct mint_file *f, struct mint_cpu *c)
{
	struct mint_cpu view = { 0 };
	struct mint_node *n;
	unsigned int cpu;
	int i, err;

	n = mint_cores_held(f, c, &i);
	if (IS_ERR(n))
		return PTR_ERR(n);
	if (!(n->releasing & (1u << i))) {
		mint_fail(f, "node %s: APIC ID %u was not released first", n->name, c->apic_id);
		return -EINVAL;
	}
	err = mint_cores_node_view(n, c->apic_id, &view);
	if (err || !view.node_acked || view.node_online) {
		mint_fail(f, "node %s: %s APIC ID %u offline yet", n->name,
			  err ? "its module cannot say it took" : "it has not taken", c->apic_id);
		return -EAGAIN;
	}
	err = mint_send_init(c->apic_id);
	if (err) {
		mint_fail(f, "node %s: APIC ID %u did not accept INIT; it stays the node's",
			  n->name, c->apic_id);
		return err;
	}
	cpu = n->cpus[i];
	/* Out of the node's list, order kept (index 0, the boot core, never leaves). */
	memmove(&n->apic_ids[i], &n->apic_ids[i + 1], (n->n_cpus - i - 1) * sizeof(n->apic_ids[0]));
	memmove(&n->cpus[i], &n->cpus[i + 1], (n->n_cpus - i - 1) * sizeof(n->cpus[0]));
	n->n_cpus--;
	n->apic_ids[n->n_cpus] = 0;
	n->cpus[n->n_cpus] = 0;
	n->releasing = (n->releasing & ((1u << i) - 1)) | ((n->releasing >> (i + 1)) << i);
	cpumask_clear_cpu(cpu, &mint_owned_cpus);
	if (!(c->flags & MINT_CPU_PASSING))
		cpumask_clear_cpu(cpu, &mint_host_had);
	mint_cores_publish(n); /* only the seq moves: the core was ungranted already */
	c->owner = MINT_CPU_HOST;
	c->host_cpu = cpu;
	pr_info("mint: APIC ID %u (host CPU %u) taken back from node %s\n", c->apic_id, cpu,
		n->name);
	if (c->flags & MINT_CPU_HOST_ONLINE) {
		err = add_cpu(cpu);
		if (err) {
			mint_fail(f, "APIC ID %u is the host's again but the host could not bring CPU %u online: %d",
				  c->apic_id, cpu, err);
			return err;
		}
	}
	c->host_online = cpu_online(cpu);
	return 0;
}

int mint_cpu(struct mint_file *f, struct mint_cpu *c)
{
	int err;

	if (c->pad0 || (c->flags & ~(MINT_CPU_HOST_ONLINE | MINT_CPU_PASSING))) {
		mint_fail(f, "MINT_IOC_CPU: unknown flags 0x%x", c->flags);
		return -EINVAL;
	}
	switch (c->op) {
	case MINT_CPU_QUERY:
		err = mint_cores_query(f, c);
		break;
	case MINT_CPU_GIVE:
		err = mint_cores_give(f, c);
		break;
	case MINT_CPU_RELEASE:
		err = mint_cores_release(f, c, false);
		break;
	case MINT_CPU_KEEP:
		err = mint_cores_release(f, c, true);
		break;
	case MINT_CPU_RECLAIM:
		err = mint_cores_reclaim(f, c);
		break;
	default:
		mint_fail(f, "MINT_IOC_CPU: unknown op %u", c->op);
		err = -EINVAL;
	}
	c->tsc_done = rdtsc_ordered();
	return err;
}
