/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * Enclave entry under real concurrency, each thread with its own logical
 * processor: two threads race EENTER/EGETKEY/EEXIT through TCS0 (the loser
 * of a race gets #GP), a third enters TCS1 and takes AEX/ERESUME rounds,
 * and a fourth runs ETRACK against them all.
 */
#include <pthread.h>

#include "fixture.h"

#define ROUNDS 300
#define REQ_OFF FX_DATA
#define KEY_OFF (FX_DATA + 0x800)

struct worker {
	struct fx_enclave *e;
	struct sgx_lp *lp;
	int entered, busy, errors;
	pthread_t thread;
};

static const struct sgx_exception irq = { .vector = 0xEC };

static int enter(struct worker *w, uint64_t tcs, struct sgx_regs *r)
{
	*r = (struct sgx_regs){ .rbx = fx_la(w->e, tcs), .rcx = FX_AEP, .rip = FX_ENCLU_RIP };
	return enclu_eenter(w->lp, r);
}

static bool leave(struct worker *w, struct sgx_regs *r)
{
	r->rbx = FX_ENCLU_RIP + 3;
	return enclu_eexit(w->lp, r) == SGX_SUCCESS && !sgx_lp_in_enclave(w->lp);
}

/* TCS0, shared: EENTER (or #GP while the other thread is inside), EGETKEY, EEXIT. */
static void *share_tcs0(void *arg)
{
	struct worker *w = arg;
	struct sgx_regs r;
	int i, ret;

	for (i = 0; i < ROUNDS; i++) {
		ret = enter(w, FX_TCS0, &r);
		if (ret == SGX_GP) {
			w->busy++;
			continue;
		}
		if (ret != SGX_SUCCESS || r.rax != 0 ||
		    enclu_egetkey(w->lp, fx_la(w->e, REQ_OFF), fx_la(w->e, KEY_OFF)) != SGX_SUCCESS ||
		    !leave(w, &r))
			w->errors++;
		else
			w->entered++;
	}
	return NULL;
}

/* TCS1, owned: EENTER, AEX, ERESUME, EEXIT. */
static void *own_tcs1(void *arg)
{
	struct worker *w = arg;
	struct sgx_regs r;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (enter(w, FX_TCS1, &r) != SGX_SUCCESS || r.rax != 0 ||
		    sgx_aex(w->lp, &r, &irq) != SGX_SUCCESS || r.rax != ENCLU_ERESUME ||
		    enclu_eresume(w->lp, &r) != SGX_SUCCESS || !leave(w, &r))
			w->errors++;
		else
			w->entered++;
	}
	return NULL;
}

/* The kernel side: ETRACK while threads come and go. */
static void *etrack(void *arg)
{
	struct worker *w = arg;
	int i, ret;

	for (i = 0; i < ROUNDS; i++) {
		ret = encls_etrack(w->lp, w->e->secs);
		if (ret == SGX_SUCCESS)
			w->entered++;
		else if (ret == SGX_PREV_TRK_INCMPL)
			w->busy++;
		else
			w->errors++;
	}
	return NULL;
}

/* The fixture's pause trampoline is for single-threaded tests; pause silently. */
static void no_pause(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc)
{
	(void)ctx;
	(void)lp;
	(void)leaf_id;
	(void)epc;
}

static struct fx *machine(void)
{
	struct sgx_cpu_config cfg;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 256;
	cfg.check_invariants = true;
	cfg.pause_hook = no_pause;
	return fx_new_config(&cfg);
}

TEST(entry_threads_race_tcs_aex_etrack)
{
	void *(*const fn[4])(void *) = { share_tcs0, share_tcs0, own_tcs1, etrack };
	struct fx *fx = machine();
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_keyrequest *req;
	struct worker w[4];
	int i;

	ASSERT_TRUE(e);
	req = fx_mem(e, REQ_OFF);
	memset(req, 0, sizeof(*req));
	req->keyname = SGX_KEYNAME_REPORT;
	for (i = 0; i < 4; i++)
		w[i] = (struct worker){ .e = e, .lp = i == 3 ? fx->klp : fx_lp(e) };
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(pthread_create(&w[i].thread, NULL, fn[i], &w[i]) == 0);
	for (i = 0; i < 4; i++) {
		pthread_join(w[i].thread, NULL);
		EXPECT_EQ(w[i].errors, 0);
		EXPECT_EQ(w[i].entered + w[i].busy, ROUNDS);
	}
	EXPECT_TRUE(w[0].entered + w[1].entered > 0);
	EXPECT_EQ(w[2].entered, ROUNDS);
	EXPECT_EQ(sgx_cpu_leaf_count(fx->cpu, SGX_LEAF_AEX), ROUNDS);
	EXPECT_EQ(((struct sgx_tcs *)fx_mem(e, FX_TCS0))->cssa, 0);
	EXPECT_EQ(((struct sgx_tcs *)fx_mem(e, FX_TCS1))->cssa, 0);
	/* Nobody is left inside: EREMOVE of a page finds no thread, ETRACK completes. */
	EXPECT_SGX(encls_eremove(fx->klp, e->pa[FX_RODATA / SGX_PAGE_SIZE]), SGX_SUCCESS);
	EXPECT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	EXPECT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	fx_free(fx);
}
