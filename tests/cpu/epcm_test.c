/* SPDX-License-Identifier: MIT */
/*
 * The EPCM invariant checker itself (sgx_cpu_check_invariants(), epcm.c):
 * a state built through the leaves passes; breaking one field of it at a
 * time, through the processor's private state, is reported with a message
 * naming the rule, and restoring the field makes the state pass again.
 */
#include "common.h"
#include "cpu/cpu_internal.h"

/*
 * @e: the default enclave, initialized, with an EAUGed (pending) page at
 * FX_FREE and FX_DATA blocked (a tracked change); @u: the default layout at
 * the next ELRANGE, not initialized; a VA page and a free page.
 */
struct inv {
	struct fx *fx;
	struct fx_enclave *e, *u;
	uint64_t va, free_epc;
};

static bool inv_setup(struct inv *v)
{
	memset(v, 0, sizeof(*v));
	v->fx = fx_new(0);
	v->e = fx_build_init(v->fx);
	v->u = fx_build_at(v->fx, ENCL_B_BASE);
	if (!v->e || !v->u)
		return false;
	v->va = new_va(v->fx);
	v->free_epc = fx_epc_alloc(v->fx);
	return v->va && fx_eaug(v->e, FX_FREE, NULL) == SGX_SUCCESS &&
	       encls_eblock(v->fx->klp, epc_of(v->e, FX_DATA)) == SGX_SUCCESS;
}

/* The processor's entry for the EPC page @epc of @v. */
static struct epc_page *pg(struct inv *v, uint64_t epc)
{
	return epc_page_at(v->fx->cpu, epc);
}

/* The hidden state of the SECS of @e. */
static struct secs_state *st(struct inv *v, struct fx_enclave *e)
{
	return pg(v, e->secs)->secs_state;
}

/* The checker's verdict on @v: 0, or -1 with a message containing @rule. */
static void expect_verdict(struct inv *v, int want, const char *rule)
{
	char why[256] = "";

	EXPECT_EQ(sgx_cpu_check_invariants(v->fx->cpu, why, sizeof(why)), want);
	if (want && !strstr(why, rule))
		harness_fail(__FILE__, __LINE__, "message \"%s\" does not name \"%s\"", why, rule);
	if (!want && why[0])
		harness_fail(__FILE__, __LINE__, "intact state reported: %s", why);
}

/*
 * A test: the built state passes; with the lvalue @field (an expression over
 * v) set to @value (which may use saved_, its old value) the checker reports
 * a message containing @rule; restored, the state passes again.
 */
#define INVARIANT_TEST(name, field, value, rule)                          \
	TEST(name)                                                        \
	{                                                                 \
		struct inv v;                                             \
		ASSERT_TRUE(inv_setup(&v));                               \
		expect_verdict(&v, 0, NULL);                              \
		__typeof__(field) saved_ = (field);                       \
		(field) = (value);                                        \
		expect_verdict(&v, -1, rule);                             \
		(field) = saved_;                                         \
		expect_verdict(&v, 0, NULL);                              \
		fx_free(v.fx);                                            \
	}

/* A free page has nothing left: no type, not active, no tracked change or epoch stamp. */
INVARIANT_TEST(invariants_free_page_with_type_broken, pg(&v, v.free_epc)->type,
	       SGX_PAGE_TYPE_REG, "invalid page with state left over")
INVARIANT_TEST(invariants_free_page_tcs_active_broken, pg(&v, v.free_epc)->tcs_active, true,
	       "invalid page still active or tracked")
INVARIANT_TEST(invariants_free_page_tracked_change_broken, pg(&v, v.free_epc)->tracked_change,
	       true, "invalid page still active or tracked")
INVARIANT_TEST(invariants_free_page_track_epoch_broken, pg(&v, v.free_epc)->track_epoch, 1,
	       "invalid page still active or tracked")

/* SECS and VA pages are never active TCSs nor carry a tracked change. */
INVARIANT_TEST(invariants_secs_tcs_active_broken, pg(&v, v.e->secs)->tcs_active, true,
	       "SECS page active or with a tracked change")
