// SPDX-License-Identifier: GPL-2.0
/*
 * A network link's kernel side: see link.h and docs/network.md.
 *
 * Transmit copies each frame into this side's ring under the device's transmit lock and rings
 * the peer's doorbell only when the peer asked for one (ring.c's event index). Receive is NAPI:
 * the doorbell interrupt schedules it, it copies frames out of the peer's ring, gives the room
 * back, and asks for the next doorbell only when it has caught up. A 100 ms timer also
 * schedules it, which follows the peer's handshake (carrier), republishes this side's doorbell
 * if its vector moved, and keeps a link going if a doorbell is ever lost.
 *
 * The doorbell (what a stock kernel offers a module, no kallsyms, no IDT writes): a child
 * domain of the exported x86_vector_domain gives one interrupt per link, bound to a core that
 * never changes kernels and kept from irq balancing. This side publishes the physical APIC ID
 * of that core (x86_cpu_to_apicid), the vector (irqd_cfg) and a generation. The peer raises
 * it by writing its own local APIC's ICR (fixed delivery, physical destination) with
 * interrupts off; the ack goes through the parent chip (the vector domain's apic_ack_edge).
 */
#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <asm/apic.h>
#include <asm/hw_irq.h>
#include <asm/irq_vectors.h>
#include <asm/irqdomain.h>
#include <asm/msr.h>
#include <asm/smp.h>

#include "link.h"
#include "ring.h"

#define MINT_LINK_TICK (HZ / 10)
/* Vectors the peer may ask for: device vectors, never the exception or system ones. */
#define MINT_LINK_VECTOR_MIN 0x21u
#define MINT_LINK_VECTOR_MAX 0xebu

struct mint_link {
	struct net_device *dev;
	struct napi_struct napi;
	struct mint_ring ring; /* tx under the device's tx lock; rx in NAPI; sync with both */
	struct timer_list timer;
	unsigned int cpu;
	int irq;               /* this side's doorbell, 0 if none */
	u32 vector, apic_id;   /* what this side published */
	bool allowed;          /* the peer may be up */
	bool up;               /* carrier; changed under the tx lock */
	bool running;
	atomic_t fault;        /* transmit saw an impossible peer value: NAPI restarts */
	u32 peer_apics[MINT_MAX_CPUS];
	unsigned int n_peer_apics;
	u64 doorbells_sent, doorbells_received, faults, refused_doorbells;
};

/* ---- doorbell interrupts ---- */

static struct irq_domain *mint_domain;
static struct fwnode_handle *mint_fwnode;

static void mint_irq_noop(struct irq_data *d)
{
}

static struct irq_chip mint_irq_chip = {
	.name = "mint-link",
	.irq_ack = irq_chip_ack_parent,
	.irq_mask = mint_irq_noop,   /* an IPI cannot be masked at its source: the peer's */
	.irq_unmask = mint_irq_noop, /* event index is what holds doorbells back */
	.irq_set_affinity = irq_chip_set_affinity_parent,
	.irq_retrigger = irq_chip_retrigger_hierarchy,
};

static int mint_domain_alloc(struct irq_domain *d, unsigned int virq, unsigned int nr,
			     void *arg)
{
	unsigned int i;
	int err;

	err = irq_domain_alloc_irqs_parent(d, virq, nr, arg);
	if (err)
		return err;
	for (i = 0; i < nr; i++)
		irq_domain_set_info(d, virq + i, virq + i, &mint_irq_chip, NULL, handle_edge_irq,
				    NULL, "edge");
	return 0;
}

static void mint_domain_free(struct irq_domain *d, unsigned int virq, unsigned int nr)
{
	irq_domain_free_irqs_common(d, virq, nr);
}

static const struct irq_domain_ops mint_domain_ops = {
	.alloc = mint_domain_alloc,
	.free = mint_domain_free,
};

int mint_link_domain_init(void)
{
	mint_fwnode = irq_domain_alloc_named_fwnode("mint-link");
	if (!mint_fwnode)
		return -ENOMEM;
	mint_domain = irq_domain_create_hierarchy(x86_vector_domain, 0, 0, mint_fwnode,
						  &mint_domain_ops, NULL);
	if (!mint_domain) {
		irq_domain_free_fwnode(mint_fwnode);
		mint_fwnode = NULL;
		return -ENOMEM;
	}
	return 0;
}

void mint_link_domain_exit(void)
{
	if (!mint_domain)
		return;
	irq_domain_remove(mint_domain);
	irq_domain_free_fwnode(mint_fwnode);
	mint_domain = NULL;
}

