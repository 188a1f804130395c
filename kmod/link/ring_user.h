/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The kernel names ring.c uses, for building it in user space (lib/link_ring_test.cc and the
 * fuzzer lib/link_ring_fuzz.cc), so that the code tested and fuzzed is the code that runs.
 */
#ifndef MINT_LINK_RING_USER_H
#define MINT_LINK_RING_USER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#endif
