/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The trampoline: one copy below 1 MiB serves every node's boot core.
 *
 * A core woken by INIT / SIPI / SIPI starts here in real mode with CS = vector << 8, IP = 0,
 * caches disabled (CR0.CD and CR0.NW set by INIT). It:
 *   1. finds its own linear base from CS (the code is position independent),
 *   2. switches to 32-bit flat protected mode with the boot protocol's selectors
 *      (__BOOT_CS = 0x10, __BOOT_DS = 0x18) and clears CR0.CD/NW,
 *   3. reads its initial APIC ID (CPUID.1:EBX[31:24]) and looks up its entry in the table
 *      at base + MINT_TRAMP_TABLE_OFFSET,
 *   4. stamps the TSC and its APIC ID into the node's status page,
 *   5. enters the kernel's 32-bit entry with ESI = boot_params and EBX = EBP = EDI = 0
 *      (Documentation/arch/x86/boot.rst, "32-bit Boot Protocol"), or, for an entry marked
 *      MINT_TRAMP_FLAG_LONG_MODE, switches to long mode first (CR4.PAE, plus LA57 exactly
 *      when CPUID.7.0:ECX[16] offers it, since the kernel takes its paging depth from CR4;
 *      CR3 = the node's identity map, 5-level root with LA57 and 4-level root without;
 *      EFER.LME; CR0.PG) and enters the kernel's 64-bit startup_64 with RSI = boot_params
 *      and RBX = RBP = RDI = 0 (boot.rst, "64-bit Boot Protocol").
 * An entry marked MINT_TRAMP_FLAG_RESUME is a suspended node's boot core coming back: right
 * after step 1, still in real mode, the core clears CR0.CD/NW and far-jumps through the
 * entry's real-mode pointer to its kernel's own wakeup code (docs/suspend.md).
 * A core with no valid entry halts forever with interrupts off.
 *
 * Several cores may run this at once; the only stores into the trampoline's own page (the
 * GDT descriptor base and the far-jump targets) write the same values from every core.
 */
#include "trampoline_layout.h"

#define OFF(label) ((label) - mint_trampoline_start)

/* Intel SDM vol. 3A, 2.5 (control registers) and 2.2.1 (EFER); CPUID.(7,0):ECX. */
#define X86_CR0_PE (1 << 0)
#define X86_CR0_PG (1 << 31)
#define X86_CR4_PAE (1 << 5)
#define X86_CR4_LA57 (1 << 12)
#define X86_CPUID7_ECX_LA57 (1 << 16)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

	.text
	.code16
	.globl mint_trampoline_start
mint_trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	xorl	%ebp, %ebp
	movw	%ax, %bp
	shll	$4, %ebp			/* ebp = linear base of this page */

	/* A resume entry leaves from real mode: the table is within DS's 64 KiB. */
	movl	$1, %eax
	cpuid
	shrl	$24, %ebx			/* ebx = initial xAPIC ID */
	shll	$MINT_TRAMP_ENTRY_SHIFT, %ebx
	addw	$MINT_TRAMP_TABLE_OFFSET, %bx	/* ds:bx = our table entry */
	cmpl	$MINT_TRAMP_VALID_MAGIC, MINT_TRAMP_ENTRY_VALID(%bx)
	jne	boot16
	testl	$MINT_TRAMP_FLAG_RESUME, MINT_TRAMP_ENTRY_FLAGS(%bx)
	jz	boot16
	movl	%cr0, %eax
	andl	$~((1 << 30) | (1 << 29)), %eax	/* CD, NW: INIT leaves the caches off */
	movl	%eax, %cr0
	ljmpw	*MINT_TRAMP_ENTRY_RESUME(%bx)

boot16:

	leal	OFF(gdt)(%ebp), %eax
	movl	%eax, OFF(gdt_desc) + 2
	leal	OFF(start32)(%ebp), %eax
	movl	%eax, OFF(far_ptr)
	leal	OFF(start64)(%ebp), %eax
	movl	%eax, OFF(far_ptr64)
	lgdtl	OFF(gdt_desc)

	movl	%cr0, %eax
	andl	$~((1 << 30) | (1 << 29)), %eax	/* CD, NW: INIT leaves the caches off */
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	*OFF(far_ptr)

	.code32
start32:
	movl	$MINT_BOOT_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	movl	$1, %eax
	cpuid
	shrl	$24, %ebx			/* ebx = initial xAPIC ID */
	movl	%ebx, %edi
	shll	$MINT_TRAMP_ENTRY_SHIFT, %edi
	leal	MINT_TRAMP_TABLE_OFFSET(%ebp, %edi), %edi	/* edi = our table entry */
	cmpl	$MINT_TRAMP_VALID_MAGIC, MINT_TRAMP_ENTRY_VALID(%edi)
	jne	park

	movl	MINT_TRAMP_ENTRY_STATUS(%edi), %esi
	testl	%esi, %esi
	jz	1f
	rdtsc
	movl	%eax, MINT_STATUS_TSC_TRAMPOLINE(%esi)
	movl	%edx, MINT_STATUS_TSC_TRAMPOLINE + 4(%esi)
	movl	%ebx, MINT_STATUS_TRAMPOLINE_APIC(%esi)
1:
	testl	$MINT_TRAMP_FLAG_LONG_MODE, MINT_TRAMP_ENTRY_FLAGS(%edi)
	jnz	long_mode
	movl	MINT_TRAMP_ENTRY_ENTRY(%edi), %eax
	movl	MINT_TRAMP_ENTRY_BOOT_PARAMS(%edi), %esi
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmp	*%eax

long_mode:
	movl	$X86_CR4_PAE, %esi		/* esi = the CR4 to load */
	xorl	%eax, %eax
	cpuid
	cmpl	$7, %eax
	jb	2f				/* no leaf 7: no LA57 */
	movl	$7, %eax
	xorl	%ecx, %ecx
	cpuid
	testl	$X86_CPUID7_ECX_LA57, %ecx
	jz	2f
	orl	$X86_CR4_LA57, %esi
2:
	movl	MINT_TRAMP_ENTRY_PML4(%edi), %eax
	testl	$X86_CR4_LA57, %esi
	jz	3f
	movl	MINT_TRAMP_ENTRY_PML5(%edi), %eax
3:
	movl	%esi, %cr4
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(X86_CR0_PG | X86_CR0_PE), %eax
	movl	%eax, %cr0			/* long mode active, still in a 32-bit segment */
	ljmpl	*OFF(far_ptr64)(%ebp)

	.code64
start64:
	movl	%edi, %edi			/* zero-extend: the entry's address */
	movl	MINT_TRAMP_ENTRY_ENTRY(%rdi), %eax
	movl	MINT_TRAMP_ENTRY_BOOT_PARAMS(%rdi), %esi
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmp	*%rax

	.code32

park:
	cli
	hlt
	jmp	park

	.balign 8
gdt:
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x08: flat code, 64-bit (L set, D clear) */
	.quad	0x00cf9a000000ffff		/* 0x10: flat 4 GiB code, 32-bit */
	.quad	0x00cf92000000ffff		/* 0x18: flat 4 GiB data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	0				/* patched: linear address of gdt */
far_ptr:
	.long	0				/* patched: linear address of start32 */
	.word	MINT_BOOT_CS
far_ptr64:
	.long	0				/* patched: linear address of start64 */
	.word	MINT_LONG_CS
	.globl mint_trampoline_end
mint_trampoline_end:
