/* SPDX-License-Identifier: MIT */
/*
 * Symbol lookup in a loaded ELF object through its dynamic section
 * (vdso_elf.h). The vDSO's dynamic section is not relocated in memory: its
 * pointers are link-time addresses, to which the load bias is added.
 */
#include <string.h>

#include "vdso_elf.h"

struct dyn {
	const Elf64_Sym *symtab;
	const char *strtab;
	const Elf64_Word *hash;
	const Elf64_Word *gnu_hash;
	const Elf64_Versym *versym;
	const Elf64_Verdef *verdef;
};

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, g;

	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = (h << 5) + h + (unsigned char)*s;
	return h;
}

/* The version index of @version in DT_VERDEF; 0 if it is not defined. */
static unsigned int version_index(const struct dyn *d, const char *version)
{
	const Elf64_Verdef *vd = d->verdef;
	uint32_t h = sysv_hash(version);

	while (vd) {
		const Elf64_Verdaux *aux = (const void *)((const char *)vd + vd->vd_aux);

		if (vd->vd_hash == h && !(vd->vd_flags & VER_FLG_BASE) &&
		    !strcmp(d->strtab + aux->vda_name, version))
			return vd->vd_ndx;
		vd = vd->vd_next ? (const void *)((const char *)vd + vd->vd_next) : NULL;
	}
	return 0;
}

/* Is symbol @i the one asked for (name, defined, version index @want or any if 0)? */
static int matches(const struct dyn *d, uint32_t i, const char *name, unsigned int want)
{
	const Elf64_Sym *s = &d->symtab[i];

	if (s->st_shndx == SHN_UNDEF || strcmp(d->strtab + s->st_name, name))
		return 0;
	if (want && (!d->versym || (d->versym[i] & 0x7fff) != want))
		return 0;
	return 1;
}

static uint32_t find_sysv(const struct dyn *d, const char *name, unsigned int want)
{
	uint32_t nbucket = d->hash[0];
	const Elf64_Word *bucket = d->hash + 2, *chain = bucket + nbucket;
	uint32_t i;

	if (!nbucket)
		return 0;
	for (i = bucket[sysv_hash(name) % nbucket]; i != STN_UNDEF; i = chain[i])
		if (matches(d, i, name, want))
			return i;
	return 0;
}

static uint32_t find_gnu(const struct dyn *d, const char *name, unsigned int want)
{
	const uint32_t nbuckets = d->gnu_hash[0], symoffset = d->gnu_hash[1];
	const uint32_t bloom_size = d->gnu_hash[2], shift = d->gnu_hash[3];
	const uint64_t *bloom = (const uint64_t *)(d->gnu_hash + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	const uint32_t h = gnu_hash(name);
	uint64_t word, mask;
	uint32_t i;

	if (!nbuckets || !bloom_size)
		return 0;
	word = bloom[(h / 64) % bloom_size];
	mask = (1ull << (h % 64)) | (1ull << ((h >> shift) % 64));
	if ((word & mask) != mask)
		return 0; /* the bloom filter says: certainly not here */
	i = buckets[h % nbuckets];
	if (i < symoffset)
		return 0;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];

		if ((h | 1) == (h2 | 1) && matches(d, i, name, want))
			return i;
		if (h2 & 1)
			return 0; /* end of this bucket's chain */
	}
}

uintptr_t vdso_elf_lookup(uintptr_t bias, const Elf64_Phdr *phdr, unsigned int phnum,
			  const char *name, const char *version, enum vdso_hash hash,
			  const char **why)
{
	const Elf64_Dyn *dt = NULL;
	struct dyn d;
	unsigned int i, want = 0;
	uint32_t idx;

	*why = NULL;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < phnum; i++)
		if (phdr[i].p_type == PT_DYNAMIC)
			dt = (const Elf64_Dyn *)(bias + phdr[i].p_vaddr);
	if (!dt) {
		*why = "no PT_DYNAMIC";
		return 0;
	}
	for (; dt->d_tag != DT_NULL; dt++) {
		const void *p = (const void *)(bias + dt->d_un.d_ptr);

		switch (dt->d_tag) {
		case DT_SYMTAB: d.symtab = p; break;
		case DT_STRTAB: d.strtab = p; break;
		case DT_HASH: d.hash = p; break;
		case DT_GNU_HASH: d.gnu_hash = p; break;
		case DT_VERSYM: d.versym = p; break;
		case DT_VERDEF: d.verdef = p; break;
		default: break;
		}
	}
	if (!d.symtab || !d.strtab) {
		*why = "no DT_SYMTAB or DT_STRTAB";
		return 0;
	}
	if (hash == VDSO_HASH_SYSV ? !d.hash : !d.gnu_hash) {
		*why = hash == VDSO_HASH_SYSV ? "no DT_HASH" : "no DT_GNU_HASH";
		return 0;
	}
	if (version) {
		if (!d.versym || !d.verdef) {
			*why = "no DT_VERSYM or DT_VERDEF";
			return 0;
		}
		want = version_index(&d, version);
		if (!want) {
			*why = "version not defined";
			return 0;
		}
	}
	idx = hash == VDSO_HASH_SYSV ? find_sysv(&d, name, want) : find_gnu(&d, name, want);
	if (!idx) {
		*why = "symbol not found";
		return 0;
	}
	return bias + d.symtab[idx].st_value;
}
