/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * Concurrency of the paging and debug leaves, with real threads: a leaf
 * pauses while it holds its in-use marks (fx_on_pause), a second thread
 * runs the conflicting leaf on another LP right then, and the answer is
 * what the SDM's concurrency tables say: EBLOCK -> SGX_EPC_PAGE_CONFLICT,
 * EPA/EWB/ELDU/ETRACK/EDBGRD/EDBGWR -> #GP. Afterwards the paused leaf
 * completes as if nothing had happened.
 */
#include <pthread.h>

#include "common.h"

/* The leaf the second thread runs, and what it saw. */
struct race {
	struct sgx_lp *lp;                 /* the second thread's LP */
	int (*leaf)(struct race *r);
	uint64_t epc;                      /* its EPC operand */
	struct blob *b;                    /* EWB/ELDU backing store */
	unsigned int paused_leaf;          /* who paused, on which page */
	uint64_t paused_epc;
	int ret;
	uint64_t rflags;
};

static void *racer(void *arg)
{
	struct race *r = arg;

	r->ret = r->leaf(r);
	r->rflags = sgx_lp_rflags(r->lp);
	return NULL;
}

static void on_pause(struct fx *fx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc,
		     void *ctx)
{
	struct race *r = ctx;
	pthread_t t;

	(void)fx;
	(void)lp;
	r->paused_leaf = leaf_id;
	r->paused_epc = epc;
	if (pthread_create(&t, NULL, racer, r)) {
		fprintf(stderr, "pthread_create failed\n");
		abort();
	}
	pthread_join(t, NULL);
}

/* Arm the race: the next leaf that pauses lets @leaf run on another thread. */
static void arm(struct fx *fx, struct fx_enclave *e, struct race *r, int (*leaf)(struct race *),
		uint64_t epc)
{
	memset(r, 0, sizeof(*r));
	r->lp = fx_lp(e);
	r->leaf = leaf;
	r->epc = epc;
	r->ret = -1;
	fx_on_pause(fx, on_pause, r);
}

static int race_eblock(struct race *r)
{
	return encls_eblock(r->lp, r->epc);
}

static int race_ewb(struct race *r)
{
	return blob_ewb(r->lp, r->b, r->epc);
}

static int race_eldu(struct race *r)
{
	return encls_eldu(r->lp, &r->b->pi, r->epc, r->b->slot);
}

static int race_epa(struct race *r)
{
	return encls_epa(r->lp, SGX_PAGE_TYPE_VA, r->epc);
}

static int race_etrack(struct race *r)
{
	return encls_etrack(r->lp, r->epc);
}

static int race_edbgrd(struct race *r)
{
	uint64_t data;

	return encls_edbgrd(r->lp, r->epc, &data);
}

static int race_edbgwr(struct race *r)
{
	return encls_edbgwr(r->lp, r->epc, 0xBAD);
}

/* An initialized enclave, a VA page, and FX_DATA blocked and tracked. */
struct setup {
	struct fx *fx;
	struct fx_enclave *e;
	uint64_t va, data;
};

static bool setup(struct setup *s)
{
	s->fx = fx_new(0);
	s->e = fx_build_init(s->fx);
	if (!s->e)
		return false;
	s->va = new_va(s->fx);
	s->data = epc_of(s->e, FX_DATA);
	return s->va && !encls_eblock(s->fx->klp, s->data) && !etrack(s->e);
}

/* Declare @s (set up) and @r. */
#define SETUP_RACE(s, r)                              \
	struct setup s;                               \
	struct race r;                                \
	ASSERT_TRUE(setup(&s))

/* EWB of FX_DATA into a new blob (returned) while @leaf runs on @epc on another thread. */
static struct blob *ewb_racing(struct setup *s, struct race *r, int (*leaf)(struct race *),
			       uint64_t epc)
{
	struct blob *b = blob_new(s->va + 8);

	arm(s->fx, s->e, r, leaf, epc);
	EXPECT_SGX(blob_ewb(s->fx->klp, b, s->data), SGX_SUCCESS);
	return b;
}

