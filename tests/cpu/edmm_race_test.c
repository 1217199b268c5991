/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * Concurrency of the SGX2 leaves, with real threads. Thread 1 (the test's
 * own thread) runs a leaf that pauses in epc_pause() holding its in-use
 * marks; the pause hook, running in thread 1, wakes thread 2 (started
 * beforehand and waiting) and waits until thread 2's leaf on the same page
 * has returned. Each test checks thread 2's answer against the leaf's SDM
 * concurrency tables (EMODPR/EMODT: SGX_EPC_PAGE_CONFLICT against another
 * SGX2 leaf; EACCEPT/EACCEPTCOPY/EMODPE: #GP; EAUG and the SGX1 base
 * restrictions: #GP or SGX_EPC_PAGE_CONFLICT), then that thread 1's leaf
 * completed and the page is in the state thread 1 alone would leave.
 */
#include <pthread.h>

#include "common.h"

/* Thread 1's SECINFO is at SI_OFF, thread 2's at SI_OFF + 64; leaves work on PAGE or AUG. */
#define SRC SPARE                               /* EACCEPTCOPY source */
#define AUG FX_FREE                             /* EAUG target */

enum op_kind { OP_EAUG, OP_EMODPR, OP_EMODT, OP_EREMOVE, OP_EACCEPT, OP_EMODPE, OP_EACCEPTCOPY };

/* One leaf: on which page (enclave offset; EREMOVE_SECS: the SECS) and with which SECINFO. */
struct op {
	enum op_kind kind;
	uint64_t off;
	uint64_t flags;
};
#define EREMOVE_SECS UINT64_MAX
#define OP(kind, off, flags) ((const struct op){ OP_##kind, off, flags })

struct race_env {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_lp *enclave_lp[2];   /* inside through TCS0 / TCS1 (if entered) */
	struct sgx_lp *kernel_lp[2];    /* fx->klp and a second LP for ENCLS */
	uint64_t aug_epc;               /* the EPC page EAUG ops add at AUG */
	/* the race */
	const struct op *second;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool go, cancel, done;
	int ret2;
	unsigned int paused_leaf;
	uint64_t paused_epc;
	const struct sgx_lp *paused_lp;
};

static bool race_env_new(struct race_env *v, bool enter)
{
	memset(v, 0, sizeof(*v));
	v->fx = fx_new(0);
	v->e = fx_build_init(v->fx);
	if (!v->e)
		return false;
	v->kernel_lp[0] = v->fx->klp;
	v->kernel_lp[1] = fx_lp(v->e);
	v->enclave_lp[0] = fx_lp(v->e);
	v->enclave_lp[1] = fx_lp(v->e);
	v->aug_epc = fx_epc_alloc(v->fx);
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	return !enter || (fx_enter(v->enclave_lp[0], v->e, FX_TCS0, NULL) == SGX_SUCCESS &&
			  fx_enter(v->enclave_lp[1], v->e, FX_TCS1, NULL) == SGX_SUCCESS);
}

static void race_env_free(struct race_env *v)
{
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->mu);
	fx_free(v->fx);
}

static int op_encls(struct race_env *v, const struct op *op, struct sgx_lp *klp)
{
	struct sgx_secinfo si = { .flags = op->flags };
	struct sgx_pageinfo pi = { .linaddr = fx_la(v->e, op->off), .secs = v->e->secs };

	switch (op->kind) {
	case OP_EAUG:
		return encls_eaug(klp, &pi, v->aug_epc);
	case OP_EMODPR:
		return encls_emodpr(klp, &si, epc_of(v->e, op->off));
	case OP_EMODT:
		return encls_emodt(klp, &si, epc_of(v->e, op->off));
	default:
		return encls_eremove(klp, op->off == EREMOVE_SECS ? v->e->secs : epc_of(v->e, op->off));
	}
}

