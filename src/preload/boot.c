/* SPDX-License-Identifier: MIT */
/*
 * What the preload library needs before anything else can run: the C
 * library's dlsym(), dlvsym() and getauxval(), found in the C library's
 * own symbol table through the dynamic linker's list of loaded objects
 * (no allocation, no call of an interposed function). A sanitizer's
 * runtime asks dlsym(RTLD_NEXT, ...) and getauxval() while it starts, before
 * instrumented code may run: this file is built without instrumentation,
 * and those calls end here.
 */
#include <link.h>
#include <sys/auxv.h>

#include "preload/preload.h"

__attribute__((visibility("hidden"))) void *preload_real_dlsym;
__attribute__((visibility("hidden"))) void *preload_real_dlvsym;
static unsigned long (*real_getauxval)(unsigned long);
static int (*real_dl_iterate_phdr)(int (*)(struct dl_phdr_info *, size_t, void *), void *);

/* dlsym() and dlvsym() where the C library has none: nothing is found. */
static void *no_dlsym(void *handle, const char *name)
{
	return NULL;
}

/* Whether the file name @path is @name, or ends in "/@name". */
static bool names_file(const char *path, const char *name)
{
	const char *base = path;

	for (; *path; path++)
		if (*path == '/')
			base = path + 1;
	return !preload_strcmp(base, name);
}

/* @name in the loaded object whose file name ends in @lib; 0 if none. */
static uintptr_t loaded_symbol(const char *lib, const char *name)
{
	const struct link_map *lm;
	uintptr_t addr;

	for (lm = _r_debug.r_map; lm; lm = lm->l_next) {
		if (!lm->l_name || !names_file(lm->l_name, lib))
			continue;
		addr = preload_elf_lookup(lm->l_addr, lm->l_ld, name, NULL);
		if (addr)
			return addr;
	}
	return 0;
}

void preload_boot(void)
{
	void *dl, *dlv;

	if (__atomic_load_n(&preload_real_dlsym, __ATOMIC_ACQUIRE))
		return;
	/* A C library before 2.34 keeps them in libdl. */
	dl = (void *)loaded_symbol("libc.so.6", "dlsym");
	dlv = (void *)loaded_symbol("libc.so.6", "dlvsym");
	if (!dl)
		dl = (void *)loaded_symbol("libdl.so.2", "dlsym");
	if (!dlv)
		dlv = (void *)loaded_symbol("libdl.so.2", "dlvsym");
	real_getauxval = (unsigned long (*)(unsigned long))loaded_symbol("libc.so.6", "getauxval");
	real_dl_iterate_phdr = (int (*)(int (*)(struct dl_phdr_info *, size_t, void *), void *))
		loaded_symbol("libc.so.6", "dl_iterate_phdr");
	__atomic_store_n(&preload_real_dlvsym, dlv ? dlv : (void *)no_dlsym, __ATOMIC_RELEASE);
	__atomic_store_n(&preload_real_dlsym, dl ? dl : (void *)no_dlsym, __ATOMIC_RELEASE);
}

bool preload_boot_complete(void)
{
	preload_boot();
	return preload_real_dlsym != (void *)no_dlsym && preload_real_dlvsym != (void *)no_dlsym;
}

unsigned long getauxval(unsigned long type)
{
	/* The vDSO is ours to answer (vdso.c); everything else is the C library's. */
	if (type == AT_SYSINFO_EHDR)
		return preload_vdso_auxval();
	preload_boot();
	return real_getauxval ? real_getauxval(type) : 0;
}

unsigned long __getauxval(unsigned long type);
unsigned long __getauxval(unsigned long type)
{
	return getauxval(type);
}

/* The vDSO's entry is ours to change (vdso.c), once the library has started. */
int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	if (__atomic_load_n(&preload_ready, __ATOMIC_ACQUIRE))
		return preload_vdso_iterate_phdr(cb, data);
	preload_boot();
	return real_dl_iterate_phdr ? real_dl_iterate_phdr(cb, data) : 0;
}

void *preload_real_dl_iterate_phdr(void)
{
	preload_boot();
	return (void *)real_dl_iterate_phdr;
}

unsigned long preload_real_getauxval(unsigned long type)
{
	preload_boot();
	return real_getauxval ? real_getauxval(type) : 0;
}