INVARIANT_TEST(invariants_secs_tracked_change_broken, pg(&v, v.e->secs)->tracked_change, true,
	       "SECS page active or with a tracked change")
INVARIANT_TEST(invariants_va_tcs_active_broken, pg(&v, v.va)->tcs_active, true,
	       "VA page active or with a tracked change")
INVARIANT_TEST(invariants_va_tracked_change_broken, pg(&v, v.va)->tracked_change, true,
	       "VA page active or with a tracked change")

/* A SECS's initialized state is its ATTRIBUTES.INIT, both ways. */
INVARIANT_TEST(invariants_secs_init_set_uninitialized_broken,
	       secs_of(pg(&v, v.u->secs))->attributes.flags, saved_ | SGX_ATTR_INIT,
	       "ATTRIBUTES.INIT differs")
INVARIANT_TEST(invariants_secs_init_clear_initialized_broken,
	       secs_of(pg(&v, v.e->secs))->attributes.flags, saved_ & ~SGX_ATTR_INIT,
	       "ATTRIBUTES.INIT differs")
/* The running measurement exists exactly until EINIT. */
INVARIANT_TEST(invariants_initialized_secs_with_measurement_broken, st(&v, v.e)->mrenclave,
	       v.e->measure, "initialized SECS still has a running measurement")
INVARIANT_TEST(invariants_uninitialized_secs_without_measurement_broken,
	       st(&v, v.u)->mrenclave, NULL, "uninitialized SECS without a running measurement")

/* PENDING, MODIFIED and PR only in an initialized enclave. */
INVARIANT_TEST(invariants_pending_in_uninitialized_enclave_broken,
	       pg(&v, epc_of(v.u, FX_DATA))->pending, true, "in an uninitialized enclave")
INVARIANT_TEST(invariants_modified_in_uninitialized_enclave_broken,
	       pg(&v, epc_of(v.u, FX_TCS0))->modified, true, "in an uninitialized enclave")
INVARIANT_TEST(invariants_pr_in_uninitialized_enclave_broken,
	       pg(&v, epc_of(v.u, FX_DATA))->pr, true, "in an uninitialized enclave")

/* Only a TCS is active (or a TRIM M page made of one: emodt_active_tcs_to_trim_success). */
INVARIANT_TEST(invariants_active_reg_page_broken, pg(&v, epc_of(v.e, FX_CODE))->tcs_active, true,
	       "active page that is no TCS")

/* An active TRIM page must be MODIFIED: EMODT made it of the TCS a thread is inside through. */
TEST(invariants_active_accepted_trim_page_broken)
{
	struct inv v;
	struct epc_page *p;

	ASSERT_TRUE(inv_setup(&v));
	p = pg(&v, epc_of(v.e, FX_TCS1));
	p->type = SGX_PAGE_TYPE_TRIM;
	p->tcs_active = true;
	expect_verdict(&v, -1, "active page that is no TCS");
	p->modified = true;
	expect_verdict(&v, 0, NULL);
	p->type = SGX_PAGE_TYPE_TCS;
	p->tcs_active = false;
	p->modified = false;
	expect_verdict(&v, 0, NULL);
	fx_free(v.fx);
}

/* A tracked change is never stamped beyond the owner's epoch. */
INVARIANT_TEST(invariants_track_epoch_beyond_owner_broken,
	       pg(&v, epc_of(v.e, FX_DATA))->track_epoch, st(&v, v.e)->epoch + 1,
	       "beyond the enclave's")

/* The epoch stamp means nothing without a tracked change. */
TEST(invariants_stale_epoch_without_tracked_change_intact)
{
	struct inv v;
	struct epc_page *p;

	ASSERT_TRUE(inv_setup(&v));
	p = pg(&v, epc_of(v.e, FX_CODE));
	p->track_epoch = st(&v, v.e)->epoch + 5;
	expect_verdict(&v, 0, NULL);
	p->track_epoch = 0;
	fx_free(v.fx);
}
