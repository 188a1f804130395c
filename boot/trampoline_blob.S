/* Embeds the flat trampoline binary in libmint as mint_trampoline_blob[_end]. */
	.section .rodata
	.balign 16
	.globl mint_trampoline_blob
	.globl mint_trampoline_blob_end
mint_trampoline_blob:
	.incbin MINT_TRAMPOLINE_BIN
mint_trampoline_blob_end:
	.section .note.GNU-stack,"",@progbits
