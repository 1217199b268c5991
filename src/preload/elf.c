/* SPDX-License-Identifier: MIT */
/*
 * Dynamic symbols of a loaded object, read from its own tables: how the
 * preload library finds the C library's dlsym() (which it interposes, so
 * it cannot ask it) and the real vDSO's functions.
 */
#include <elf.h>

#include "preload/preload.h"

struct dyninfo {
	const Elf64_Sym *symtab;
	const char *strtab;
	const Elf64_Word *hash;
	const Elf64_Word *gnu_hash;
	const Elf64_Half *versym;
	const Elf64_Verdef *verdef;
};

/*
 * A pointer of the dynamic section: the dynamic linker has relocated those
 * of ordinary objects in place, the vDSO's (read-only) are offsets.
 */
static const void *dyn_ptr(uintptr_t base, Elf64_Addr v)
{
	return (const void *)(v < base ? base + v : v);
}

static void dyn_read(uintptr_t base, const Elf64_Dyn *d, struct dyninfo *di)
{
	*di = (struct dyninfo){ 0 };
	for (; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB: di->symtab = dyn_ptr(base, d->d_un.d_ptr); break;
		case DT_STRTAB: di->strtab = dyn_ptr(base, d->d_un.d_ptr); break;
		case DT_HASH: di->hash = dyn_ptr(base, d->d_un.d_ptr); break;
		case DT_GNU_HASH: di->gnu_hash = dyn_ptr(base, d->d_un.d_ptr); break;
		case DT_VERSYM: di->versym = dyn_ptr(base, d->d_un.d_ptr); break;
		case DT_VERDEF: di->verdef = dyn_ptr(base, d->d_un.d_ptr); break;
		default: break;
		}
	}
}

/* Symbols in the table: DT_HASH's nchain, or past the GNU hash table's last chain. */
static size_t dyn_nsyms(const struct dyninfo *di)
{
	const Elf64_Word *h = di->gnu_hash, *buckets, *chains;
	Elf64_Word nbuckets, symoffset, bloom_size, last = 0, i;

	if (di->hash)
		return di->hash[1];
	if (!h)
		return 0;
	nbuckets = h[0];
	symoffset = h[1];
	bloom_size = h[2];
	buckets = h + 4 + bloom_size * 2; /* 64-bit bloom words */
	chains = buckets + nbuckets;
	for (i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chains[last - symoffset] & 1))
		last++;
	return last + 1;
}

/* The index of version @name among the object's definitions; 0 if none. */
static unsigned int verdef_index(const struct dyninfo *di, const char *name)
{
	const Elf64_Verdef *vd = di->verdef;

	while (vd) {
		const Elf64_Verdaux *aux = (const void *)((const char *)vd + vd->vd_aux);

		if (!(vd->vd_flags & VER_FLG_BASE) && !preload_strcmp(di->strtab + aux->vda_name, name))
			return vd->vd_ndx;
		vd = vd->vd_next ? (const void *)((const char *)vd + vd->vd_next) : NULL;
	}
	return 0;
}

uintptr_t preload_elf_lookup(uintptr_t base, const void *dynamic, const char *name,
			     const char *version)
{
	struct dyninfo di;
	unsigned int want = 0;
	size_t i, n;

	dyn_read(base, dynamic, &di);
	if (!di.symtab || !di.strtab)
		return 0;
	if (version && !(want = verdef_index(&di, version)))
		return 0;
	n = dyn_nsyms(&di);
	for (i = 1; i < n; i++) {
		const Elf64_Sym *s = &di.symtab[i];
		unsigned int type = ELF64_ST_TYPE(s->st_info);

		if (s->st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_OBJECT) ||
		    preload_strcmp(di.strtab + s->st_name, name))
			continue;
		if (di.versym && (want ? (di.versym[i] & 0x7fff) != want : (di.versym[i] & 0x8000)))
			continue; /* another version, or a hidden (non-default) one */
		return base + s->st_value;
	}
	return 0;
}

bool preload_elf_imports(uintptr_t base, const void *dynamic, const char *const *names)
{
	struct dyninfo di;
	size_t i, n, k;

	dyn_read(base, dynamic, &di);
	if (!di.symtab || !di.strtab)
		return false;
	n = dyn_nsyms(&di);
	for (i = 1; i < n; i++) {
		const Elf64_Sym *s = &di.symtab[i];

		if (s->st_shndx != SHN_UNDEF)
			continue;
		for (k = 0; names[k]; k++)
			if (!preload_strcmp(di.strtab + s->st_name, names[k]))
				return true;
	}
	return false;
}
