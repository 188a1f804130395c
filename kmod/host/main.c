// SPDX-License-Identifier: GPL-2.0
/*
 * Mint host module: /dev/mint and its ioctl table. Every call is copied in whole, its header
 * checked, then handed to its handler under the one lock; results are copied back out.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apic.h>
#include <asm/tsc.h>

#include "mint_host.h"

struct mint_host mint = {
	.lock = __MUTEX_INITIALIZER(mint.lock),
};

unsigned int mint_fault_inject;
module_param_named(fault_inject, mint_fault_inject, uint, 0600);
MODULE_PARM_DESC(fault_inject,
		 "TEST ONLY, leave 0: make failure paths happen (1: DESTROY cannot map memory to zero it, 2: INIT is refused, 4: long copies wait 10 ms a chunk)");

/*
 * Report a failure both to the log and to the caller's MINT_IOC_LAST_ERROR. The log line is
 * rate-limited: a caller looping on a refused ioctl must not flood the host's log (the reason
 * still reaches it through LAST_ERROR every time).
 */
void mint_fail(struct mint_file *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->last_error, sizeof(f->last_error), fmt, ap);
	va_end(ap);
	pr_warn_ratelimited("mint: %s\n", f->last_error);
}

static int mint_info(struct mint_file *f, struct mint_info *i)
{
	i->tsc_khz = tsc_khz;
	i->nodes = mint.n_nodes;
	i->trampoline_ok = mint.tramp_ok;
	i->trampoline_phys = mint.tramp_phys;
	i->x2apic = x2apic_mode ? 1 : 0;
	return 0;
}

static int mint_last_error(struct mint_file *f, struct mint_last_error *e)
{
	strscpy(e->text, f->last_error, sizeof(e->text));
	return 0;
}

/* Every argument, so one buffer fits any of them. */
union mint_arg {
	struct mint_hdr hdr;
	struct mint_info info;
	struct mint_trampoline tramp;
	struct mint_create create;
	struct mint_load load;
	struct mint_start start;
	struct mint_node_status status;
	struct mint_destroy destroy;
	struct mint_last_error last_error;
	struct mint_store store;
	struct mint_shared_io shared;
	struct mint_resume resume;
	struct mint_link_attach link;
	struct mint_dlink_attach dlink;
	struct mint_dlink_status dlink_status;
	struct mint_cpu cpu;
	struct mint_mem mem;
};

/*
 * Padding and flag bits the caller must leave zero, so they can gain a meaning later. Out-only
 * fields are not checked; a command with nothing to check has no function.
 */
static bool mint_info_args_ok(const union mint_arg *a)
{
	return !a->info.pad0;
}

static bool mint_trampoline_args_ok(const union mint_arg *a)
{
	return !a->tramp.pad0;
}

static bool mint_load_args_ok(const union mint_arg *a)
{
	return !(a->load.flags & ~MINT_LOAD_ZERO);
}

static bool mint_read_args_ok(const union mint_arg *a)
{
	return !a->load.flags;
}

static bool mint_destroy_args_ok(const union mint_arg *a)
{
	return !a->destroy.pad0;
}

static bool mint_dlink_args_ok(const union mint_arg *a)
{
	return !a->dlink.pad0;
}

/* mint_run_<fn>: hands the union member an ioctl uses to its typed handler. */
#define MINT_RUN(fn, member)                                                    \
	static int mint_run_##fn(struct mint_file *f, union mint_arg *a)        \
	{                                                                       \
		return mint_##fn(f, &a->member);                                \
	}
MINT_RUN(info, info)
MINT_RUN(trampoline, tramp)
MINT_RUN(create, create)
MINT_RUN(load, load)
MINT_RUN(read, load)
MINT_RUN(start, start)
MINT_RUN(status, status)
MINT_RUN(destroy, destroy)
MINT_RUN(last_error, last_error)
MINT_RUN(store, store)
MINT_RUN(shared_io, shared)
MINT_RUN(resume, resume)
MINT_RUN(link_attach, link)
MINT_RUN(dlink_attach, dlink)
MINT_RUN(dlink_status, dlink_status)
MINT_RUN(cpu, cpu)
MINT_RUN(mem, mem)

