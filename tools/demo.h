/* SPDX-License-Identifier: MIT */
/*
 * `softsgx demo`: the SGX2 life cycle of the bundled test enclave, step by
 * step, with real enclave code. demo.c runs the steps and judges them;
 * demo_basic.c, demo_perms.c, demo_types.c, demo_thread.c, demo_paging.c
 * and demo_notify.c hold the steps; demo_enclave.c enters the enclave (and handles its exceptions as
 * a runtime does); demo_view.c prints page maps (EPCM snapshots taken
 * through the driver's internals) and the counters.
 */
#ifndef SOFTSGX_TOOLS_DEMO_H
#define SOFTSGX_TOOLS_DEMO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <asm/sgx.h>

#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"

#define DEMO_PAGE 4096ull
#define DEMO_NR_PAGES 12        /* pages the demo adds after the loaded layout */
#define DEMO_MAP_COLS 6
#define DEMO_MAP_ROWS 4

struct sgx_platform;
struct sgx_encl;

struct demo {
	struct softsgx_enclave *e;
	uint64_t base;
	int fd;
	struct sgx_platform *plat;
	struct sgx_encl *encl;      /* the driver's object, only for EPCM snapshots */
	uint64_t page[DEMO_NR_PAGES]; /* P0, P1 ...: after the loader's layout, absent at first */
	FILE *out;                  /* what the running step prints (shown after its verdict) */
	char failure[512];          /* the first thing the running step got wrong; "" if none */
	bool color;                 /* stdout is a terminal */
};

/*
 * The steps, in order; each runs, says what happened (demo_say) and
 * checks it (demo_check): the step behaved as SGX2 on Linux if no check
 * failed. Return: false if it had to stop early (after a failed check).
 */
bool demo_step_build(struct demo *d);         /* demo_basic.c */
bool demo_step_enter(struct demo *d);
bool demo_step_eaug(struct demo *d);
bool demo_step_restrict(struct demo *d);      /* demo_perms.c */
bool demo_step_emodpe(struct demo *d);
bool demo_step_mprotect(struct demo *d);
bool demo_step_tcs(struct demo *d);           /* demo_types.c */
bool demo_step_trim(struct demo *d);
bool demo_step_interrupt(struct demo *d);     /* demo_thread.c */
bool demo_step_paging(struct demo *d);        /* demo_paging.c */
bool demo_step_notify(struct demo *d);        /* demo_notify.c */

/* demo.c: what a step says and what it checks. */
void demo_say(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record @fmt as the step's failure (the first one counts) unless @ok. Return: @ok. */
bool demo_check(struct demo *d, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Check a call's result, 0 or -1 with errno: unless 0, record "@what
 * failed: <errno name>". Return: whether it was 0.
 */
bool demo_check_call(struct demo *d, int ret, const char *what);
/* Sleep @ms milliseconds (the steps that wait for another thread). */
void demo_sleep_ms(long ms);
/*
 * RESTRICT_PERMISSIONS of the page at @offset of the enclave behind @fd to
 * r--, again (25 ms apart, 40 calls at most) until the counter @counter has
 * grown past @before: the interrupt struck @who, which may be outside the
 * enclave at a call. Return: whether it did (else a failure is recorded).
 */
bool demo_restrict_until(struct demo *d, int fd, uint64_t offset, enum softsgx_counter counter,
			 uint64_t before, const char *who);
/* Return: the errno name of @err ("EFAULT"), or "errno N". */
const char *demo_errname(int err);
/* Check that the EPCM state of @addr (demo_epcm_state()) is @want. Return: whether it is. */
bool demo_expect_state(struct demo *d, uint64_t addr, const char *want);

/* demo_enclave.c: calls into the test enclave (enclaves/test/abi.h). */
struct demo_exception;
/* A runtime's exception handler: repair what the exception says, return true to ERESUME. */
typedef bool (*demo_fix_fn)(struct demo_exception *x);
struct demo_exception {
	struct demo *d;
	demo_fix_fn fix;
	void *ctx;                  /* the step's */
	uint64_t tcs;               /* the TCS the exception happened on */
	unsigned int count;         /* exceptions seen; only the first is repaired */
	uint16_t vector;
	uint16_t error_code;
	uint64_t addr;
};
/*
 * demo_call() - run operation @op (TE_OP_*) with @a0..@a2 through the TCS
 * at @tcs and check that the enclave left by EEXIT.
 * Return: te_call.ret, or ~0 after recording a failure.
 */
uint64_t demo_call(struct demo *d, uint64_t tcs, uint64_t op, uint64_t a0, uint64_t a1,
		   uint64_t a2);
/*
 * demo_call_out() - demo_call() with five arguments, which also copies
 * te_call.out[0..1] to @out (may be NULL). Return: as demo_call().
 */
uint64_t demo_call_out(struct demo *d, uint64_t tcs, uint64_t op, const uint64_t args[5],
		       uint64_t out[2]);
/*
 * demo_call_handled() - demo_call() with @x as the runtime's exception
 * handler inside the same entry-function call (run->user_handler): the
 * first exception goes to @x->fix, which may enter the enclave again
 * (CSSA 1) and returns whether to ERESUME.
 * Return: te_call.ret, or ~0 after recording a failure.
 */
uint64_t demo_call_handled(struct demo *d, uint64_t tcs, uint64_t op, uint64_t a0, uint64_t a1,
			   struct demo_exception *x);
/* Return: the TCS of thread @i of the loaded layout. */
uint64_t demo_tcs(struct demo *d, unsigned int i);
/*
 * An ioctl on the enclave's descriptor, called again as runtimes do while
 * Linux's result says the condition passes (softsgx_ioctl_retrying()).
 * Return: 0, or -1 with errno as Linux gives it.
 */
int demo_ioctl(struct demo *d, unsigned long request, void *arg);

/* demo_view.c: page maps and counters. */
struct demo_map {
	unsigned int nr_pages;
	uint64_t addr[DEMO_MAP_COLS];
	const char *name[DEMO_MAP_COLS]; /* a column heading instead of the offset; may be NULL */
	unsigned int nr_rows;
	const char *label[DEMO_MAP_ROWS];
	char state[DEMO_MAP_ROWS][DEMO_MAP_COLS][16];
};
/* Start a map of @n pages at @addr (consecutive when @addr has one entry and @n > 1). */
void demo_map_init(struct demo_map *m, const uint64_t *addr, unsigned int n, bool consecutive);
/* Add a row: the EPCM state of every page now, e.g. "REG rw- P", "TCS", "TRIM M", "--". */
void demo_map_snap(struct demo *d, struct demo_map *m, const char *label);
/*
 * The state of the page at @addr as demo_map_snap() writes it (a page the
 * reclaimer swapped out is reloaded first). Return: @buf (16 bytes).
 */
const char *demo_epcm_state(struct demo *d, uint64_t addr, char *buf);
void demo_map_print(struct demo *d, const struct demo_map *m);
/* The table of leaves, ioctls, faults, AEX, ETRACK and interrupts since the platform began. */
void demo_print_counters(FILE *f);

#endif /* SOFTSGX_TOOLS_DEMO_H */
