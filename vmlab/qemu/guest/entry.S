/* Multiboot (v1) entry point of the vmlab test guest.
 * QEMU's -kernel loader finds the header in the first 8 KiB of the ELF, loads the image at
 * 1 MiB, and jumps to _start in 32-bit protected mode with paging off, EAX = magic and
 * EBX = physical address of the multiboot information structure (which holds -append). */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003          /* page-align modules, provide memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text
    .global _start
_start:
    cli
    mov  $stack_top, %esp
    push %ebx                            /* multiboot info (physical address) */
    push %eax                            /* multiboot magic */
    call kmain
1:  cli
    hlt
    jmp 1b

    .section .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:
    .section .note.GNU-stack, "", @progbits
