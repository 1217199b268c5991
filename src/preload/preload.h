/* SPDX-License-Identifier: MIT */
/*
 * libsoftsgx-preload.so: programs written against Linux run on softsgx
 * unchanged. It interposes the C library's calls on the SGX device files,
 * their descriptors and their mappings, and the ways a program finds the
 * vDSO's __vdso_sgx_enter_enclave, and routes each to the softsgx_* call a
 * linked program would make. Everything else passes to the next definition
 * (the C library's) untouched. No emulation happens here.
 */
#ifndef SOFTSGX_PRELOAD_H
#define SOFTSGX_PRELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The library's start (once; every interposed call makes sure it
 * happened). Calls that the start itself makes into interposed functions
 * go straight through.
 */
void preload_init(void);
extern bool preload_ready;

static inline void preload_ensure(void)
{
	if (__builtin_expect(!__atomic_load_n(&preload_ready, __ATOMIC_ACQUIRE), 0))
		preload_init();
}

/*
 * boot.c (built without sanitizer instrumentation): find the C library's
 * dlsym, dlvsym and getauxval (once; cheap when done).
 * preload_boot_complete(): whether dlsym and dlvsym were found.
 */
void preload_boot(void);
bool preload_boot_complete(void);
/* The C library's getauxval() and dl_iterate_phdr(). */
unsigned long preload_real_getauxval(unsigned long type);
void *preload_real_dl_iterate_phdr(void);

/*
 * The platform's start (once): its configuration from the SOFTSGX_*
 * variables, softsgx's signal handlers, CPUID faulting. From the library's
 * constructor, or the first call that needs the platform, whichever comes
 * first once the C library has started.
 */
void preload_start(void);

/* The next definition of @name after this library (dlsym(RTLD_NEXT)); NULL if none. */
void *preload_next(const char *name);

/*
 * elf.c: the address of the dynamic symbol @name in the loaded object with
 * load address @base and dynamic section @dynamic; @version selects a
 * version (NULL: the default one). 0 if it has none.
 */
uintptr_t preload_elf_lookup(uintptr_t base, const void *dynamic, const char *name,
			     const char *version);

/*
 * elf.c: whether the loaded object (@base, @dynamic) takes any of @names
 * (a NULL-terminated list) from another object.
 */
bool preload_elf_imports(uintptr_t base, const void *dynamic, const char *const *names);

/*
 * String comparison for boot.c and elf.c, which run while a sanitizer's
 * runtime starts and must call no C library function (the runtime
 * intercepts strcmp and strlen, and cannot yet forward them).
 */
static inline int preload_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* signals.c: at the start, softsgx's signal handlers installed, the C library's signals adopted. */
void preload_signals_init(void);

/*
 * syscall.c: system call @nr with arguments @a, if it is one softsgx
 * answers (the device's descriptors and mappings, by the interposed
 * functions): *@routed, and the result as the C library returns it.
 */
long preload_route(long nr, const long a[6], bool *routed);

/*
 * rawsys.c: the program's own system call instructions that softsgx must
 * see, caught by a seccomp filter (SOFTSGX_RAW_SYSCALLS). At the start.
 */
void preload_rawsys_init(void);

/* vdso.c */
/* Build the vDSO image that carries __vdso_sgx_enter_enclave (once, from preload_init()). */
void preload_vdso_init(void);
/* getauxval(AT_SYSINFO_EHDR): the image (the real vDSO if it could not be built). */
unsigned long preload_vdso_auxval(void);
/* dl_iterate_phdr() with the image in place of the real vDSO. */
struct dl_phdr_info;
int preload_vdso_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data);
/* dl.S: libc's dlsym and dlvsym, found without calling them. */
extern void *preload_real_dlsym;
extern void *preload_real_dlvsym;

#endif /* SOFTSGX_PRELOAD_H */
