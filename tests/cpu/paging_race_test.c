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
#include <stdlib.h>

#include "fixture.h"

struct blob {
	uint8_t page[SGX_PAGE_SIZE] __attribute__((aligned(SGX_PAGE_SIZE)));
	struct sgx_pcmd pcmd;
	struct sgx_pageinfo pi;
	uint64_t slot;
};

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

static struct blob *blob_new(uint64_t slot)
{
	struct blob *b = aligned_alloc(SGX_PAGE_SIZE, sizeof(*b));

	if (!b)
		abort();
	memset(b, 0, sizeof(*b));
	b->pi.srcpge = (uintptr_t)b->page;
	b->pi.pcmd = (uintptr_t)&b->pcmd;
	b->slot = slot;
	return b;
}

static int ewb(struct sgx_lp *lp, struct blob *b, uint64_t epc)
{
	b->pi.linaddr = 0;
	b->pi.secs = 0;
	return encls_ewb(lp, &b->pi, epc, b->slot);
}

static int race_eblock(struct race *r)
{
	return encls_eblock(r->lp, r->epc);
}

static int race_ewb(struct race *r)
{
	return ewb(r->lp, r->b, r->epc);
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
	s->va = fx_epc_alloc(s->fx);
	if (!s->e)
		return false;
	s->data = s->e->pa[FX_DATA / SGX_PAGE_SIZE];
	return !encls_epa(s->fx->klp, SGX_PAGE_TYPE_VA, s->va) &&
	       !encls_eblock(s->fx->klp, s->data) && !encls_etrack(s->fx->klp, s->e->secs);
}

TEST(eblock_page_held_by_ewb_epc_page_conflict)
{
	struct setup s;
	struct race r;
	struct blob *b;

	ASSERT_TRUE(setup(&s));
	b = blob_new(s.va + 8);
	arm(s.fx, s.e, &r, race_eblock, s.data);
	EXPECT_SGX(ewb(s.fx->klp, b, s.data), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EWB));
	EXPECT_EQ(r.paused_epc, s.data);
	EXPECT_SGX(r.ret, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(r.rflags & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), SGX_RFLAGS_ZF);
	EXPECT_TRUE(!fx_epcm(s.e, FX_DATA).valid);
	free(b);
	fx_free(s.fx);
}

/* The conflict comes before the validity check: a page being loaded is in use, not invalid. */
TEST(eblock_page_held_by_eldu_epc_page_conflict)
{
	struct setup s;
	struct race r;
	struct blob *b;
	uint64_t target;

	ASSERT_TRUE(setup(&s));
	b = blob_new(s.va + 8);
	ASSERT_SGX(ewb(s.fx->klp, b, s.data), SGX_SUCCESS);
	b->pi.secs = s.e->secs;
	target = fx_epc_alloc(s.fx);
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
	struct setup s;
	struct race r;
	uint64_t data;

	ASSERT_TRUE(setup(&s));
	arm(s.fx, s.e, &r, race_ewb, s.data);
	r.b = blob_new(s.va + 16);
	EXPECT_SGX(encls_edbgrd(s.fx->klp, s.data + 8, &data), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EDBGRD));
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_TRUE(fx_epcm(s.e, FX_DATA).valid);
	EXPECT_EQ(*(uint64_t *)sgx_cpu_epc_mem(s.fx->cpu, s.va + 16), 0);
	EXPECT_SGX(ewb(s.fx->klp, r.b, s.data), SGX_SUCCESS);
	free(r.b);
	fx_free(s.fx);
}

/* EWB into a slot of a VA page that is itself being evicted: #GP. */
TEST(ewb_va_page_in_use_gp)
{
	struct setup s;
	struct race r;
	struct blob *vab;
	uint64_t va2;

	ASSERT_TRUE(setup(&s));
	va2 = fx_epc_alloc(s.fx);
	ASSERT_SGX(encls_epa(s.fx->klp, SGX_PAGE_TYPE_VA, va2), SGX_SUCCESS);
	vab = blob_new(va2 + 8);
	arm(s.fx, s.e, &r, race_ewb, s.data);
	r.b = blob_new(s.va + 24);
	EXPECT_SGX(ewb(s.fx->klp, vab, s.va), SGX_SUCCESS);
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
	struct setup s;
	struct race r;
	struct blob *b;
	uint64_t target, ver;
	struct sgx_epcm_info info = { 0 };

	ASSERT_TRUE(setup(&s));
	b = blob_new(s.va + 8);
	ASSERT_SGX(ewb(s.fx->klp, b, s.data), SGX_SUCCESS);
	b->pi.secs = s.e->secs;
	ver = *(uint64_t *)sgx_cpu_epc_mem(s.fx->cpu, b->slot);
	target = fx_epc_alloc(s.fx);
	arm(s.fx, s.e, &r, race_eldu, target);
	r.b = b;
	EXPECT_SGX(encls_epa(s.fx->klp, SGX_PAGE_TYPE_VA, target), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EPA));
	EXPECT_SGX(r.ret, SGX_GP);
	sgx_cpu_epcm_read(s.fx->cpu, target, &info);
	EXPECT_TRUE(info.valid && info.type == SGX_PAGE_TYPE_VA);
	EXPECT_EQ(*(uint64_t *)sgx_cpu_epc_mem(s.fx->cpu, b->slot), ver);
	EXPECT_SGX(encls_eldu(s.fx->klp, &b->pi, fx_epc_alloc(s.fx), b->slot), SGX_SUCCESS);
	free(b);
	fx_free(s.fx);
}