/* Run @op as thread @t (0 or 1); its SECINFO was written by op_prepare(). */
static int op_run(struct race_env *v, const struct op *op, int t)
{
	uint64_t si = fx_la(v->e, SI_OFF + 64 * (uint64_t)t), page = fx_la(v->e, op->off);
	struct sgx_lp *lp = v->enclave_lp[t];

	switch (op->kind) {
	case OP_EACCEPT:
		return enclu_eaccept(lp, si, page);
	case OP_EMODPE:
		return enclu_emodpe(lp, si, page);
	case OP_EACCEPTCOPY:
		return enclu_eacceptcopy(lp, si, page, fx_la(v->e, SRC));
	default:
		return op_encls(v, op, v->kernel_lp[t]);
	}
}

/* ENCLU SECINFOs live in enclave memory: written before any thread runs. */
static void op_prepare(struct race_env *v, const struct op *op, int t)
{
	fx_put_secinfo(v->e, SI_OFF + 64 * (uint64_t)t, op->flags);
}

static struct sgx_lp *op_lp(struct race_env *v, const struct op *op, int t)
{
	return op->kind >= OP_EACCEPT ? v->enclave_lp[t] : v->kernel_lp[t];
}

static void *thread2(void *arg)
{
	struct race_env *v = arg;
	bool run;
	int ret = -1;

	pthread_mutex_lock(&v->mu);
	while (!v->go && !v->cancel)
		pthread_cond_wait(&v->cv, &v->mu);
	run = v->go;
	pthread_mutex_unlock(&v->mu);
	if (run)
		ret = op_run(v, v->second, 1);
	pthread_mutex_lock(&v->mu);
	v->ret2 = ret;
	v->done = true;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

/* The pause hook, in thread 1: let thread 2 run its leaf, wait until it returned. */
static void on_pause(struct fx *fx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc,
		     void *ctx)
{
	struct race_env *v = ctx;

	(void)fx;
	v->paused_lp = lp;
	v->paused_leaf = leaf_id;
	v->paused_epc = epc;
	pthread_mutex_lock(&v->mu);
	v->go = true;
	pthread_cond_broadcast(&v->cv);
	while (!v->done)
		pthread_cond_wait(&v->cv, &v->mu);
	pthread_mutex_unlock(&v->mu);
}

/*
 * Thread 1 runs @first, which pauses holding its marks; thread 2 runs
 * @second meanwhile. Returns false if @first never paused.
 */
static bool race(struct race_env *v, const struct op *first, const struct op *second, int *ret1,
		 int *ret2)
{
	pthread_t t;

	op_prepare(v, first, 0);
	op_prepare(v, second, 1);
	v->second = second;
	v->go = v->cancel = v->done = false;
	if (pthread_create(&t, NULL, thread2, v))
		return false;
	fx_on_pause(v->fx, on_pause, v);
	*ret1 = op_run(v, first, 0);
	pthread_mutex_lock(&v->mu);
	v->cancel = !v->go;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	pthread_join(t, NULL);
	fx_on_pause(v->fx, NULL, NULL);
	*ret2 = v->ret2;
	return v->go && v->paused_lp == op_lp(v, first, 0);
}

/* Thread 2's fault was a #GP. */
static bool gp2(struct race_env *v, const struct op *second)
{
	return sgx_lp_fault(op_lp(v, second, 1))->vector == SGX_VEC_GP;
}

/*
 * A test: on a machine from race_env_new(@enter) (inside through both TCSs
 * if @enter), after the statement @prep, thread 1 runs the op @a while
 * thread 2 runs @b; expect @w1 and @w2 (a #GP as such), then run @check.
 */
#define RACE_TEST(name, enter, prep, a, b, w1, w2, check)        \
	TEST(name)                                               \
	{                                                        \
		struct race_env v;                               \
		const struct op op1_ = a, op2_ = b;              \
		int r1_, r2_;                                    \
		ASSERT_TRUE(race_env_new(&v, enter));            \
		prep;                                            \
		ASSERT_TRUE(race(&v, &op1_, &op2_, &r1_, &r2_)); \
		EXPECT_SGX(r1_, w1);                             \
		EXPECT_SGX(r2_, w2);                             \
		if ((w2) == SGX_GP)                              \
			EXPECT_TRUE(gp2(&v, &op2_));             \
		check;                                           \
		race_env_free(&v);                               \
	}

#define EAUG_AUG ASSERT_SGX(fx_eaug(v.e, AUG, NULL), SGX_SUCCESS)
#define NONE (void)0

/* EMODPR and EMODT against another SGX2 leaf: SGX_EPC_PAGE_CONFLICT */

/* Alone, EMODPR of the still-pending page would say PAGE_NOT_MODIFIABLE. */
RACE_TEST(emodpr_during_eaccept_epc_page_conflict, true, EAUG_AUG,
	  OP(EACCEPT, AUG, REG_PENDING), OP(EMODPR, AUG, SGX_SECINFO_R),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_EQ(v.paused_leaf, SGX_LEAF_ENCLU(ENCLU_EACCEPT));
		EXPECT_EQ(v.paused_epc, epc_of(v.e, AUG));
		EXPECT_TRUE(!fx_epcm(v.e, AUG).pending && !fx_epcm(v.e, AUG).pr);
		EXPECT_EQ(fx_epcm(v.e, AUG).perm, RW);
	  })

