/* SPDX-License-Identifier: MIT */
/*
 * What the demo shows: page maps (one column per page, one row per
 * moment, each cell the page's EPCM entry read from the emulated
 * processor through the driver's enclave object) and the final table of
 * counters. Cell notation: type, then for REG pages the R/W/X permissions,
 * then the flags P (PENDING), M (MODIFIED), PR (permissions restricted);
 * "--" is an address without an EPC page.
 */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "cpu/cpu.h"
#include "demo.h"
#include "driver/driver.h"
#include "softsgx/softsgx.h"

#define LABEL_WIDTH 13
#define CELL_WIDTH 11

void demo_map_init(struct demo_map *m, const uint64_t *addr, unsigned int n, bool consecutive)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->nr_pages = n < DEMO_MAP_COLS ? n : DEMO_MAP_COLS;
	for (i = 0; i < m->nr_pages; i++)
		m->addr[i] = consecutive ? addr[0] + i * DEMO_PAGE : addr[i];
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case SGX_PAGE_TYPE_SECS: return "SECS";
	case SGX_PAGE_TYPE_TCS: return "TCS";
	case SGX_PAGE_TYPE_REG: return "REG";
	case SGX_PAGE_TYPE_VA: return "VA";
	case SGX_PAGE_TYPE_TRIM: return "TRIM";
	default: return "?";
	}
}

static void format_epcm(const struct sgx_epcm_info *e, char *buf)
{
	int n = snprintf(buf, 16, "%s", type_name(e->type));

	if (e->type == SGX_PAGE_TYPE_REG)
		n += snprintf(buf + n, 16 - (size_t)n, " %c%c%c",
			      e->perm & SGX_SECINFO_R ? 'r' : '-',
			      e->perm & SGX_SECINFO_W ? 'w' : '-',
			      e->perm & SGX_SECINFO_X ? 'x' : '-');
	if (e->pending || e->modified || e->pr)
		snprintf(buf + n, 16 - (size_t)n, " %s%s%s", e->pending ? "P" : "",
			 e->modified ? "M" : "", e->pr ? "PR" : "");
}

const char *demo_epcm_state(struct demo *d, uint64_t addr, char *buf)
{
	struct sgx_encl_page *page;
	struct sgx_epcm_info e;
	uint64_t epc = 0;

	/* A page the reclaimer swapped out is brought back to be shown, as a debugger would. */
	pthread_rwlock_rdlock(&d->plat->mmap_lock);
	page = sgx_encl_reserve_page(d->encl, addr);
	if (page)
		epc = page->epc;
	else if (sgx_encl_load_page(d->encl, addr))
		epc = 1; /* there, but it could not be reloaded */
	pthread_mutex_unlock(&d->encl->lock);
	pthread_rwlock_unlock(&d->plat->mmap_lock);
	if (!epc)
		snprintf(buf, 16, "--");
	else if (!page)
		snprintf(buf, 16, "swapped out");
	else if (sgx_cpu_epcm_read(d->plat->cpu, epc, &e) || !e.valid)
		snprintf(buf, 16, "invalid");
	else
		format_epcm(&e, buf);
	return buf;
}

void demo_map_snap(struct demo *d, struct demo_map *m, const char *label)
{
	unsigned int i;

	if (m->nr_rows >= DEMO_MAP_ROWS)
		return;
	m->label[m->nr_rows] = label;
	for (i = 0; i < m->nr_pages; i++)
		demo_epcm_state(d, m->addr[i], m->state[m->nr_rows][i]);
	m->nr_rows++;
}

/* One column of a row: padded, or ending the line. */
static void print_cell(FILE *f, const char *text, bool last)
{
	if (last)
		fprintf(f, "%s\n", text);
	else
		fprintf(f, "%-*s", CELL_WIDTH, text);
}

void demo_map_print(struct demo *d, const struct demo_map *m)
{
	unsigned int r, i;
	char off[24];

	fprintf(d->out, "    %-*s", LABEL_WIDTH, "page");
	for (i = 0; i < m->nr_pages; i++) {
		snprintf(off, sizeof(off), "+%#" PRIx64, m->addr[i] - d->base);
		print_cell(d->out, m->name[i] ? m->name[i] : off, i + 1 == m->nr_pages);
	}
	for (r = 0; r < m->nr_rows; r++) {
		fprintf(d->out, "    %-*s", LABEL_WIDTH, m->label[r]);
		for (i = 0; i < m->nr_pages; i++)
			print_cell(d->out, m->state[r][i], i + 1 == m->nr_pages);
	}
}

/* Counters */

struct counter_cell {
	const char *name;
	uint64_t value;
};

/* Print @cells in rows of three "name value" cells under the heading @title. */
static void print_cells(FILE *f, const char *title, const struct counter_cell *cells,
			unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			fprintf(f, "  %-12s", i ? "" : title);
		fprintf(f, "%-13s%6" PRIu64 "%s", cells[i].name, cells[i].value,
			i % 3 == 2 || i + 1 == n ? "\n" : "    ");
	}
}

