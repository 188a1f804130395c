/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Fixed addresses and sizes of the trampoline, shared by boot/trampoline.S (through the
 * preprocessor) and by C/C++ (which asserts them against include/mint/abi.h below).
 *
 * The trampoline is one copy for every node: 4 KiB of code at a page-aligned address below
 * 1 MiB (the SIPI vector is that address >> 12), followed by an 8 KiB table of 256 entries of
 * 32 bytes, indexed by the 8-bit xAPIC ID the waking core reads from CPUID leaf 1. 256 * 32 =
 * 8192, so two pages of table cover every xAPIC ID; x2APIC's 32-bit IDs would need a sorted
 * table searched by ID instead of an index (see docs/trampoline.md).
 */
#ifndef MINT_BOOT_LAYOUT_H
#define MINT_BOOT_LAYOUT_H

#define MINT_TRAMP_CODE_SIZE 0x1000   /* == MINT_TRAMPOLINE_CODE_SIZE */
#define MINT_TRAMP_TABLE_OFFSET 0x1000 /* table right after the code page */
#define MINT_TRAMP_ENTRY_SHIFT 5       /* sizeof(struct mint_trampoline_entry) == 32 */

/* struct mint_trampoline_entry */
#define MINT_TRAMP_ENTRY_VALID 0
#define MINT_TRAMP_ENTRY_FLAGS 4
#define MINT_TRAMP_ENTRY_BOOT_PARAMS 8
#define MINT_TRAMP_ENTRY_ENTRY 12
#define MINT_TRAMP_ENTRY_STATUS 16
#define MINT_TRAMP_ENTRY_PML4 20
#define MINT_TRAMP_ENTRY_PML5 24
#define MINT_TRAMP_ENTRY_RESUME 28
#define MINT_TRAMP_VALID_MAGIC 0x4e4f4445 /* == MINT_TRAMPOLINE_ENTRY_VALID */
#define MINT_TRAMP_FLAG_LONG_MODE 0x1     /* == MINT_ENTRY_LONG_MODE */
#define MINT_TRAMP_FLAG_RESUME 0x2        /* == MINT_ENTRY_RESUME */

/* struct mint_status_page fields the trampoline writes */
#define MINT_STATUS_TSC_TRAMPOLINE 8
#define MINT_STATUS_TRAMPOLINE_APIC 32

/* Boot protocol segment selectors (Documentation/arch/x86/boot.rst, 32-bit boot protocol). */
#define MINT_BOOT_CS 0x10
#define MINT_BOOT_DS 0x18
/* The long-mode path's 64-bit code segment, in the trampoline's own GDT. */
#define MINT_LONG_CS 0x08

#ifndef __ASSEMBLER__
#include "mint/abi.h"
#include <stddef.h>
MINT_STATIC_ASSERT(MINT_TRAMP_CODE_SIZE == MINT_TRAMPOLINE_CODE_SIZE, "code size");
MINT_STATIC_ASSERT(MINT_TRAMP_TABLE_OFFSET == MINT_TRAMPOLINE_CODE_SIZE, "table offset");
MINT_STATIC_ASSERT((1 << MINT_TRAMP_ENTRY_SHIFT) == sizeof(struct mint_trampoline_entry), "entry");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_VALID == offsetof(struct mint_trampoline_entry, valid), "v");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_BOOT_PARAMS ==
		   offsetof(struct mint_trampoline_entry, boot_params), "bp");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_ENTRY == offsetof(struct mint_trampoline_entry, entry), "e");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_STATUS == offsetof(struct mint_trampoline_entry, status), "s");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_FLAGS == offsetof(struct mint_trampoline_entry, flags), "f");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_PML4 == offsetof(struct mint_trampoline_entry, pml4), "p4");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_PML5 == offsetof(struct mint_trampoline_entry, pml5), "p5");
MINT_STATIC_ASSERT(MINT_TRAMP_VALID_MAGIC == MINT_TRAMPOLINE_ENTRY_VALID, "magic");
MINT_STATIC_ASSERT(MINT_TRAMP_FLAG_LONG_MODE == MINT_ENTRY_LONG_MODE, "long mode flag");
MINT_STATIC_ASSERT(MINT_TRAMP_FLAG_RESUME == MINT_ENTRY_RESUME, "resume flag");
MINT_STATIC_ASSERT(MINT_TRAMP_ENTRY_RESUME == offsetof(struct mint_trampoline_entry, resume), "r");
MINT_STATIC_ASSERT(MINT_TRAMPOLINE_TABLE_SIZE == 256 << MINT_TRAMP_ENTRY_SHIFT, "table size");
MINT_STATIC_ASSERT(MINT_STATUS_TSC_TRAMPOLINE ==
		   offsetof(struct mint_status_page, tsc_trampoline), "tsc");
MINT_STATIC_ASSERT(MINT_STATUS_TRAMPOLINE_APIC ==
		   offsetof(struct mint_status_page, trampoline_apic), "apic");
#endif

#endif /* MINT_BOOT_LAYOUT_H */