RACE_TEST(emodt_during_eaccept_epc_page_conflict, true, EAUG_AUG,
	  OP(EACCEPT, AUG, REG_PENDING), OP(EMODT, AUG, SGX_SECINFO_TRIM),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_EQ(fx_epcm(v.e, AUG).type, SGX_PAGE_TYPE_REG);
		EXPECT_TRUE(!fx_epcm(v.e, AUG).pending && !fx_epcm(v.e, AUG).modified);
	  })

RACE_TEST(emodpr_during_emodpe_epc_page_conflict, true, NONE,
	  OP(EMODPE, PAGE, SGX_SECINFO_X), OP(EMODPR, PAGE, SGX_SECINFO_R),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_PERM_MASK);
		EXPECT_TRUE(!fx_epcm(v.e, PAGE).pr);
	  })

RACE_TEST(emodt_during_emodpe_epc_page_conflict, true, NONE,
	  OP(EMODPE, PAGE, SGX_SECINFO_X), OP(EMODT, PAGE, SGX_SECINFO_TRIM),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_EQ(fx_epcm(v.e, PAGE).type, SGX_PAGE_TYPE_REG);
		EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_PERM_MASK);
	  })

RACE_TEST(emodpr_during_eacceptcopy_epc_page_conflict, true, EAUG_AUG,
	  OP(EACCEPTCOPY, AUG, SGX_SECINFO_REG | SGX_SECINFO_R), OP(EMODPR, AUG, 0),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_TRUE(!fx_epcm(v.e, AUG).pending && !fx_epcm(v.e, AUG).pr);
		EXPECT_EQ(fx_epcm(v.e, AUG).perm, SGX_SECINFO_R);
		EXPECT_TRUE(!memcmp(fx_mem(v.e, AUG), fx_mem(v.e, SRC), SGX_PAGE_SIZE));
	  })

RACE_TEST(emodpr_during_emodpr_epc_page_conflict, false, NONE,
	  OP(EMODPR, PAGE, SGX_SECINFO_R), OP(EMODPR, PAGE, 0),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_EQ(v.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EMODPR));
		EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_R);
		EXPECT_TRUE(fx_epcm(v.e, PAGE).pr);
	  })

RACE_TEST(emodt_during_emodpr_epc_page_conflict, false, NONE,
	  OP(EMODPR, PAGE, SGX_SECINFO_R), OP(EMODT, PAGE, SGX_SECINFO_TRIM),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_EQ(fx_epcm(v.e, PAGE).type, SGX_PAGE_TYPE_REG);
		EXPECT_TRUE(fx_epcm(v.e, PAGE).pr);
	  })

