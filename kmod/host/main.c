// SPDX-License-Identifier: GPL-2.0
/*
 * Mint host module: /dev/mint and its one ioctl switch. Every call is copied in whole, its
 * header checked, then handed to node.c under the one lock; results are copied back out.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apic.h>
#include <asm/tsc.h>

#include "mint_host.h"

struct mint_host mint = {
	.lock = __MUTEX_INITIALIZER(mint.lock),
};

/* Report a failure both to the log and to the caller's MINT_IOC_LAST_ERROR. */
void mint_fail(struct mint_file *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->last_error, sizeof(f->last_error), fmt, ap);
	va_end(ap);
	pr_warn("mint: %s\n", f->last_error);
}

static int mint_info(struct mint_info *i)
{
	i->tsc_khz = tsc_khz;
	i->nodes = mint.n_nodes;
	i->trampoline_ok = mint.tramp_ok;
	i->trampoline_phys = mint.tramp_phys;
	i->x2apic = x2apic_mode ? 1 : 0;
	return 0;
}

/* Every argument, so one buffer on the stack fits any of them. */
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
};

/* Padding the caller must leave zero, per command; out-only fields are not checked. */
static bool mint_pad_ok(unsigned int cmd, const union mint_arg *a)
{
	switch (cmd) {
	case MINT_IOC_INFO:
		return !a->info.pad0;
	case MINT_IOC_TRAMPOLINE:
		return !a->tramp.pad0;
	case MINT_IOC_CREATE:
		return !a->create.pad0;
	case MINT_IOC_LOAD:
		return !(a->load.flags & ~MINT_LOAD_ZERO);
	case MINT_IOC_READ:
		return !a->load.flags;
	case MINT_IOC_START:
		return true; /* no padding: node.c checks flags and the page-table roots */
	case MINT_IOC_DESTROY:
		return !a->destroy.pad0;
	default:
		return true;
	}
}

static long mint_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mint_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	union mint_arg *a;
	size_t size;
	long err;

	switch (cmd) {
	case MINT_IOC_INFO:
	case MINT_IOC_TRAMPOLINE:
	case MINT_IOC_CREATE:
	case MINT_IOC_LOAD:
	case MINT_IOC_START:
	case MINT_IOC_STATUS:
	case MINT_IOC_DESTROY:
	case MINT_IOC_LAST_ERROR:
	case MINT_IOC_STORE:
	case MINT_IOC_SHARED:
	case MINT_IOC_RESUME:
	case MINT_IOC_READ:
		break;
	default:
		return -ENOTTY;
	}
	size = _IOC_SIZE(cmd);
	BUILD_BUG_ON(sizeof(union mint_arg) > 512);

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	mutex_lock(&mint.lock);
	if (cmd != MINT_IOC_LAST_ERROR)
		f->last_error[0] = '\0';
	if (!capable(CAP_SYS_BOOT)) {
		mint_fail(f, "the caller lacks CAP_SYS_BOOT");
		err = -EPERM;
		goto out;
	}
	if (copy_from_user(a, uarg, size)) {
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
	if (!mint_pad_ok(cmd, a)) {
		mint_fail(f, "padding fields of ioctl 0x%x must be zero", cmd);
		err = -EINVAL;
		goto out;
	}

	switch (cmd) {
	case MINT_IOC_INFO:
		err = mint_info(&a->info);
		break;
	case MINT_IOC_TRAMPOLINE:
		err = mint_trampoline(f, &a->tramp);
		break;
	case MINT_IOC_CREATE:
		err = mint_create(f, &a->create);
		break;
	case MINT_IOC_LOAD:
		err = mint_load(f, &a->load);
		break;
	case MINT_IOC_START:
		err = mint_start(f, &a->start);
		break;
	case MINT_IOC_STATUS:
		err = mint_status(f, &a->status);
		break;
	case MINT_IOC_DESTROY:
		err = mint_destroy(f, &a->destroy);
		break;
	case MINT_IOC_STORE:
		err = mint_store(f, &a->store);
		break;
	case MINT_IOC_SHARED:
		err = mint_shared_io(f, &a->shared);
		break;
	case MINT_IOC_RESUME:
		err = mint_resume(f, &a->resume);
		break;
	case MINT_IOC_READ:
		err = mint_read(f, &a->load);
		break;
	case MINT_IOC_LAST_ERROR:
		strscpy(a->last_error.text, f->last_error, sizeof(a->last_error.text));
		err = 0;
		break;
	default:
		err = -ENOTTY;
		break;
	}

	/* START reports its TSC stamps even when an IPI failed. */
	if ((!err || cmd == MINT_IOC_START) && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, a, size)) {
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
	err = misc_register(&mint_dev);
	if (err) {
		pr_err("mint: cannot register /dev/mint: %d\n", err);
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
	mint_hotplug_exit();
	mint_sleep_exit();
	mint_nodes_exit();
	mint_store_exit();
	pr_info("mint: unloaded\n");
}

module_init(mint_init);
module_exit(mint_exit);

MODULE_DESCRIPTION("Mint: boot stock Linux kernels on spare cores, side by side");
MODULE_LICENSE("GPL");
