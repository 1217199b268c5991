/* SPDX-License-Identifier: MIT */
/*
 * The vDSO as a program of SGX2 Linux finds it: an image whose dynamic
 * symbol table has every symbol of the real vDSO, at its real address,
 * and __vdso_sgx_enter_enclave (version LINUX_2.6) at softsgx's entry
 * function. getauxval(AT_SYSINFO_EHDR) and dl_iterate_phdr() give this
 * image in place of the real one; dlsym()/dlvsym() on the vDSO's handle
 * (dlopen("linux-vdso.so.1", RTLD_NOLOAD)) answer the new symbol. The
 * image has both hash tables (SysV and GNU) and version definitions, so
 * whichever way a program walks it, it finds the same symbols.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "preload/preload.h"
#include "softsgx/softsgx.h"
#include "sys.h"

#define MAX_SYMS 64
#define MAX_VERSIONS 8
#define STR_MAX 2048

static void *vdso_handle;      /* dlopen("linux-vdso.so.1", RTLD_NOLOAD) */
static uintptr_t real_base;    /* the real vDSO's load address; 0 if the process has none */
static uintptr_t image;        /* ours; 0 until built */
static size_t image_len;
static const Elf64_Phdr *image_phdr;

static int (*real_dl_iterate_phdr)(int (*)(struct dl_phdr_info *, size_t, void *), void *);

static const char sgx_entry_name[] = "__vdso_sgx_enter_enclave";
static const char sgx_entry_version[] = "LINUX_2.6";