RACE_TEST(emodt_during_emodt_epc_page_conflict, false, NONE,
	  OP(EMODT, PAGE, SGX_SECINFO_TCS), OP(EMODT, PAGE, SGX_SECINFO_TRIM),
	  SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT,
	  EXPECT_EQ(fx_epcm(v.e, PAGE).type, SGX_PAGE_TYPE_TCS))

/* EMODT holds the page exclusively (base): EMODPR's base check fires first: #GP. */
RACE_TEST(emodpr_during_emodt_gp, false, NONE,
	  OP(EMODT, PAGE, SGX_SECINFO_TRIM), OP(EMODPR, PAGE, SGX_SECINFO_R), SGX_SUCCESS, SGX_GP, {
		EXPECT_EQ(fx_epcm(v.e, PAGE).type, SGX_PAGE_TYPE_TRIM);
		EXPECT_TRUE(!fx_epcm(v.e, PAGE).pr);
	  })

/* EACCEPT, EACCEPTCOPY and EMODPE against another SGX2 leaf: #GP */

RACE_TEST(eaccept_during_emodpr_gp, true, NONE,
	  OP(EMODPR, PAGE, SGX_SECINFO_R),
	  OP(EACCEPT, PAGE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR),
	  SGX_SUCCESS, SGX_GP, {
		EXPECT_TRUE(fx_epcm(v.e, PAGE).pr);
		EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_R);
	  })

RACE_TEST(eaccept_during_emodt_gp, true, NONE,
	  OP(EMODT, PAGE, SGX_SECINFO_TRIM), OP(EACCEPT, PAGE, REG_RW | SGX_SECINFO_PR),
	  SGX_SUCCESS, SGX_GP, {
		EXPECT_TRUE(fx_epcm(v.e, PAGE).modified);
		EXPECT_EQ(fx_epcm(v.e, PAGE).type, SGX_PAGE_TYPE_TRIM);
	  })

RACE_TEST(eaccept_during_eaccept_gp, true, EAUG_AUG,
	  OP(EACCEPT, AUG, REG_PENDING), OP(EACCEPT, AUG, REG_PENDING), SGX_SUCCESS, SGX_GP,
	  EXPECT_TRUE(!fx_epcm(v.e, AUG).pending))

RACE_TEST(eacceptcopy_during_eaccept_gp, true, EAUG_AUG,
	  OP(EACCEPT, AUG, REG_PENDING), OP(EACCEPTCOPY, AUG, SGX_SECINFO_REG | SGX_SECINFO_R),
	  SGX_SUCCESS, SGX_GP, {
		const uint8_t *mem = fx_mem(v.e, AUG);

		EXPECT_EQ(fx_epcm(v.e, AUG).perm, RW);
		EXPECT_EQ(mem[0] | mem[100] | mem[4095], 0); /* nothing was copied */
	  })

RACE_TEST(eaccept_during_eacceptcopy_gp, true, EAUG_AUG,
	  OP(EACCEPTCOPY, AUG, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X),
	  OP(EACCEPT, AUG, REG_PENDING), SGX_SUCCESS, SGX_GP, {
		EXPECT_EQ(fx_epcm(v.e, AUG).perm, SGX_SECINFO_R | SGX_SECINFO_X);
		EXPECT_TRUE(!fx_epcm(v.e, AUG).pending);
	  })

RACE_TEST(emodpe_during_emodpr_gp, true, NONE,
	  OP(EMODPR, PAGE, SGX_SECINFO_R), OP(EMODPE, PAGE, SGX_SECINFO_X), SGX_SUCCESS, SGX_GP,
	  EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_R))

