/* SPDX-License-Identifier: MIT */
/*
 * The loader's layout of ELRANGE (see softsgx/loader.h): the contents of
 * every page it adds, the runs of ADD_PAGES calls in EADD order, the
 * mappings, and MRENCLAVE computed from the same runs, so the measurement
 * that is signed and the one the processor makes cannot drift apart. Every
 * value written into a page is an offset from the base, never an address:
 * the measurement does not depend on where the enclave is placed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "loader/loader_internal.h"
#include "softsgx/arch.h"
#include "softsgx/measure.h"

#define PAGE LOADER_PAGE
#define PERM_PRESENT 0x80u /* in the per-page table: some segment covers the page */
#define PERM_RW (SGX_SECINFO_R | SGX_SECINFO_W)

static unsigned int perm_of(uint32_t p_flags)
{
	unsigned int perm = ((p_flags & PF_R) ? SGX_SECINFO_R : 0) |
			    ((p_flags & PF_W) ? SGX_SECINFO_W : 0) |
			    ((p_flags & PF_X) ? SGX_SECINFO_X : 0);

	/* EADD refuses W without R (and so does Linux's ADD_PAGES): writable implies readable. */
	return (perm & SGX_SECINFO_W) ? perm | SGX_SECINFO_R : perm;
}

uint64_t layout_tcs(const struct layout *l, unsigned int i)
{
	return l->image_end + (uint64_t)i * l->thread_size;
}