/* The ELF hash (DT_HASH, vd_hash) and the GNU hash (DT_GNU_HASH) of a name. */
static uint32_t elf_hash(const char *s)
{
	uint32_t h = 0, g;

	for (; *s; s++) {
		h = (h << 4) + (uint8_t)*s;
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
		h = h * 33 + (uint8_t)*s;
	return h;
}

/* A symbol of the image: its name, version and address. */
struct vsym {
	const char *name;
	const char *version;
	uintptr_t addr;
	unsigned char info;
};

/* The real vDSO's defined symbols, with their version names. */
static size_t real_symbols(const struct link_map *lm, struct vsym *out, size_t max)
{
	const Elf64_Sym *symtab = NULL;
	const char *strtab = NULL;
	const Elf64_Half *versym = NULL;
	const Elf64_Verdef *verdef = NULL;
	const Elf64_Word *hash = NULL;
	const Elf64_Dyn *d;
	size_t n = 0, i, nsyms = 0;

	for (d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		const void *p = (const void *)(d->d_un.d_ptr < real_base ? real_base + d->d_un.d_ptr
									 : d->d_un.d_ptr);

		switch (d->d_tag) {
		case DT_SYMTAB: symtab = p; break;
		case DT_STRTAB: strtab = p; break;
		case DT_VERSYM: versym = p; break;
		case DT_VERDEF: verdef = p; break;
		case DT_HASH: hash = p; break;
		default: break;
		}
	}
	/* The kernel's vDSO always has a SysV hash table (its build asks for both). */
	if (!symtab || !strtab || !hash)
		return 0;
	nsyms = hash[1];
	for (i = 1; i < nsyms && n < max; i++) {
		const Elf64_Sym *s = &symtab[i];
		const char *version = NULL;

		if (s->st_shndx == SHN_UNDEF || !s->st_name || ELF64_ST_TYPE(s->st_info) != STT_FUNC)
			continue;
		if (versym && verdef) {
			const Elf64_Verdef *vd = verdef;

			while (vd && vd->vd_ndx != (versym[i] & 0x7fff))
				vd = vd->vd_next ? (const void *)((const char *)vd + vd->vd_next) : NULL;
			if (vd && !(vd->vd_flags & VER_FLG_BASE))
				version = strtab + ((const Elf64_Verdaux *)((const char *)vd + vd->vd_aux))->vda_name;
		}
		out[n++] = (struct vsym){ .name = strtab + s->st_name, .version = version,
					  .addr = real_base + s->st_value, .info = s->st_info };
	}
	return n;
}

/* Image building: a cursor over the image's bytes. */
struct builder {
	uint8_t *p;
	size_t off;
	char str[STR_MAX];
	size_t str_len;
};

static size_t put(struct builder *b, const void *src, size_t len, size_t align)
{
	size_t at = (b->off + align - 1) & ~(align - 1);

	if (b->p)
		memcpy(b->p + at, src, len);
	b->off = at + len;
	return at;
}

static size_t str_add(struct builder *b, const char *s)
{
	size_t at = b->str_len, len = strlen(s) + 1;

	if (at + len > STR_MAX)
		return 0;
	memcpy(b->str + at, s, len);
	b->str_len += len;
	return at;
}

/* Lay out (b->p NULL: measure only) or write the image for @syms. */
static void build(struct builder *b, const struct vsym *syms, size_t n, const char **versions,
		  size_t nver)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[2];
	Elf64_Dyn dyn[12];
	Elf64_Sym sym;
	size_t i, at_ph, at_dyn, at_sym, at_str, at_hash, at_gnu, at_versym, at_verdef;
	size_t name_off[MAX_SYMS], ver_off[MAX_VERSIONS + 1], soname;
	uint32_t w;
	uint64_t bloom = ~0ull;

	b->off = 0;
	b->str_len = 0;
	str_add(b, "");
	soname = str_add(b, "linux-vdso.so.1");
	for (i = 0; i < nver; i++)
		ver_off[i] = str_add(b, versions[i]);
	for (i = 0; i < n; i++)
		name_off[i] = str_add(b, syms[i].name);

	put(b, &eh, sizeof(eh), 8); /* written last, when every offset is known */
	at_ph = put(b, ph, sizeof(ph), 8);
	at_dyn = put(b, dyn, sizeof(dyn), 8);
	/* The symbols: index 0 is the null symbol. */
	memset(&sym, 0, sizeof(sym));
	at_sym = put(b, &sym, sizeof(sym), 8);
	for (i = 0; i < n; i++) {
		sym = (Elf64_Sym){ .st_name = (Elf64_Word)name_off[i], .st_info = syms[i].info,
				   .st_shndx = 1, .st_value = syms[i].addr - image };
		put(b, &sym, sizeof(sym), 8);
	}
	at_str = put(b, b->str, b->str_len, 1);
	/* SysV hash: one bucket, the symbols chained from the last to the first. */
	w = 1;
	at_hash = put(b, &w, 4, 4);
	w = (uint32_t)n + 1;
	put(b, &w, 4, 4);
	w = (uint32_t)n;
	put(b, &w, 4, 4); /* bucket[0] */
	for (i = 0; i <= n; i++) {
		w = i ? (uint32_t)i - 1 : 0; /* chain[i] */
		put(b, &w, 4, 4);
	}
	/* GNU hash: one bucket, symbols from 1, a bloom word that lets everything through. */
	w = 1;
	at_gnu = put(b, &w, 4, 8);
	put(b, &w, 4, 4); /* symoffset */
	put(b, &w, 4, 4); /* bloom words */
	w = 6;
	put(b, &w, 4, 4); /* bloom shift */
	put(b, &bloom, 8, 8);
	w = n ? 1 : 0;
	put(b, &w, 4, 4); /* bucket[0] */
	for (i = 0; i < n; i++) {
		w = (gnu_hash(syms[i].name) & ~1u) | (i + 1 == n);
		put(b, &w, 4, 4);
	}
	/* Versions: index 1 the file, then one per version name. */
	{
		Elf64_Half vs = 0;

		at_versym = put(b, &vs, 2, 2);
		for (i = 0; i < n; i++) {
			size_t v;

			for (v = 0; v < nver && (!syms[i].version || strcmp(versions[v], syms[i].version)); v++)
				;
			vs = (Elf64_Half)(v < nver ? v + 2 : 1);
			put(b, &vs, 2, 2);
		}
	}
	at_verdef = 0;
	for (i = 0; i <= nver; i++) {
		Elf64_Verdef vd = { .vd_version = VER_DEF_CURRENT,
				    .vd_flags = i ? 0 : VER_FLG_BASE,
				    .vd_ndx = (Elf64_Half)(i + 1), .vd_cnt = 1,
				    .vd_hash = elf_hash(i ? versions[i - 1] : "linux-vdso.so.1"),
				    .vd_aux = sizeof(Elf64_Verdef),
				    .vd_next = i < nver ? sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux) : 0 };
		Elf64_Verdaux va = { .vda_name = (Elf64_Word)(i ? ver_off[i - 1] : soname) };
		size_t at = put(b, &vd, sizeof(vd), 4);

		if (!i)
			at_verdef = at;
		put(b, &va, sizeof(va), 4);
	}
	if (!b->p)
		return;

	{
		const Elf64_Dyn d[12] = {
			{ DT_HASH, { at_hash } }, { DT_GNU_HASH, { at_gnu } },
			{ DT_SYMTAB, { at_sym } }, { DT_STRTAB, { at_str } },
			{ DT_STRSZ, { b->str_len } }, { DT_SYMENT, { sizeof(Elf64_Sym) } },
			{ DT_VERSYM, { at_versym } }, { DT_VERDEF, { at_verdef } },
			{ DT_VERDEFNUM, { nver + 1 } }, { DT_SONAME, { soname } },
			{ DT_NULL, { 0 } }, { DT_NULL, { 0 } },
		};

		memcpy(b->p + at_dyn, d, sizeof(d));
	}
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
			      .p_vaddr = 0, .p_paddr = 0, .p_filesz = b->off, .p_memsz = b->off,
			      .p_align = 4096 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_flags = PF_R, .p_offset = at_dyn,
			      .p_vaddr = at_dyn, .p_paddr = at_dyn, .p_filesz = sizeof(dyn),
			      .p_memsz = sizeof(dyn), .p_align = 8 };
	memcpy(b->p + at_ph, ph, sizeof(ph));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = at_ph;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	memcpy(b->p, &eh, sizeof(eh));
	image_phdr = (const Elf64_Phdr *)(b->p + at_ph);
}