/*
 * One row per ioctl: the dispatcher knows nothing else about a command, so adding one is
 * adding a row (and its handler). `size` is the argument's struct, checked at build time
 * against the size the command number encodes; `dir` is the command's direction: the
 * argument is always copied in (its header is checked), and copied back out after success
 * when `dir` has _IOC_READ.
 */
struct mint_ioctl {
	unsigned int cmd;
	size_t size;
	unsigned int dir;
	bool (*args_ok)(const union mint_arg *a); /* NULL: nothing the caller must zero */
	int (*run)(struct mint_file *f, union mint_arg *a);
	bool out_on_error;  /* copied back out even on failure (START's TSC stamps) */
	bool keeps_error;   /* leaves the file's last error as it is (LAST_ERROR reports it) */
};

#define MINT_ARG_SIZE(member) sizeof(((union mint_arg *)NULL)->member)
#define MINT_IOCTL(_cmd, fn, member, check, ...)                                \
	{                                                                       \
		.cmd = _cmd,                                                    \
		.size = MINT_ARG_SIZE(member) +                                 \
			BUILD_BUG_ON_ZERO(_IOC_SIZE(_cmd) != MINT_ARG_SIZE(member)), \
		.dir = _IOC_DIR(_cmd), .args_ok = check, .run = mint_run_##fn,  \
		__VA_ARGS__                                                     \
	}

static const struct mint_ioctl mint_ioctls[] = {
	MINT_IOCTL(MINT_IOC_INFO, info, info, mint_info_args_ok),
	MINT_IOCTL(MINT_IOC_TRAMPOLINE, trampoline, tramp, mint_trampoline_args_ok),
	MINT_IOCTL(MINT_IOC_CREATE, create, create, NULL),
	MINT_IOCTL(MINT_IOC_LOAD, load, load, mint_load_args_ok),
	MINT_IOCTL(MINT_IOC_START, start, start, NULL, .out_on_error = true),
	MINT_IOCTL(MINT_IOC_STATUS, status, status, NULL),
	MINT_IOCTL(MINT_IOC_DESTROY, destroy, destroy, mint_destroy_args_ok),
	MINT_IOCTL(MINT_IOC_LAST_ERROR, last_error, last_error, NULL, .keeps_error = true),
	MINT_IOCTL(MINT_IOC_SHARED, shared_io, shared, NULL),
	MINT_IOCTL(MINT_IOC_RESUME, resume, resume, NULL),
	MINT_IOCTL(MINT_IOC_READ, read, load, mint_read_args_ok),
	MINT_IOCTL(MINT_IOC_LINK, link_attach, link, NULL),
	MINT_IOCTL(MINT_IOC_DLINK, dlink_attach, dlink, mint_dlink_args_ok),
	MINT_IOCTL(MINT_IOC_DLINK_STATUS, dlink_status, dlink_status, NULL),
	MINT_IOCTL(MINT_IOC_CPU, cpu, cpu, NULL),
	MINT_IOCTL(MINT_IOC_MEM, mem, mem, NULL),
	MINT_IOCTL(MINT_IOC_STORE, store, store, NULL),
};

