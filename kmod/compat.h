/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces Mint's modules use that changed between the Debian kernels they are
 * built for (6.1 and 6.12, amd64 and 686; the matrix in tests/kmod_matrix checks every one).
 * Each difference is one definition here, so the module code reads the same for all of them.
 */
#ifndef MINT_COMPAT_H
#define MINT_COMPAT_H

#include <linux/version.h>
#include <linux/kmsg_dump.h>
#include <linux/mm.h>
#include <linux/tty_driver.h>

/* 6.12 hands a kmsg dumper a struct kmsg_dump_detail instead of the bare reason. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
typedef struct kmsg_dump_detail *mint_kmsg_dump_arg;
static inline enum kmsg_dump_reason mint_kmsg_reason(mint_kmsg_dump_arg arg)
{
	return arg->reason;
}
#else
typedef enum kmsg_dump_reason mint_kmsg_dump_arg;
static inline enum kmsg_dump_reason mint_kmsg_reason(mint_kmsg_dump_arg arg)
{
	return arg;
}
#endif

/* 6.6 made tty_operations.write take and return sizes (size_t, ssize_t) instead of ints. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
typedef ssize_t mint_tty_write_ret;
typedef size_t mint_tty_write_count;
#else
typedef int mint_tty_write_ret;
typedef int mint_tty_write_count;
#endif

/* 6.3 made vma->vm_flags read-only; vm_flags_set() is the way to change them. */
static inline void mint_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* MINT_COMPAT_H */
