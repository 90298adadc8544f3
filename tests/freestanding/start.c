/* start.c - startup code for the freestanding programs in this folder: no
 * crt, no libc, nothing from the toolchain but the compiler and the linker.
 *
 * Each tests/freestanding/<name>.c defines `int xfs_main(void)` (0: every
 * step worked, else the number of the step that failed). This file supplies
 * what runs before and after it:
 *   Cortex-M    a vector table (initial stack pointer, reset handler) in
 *               section .isr_vector, and the reset handler _start
 *   RISC-V      _start: sets gp (linker relaxation may address data through
 *               it) and sp, both rv64 and rv32
 *   x86-64      _start, so the host can link and run the programs too
 * and xfs_exit(code), the Linux exit system call (svc / ecall / syscall).
 * `make cross` links every program with -nostdlib; `make qemu` also runs the
 * ARM and RISC-V images under qemu-arm / qemu-riscv64 / qemu-riscv32, which
 * start them at _start and take the exit call. On a board the exit traps
 * (SVC / ECALL) with the result in r0 / a0.
 *
 * Nothing here initialises .data or zeroes .bss: the programs keep no
 * initialised variables and set every byte they read (an allocator must not
 * rely on zeroed memory anyway). A board's startup would copy .data and zero
 * .bss before calling xfs_main. */
#include <stdint.h>

int xfs_main(void);
void xfs_start(void);

/* The stack, for targets where the startup sets it. */
#define XFS_STACK 4096
#define XFS_STR_(x) #x
#define XFS_STR(x) XFS_STR_(x)
__attribute__((aligned(16), used)) unsigned char xfs_stack[XFS_STACK];

#if defined(__arm__)
/* xfs_exit(code): r0 holds the code (AAPCS); r7 is the system call number
 * (1, exit) under the Linux EABI. Written in assembly because r7 is the
 * Thumb frame pointer, which C code may not claim at -O0. */
__asm__(".syntax unified\n"
        ".thumb\n"
        ".section .text.xfs_exit,\"ax\",%progbits\n"
        ".global xfs_exit\n"
        ".type xfs_exit, %function\n"
        ".thumb_func\n"
        "xfs_exit:\n"
        "    movs r7, #1\n"
        "    svc #0\n"
        "    b xfs_exit\n"
        ".size xfs_exit, . - xfs_exit\n");
__attribute__((noreturn)) void xfs_exit(int code);

/* The reset handler; an emulator enters here as well (the ELF entry). */
__attribute__((noreturn)) void _start(void);
void _start(void)
{
    xfs_exit(xfs_main());
}

/* Cortex-M vector table: initial stack pointer, then the reset handler.
 * The linker keeps it (-Wl,--undefined=xfs_vectors); a board's linker script
 * would place .isr_vector at the start of flash. */
__attribute__((section(".isr_vector"), used))
const uintptr_t xfs_vectors[2] = {
    (uintptr_t)(xfs_stack + XFS_STACK),
    (uintptr_t)&_start,
};

#elif defined(__riscv)
__asm__(".section .text._start,\"ax\",@progbits\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "    la gp, __global_pointer$\n"
        ".option pop\n"
        "    la sp, xfs_stack + " XFS_STR(XFS_STACK) "\n"
        "    call xfs_main\n"
        "    li a7, 93\n"          /* exit; a0 already holds the code */
        "    ecall\n"
        "1:  j 1b\n"
        ".size _start, . - _start\n");

#elif defined(__x86_64__)
__asm__(".section .text._start,\"ax\",@progbits\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    andq $-16, %rsp\n"
        "    call xfs_main\n"
        "    movl %eax, %edi\n"
        "    movl $60, %eax\n"     /* exit */
        "    syscall\n"
        "    hlt\n"
        ".size _start, . - _start\n");

#else
#error "tests/freestanding/start.c: no startup code for this target"
#endif