static int add_run(struct layout *l, uint64_t offset, uint64_t len, uint64_t flags)
{
	struct layout_run *runs;

	runs = realloc(l->runs, (l->nr_runs + 1) * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	l->runs = runs;
	l->runs[l->nr_runs++] = (struct layout_run){ .offset = offset, .len = len, .flags = flags };
	return 0;
}

/* Extend the last mapping if it has the same permissions, else start one. */
static int add_map(struct layout *l, uint64_t offset, uint64_t len, unsigned int perm)
{
	struct layout_map *maps, *last = l->nr_maps ? &l->maps[l->nr_maps - 1] : NULL;

	if (last && last->perm == perm && last->offset + last->len == offset) {
		last->len += len;
		return 0;
	}
	maps = realloc(l->maps, (l->nr_maps + 1) * sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	l->maps = maps;
	l->maps[l->nr_maps++] = (struct layout_map){ .offset = offset, .len = len, .perm = perm };
	return 0;
}

/* The image's pages: contents, runs of equal permissions, mappings (absent pages RW). */
static int place_image(struct layout *l, const struct elf_image *img)
{
	size_t nr_pages = l->image_end / PAGE, i, next;
	const struct elf_segment *s;
	uint8_t *perm;
	unsigned int k;
	uint64_t p;
	int ret = 0;

	perm = calloc(nr_pages, 1);
	if (!perm)
		return -ENOMEM;
	for (k = 0; k < img->nr_segs; k++) {
		s = &img->segs[k];
		memcpy(l->data + s->vaddr, img->data + s->offset, s->filesz);
		for (p = s->vaddr / PAGE; p <= (s->vaddr + s->memsz - 1) / PAGE; p++)
			perm[p] |= PERM_PRESENT | perm_of(s->flags);
	}
	for (i = 0; i < nr_pages && !ret; i = next) {
		for (next = i; next < nr_pages && perm[next] == perm[i]; next++)
			;
		if (perm[i] & PERM_PRESENT)
			ret = add_run(l, i * PAGE, (next - i) * PAGE,
				      SGX_SECINFO_REG | (perm[i] & SGX_SECINFO_PERM_MASK));
		if (!ret)
			ret = add_map(l, i * PAGE, (next - i) * PAGE,
				      (perm[i] & PERM_PRESENT) ? perm[i] & SGX_SECINFO_PERM_MASK : PERM_RW);
	}
	free(perm);
	return ret;
}

/* Thread @i: TCS, SSA frames, thread data, stack. */
static int place_thread(struct layout *l, const struct elf_image *img, unsigned int i)
{
	const uint64_t tcs_off = layout_tcs(l, i);
	struct sgx_tcs *tcs = (struct sgx_tcs *)(l->data + tcs_off);
	struct softsgx_thread_data *td;
	int ret;

	tcs->flags = l->tcs_flags;
	tcs->ossa = tcs_off + SOFTSGX_LOAD_SSA_OFFSET;
	tcs->nssa = SOFTSGX_LOAD_NSSA;
	tcs->oentry = img->entry;
	tcs->ofsbase = tcs_off + SOFTSGX_LOAD_TDATA_OFFSET;
	tcs->ogsbase = tcs_off + SOFTSGX_LOAD_TDATA_OFFSET;
	tcs->fslimit = 0xFFFFFFFF;
	tcs->gslimit = 0xFFFFFFFF;
	td = (struct softsgx_thread_data *)(l->data + tcs_off + SOFTSGX_LOAD_TDATA_OFFSET);
	td->self = tcs_off + SOFTSGX_LOAD_TDATA_OFFSET;
	td->tcs = tcs_off;
	td->stack_top = tcs_off + l->thread_size;
	td->ossa = tcs_off + SOFTSGX_LOAD_SSA_OFFSET;
	/* ADD_PAGES takes a TCS with no R/W/X in SECINFO (the EPCM gives it none). */
	ret = add_run(l, tcs_off, PAGE, SGX_SECINFO_TCS);
	if (!ret)
		ret = add_run(l, tcs_off + PAGE, l->thread_size - PAGE, SGX_SECINFO_REG | PERM_RW);
	return ret;
}

int layout_build(const struct elf_image *img, const struct softsgx_load_options *opts,
		 struct layout *l)
{
	unsigned int i;
	int ret;

	memset(l, 0, sizeof(*l));
	l->size = opts->encl_size;
	l->image_end = img->end;
	l->nr_tcs = opts->nr_tcs;
	l->stack_pages = opts->stack_pages;
	l->thread_size = SOFTSGX_LOAD_THREAD_PAGES((uint64_t)opts->stack_pages) * PAGE;
	/* An AEX-Notify enclave's threads all take the notification (EENTER wants both or neither). */
	l->tcs_flags = (opts->attributes & SGX_ATTR_AEXNOTIFY) ? SGX_TCS_FLAGS_AEXNOTIFY : 0;
	if (l->image_end > l->size || l->thread_size > (l->size - l->image_end) / l->nr_tcs)
		return -E2BIG;
	l->end = l->image_end + l->nr_tcs * l->thread_size;
	/* Every added page is measured, one by one: refuse before spending the time. */
	if (l->end > SOFTSGX_LOAD_MAX_ADDED)
		return -EFBIG;
	/* Anonymous memory: page-aligned (ADD_PAGES wants that) and zero until written. */
	l->data = mmap(NULL, l->end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (l->data == MAP_FAILED) {
		l->data = NULL;
		return -ENOMEM;
	}
	ret = place_image(l, img);
	for (i = 0; i < l->nr_tcs && !ret; i++)
		ret = place_thread(l, img, i);
	if (!ret)
		ret = add_map(l, l->image_end, l->size - l->image_end, PERM_RW);
	if (ret)
		layout_release(l);
	return ret;
}

void layout_release(struct layout *l)
{
	if (l->data)
		munmap(l->data, l->end);
	free(l->runs);
	free(l->maps);
	memset(l, 0, sizeof(*l));
}

int layout_measure(const struct layout *l, uint8_t mrenclave[32])
{
	struct sgx_measure *m = sgx_measure_new();
	uint64_t off;
	size_t i;

	if (!m)
		return -ENOMEM;
	sgx_measure_ecreate(m, 1, l->size);
	for (i = 0; i < l->nr_runs; i++)
		for (off = l->runs[i].offset; off < l->runs[i].offset + l->runs[i].len; off += PAGE)
			sgx_measure_page(m, off, l->runs[i].flags, l->data + off, 1);
	sgx_measure_digest(m, mrenclave);
	sgx_measure_free(m);
	return 0;
}