/* FX_DATA evicted into a new blob whose PAGEINFO is ready for ELDU (NULL if EWB failed). */
static struct blob *evict_data(struct setup *s)
{
	struct blob *b = blob_new(s->va + 8);
	int ret = blob_ewb(s->fx->klp, b, s->data);

	if (ret) {
		harness_fail(__FILE__, __LINE__, "EWB returned %s", sgx_code_name(ret));
		free(b);
		return NULL;
	}
	b->pi.secs = s->e->secs;
	return b;
}

TEST(eblock_page_held_by_ewb_epc_page_conflict)
{
	SETUP_RACE(s, r);
	struct blob *b = ewb_racing(&s, &r, race_eblock, s.data);

	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EWB));
	EXPECT_EQ(r.paused_epc, s.data);
	EXPECT_SGX(r.ret, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(r.rflags & ZF_CF, SGX_RFLAGS_ZF);
	EXPECT_TRUE(!fx_epcm(s.e, FX_DATA).valid);
	free(b);
	fx_free(s.fx);
}

/* The conflict comes before the validity check: a page being loaded is in use, not invalid. */
TEST(eblock_page_held_by_eldu_epc_page_conflict)
{
	SETUP_RACE(s, r);
	struct blob *b = evict_data(&s);
	uint64_t target = fx_epc_alloc(s.fx);

	ASSERT_TRUE(b);
	arm(s.fx, s.e, &r, race_eblock, target);
	EXPECT_SGX(encls_eldu(s.fx->klp, &b->pi, target, b->slot), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_ELDU));
	EXPECT_SGX(r.ret, SGX_EPC_PAGE_CONFLICT);
	s.e->pa[FX_DATA / SGX_PAGE_SIZE] = target;
	EXPECT_TRUE(fx_epcm(s.e, FX_DATA).valid && !fx_epcm(s.e, FX_DATA).blocked);
	free(b);
	fx_free(s.fx);
}

/* EWB of a page another leaf (here EDBGRD, shared) is using: #GP; it works afterwards. */
TEST(ewb_page_in_use_gp)
{
	SETUP_RACE(s, r);
	uint64_t data;

	arm(s.fx, s.e, &r, race_ewb, s.data);
	r.b = blob_new(s.va + 16);
	EXPECT_SGX(encls_edbgrd(s.fx->klp, s.data + 8, &data), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EDBGRD));
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_TRUE(fx_epcm(s.e, FX_DATA).valid);
	EXPECT_EQ(epc_u64(s.fx, s.va + 16), 0);
	EXPECT_SGX(blob_ewb(s.fx->klp, r.b, s.data), SGX_SUCCESS);
	free(r.b);
	fx_free(s.fx);
}

/* EWB into a slot of a VA page that is itself being evicted: #GP. */
TEST(ewb_va_page_in_use_gp)
{
	SETUP_RACE(s, r);
	uint64_t va2 = new_va(s.fx);
	struct blob *vab;

	ASSERT_TRUE(va2);
	vab = blob_new(va2 + 8);
	arm(s.fx, s.e, &r, race_ewb, s.data);
	r.b = blob_new(s.va + 24);
	EXPECT_SGX(blob_ewb(s.fx->klp, vab, s.va), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EWB));
	EXPECT_EQ(r.paused_epc, s.va);
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_TRUE(fx_epcm(s.e, FX_DATA).valid);
	free(vab);
	free(r.b);
	fx_free(s.fx);
}

/* ELDU into a page EPA is creating: #GP, not #PF. */
TEST(eldu_target_in_use_gp)
{
	SETUP_RACE(s, r);
	struct blob *b = evict_data(&s);
	uint64_t target = fx_epc_alloc(s.fx), ver;

	ASSERT_TRUE(b);
	ver = epc_u64(s.fx, b->slot);
	arm(s.fx, s.e, &r, race_eldu, target);
	r.b = b;
	EXPECT_SGX(encls_epa(s.fx->klp, SGX_PAGE_TYPE_VA, target), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EPA));
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_TRUE(epcm_of(s.fx, target).valid && epcm_of(s.fx, target).type == SGX_PAGE_TYPE_VA);
	EXPECT_EQ(epc_u64(s.fx, b->slot), ver);
	EXPECT_SGX(encls_eldu(s.fx->klp, &b->pi, fx_epc_alloc(s.fx), b->slot), SGX_SUCCESS);
	free(b);
	fx_free(s.fx);
}

