/* SPDX-License-Identifier: MIT */
/*
 * The EPCM: the state machine every EPC page follows, the snapshot the
 * upper layers read, and the invariant checker that debug builds run after
 * every leaf.
 *
 * States of one page (flags not shown are 0; "P" PENDING, "M" MODIFIED,
 * "PR" permissions restricted, "B" BLOCKED):
 *
 *                 ECREATE            EPA
 *        SECS <------------ free ------------> VA
 *                          | |  \
 *                EADD      | |   \ EAUG (after EINIT)
 *      REG/TCS <-----------+ |    v
 *                            |   REG rw- P ----EACCEPT/EACCEPTCOPY----> REG
 *                            |                                          | ^
 *                            |                        EMODPR            | | EACCEPT
 *                            |                 REG PR <-----------------+ | (tracked)
 *                            |                 REG PR --------------------+
 *                            |
 *   REG/TCS --EMODT(TRIM)--> TRIM M --EACCEPT (tracked)--> TRIM --EREMOVE--> free
 *   REG -----EMODT(TCS)----> TCS M  --EACCEPT (tracked)--> TCS
 *   REG/TCS/TRIM --EBLOCK--> B --ETRACK, threads out--> EWB --> evicted
 *   evicted --ELDU--> same state (ELDB: and B)
 *   REG/TCS/TRIM M --EREMOVE (no thread inside)--> free;  VA, SECS (no child) --EREMOVE--> free
 *
 * Transitions and the leaf performing each: ECREATE (encls_build.c),
 * EADD, EREMOVE (encls_build.c), EPA, EBLOCK, EWB, ELDB/ELDU (encls_paging.c),
 * EAUG, EMODPR, EMODT (encls_edmm.c), EACCEPT, EACCEPTCOPY, EMODPE
 * (enclu_edmm.c).
 *
 * What each state guarantees (checked by sgx_cpu_check_invariants()):
 * - free (VALID=0): every other field is clear (type 0, no owner, not an
 *   active TCS, no tracked change, epoch stamp 0).
 * - SECS: no owner, address 0, RWX=0, no B/P/M/PR, never an active TCS or
 *   a tracked change; has hidden state whose child count equals the number
 *   of valid pages it owns and whose "initialized" equals ATTRIBUTES.INIT;
 *   the running measurement exists exactly until EINIT.
 * - VA: no owner, address 0, RWX=0, no B/P/M/PR, never an active TCS or a
 *   tracked change.
 * - REG/TCS/TRIM: owned by a valid SECS, page-aligned address in its
 *   ELRANGE; never MODIFIED as REG, never PENDING unless REG, PR only on a
 *   non-pending REG page, RWX=0 for TCS and TRIM; PENDING, MODIFIED and PR
 *   only in an initialized enclave; active only as a TCS (or as the TRIM M
 *   page EMODT made of a TCS an LP is still inside through: EMODT does not
 *   check); a tracked change never stamped beyond the owner's epoch.
 * - BLOCKED only on REG/TCS/TRIM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"

void epcm_set_invalid(struct epc_page *pg)
{
	if (pg->secs_state) {
		sgx_measure_free(pg->secs_state->mrenclave);
		free(pg->secs_state);
	}
	pg->valid = false;
	pg->blocked = false;
	pg->pending = false;
	pg->modified = false;
	pg->pr = false;
	pg->perm = 0;
	pg->type = 0;
	pg->linaddr = 0;
	pg->secs = NULL;
	pg->tracked_change = false;
	pg->tcs_active = false;
	pg->track_epoch = 0;
	pg->secs_state = NULL;
}

int sgx_cpu_epcm_read(struct sgx_cpu *cpu, uint64_t epc, struct sgx_epcm_info *info)
{
	struct epc_page *pg = epc_page_at(cpu, epc);

	if (!pg)
		return -EINVAL;
	pthread_mutex_lock(&cpu->lock);
	*info = (struct sgx_epcm_info){
		.valid = pg->valid,
		.blocked = pg->blocked,
		.pending = pg->pending,
		.modified = pg->modified,
		.pr = pg->pr,
		.perm = pg->perm,
		.type = pg->type,
		.linaddr = pg->linaddr,
		.secs = pg->secs ? epc_page_addr(cpu, pg->secs) : 0,
	};
	pthread_mutex_unlock(&cpu->lock);
	return 0;
}

#define BROKEN(...)                                          \
	do {                                                 \
		snprintf(why, len, "page %#llx: ", (unsigned long long)addr); \
		snprintf(why + strlen(why), len - strlen(why), __VA_ARGS__); \
		return -1;                                   \
	} while (0)

/* A SECS's hidden state agrees with the page: INIT, and a measurement only until EINIT. */
static int check_secs_state(struct sgx_cpu *cpu, struct epc_page *pg, char *why, size_t len)
{
	uint64_t addr = epc_page_addr(cpu, pg);
	const struct secs_state *st = pg->secs_state;

	if (st->initialized != !!(secs_of(pg)->attributes.flags & SGX_ATTR_INIT))
		BROKEN("SECS ATTRIBUTES.INIT differs from its initialized state");
	if (st->initialized ? st->mrenclave != NULL : st->mrenclave == NULL)
		BROKEN("%s SECS %s a running measurement",
		       st->initialized ? "initialized" : "uninitialized",
		       st->initialized ? "still has" : "without");
	return 0;
}