void preload_vdso_init(void)
{
	real_dl_iterate_phdr = (int (*)(int (*)(struct dl_phdr_info *, size_t, void *), void *))
		preload_real_dl_iterate_phdr();
	struct link_map *lm = NULL;
	struct vsym syms[MAX_SYMS];
	const char *versions[MAX_VERSIONS];
	struct builder *b;
	size_t n = 0, nver = 0, i, v;
	void *p;

	vdso_handle = dlopen("linux-vdso.so.1", RTLD_NOLOAD | RTLD_LAZY);
	if (vdso_handle && !dlinfo(vdso_handle, RTLD_DI_LINKMAP, &lm) && lm) {
		real_base = lm->l_addr;
		n = real_symbols(lm, syms, MAX_SYMS - 1);
	}
	syms[n++] = (struct vsym){ .name = sgx_entry_name, .version = sgx_entry_version,
				   .addr = (uintptr_t)softsgx_enter_enclave,
				   .info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC) };
	for (i = 0; i < n; i++) {
		for (v = 0; v < nver && (!syms[i].version || strcmp(versions[v], syms[i].version)); v++)
			;
		if (syms[i].version && v == nver && nver < MAX_VERSIONS)
			versions[nver++] = syms[i].version;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return;
	build(b, syms, n, versions, nver);
	image_len = (b->off + 4095) & ~(size_t)4095;
	p = sys_mmap(NULL, image_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		b->p = p;
		image = (uintptr_t)p; /* symbol values are relative to it */
		build(b, syms, n, versions, nver);
		sys_mprotect(p, image_len, PROT_READ);
	}
	free(b);
}

unsigned long preload_vdso_auxval(void)
{
	preload_ensure();
	return image ? image : preload_real_getauxval(AT_SYSINFO_EHDR);
}

struct iterate {
	int (*cb)(struct dl_phdr_info *, size_t, void *);
	void *data;
};

static int iterate_one(struct dl_phdr_info *info, size_t size, void *data)
{
	struct iterate *it = data;
	struct dl_phdr_info mine;

	if (!image || !real_base || info->dlpi_addr != real_base)
		return it->cb(info, size, it->data);
	/* The vDSO's entry: our image's headers in place of the real ones. */
	if (size > sizeof(mine))
		size = sizeof(mine);
	memcpy(&mine, info, size);
	mine.dlpi_addr = image;
	mine.dlpi_phdr = image_phdr;
	mine.dlpi_phnum = 2;
	return it->cb(&mine, size, it->data);
}

int preload_vdso_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	struct iterate it = { cb, data };

	preload_ensure();
	if (!real_dl_iterate_phdr)
		return 0;
	return real_dl_iterate_phdr(iterate_one, &it);
}

/* dl.S: the answer for @handle and @name (@version or NULL), or NULL to ask the C library. */
__attribute__((visibility("hidden"))) void *preload_dl_vdso_sym(void *handle, const char *name,
								const char *version);

__attribute__((visibility("hidden"))) void *preload_dl_vdso_sym(void *handle, const char *name,
								const char *version)
{
	preload_ensure();
	if (!handle || handle != vdso_handle || !name || strcmp(name, sgx_entry_name))
		return NULL;
	if (version && strcmp(version, sgx_entry_version))
		return NULL;
	return (void *)softsgx_enter_enclave;
}