static long mint_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mint_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct mint_ioctl *ioc = NULL;
	union mint_arg *a;
	unsigned int i;
	long err;

	/* The whole number, size and direction bits included: another layout is unknown. */
	for (i = 0; i < ARRAY_SIZE(mint_ioctls); i++)
		if (mint_ioctls[i].cmd == cmd)
			ioc = &mint_ioctls[i];
	if (!ioc)
		return -ENOTTY;

	BUILD_BUG_ON(sizeof(union mint_arg) > 512);
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	mutex_lock(&mint.lock);
	if (!ioc->keeps_error)
		f->last_error[0] = '\0';
	if (!capable(CAP_SYS_BOOT)) {
		mint_fail(f, "the caller lacks CAP_SYS_BOOT");
		err = -EPERM;
		goto out;
	}
	/*
	 * /dev/mint puts code of the caller's choosing in ring 0 on a core, as kexec_load does:
	 * under lockdown it is refused as kexec_load is, on every call (lockdown can be raised
	 * at any time, never lowered).
	 */
	err = security_locked_down(LOCKDOWN_KEXEC);
	if (err) {
		mint_fail(f, "the kernel is locked down: /dev/mint, like kexec_load, is refused");
		goto out;
	}
	if (copy_from_user(a, uarg, ioc->size)) {
		mint_fail(f, "cannot read the ioctl argument at user 0x%lx", arg);
		err = -EFAULT;
		goto out;
	}
	if (a->hdr.magic != MINT_ABI_MAGIC || a->hdr.revision != MINT_ABI_REVISION) {
		mint_fail(f, "ABI mismatch: caller magic 0x%x revision %u, module wants 0x%x revision %u",
			  a->hdr.magic, a->hdr.revision, MINT_ABI_MAGIC, MINT_ABI_REVISION);
		err = -EPROTO;
		goto out;
	}
	if (ioc->args_ok && !ioc->args_ok(a)) {
		mint_fail(f, "padding fields of ioctl 0x%x must be zero", cmd);
		err = -EINVAL;
		goto out;
	}

	err = ioc->run(f, a);

	if ((!err || ioc->out_on_error) && (ioc->dir & _IOC_READ) &&
	    copy_to_user(uarg, a, ioc->size)) {
		if (!err)
			mint_fail(f, "cannot write the ioctl result to user 0x%lx", arg);
		err = err ? err : -EFAULT;
	}
out:
	mutex_unlock(&mint.lock);
	kfree(a);
	return err;
}

static int mint_open(struct inode *inode, struct file *file)
{
	struct mint_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return 0;
}

static int mint_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations mint_fops = {
	.owner = THIS_MODULE,
	.open = mint_open,
	.release = mint_release,
	.unlocked_ioctl = mint_ioctl,
	.mmap = mint_store_mmap,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mint_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mint",
	.fops = &mint_fops,
	.mode = 0600,
};

static int __init mint_init(void)
{
	int err;

	mint_nodes_init();
	err = mint_hotplug_init();
	if (err) {
		pr_err("mint: cannot register the CPU hotplug guard: %d\n", err);
		goto out;
	}
	err = mint_pm_init();
	if (err) {
		pr_err("mint: cannot register the host suspend guard: %d\n", err);
		mint_hotplug_exit();
		goto out;
	}
	err = mint_net_init();
	if (err) {
		pr_err("mint: cannot make the links' doorbell interrupt domain: %d\n", err);
		mint_pm_exit();
		mint_hotplug_exit();
		goto out;
	}
	err = misc_register(&mint_dev);
	if (err) {
		pr_err("mint: cannot register /dev/mint: %d\n", err);
		mint_net_exit();
		mint_pm_exit();
		mint_hotplug_exit();
		goto out;
	}
	pr_info("mint: ready (ABI revision %u, tsc_khz %u, %s)\n", MINT_ABI_REVISION, tsc_khz,
		x2apic_mode ? "x2APIC" : "xAPIC");
out:
	if (err)
		mint_nodes_exit();
	return err;
}

static void __exit mint_exit(void)
{
	misc_deregister(&mint_dev);
	mint_net_exit();
	mint_pm_exit();
	mint_hotplug_exit();
	mint_sleep_exit();
	mint_nodes_exit();
	mint_trampoline_exit();
	mint_store_exit();
	pr_info("mint: unloaded\n");
}

module_init(mint_init);
module_exit(mint_exit);

MODULE_DESCRIPTION("Mint: boot stock Linux kernels on spare cores, side by side");
MODULE_LICENSE("GPL");