static int check_page(struct sgx_cpu *cpu, struct epc_page *pg, char *why, size_t len)
{
	uint64_t addr = epc_page_addr(cpu, pg);
	bool flags = pg->blocked || pg->pending || pg->modified || pg->pr;

	if (!pg->valid) {
		if (flags || pg->perm || pg->type || pg->linaddr || pg->secs || pg->secs_state)
			BROKEN("invalid page with state left over");
		if (pg->tcs_active || pg->tracked_change || pg->track_epoch)
			BROKEN("invalid page still active or tracked");
		return 0;
	}
	switch (pg->type) {
	case SGX_PAGE_TYPE_SECS:
	case SGX_PAGE_TYPE_VA:
		if (pg->secs || pg->linaddr || pg->perm || flags)
			BROKEN("%s page with owner, address, permissions or flags",
			       pg->type == SGX_PAGE_TYPE_SECS ? "SECS" : "VA");
		if (pg->tcs_active || pg->tracked_change)
			BROKEN("%s page active or with a tracked change",
			       pg->type == SGX_PAGE_TYPE_SECS ? "SECS" : "VA");
		if ((pg->type == SGX_PAGE_TYPE_SECS) != (pg->secs_state != NULL))
			BROKEN("hidden SECS state on a non-SECS page or missing");
		return pg->secs_state ? check_secs_state(cpu, pg, why, len) : 0;
	case SGX_PAGE_TYPE_REG:
	case SGX_PAGE_TYPE_TCS:
	case SGX_PAGE_TYPE_TRIM:
		break;
	default:
		BROKEN("unknown page type %u", pg->type);
	}
	if (!pg->secs || !pg->secs->valid || pg->secs->type != SGX_PAGE_TYPE_SECS)
		BROKEN("enclave page whose ENCLAVESECS is not a valid SECS");
	if (!is_aligned(pg->linaddr, SGX_PAGE_SIZE) || !in_elrange(pg->secs, pg->linaddr))
		BROKEN("ENCLAVEADDRESS %#llx unaligned or outside ELRANGE",
		       (unsigned long long)pg->linaddr);
	if (pg->type == SGX_PAGE_TYPE_REG && pg->modified)
		BROKEN("MODIFIED regular page");
	if (pg->type != SGX_PAGE_TYPE_REG && (pg->pending || pg->pr || pg->perm))
		BROKEN("TCS/TRIM page pending, restricted or with permissions");
	if (pg->pr && pg->pending)
		BROKEN("PR set on a pending page");
	if ((pg->perm & SGX_SECINFO_W) && !(pg->perm & SGX_SECINFO_R))
		BROKEN("EPCM W without R");
	if ((pg->pending || pg->modified || pg->pr) && !pg->secs->secs_state->initialized)
		BROKEN("PENDING, MODIFIED or PR in an uninitialized enclave");
	if (pg->tcs_active && pg->type != SGX_PAGE_TYPE_TCS &&
	    !(pg->type == SGX_PAGE_TYPE_TRIM && pg->modified))
		BROKEN("active page that is no TCS");
	if (pg->tracked_change && pg->track_epoch > pg->secs->secs_state->epoch)
		BROKEN("change stamped in epoch %llu, beyond the enclave's %llu",
		       (unsigned long long)pg->track_epoch,
		       (unsigned long long)pg->secs->secs_state->epoch);
	return 0;
}

/*
 * Only chunks of the EPC that epc_page_at() has reached are walked: the
 * entries of the others are zero, free pages that no leaf has touched.
 */
int sgx_cpu_check_invariants(struct sgx_cpu *cpu, char *why, size_t len)
{
	struct epc_page *pg;
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&cpu->lock);
	for (i = epc_next_ready(cpu, 0); i < cpu->nr_pages; i = epc_next_ready(cpu, i + 1))
		cpu->pages[i].check_children = 0;
	for (i = epc_next_ready(cpu, 0); i < cpu->nr_pages && !ret; i = epc_next_ready(cpu, i + 1)) {
		pg = &cpu->pages[i];
		ret = check_page(cpu, pg, why, len);
		if (!ret && pg->valid && pg->secs)
			pg->secs->check_children++;
	}
	/* Each SECS owns exactly child_cnt valid pages. */
	for (i = epc_next_ready(cpu, 0); i < cpu->nr_pages && !ret; i = epc_next_ready(cpu, i + 1)) {
		pg = &cpu->pages[i];
		if (pg->valid && pg->type == SGX_PAGE_TYPE_SECS &&
		    pg->secs_state->child_cnt != pg->check_children) {
			snprintf(why, len, "page %#llx: SECS child count %u, but %u pages owned",
				 (unsigned long long)epc_page_addr(cpu, pg), pg->secs_state->child_cnt,
				 pg->check_children);
			ret = -1;
		}
	}
	pthread_mutex_unlock(&cpu->lock);
	return ret;
}