RACE_TEST(emodpe_during_emodpe_gp, true, NONE,
	  OP(EMODPE, FX_RODATA, SGX_SECINFO_W), OP(EMODPE, FX_RODATA, SGX_SECINFO_X),
	  SGX_SUCCESS, SGX_GP, EXPECT_EQ(fx_epcm(v.e, FX_RODATA).perm, RW))

/* Restricted and tracked before anyone enters: EACCEPT will succeed. */
RACE_TEST(emodpe_during_eaccept_gp, false, {
		ASSERT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
		ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
		ASSERT_SGX(fx_enter(v.enclave_lp[0], v.e, FX_TCS0, NULL), SGX_SUCCESS);
		ASSERT_SGX(fx_enter(v.enclave_lp[1], v.e, FX_TCS1, NULL), SGX_SUCCESS);
	  },
	  OP(EACCEPT, PAGE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR),
	  OP(EMODPE, PAGE, SGX_SECINFO_W), SGX_SUCCESS, SGX_GP, {
		EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_R);
		EXPECT_TRUE(!fx_epcm(v.e, PAGE).pr);
	  })

/* Base (SGX1) restrictions: EAUG, EREMOVE */

RACE_TEST(eaug_target_in_use_gp, false, NONE,
	  OP(EAUG, AUG, 0), OP(EAUG, AUG + SGX_PAGE_SIZE, 0), SGX_SUCCESS, SGX_GP, {
		struct sgx_epcm_info info = epcm_of(v.fx, v.aug_epc);

		EXPECT_EQ(v.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EAUG));
		EXPECT_EQ(v.paused_epc, v.aug_epc);
		EXPECT_TRUE(info.valid && info.pending);
		EXPECT_EQ(info.linaddr, fx_la(v.e, AUG));
	  })

/* EREMOVE holds the SECS exclusively: EAUG's shared SECS access fails. */
RACE_TEST(eaug_secs_in_use_gp, false, NONE,
	  OP(EREMOVE, EREMOVE_SECS, 0), OP(EAUG, AUG, 0), SGX_CHILD_PRESENT, SGX_GP,
	  EXPECT_TRUE(!epcm_of(v.fx, v.aug_epc).valid))

/* EAUG writes the page (SGX1, exclusive): EMODPR's base check gives #GP. */
RACE_TEST(emodpr_during_eaug_gp, false,
	  v.e->pa[AUG / SGX_PAGE_SIZE] = v.aug_epc, /* so that thread 2 finds the page */
	  OP(EAUG, AUG, 0), OP(EMODPR, AUG, SGX_SECINFO_R), SGX_SUCCESS, SGX_GP,
	  EXPECT_TRUE(fx_epcm(v.e, AUG).pending && !fx_epcm(v.e, AUG).pr))

/* EMODT against an SGX1 leaf: SGX_EPC_PAGE_CONFLICT. */
RACE_TEST(emodt_during_eaug_epc_page_conflict, false, v.e->pa[AUG / SGX_PAGE_SIZE] = v.aug_epc,
	  OP(EAUG, AUG, 0), OP(EMODT, AUG, SGX_SECINFO_TRIM), SGX_SUCCESS, SGX_EPC_PAGE_CONFLICT, {
		EXPECT_EQ(fx_epcm(v.e, AUG).type, SGX_PAGE_TYPE_REG);
		EXPECT_TRUE(fx_epcm(v.e, AUG).pending && !fx_epcm(v.e, AUG).modified);
	  })

RACE_TEST(emodt_during_eremove_epc_page_conflict, false, NONE,
	  OP(EREMOVE, PAGE, 0), OP(EMODT, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS,
	  SGX_EPC_PAGE_CONFLICT, EXPECT_TRUE(!fx_epcm(v.e, PAGE).valid))

RACE_TEST(emodpr_during_eremove_gp, false, NONE,
	  OP(EREMOVE, PAGE, 0), OP(EMODPR, PAGE, SGX_SECINFO_R), SGX_SUCCESS, SGX_GP,
	  EXPECT_TRUE(!fx_epcm(v.e, PAGE).valid))
