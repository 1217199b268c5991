/* SPDX-License-Identifier: MIT */
/*
 * The enclave ioctls as a careful runtime calls them (loader.h): again
 * after the results that Linux gives for a passing condition, never for
 * ever. The loader builds enclaves with it; tests and the demo use it for
 * the SGX2 ioctls.
 */
#include <asm/sgx.h>
#include <errno.h>
#include <stdbool.h>
#include <time.h>

#include "driver/uaccess.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"

/* Calls of one request before its error stands, the later ones 1 ms apart. */
#define RETRIES 1000
#define BACK_TO_BACK 8

/* An SGX2 ioctl's argument, copied in from the caller's. */
union sgx2_arg {
	struct sgx_enclave_restrict_permissions rp;
	struct sgx_enclave_modify_types mt;
	struct sgx_enclave_remove_pages rm;
};

/*
 * The size of @request's argument if it is an SGX2 ioctl (else 0), and the
 * range fields in @a (result NULL for REMOVE_PAGES).
 */
static size_t sgx2_range(unsigned long request, union sgx2_arg *a, __u64 **offset, __u64 **length,
			 __u64 **count, __u64 **result)
{
	switch (request) {
	case SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS:
		*offset = &a->rp.offset, *length = &a->rp.length, *count = &a->rp.count;
		*result = &a->rp.result;
		return sizeof(a->rp);
	case SGX_IOC_ENCLAVE_MODIFY_TYPES:
		*offset = &a->mt.offset, *length = &a->mt.length, *count = &a->mt.count;
		*result = &a->mt.result;
		return sizeof(a->mt);
	case SGX_IOC_ENCLAVE_REMOVE_PAGES:
		*offset = &a->rm.offset, *length = &a->rm.length, *count = &a->rm.count;
		*result = NULL;
		return sizeof(a->rm);
	default:
		return 0;
	}
}

static void pause_before(unsigned int tries)
{
	static const struct timespec ms = { .tv_nsec = 1000 * 1000 };

	if (tries >= BACK_TO_BACK)
		nanosleep(&ms, NULL);
}

/*
 * Whether @err (with the SGX @result of RESTRICT/MODIFY) passes: another
 * ioctl on the enclave (EBUSY), a page being reclaimed or no EPC page free
 * (EAGAIN, and EBUSY from REMOVE_PAGES), a signal (EINTR), another
 * processor's leaf on the page (EFAULT with SGX_EPC_PAGE_CONFLICT).
 */
static bool passing(int err, const __u64 *result)
{
	return err == EAGAIN || err == EBUSY || err == EINTR ||
	       (err == EFAULT && result && *result == SGX_EPC_PAGE_CONFLICT);
}

int softsgx_ioctl_retrying(int fd, unsigned long request, void *arg)
{
	__u64 *offset, *length, *count, *result, start, len, done = 0;
	size_t size;
	union sgx2_arg a;
	unsigned int tries;
	int ret = -1, err = 0;

	size = sgx2_range(request, &a, &offset, &length, &count, &result);
	/* An argument it cannot read is the ioctl's to refuse, by Linux's rules and order. */
	if (size && copy_from_user(&a, arg, size))
		return softsgx_ioctl(fd, request, arg);
	if (!size) {
		/* CREATE, ADD_PAGES's first page, INIT: EBUSY and EINTR left nothing done. */
		for (tries = 0; tries < RETRIES; tries++) {
			pause_before(tries);
			ret = softsgx_ioctl(fd, request, arg);
			if (!ret || (errno != EBUSY && errno != EINTR))
				break;
		}
		return ret;
	}
	start = *offset, len = *length;
	for (tries = 0; tries < RETRIES; tries++) {
		pause_before(tries);
		*offset = start + done, *length = len - done, *count = 0;
		if (result)
			*result = 0;
		ret = softsgx_ioctl(fd, request, &a);
		err = errno;
		done += *count;
		if (!ret || !passing(err, result) || done >= len)
			break;
	}
	*offset = start, *length = len, *count = done;
	if (copy_to_user(arg, &a, size)) {
		errno = EFAULT; /* as the ioctl's own copy back */
		return -1;
	}
	errno = err;
	return ret;
}