/* Raises `vector` on the core with physical APIC ID `apic_id`. Interrupts are off. */
static void mint_send_ipi(u32 apic_id, u32 vector)
{
	u32 low = APIC_DM_FIXED | APIC_DEST_PHYSICAL | vector;

	if (x2apic_enabled()) {
		mb(); /* the ring writes before the interrupt: an x2APIC ICR write does not order */
		wrmsrl(APIC_BASE_MSR + (APIC_ICR >> 4), ((u64)apic_id << 32) | low);
		return;
	}
	while (native_apic_mem_read(APIC_ICR) & APIC_ICR_BUSY)
		cpu_relax();
	native_apic_mem_write(APIC_ICR2, SET_XAPIC_DEST_FIELD(apic_id));
	native_apic_mem_write(APIC_ICR, low);
}

/* Rings the peer's doorbell, if it published one this side may ring. */
static void mint_link_doorbell(struct mint_link *l)
{
	const struct mint_link_control *p = l->ring.peer;
	u32 gen = READ_ONCE(p->irq_generation);
	u32 apic_id, vector;
	unsigned long flags;
	unsigned int i;
	bool ok;

	smp_rmb(); /* the generation before the values it covers */
	apic_id = READ_ONCE(p->irq_apic_id);
	vector = READ_ONCE(p->irq_vector);
	smp_rmb();
	if (!vector || (gen & 1) || READ_ONCE(p->irq_generation) != gen)
		return; /* no doorbell, or one moving: the peer's tick finds the frames */
	ok = vector >= MINT_LINK_VECTOR_MIN && vector <= MINT_LINK_VECTOR_MAX;
	for (i = 0; ok && l->n_peer_apics && i < l->n_peer_apics; i++)
		if (l->peer_apics[i] == apic_id)
			break;
	if (!ok || (l->n_peer_apics && i == l->n_peer_apics)) {
		l->refused_doorbells++;
		net_warn_ratelimited("%s: the peer's doorbell (APIC ID %u, vector 0x%x) is not its to ask for: not ringing it\n",
				     l->dev->name, apic_id, vector);
		return;
	}
	local_irq_save(flags);
	mint_send_ipi(apic_id, vector);
	local_irq_restore(flags);
	l->doorbells_sent++;
}

static irqreturn_t mint_link_irq(int irq, void *arg)
{
	struct mint_link *l = arg;

	l->doorbells_received++;
	napi_schedule(&l->napi);
	return IRQ_HANDLED;
}

/* Publishes this side's doorbell: the core's physical APIC ID, the vector, a generation. */
static void mint_link_publish_doorbell(struct mint_link *l)
{
	struct mint_link_control *c = l->ring.mine;
	struct irq_data *d;
	struct irq_cfg *cfg;
	unsigned int cpu;
	u32 apic_id, vector;

	if (!l->irq)
		return;
	d = irq_get_irq_data(l->irq);
	cfg = d ? irqd_cfg(d) : NULL;
	if (!cfg)
		return;
	cpu = cpumask_first(irq_data_get_effective_affinity_mask(d));
	if (cpu >= nr_cpu_ids)
		return;
	apic_id = per_cpu(x86_cpu_to_apicid, cpu);
	vector = cfg->vector;
	if (apic_id == l->apic_id && vector == l->vector && READ_ONCE(c->irq_vector) == vector &&
	    READ_ONCE(c->irq_apic_id) == apic_id)
		return;
	l->apic_id = apic_id;
	l->vector = vector;
	WRITE_ONCE(c->irq_generation, READ_ONCE(c->irq_generation) + 1);
	smp_wmb(); /* an odd moment: readers seeing the old generation after this retry */
	WRITE_ONCE(c->irq_apic_id, apic_id);
	WRITE_ONCE(c->irq_vector, vector);
	smp_wmb();
	WRITE_ONCE(c->irq_generation, READ_ONCE(c->irq_generation) + 1);
}

static int mint_link_irq_setup(struct mint_link *l)
{
	struct irq_alloc_info info;
	int virq, err;

	if (!mint_domain)
		return -ENODEV;
	memset(&info, 0, sizeof(info));
	info.mask = cpumask_of(l->cpu);
	virq = irq_domain_alloc_irqs(mint_domain, 1, cpu_to_node(l->cpu), &info);
	if (virq <= 0)
		return virq < 0 ? virq : -ENOSPC;
	err = request_irq(virq, mint_link_irq, IRQF_NOBALANCING, l->dev->name, l);
	if (err) {
		irq_dispose_mapping(virq);
		return err;
	}
	irq_set_affinity(virq, cpumask_of(l->cpu));
	l->irq = virq;
	mint_link_publish_doorbell(l);
	return 0;
}

