/* SPDX-License-Identifier: MIT */
/*
 * The enclave loader: builds, signs, initializes and maps an enclave from a
 * static-pie x86-64 ELF image, through the library's Linux-compatible
 * interface only (softsgx_open/ioctl/mmap/munmap/close), as a runtime does
 * on SGX2 Linux.
 *
 * Layout of ELRANGE (offsets from the base; every added page is measured):
 *   0 ..                the PT_LOAD segments at their p_vaddr, page-rounded,
 *                       permissions from p_flags (pages shared by two
 *                       segments get both); gaps between them stay absent
 *   image end ..        per thread i: its TCS, 2 SSA frames (SSAFRAMESIZE 1),
 *                       its thread-data page, @stack_pages stack pages
 *   layout end .. size  nothing: left for EAUG
 * TCS: OENTRY = the `enclave_entry` symbol (else e_entry), OSSA = the frames
 * after it, NSSA 2, OFSBASE = OGSBASE = the thread-data page, which starts
 * with struct softsgx_thread_data. SECS: MODE64BIT, DEBUG unless no_debug,
 * MISCSELECT EXINFO, XFRM 3 unless given. The mappings: TCS, SSA, thread
 * data and stack RW, segments as their permissions, the rest RW.
 */
#ifndef SOFTSGX_LOADER_H
#define SOFTSGX_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOFTSGX_LOAD_DEFAULT_NR_TCS 2
#define SOFTSGX_LOAD_DEFAULT_STACK_PAGES 16
#define SOFTSGX_LOAD_DEFAULT_SIZE (16ull << 20)
#define SOFTSGX_LOAD_DEFAULT_XFRM 0x3ull
#define SOFTSGX_LOAD_NSSA 2
/*
 * The largest ELRANGE the loader lays out: 2^35 (32 GiB), well below what
 * the processor accepts (CPUID.(EAX=12H,ECX=0):EDX[15:8]); the loader
 * reserves twice the size to align it.
 */
#define SOFTSGX_LOAD_MAX_SIZE_LOG2 35
#define SOFTSGX_LOAD_MAX_SIZE (1ull << SOFTSGX_LOAD_MAX_SIZE_LOG2)
/*
 * The most the loader adds before EINIT (the image with its bss, the
 * threads' areas). Every added page is EADDed and EEXTENDed, so measuring
 * costs time per page (about 4 us with the CPU's SHA instructions, several
 * times that without), and the SDM's measurement offers no shortcut for
 * zero pages: each EEXTEND block carries its offset. Memory beyond this
 * belongs to EAUG after EINIT.
 */
#define SOFTSGX_LOAD_MAX_ADDED (4ull << 30)

/* Offsets of a thread's pages from its TCS (in bytes). */
#define SOFTSGX_LOAD_SSA_OFFSET 0x1000ull
#define SOFTSGX_LOAD_TDATA_OFFSET 0x3000ull
#define SOFTSGX_LOAD_STACK_OFFSET 0x4000ull
/* Pages of one thread's area with @stack_pages stack pages. */
#define SOFTSGX_LOAD_THREAD_PAGES(stack_pages) (4ull + (stack_pages))

/*
 * The start of every thread-data page as the loader writes it; all values
 * are offsets from the enclave base (they are measured, so never absolute).
 */
struct softsgx_thread_data {
	uint64_t self;           /* this page */
	uint64_t tcs;            /* the thread's TCS */
	uint64_t stack_top;      /* the end of its stack: the stack grows down from here */
	uint64_t ossa;           /* its first SSA frame */
};

/* Options; a zero field takes its default. */
struct softsgx_load_options {
	unsigned int nr_tcs;     /* threads (TCS) to create; 0: 2 */
	unsigned int stack_pages; /* stack pages per thread; 0: 16 */
	uint64_t encl_size;      /* ELRANGE size, a power of two up to SOFTSGX_LOAD_MAX_SIZE;
				  * 0: 16 MiB */
	EVP_PKEY *key;           /* RSA-3072 key, exponent 3; NULL: a process-wide key made once */
	uint64_t attributes;     /* ATTRIBUTES flags beyond MODE64BIT/DEBUG (PROVISIONKEY: the
				  * loader issues SGX_IOC_ENCLAVE_PROVISION itself; AEXNOTIFY:
				  * every TCS gets FLAGS.AEXNOTIFY too) */
	bool no_debug;           /* a production enclave: no DEBUG attribute */
	uint64_t xfrm;           /* ATTRIBUTES.XFRM; 0: 3 (x87, SSE) */
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	/* A SIGSTRUCT to EINIT with (from 'softsgx sign', say); NULL: the loader signs with @key. */
	const struct sgx_sigstruct *sigstruct;
};

/*
 * softsgx_load_sigstruct() - the SIGSTRUCT the loader signs for an image
 * loaded with @opts and measured @mrenclave, not yet signed: header,
 * MISCSELECT and ATTRIBUTES of the loader's SECS with their masks
 * (MISCMASK all ones, ATTRIBUTEMASK all but INIT), ENCLAVEHASH, ISV fields.
 */
