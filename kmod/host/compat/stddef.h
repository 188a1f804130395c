/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot/trampoline_layout.h is shared with user space and includes <stddef.h> for offsetof(); the kernel
 * builds without libc headers, so point it at the kernel's own.
 */
#include <linux/stddef.h>