/* ---- the device ---- */

static void mint_link_carrier(struct mint_link *l, bool up)
{
	if (up == netif_carrier_ok(l->dev))
		return;
	if (up) {
		netif_carrier_on(l->dev);
		netif_wake_queue(l->dev);
	} else {
		netif_carrier_off(l->dev);
	}
}

/* Under the tx lock: follows the peer's handshake, restarting first after a fault. */
static bool mint_link_sync(struct mint_link *l)
{
	bool up;

	netif_tx_lock(l->dev);
	if (atomic_xchg(&l->fault, 0) && !mint_ring_peer_moved(&l->ring)) {
		l->faults++;
		net_warn_ratelimited("%s: the peer wrote impossible ring values: link reset\n",
				     l->dev->name);
		mint_ring_restart(&l->ring, get_random_u32() | 1);
	}
	up = READ_ONCE(l->allowed) && mint_ring_sync(&l->ring);
	l->up = up;
	netif_tx_unlock(l->dev);
	return up;
}

static int mint_link_poll(struct napi_struct *napi, int budget)
{
	struct mint_link *l = container_of(napi, struct mint_link, napi);
	struct net_device *dev = l->dev;
	int done = 0;

	if (!mint_link_sync(l)) {
		mint_link_carrier(l, false);
		napi_complete_done(napi, 0);
		return 0;
	}
	mint_link_carrier(l, true);
	while (done < budget) {
		struct mint_link_frame frame;
		const u8 *data;
		struct sk_buff *skb;
		int got = mint_ring_rx_peek(&l->ring, &frame, &data);

		if (!got)
			break;
		if (got < 0) {
			atomic_set(&l->fault, 1);
			napi_complete_done(napi, done);
			napi_schedule(napi); /* the next poll resets under the tx lock */
			return done;
		}
		skb = napi_alloc_skb(napi, frame.len);
		if (skb) {
			skb_put_data(skb, data, frame.len);
			if ((frame.flags & MINT_FRAME_CSUM_PARTIAL) &&
			    !skb_partial_csum_set(skb, frame.csum_start, frame.csum_offset)) {
				dev_kfree_skb_any(skb);
				skb = NULL;
			}
		}
		mint_ring_rx_consume(&l->ring, &frame);
		done++;
		if (!skb) {
			dev->stats.rx_dropped++;
			continue;
		}
		skb->protocol = eth_type_trans(skb, dev);
		dev->stats.rx_packets++;
		dev->stats.rx_bytes += frame.len;
		napi_gro_receive(napi, skb);
	}
	if (mint_ring_rx_publish(&l->ring))
		mint_link_doorbell(l); /* the peer waits for the room we gave back */
	if (netif_queue_stopped(dev)) {
		netif_tx_lock(dev);
		if (mint_ring_tx_arm(&l->ring, dev->mtu + ETH_HLEN))
			netif_wake_queue(dev);
		netif_tx_unlock(dev);
	}
	if (done < budget && napi_complete_done(napi, done) && mint_ring_rx_arm(&l->ring))
		napi_schedule(napi);
	return done;
}

static netdev_tx_t mint_link_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct mint_link *l = netdev_priv(dev);
	u16 flags = 0, csum_start = 0, csum_offset = 0;
	u32 len = skb->len;
	int err;
	u8 *p;

	if (!l->up)
		goto drop;
	p = mint_ring_tx_reserve(&l->ring, len, &err);
	if (!p && !err) {
		/* Full: sleep until the peer gives room back, unless it did meanwhile. */
		netif_stop_queue(dev);
		if (!mint_ring_tx_arm(&l->ring, len))
			return NETDEV_TX_BUSY;
		netif_start_queue(dev);
		p = mint_ring_tx_reserve(&l->ring, len, &err);
	}
	if (!p) {
		if (err == -EPROTO) {
			atomic_set(&l->fault, 1);
			napi_schedule(&l->napi);
		}
		goto drop;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		flags = MINT_FRAME_CSUM_PARTIAL;
		csum_start = skb_checksum_start_offset(skb);
		csum_offset = skb->csum_offset;
	}
	if (skb_copy_bits(skb, 0, p, len))
		goto drop;
	if (mint_ring_tx_commit(&l->ring, len, flags, csum_start, csum_offset))
		mint_link_doorbell(l);
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += len;
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
drop:
	dev->stats.tx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static int mint_link_open(struct net_device *dev)
{
	struct mint_link *l = netdev_priv(dev);

	napi_enable(&l->napi);
	l->running = true;
	napi_schedule(&l->napi);
	return 0;
}