/* ELDU of a child while its SECS is held exclusively (EWB of the SECS): #GP. */
TEST(eldu_secs_in_use_gp)
{
	struct setup s;
	struct race r;
	struct blob *b, *probe;
	uint64_t target;
	struct sgx_epcm_info info = { 0 };

	ASSERT_TRUE(setup(&s));
	b = blob_new(s.va + 8);
	probe = blob_new(s.va + 16);
	ASSERT_SGX(ewb(s.fx->klp, b, s.data), SGX_SUCCESS);
	b->pi.secs = s.e->secs;
	target = fx_epc_alloc(s.fx);
	arm(s.fx, s.e, &r, race_eldu, target);
	r.b = b;
	EXPECT_SGX(ewb(s.fx->klp, probe, s.e->secs), SGX_CHILD_PRESENT);
	EXPECT_EQ(r.paused_epc, s.e->secs);
	EXPECT_SGX(r.ret, SGX_GP);
	sgx_cpu_epcm_read(s.fx->cpu, target, &info);
	EXPECT_TRUE(!info.valid);
	EXPECT_SGX(encls_eldu(s.fx->klp, &b->pi, target, b->slot), SGX_SUCCESS);
	free(b);
	free(probe);
	fx_free(s.fx);
}

/* ETRACK while the SECS is held exclusively: its tracking resource is in use, #GP. */
TEST(etrack_secs_in_use_gp)
{
	struct setup s;
	struct race r;
	struct blob *probe;

	ASSERT_TRUE(setup(&s));
	probe = blob_new(s.va + 8);
	arm(s.fx, s.e, &r, race_etrack, s.e->secs);
	EXPECT_SGX(ewb(s.fx->klp, probe, s.e->secs), SGX_CHILD_PRESENT);
	EXPECT_SGX(r.ret, SGX_GP);
	EXPECT_SGX(encls_etrack(s.fx->klp, s.e->secs), SGX_SUCCESS);
	free(probe);
	fx_free(s.fx);
}

TEST(epa_page_in_use_gp)
{
	struct setup s;
	struct race r;
	uint64_t target;

	ASSERT_TRUE(setup(&s));
	target = fx_epc_alloc(s.fx);
	arm(s.fx, s.e, &r, race_epa, target);
	EXPECT_SGX(encls_epa(s.fx->klp, SGX_PAGE_TYPE_VA, target), SGX_SUCCESS);
	EXPECT_EQ(r.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EPA));
	EXPECT_EQ(r.paused_epc, target);
	EXPECT_SGX(r.ret, SGX_GP);
	fx_free(s.fx);
}

TEST(edbgrd_page_in_use_gp)
{
	struct setup s;
	struct race r;
	struct blob *b;

	ASSERT_TRUE(setup(&s));
	b = blob_new(s.va + 8);
	arm(s.fx, s.e, &r, race_edbgrd, s.data + 8);
	EXPECT_SGX(ewb(s.fx->klp, b, s.data), SGX_SUCCESS);
	EXPECT_SGX(r.ret, SGX_GP);
	free(b);
	fx_free(s.fx);
}

/* A debugger write racing with EWB is refused and does not reach the sealed page. */
TEST(edbgwr_page_in_use_gp)
{
	struct setup s;
	struct race r;
	struct blob *b;
	uint64_t before, target;

	ASSERT_TRUE(setup(&s));
	before = *(uint64_t *)fx_mem(s.e, FX_DATA + 8);
	b = blob_new(s.va + 8);
	arm(s.fx, s.e, &r, race_edbgwr, s.data + 8);
	EXPECT_SGX(ewb(s.fx->klp, b, s.data), SGX_SUCCESS);
	EXPECT_SGX(r.ret, SGX_GP);
	b->pi.secs = s.e->secs;
	target = fx_epc_alloc(s.fx);
	ASSERT_SGX(encls_eldu(s.fx->klp, &b->pi, target, b->slot), SGX_SUCCESS);
	EXPECT_EQ(*(uint64_t *)sgx_cpu_epc_mem(s.fx->cpu, target + 8), before);
	free(b);
	fx_free(s.fx);
}

/* ELDU with its version in a VA page that is being evicted: #GP. */
TEST(eldu_va_page_in_use_gp)
{
	struct setup s;
	struct race r;
	struct blob *b, *vab;
	uint64_t va2, target;
	struct sgx_epcm_info info = { 0 };

	ASSERT_TRUE(setup(&s));
	b = blob_new(s.va + 8);
	ASSERT_SGX(ewb(s.fx->klp, b, s.data), SGX_SUCCESS);
	b->pi.secs = s.e->secs;
	va2 = fx_epc_alloc(s.fx);
	ASSERT_SGX(encls_epa(s.fx->klp, SGX_PAGE_TYPE_VA, va2), SGX_SUCCESS);
	vab = blob_new(va2 + 8);
	target = fx_epc_alloc(s.fx);
	arm(s.fx, s.e, &r, race_eldu, target);
	r.b = b;
	EXPECT_SGX(ewb(s.fx->klp, vab, s.va), SGX_SUCCESS);
	EXPECT_EQ(r.paused_epc, s.va);
	EXPECT_SGX(r.ret, SGX_GP);
	sgx_cpu_epcm_read(s.fx->cpu, target, &info);
	EXPECT_TRUE(!info.valid);
	free(b);
	free(vab);
	fx_free(s.fx);
}
