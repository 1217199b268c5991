/* SPDX-License-Identifier: MIT */
/*
 * Epoch tracking: which logical processors are inside an enclave, ETRACK,
 * and whether a change to a page (EBLOCK, EMODPR, EMODT) is "tracked", i.e.
 * every LP that could still hold a stale translation of it has left.
 *
 * Model (the SDM leaves the mechanism implementation-specific): each
 * enclave has an epoch counter E. An LP entering (EENTER/ERESUME) is
 * stamped with E; ETRACK starts a new epoch E+1, but only when no LP of
 * an epoch before E is still inside (else SGX_PREV_TRK_INCMPL). Hence every
 * LP inside belongs to epoch E or E-1, and two counters suffice.
 * A change stamped with epoch s is tracked once an ETRACK has closed s
 * (E > s) and no LP from epoch s or earlier remains inside:
 *   E >= s + 2: such LPs cannot exist (ETRACK to s+2 required them gone);
 *   E == s + 1: exactly those counted in inside[s & 1].
 * All functions must be called with cpu->lock held.
 */
#include "cpu_internal.h"

void track_enter(struct sgx_lp *lp, struct epc_page *secs_pg)
{
	struct secs_state *st = secs_pg->secs_state;

	lp->entry_epoch = st->epoch;
	st->inside[st->epoch & 1]++;
}

void track_leave(struct sgx_lp *lp)
{
	struct secs_state *st = lp->secs->secs_state;

	st->inside[lp->entry_epoch & 1]--;
}

int track_etrack(struct secs_state *st)
{
	if (st->epoch > 0 && st->inside[(st->epoch - 1) & 1])
		return SGX_PREV_TRK_INCMPL;
	st->epoch++;
	return 0;
}

void track_stamp(struct epc_page *pg)
{
	pg->track_epoch = pg->secs->secs_state->epoch;
	pg->tracked_change = true;
}

bool track_complete(const struct epc_page *pg)
{
	const struct secs_state *st;
	uint64_t s = pg->track_epoch;

	if (!pg->tracked_change)
		return true;
	st = pg->secs->secs_state;
	if (st->epoch <= s)
		return false;
	return st->epoch > s + 1 || st->inside[s & 1] == 0;
}

uint32_t track_inside(const struct epc_page *secs_pg)
{
	const struct secs_state *st = secs_pg->secs_state;

	return st->inside[0] + st->inside[1];
}