/* ELDU of a child while its SECS is held exclusively (EWB of the SECS): #GP. */
TEST(eldu_secs_in_use_gp)
{
	SETUP_RACE(s, r);
	struct blob *b = evict_data(&s), *probe = blob_new(s.va + 16);
	uint64_t target = fx_epc_alloc(s.fx);

	ASSERT_TRUE(b);
	arm(s.fx, s.e, &r, race_eldu, target);
	r.b = b;
	EXPECT_SGX(blob_ewb(s.fx->klp, probe, s.e->secs), SGX_CHILD_PRESENT);
	EXPECT_EQ(r.paused_epc, s.e->secs);
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_TRUE(!epcm_of(s.fx, target).valid);
	EXPECT_SGX(encls_eldu(s.fx->klp, &b->pi, target, b->slot), SGX_SUCCESS);
	free(b);
	free(probe);
	fx_free(s.fx);
}

/* ETRACK while the SECS is held exclusively: its tracking resource is in use, #GP. */
TEST(etrack_secs_in_use_gp)
{
	SETUP_RACE(s, r);
	struct blob *probe = blob_new(s.va + 8);

	arm(s.fx, s.e, &r, race_etrack, s.e->secs);
	EXPECT_SGX(blob_ewb(s.fx->klp, probe, s.e->secs), SGX_CHILD_PRESENT);
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_SGX(etrack(s.e), SGX_SUCCESS);
	free(probe);
	fx_free(s.fx);
}

TEST(epa_page_in_use_gp)
{
	SETUP_RACE(s, r);
	uint64_t target = fx_epc_alloc(s.fx);

	arm(s.fx, s.e, &r, race_epa, target);
	EXPECT_SGX(encls_epa(s.fx->klp, SGX_PAGE_TYPE_VA, target), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EPA));
	EXPECT_EQ(r.paused_epc, target);
	EXPECT_SGX(r.ret, SGX_GP);
	fx_free(s.fx);
}

TEST(edbgrd_page_in_use_gp)
{
	SETUP_RACE(s, r);
	struct blob *b = ewb_racing(&s, &r, race_edbgrd, s.data + 8);

	EXPECT_SGX(r.ret, SGX_GP);
	free(b);
	fx_free(s.fx);
}

/* A debugger write racing with EWB is refused and does not reach the sealed page. */
TEST(edbgwr_page_in_use_gp)
{
	SETUP_RACE(s, r);
	uint64_t before = *(uint64_t *)fx_mem(s.e, FX_DATA + 8), target;
	struct blob *b = ewb_racing(&s, &r, race_edbgwr, s.data + 8);

	EXPECT_SGX(r.ret, SGX_GP);
	b->pi.secs = s.e->secs;
	target = fx_epc_alloc(s.fx);
	ASSERT_SGX(encls_eldu(s.fx->klp, &b->pi, target, b->slot), SGX_SUCCESS);
	EXPECT_EQ(epc_u64(s.fx, target + 8), before);
	free(b);
	fx_free(s.fx);
}

/* ELDU with its version in a VA page that is being evicted: #GP. */
TEST(eldu_va_page_in_use_gp)
{
	SETUP_RACE(s, r);
	struct blob *b = evict_data(&s), *vab;
	uint64_t va2 = new_va(s.fx), target = fx_epc_alloc(s.fx);

	ASSERT_TRUE(b && va2);
	vab = blob_new(va2 + 8);
	arm(s.fx, s.e, &r, race_eldu, target);
	r.b = b;
	EXPECT_SGX(blob_ewb(s.fx->klp, vab, s.va), SGX_SUCCESS);
	EXPECT_EQ(r.paused_epc, s.va);
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_TRUE(!epcm_of(s.fx, target).valid);
	free(b);
	free(vab);
	fx_free(s.fx);
}