static void print_leaves(FILE *f)
{
	struct counter_cell cells[SGX_NR_LEAF_IDS];
	unsigned int id, n = 0;

	for (id = 0; id < SGX_NR_LEAF_IDS; id++) {
		uint64_t v = softsgx_leaf_count(id);

		if (v)
			cells[n++] = (struct counter_cell){ sgx_leaf_name(id), v };
	}
	print_cells(f, "leaves", cells, n);
}

static void print_driver(FILE *f)
{
	const struct counter_cell ioctls[] = {
		{ "CREATE", softsgx_counter(SOFTSGX_CNT_IOCTL_CREATE) },
		{ "ADD_PAGES", softsgx_counter(SOFTSGX_CNT_IOCTL_ADD_PAGES) },
		{ "INIT", softsgx_counter(SOFTSGX_CNT_IOCTL_INIT) },
		{ "RESTRICT", softsgx_counter(SOFTSGX_CNT_IOCTL_RESTRICT_PERMISSIONS) },
		{ "MODIFY_TYPES", softsgx_counter(SOFTSGX_CNT_IOCTL_MODIFY_TYPES) },
		{ "REMOVE_PAGES", softsgx_counter(SOFTSGX_CNT_IOCTL_REMOVE_PAGES) },
	};
	const struct counter_cell faults[] = {
		{ "EAUG", softsgx_counter(SOFTSGX_CNT_FAULT_EAUG) },
		{ "PTE mapped", softsgx_counter(SOFTSGX_CNT_FAULT_MAP) },
		{ "VMA (#PF)", softsgx_counter(SOFTSGX_CNT_FAULT_VMA) },
		{ "EPCM (#PF)", softsgx_counter(SOFTSGX_CNT_FAULT_EPCM) },
		{ "SIGBUS", softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS) },
	};
	const struct counter_cell tracking[] = {
		{ "ETRACK", softsgx_counter(SOFTSGX_CNT_ETRACK) },
		{ "rounds", softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS) },
		{ "threads", softsgx_counter(SOFTSGX_CNT_IPI_THREADS) },
		{ "AEX (all)", softsgx_leaf_count(SGX_LEAF_AEX) },
	};

	const struct counter_cell paging[] = {
		{ "evicted", softsgx_counter(SOFTSGX_CNT_EPC_EVICTED) },
		{ "reloaded", softsgx_counter(SOFTSGX_CNT_EPC_RELOADED) },
		{ "refused", softsgx_counter(SOFTSGX_CNT_EPC_RELOAD_FAILED) },
		{ "passes", softsgx_counter(SOFTSGX_CNT_RECLAIM_BATCHES) },
		{ "ETRACK", softsgx_counter(SOFTSGX_CNT_PAGING_ETRACK) },
		{ "rounds", softsgx_counter(SOFTSGX_CNT_PAGING_IPI) },
	};
	const struct counter_cell notify[] = {
		{ "armed AEX", softsgx_counter(SOFTSGX_CNT_AEX_ARMED) },
		{ "ERESUME in", softsgx_counter(SOFTSGX_CNT_ERESUME_NOTIFY) },
		{ "EDECCSSA", softsgx_leaf_count(SGX_LEAF_ENCLU(ENCLU_EDECCSSA)) },
	};

	print_cells(f, "ioctls", ioctls, sizeof(ioctls) / sizeof(ioctls[0]));
	print_cells(f, "faults", faults, sizeof(faults) / sizeof(faults[0]));
	print_cells(f, "interrupts", tracking, sizeof(tracking) / sizeof(tracking[0]));
	print_cells(f, "paging", paging, sizeof(paging) / sizeof(paging[0]));
	print_cells(f, "AEX-Notify", notify, sizeof(notify) / sizeof(notify[0]));
}

/* The injections of --inject that struck, by point ("injected: restrict.eagain" ...). */
static void print_injected(FILE *f)
{
	unsigned int c, n = 0;
	const char *name;
	uint64_t v;

	for (c = SOFTSGX_CNT_INJECT_EMODPR_CONFLICT; c <= SOFTSGX_CNT_INJECT_ETRACK_IRQ; c++) {
		v = softsgx_counter((enum softsgx_counter)c);
		if (!v)
			continue;
		name = softsgx_counter_name((enum softsgx_counter)c) + strlen("injected: ");
		if (n % 2 == 0)
			fprintf(f, "%s  %-12s", n ? "\n" : "", n ? "" : "injected");
		fprintf(f, "%s%-21s%6" PRIu64, n % 2 ? "    " : "", name, v);
		n++;
	}
	if (n)
		fprintf(f, "\n");
}

void demo_print_counters(FILE *f)
{
	fprintf(f, "counters (the whole run)\n");
	print_leaves(f);
	print_driver(f);
	print_injected(f);
}