void softsgx_load_sigstruct(const struct softsgx_load_options *opts, const uint8_t mrenclave[32],
			    struct sgx_sigstruct *sig);

struct softsgx_enclave;

/*
 * softsgx_load_image() - build an enclave from the ELF image in @image
 * (@len bytes; the caller keeps it) and map it at a base aligned to its
 * size. @opts may be NULL (all defaults). On failure nothing is left
 * behind (no descriptor, mapping or EPC page).
 * Return: 0 and the enclave in *@out, or -1 with errno:
 *   ENOEXEC  not a 64-bit little-endian x86-64 ET_DYN (PIE) image, a
 *            program interpreter, no PT_LOAD, or a header or segment
 *            outside the image
 *   E2BIG    the layout does not fit in encl_size
 *   EFBIG    the layout adds more than SOFTSGX_LOAD_MAX_ADDED bytes of pages
 *   EINVAL   encl_size not a power of two or above SOFTSGX_LOAD_MAX_SIZE, a
 *            key that is not RSA-3072/e=3
 *   ENOMEM   out of memory or address space
 *   EIO      the signature could not be made
 *   EFAULT   @image, @opts (or its sigstruct) unreadable, @out unwritable
 *   and the errno of the driver's call that failed (CREATE: EIO for
 *   attributes or XFRM the processor refuses; INIT: EPERM, EACCES ...).
 */
int softsgx_load_image(const void *image, size_t len, const struct softsgx_load_options *opts,
		       struct softsgx_enclave **out);

/*
 * softsgx_load_file() - softsgx_load_image() of the file at @path, which
 * must be a regular file (it is never opened otherwise, so a FIFO cannot
 * block the call).
 * Return: 0, or -1 with errno as softsgx_load_image() or from open/read
 * of the file (ENOENT, EACCES: not a regular file, EFAULT: @path NULL or
 * unreadable ...).
 */
int softsgx_load_file(const char *path, const struct softsgx_load_options *opts,
		      struct softsgx_enclave **out);

/*
 * softsgx_measure_image() - MRENCLAVE of @image loaded with @opts, without
 * loading it (what a signer needs).
 * Return: 0, or -1 with errno ENOEXEC, E2BIG, EFBIG, EINVAL, ENOMEM, EFAULT
 * as softsgx_load_image() (EFAULT also for an unwritable @mrenclave).
 */
int softsgx_measure_image(const void *image, size_t len, const struct softsgx_load_options *opts,
			  uint8_t mrenclave[32]);

/*
 * softsgx_unload() - unmap the enclave and close its descriptor; the
 * driver then removes its pages. @e may be NULL.
 */
void softsgx_unload(struct softsgx_enclave *e);

/*
 * softsgx_enclave_symbol() - the linear address of the symbol @name of the
 * image (.symtab, then .dynsym); absolute symbols give their value.
 * Return: the address, or 0 with errno ENOENT (no defined symbol so named).
 */
uint64_t softsgx_enclave_symbol(const struct softsgx_enclave *e, const char *name);

uint64_t softsgx_enclave_base(const struct softsgx_enclave *e);
uint64_t softsgx_enclave_size(const struct softsgx_enclave *e);
/* The enclave's descriptor (for ioctls); it stays the loader's. */
int softsgx_enclave_fd(const struct softsgx_enclave *e);
unsigned int softsgx_enclave_nr_tcs(const struct softsgx_enclave *e);
/* Linear address of TCS @i; 0 if @i >= the number of TCS. */
uint64_t softsgx_enclave_tcs(const struct softsgx_enclave *e, unsigned int i);
/* Linear address of the first page after the loaded layout (EAUG's area). */
uint64_t softsgx_enclave_free_start(const struct softsgx_enclave *e);
const uint8_t *softsgx_enclave_mrenclave(const struct softsgx_enclave *e);
const uint8_t *softsgx_enclave_mrsigner(const struct softsgx_enclave *e);

/*
 * softsgx_ioctl_retrying() - softsgx_ioctl() as a careful runtime makes the
 * call: again while Linux's result says the condition passes, at most
 * 1000 times (after the first few, 1 ms apart). CREATE, ADD_PAGES and
 * INIT are called again after EBUSY (another ioctl on the enclave) and
 * EINTR (a signal). The SGX2 ioctls (RESTRICT_PERMISSIONS, MODIFY_TYPES,
 * REMOVE_PAGES) continue from offset + count after EAGAIN, EBUSY, EINTR,
 * and EFAULT with result SGX_EPC_PAGE_CONFLICT; @arg's offset and length
 * are left as given, count covers the pages done by all the calls.
 * Return: 0, or -1 with errno (and result) of the last call.
 */
int softsgx_ioctl_retrying(int fd, unsigned long request, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* SOFTSGX_LOADER_H */
