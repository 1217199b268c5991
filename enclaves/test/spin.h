/* SPDX-License-Identifier: MIT */
/*
 * The host's side of TE_OP_SPIN's heartbeat. A thread spinning in the test
 * enclave stores its iteration count (from 1) at the heartbeat address on
 * every round, so that a test knows from the enclave itself, never from a
 * guessed delay, that the thread runs enclave code, and after an interrupt
 * that it runs it again.
 */
#ifndef TE_SPIN_H
#define TE_SPIN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The limit of a wait: longer only when something hangs. */
#define TE_SPIN_WAIT_SECONDS 60

/*
 * Wait until the heartbeat at @beat differs from @since (0: the thread has
 * not spun yet). false if it has not after TE_SPIN_WAIT_SECONDS.
 */
static inline bool te_spin_wait(const uint64_t *beat, uint64_t since)
{
	const struct timespec tick = { .tv_nsec = 100000 };
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += TE_SPIN_WAIT_SECONDS;
	do {
		if (__atomic_load_n(beat, __ATOMIC_ACQUIRE) != since)
			return true;
		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	return __atomic_load_n(beat, __ATOMIC_ACQUIRE) != since;
}

#endif