static int mint_link_stop(struct net_device *dev)
{
	struct mint_link *l = netdev_priv(dev);

	l->running = false;
	napi_disable(&l->napi);
	return 0;
}

static const struct net_device_ops mint_link_ops = {
	.ndo_open = mint_link_open,
	.ndo_stop = mint_link_stop,
	.ndo_start_xmit = mint_link_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void mint_link_tick(struct timer_list *t)
{
	struct mint_link *l = from_timer(l, t, timer);

	mint_link_publish_doorbell(l);
	if (l->running)
		napi_schedule(&l->napi);
	mod_timer(&l->timer, jiffies + MINT_LINK_TICK);
}

static void mint_link_set_peers(struct mint_link *l, const u32 *peer_apics, unsigned int n)
{
	l->n_peer_apics = min_t(unsigned int, n, MINT_MAX_CPUS);
	memcpy(l->peer_apics, peer_apics, l->n_peer_apics * sizeof(u32));
}

struct mint_link *mint_link_create(const char *ifname, void *region,
				   const struct mint_link_desc *desc, int side, unsigned int cpu,
				   const u32 *peer_apics, unsigned int n)
{
	struct net_device *dev;
	struct mint_link *l;
	int err;

	dev = alloc_netdev(sizeof(*l), ifname, NET_NAME_USER, ether_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	l = netdev_priv(dev);
	l->dev = dev;
	l->cpu = cpu;
	mint_link_set_peers(l, peer_apics, n);
	dev->netdev_ops = &mint_link_ops;
	dev->mtu = desc->mtu;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = desc->mtu;
	dev->tx_queue_len = 1000;
	/* Checksums travel as offsets with each frame (virtio-net's way), so a frame the host
	 * bridges or forwards is finished correctly wherever it goes. */
	dev->hw_features = NETIF_F_HW_CSUM | NETIF_F_SG;
	dev->features = dev->hw_features;
	eth_hw_addr_set(dev, desc->mac[side]);
	netif_napi_add(dev, &l->napi, mint_link_poll);
	netif_carrier_off(dev);
	mint_ring_init(&l->ring, region, desc, side, get_random_u32() | 1);

	err = register_netdev(dev);
	if (err)
		goto free;
	err = mint_link_irq_setup(l);
	if (err)
		netdev_warn(dev, "no doorbell interrupt (%d): the peer's frames wait for the %d ms poll\n",
			    err, jiffies_to_msecs(MINT_LINK_TICK));
	timer_setup(&l->timer, mint_link_tick, 0);
	mod_timer(&l->timer, jiffies + MINT_LINK_TICK);
	return l;
free:
	mint_ring_stop(&l->ring);
	netif_napi_del(&l->napi);
	free_netdev(dev);
	return ERR_PTR(err);
}

void mint_link_destroy(struct mint_link *l)
{
	del_timer_sync(&l->timer);
	mint_ring_stop(&l->ring);
	unregister_netdev(l->dev); /* stops NAPI and transmit */
	if (l->irq) {
		free_irq(l->irq, l);
		irq_dispose_mapping(l->irq);
	}
	netif_napi_del(&l->napi);
	free_netdev(l->dev);
}

void mint_link_allow(struct mint_link *l, bool allowed)
{
	WRITE_ONCE(l->allowed, allowed);
	if (l->running)
		napi_schedule(&l->napi);
}

void mint_link_renew(struct mint_link *l, const u32 *peer_apics, unsigned int n,
		     void (*prepare)(void *arg), void *arg)
{
	bool running = l->running;

	WRITE_ONCE(l->allowed, false);
	if (running)
		napi_disable(&l->napi);
	netif_tx_lock_bh(l->dev);
	mint_link_set_peers(l, peer_apics, n);
	prepare(arg);
	l->apic_id = 0;
	l->vector = 0;
	mint_ring_restart(&l->ring, get_random_u32() | 1);
	l->up = false;
	netif_tx_unlock_bh(l->dev);
	mint_link_publish_doorbell(l);
	if (running) {
		napi_enable(&l->napi);
		napi_schedule(&l->napi);
	}
}

void mint_link_park(struct mint_link *l)
{
	mint_ring_stop(&l->ring);
}

const char *mint_link_name(const struct mint_link *l)
{
	return l->dev->name;
}
