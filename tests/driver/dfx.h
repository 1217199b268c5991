/* SPDX-License-Identifier: MIT */
/*
 * Driver test fixture. Enclaves are built through the library interface
 * only (softsgx_open/ioctl/mmap), as a runtime builds them on Linux.
 * Enclave threads are simulated: a logical processor with the process's
 * page tables runs the enclave's leaves and accesses, and faults go the way
 * hardware and Linux send them (AEX, the driver's fault handler, ERESUME
 * when resolved, else an exception reported as the vDSO reports it).
 *
 * Default enclave (ELRANGE 1 MiB, 1 MiB aligned; offsets):
 *   0x0000 TCS0 (SSA 0x2000, 2 frames)   0x1000 TCS1 (SSA 0x4000, 2 frames)
 *   0x6000 code R-X   0x7000-0x9000 data RW-   0xA000 read-only data R--
 *   0x10000.. nothing: EAUG territory. All of ELRANGE is mapped: TCS and
 *   SSA RW, code R-X, data RW, rodata R, the rest RW.
 */
#ifndef SOFTSGX_TEST_DFX_H
#define SOFTSGX_TEST_DFX_H

#include <asm/sgx.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "cpu/cpu.h"
#include "driver/driver.h"
#include "harness.h"
#include "softsgx/softsgx.h"

#define DFX_SIZE 0x100000ull
#define DFX_TCS0 0x0000
#define DFX_TCS1 0x1000
#define DFX_SSA0 0x2000
#define DFX_SSA1 0x4000
#define DFX_CODE 0x6000
#define DFX_DATA 0x7000
#define DFX_RODATA 0xA000
#define DFX_FREE 0x10000
#define DFX_SECINFO 0x9000 /* a data page the tests keep SECINFOs in (enclave-side) */

struct sgx_measure;

struct dfx_encl {
	int fd;
	uint64_t base;
	uint64_t size;
	void *reservation;         /* the 2 * size region the base was aligned in */
	size_t reservation_len;
	struct sgx_measure *measure;
	uint8_t mrenclave[32];
};

/* Open /dev/sgx_enclave, reserve address space, ECREATE a SECS (defaults as the
 * processor fixture: SSAFRAMESIZE 1, EXINFO, MODE64BIT|DEBUG, XFRM 3) with
 * extra ATTRIBUTES @attributes. Returns 0 or -errno of the failing call. */
int dfx_create(struct dfx_encl *e, uint64_t size, uint64_t attributes);
/* dfx_create() in two steps, so that something can come between: open
 * /dev/sgx_enclave and reserve address space for an ELRANGE of @size (a
 * fresh @e; nothing is created yet), then ECREATE the SECS for @e->base and
 * @e->size. Each returns 0 or -errno of the failing call. */
int dfx_open_reserved(struct dfx_encl *e, uint64_t size);
int dfx_ecreate(struct dfx_encl *e, uint64_t attributes);
/* ADD_PAGES of @len bytes at @offset from @src (NULL: zeros) with SECINFO @flags;
 * mirrors the measurement on success. Returns softsgx_ioctl()'s value (errno set). */
int dfx_add(struct dfx_encl *e, uint64_t offset, uint64_t len, const void *src, uint64_t flags,
	    bool measure);
/* Sign what was added and INIT. Returns softsgx_ioctl()'s value. */
int dfx_init(struct dfx_encl *e);
/* A SIGSTRUCT for the current measurement (4 KiB aligned; free()). */
struct sgx_sigstruct *dfx_sigstruct(struct dfx_encl *e);
/* The default enclave, built, initialized and mapped (asserts; NULL on failure). */
struct dfx_encl *dfx_build(void);
/* A created enclave of DFX_SIZE with extra SECS @attributes and one measured
 * RW page at DFX_DATA, not initialized, nothing mapped; NULL after recording
 * a failure. */
struct dfx_encl *dfx_new_with_data(uint64_t attributes);
/* The default enclave's pages added (dfx_add_layout()), not initialized,
 * nothing mapped; NULL after recording a failure. */
struct dfx_encl *dfx_new_layout(void);
void dfx_close(struct dfx_encl *e);
uint64_t dfx_la(const struct dfx_encl *e, uint64_t offset);
/* The address of @offset as a host pointer (for mmap, mprotect and friends). */
void *dfx_ptr(const struct dfx_encl *e, uint64_t offset);
/* The enclave page at @offset through the emulator's own view (as the enclave sees it). */
void *dfx_mem(struct dfx_encl *e, uint64_t offset);
/* Enclave-side: a SECINFO with @flags at DFX_SECINFO + 64 * @slot; returns its address. */
uint64_t dfx_secinfo(struct dfx_encl *e, int slot, uint64_t flags);
/* EPCM of the page at @offset (valid=false if the driver has no page there). */
struct sgx_epcm_info dfx_epcm(struct dfx_encl *e, uint64_t offset);

/* A simulated thread of the process. */
struct dfx_thread {
	struct sgx_lp *lp;
	struct sgx_regs regs;
	struct dfx_encl *encl;     /* the enclave it entered last */
	struct sgx_exception exc;  /* the exception last reported (as the vDSO's run struct) */
	unsigned int interrupted;  /* AEXes the IPI double caused */
};

#define DFX_EXCEPTION (-1000)

void dfx_thread_init(struct dfx_thread *t);
void dfx_thread_fini(struct dfx_thread *t);
/* EENTER through the TCS at @tcs. Returns the leaf result. */
int dfx_enter(struct dfx_thread *t, struct dfx_encl *e, uint64_t tcs);
/* EEXIT. */
int dfx_exit(struct dfx_thread *t);
/* ERESUME after an exception or interrupt. */
int dfx_resume(struct dfx_thread *t);
/*
 * The enclave executes EACCEPT/EMODPE/EACCEPTCOPY or accesses @la. Faults
 * the kernel resolves are retried invisibly; others AEX and return
 * DFX_EXCEPTION with t->exc as the vDSO would report it (the thread is then
 * outside, resumable with dfx_resume()). Otherwise the leaf's result.
 */
int dfx_eaccept(struct dfx_thread *t, uint64_t secinfo, uint64_t page);
int dfx_emodpe(struct dfx_thread *t, uint64_t secinfo, uint64_t page);
int dfx_eacceptcopy(struct dfx_thread *t, uint64_t secinfo, uint64_t dst, uint64_t src);
int dfx_access(struct dfx_thread *t, uint64_t la, uint32_t access);

/* dfx_build(), and @t (initialized here) inside it through TCS0. NULL after
 * recording a failure; @t then needs no dfx_thread_fini(). */
struct dfx_encl *dfx_build_entered(struct dfx_thread *t);
/* Thread @t (inside) EAUGs and EACCEPTs @n RW pages from @offset (the
 * SECINFO in slot 0). Return: whether every EACCEPT succeeded. */
bool dfx_eaug_accept(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset, int n);
/* Thread @t (inside) touches the SECINFO page (a read) and @offset (with
 * @access), so that its leaves there find page-table entries and run without
 * an AEX. Return: whether both accesses succeeded (else a failure is recorded). */
bool dfx_prefault(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset, uint32_t access);
/* A thread of its own enters, accesses @n pages from @offset with @access and
 * leaves. Return: whether every step succeeded. */
bool dfx_touch_pages(struct dfx_encl *e, uint64_t offset, int n, uint32_t access);

/* The IPI test double: records interrupt rounds and, if @aex, makes each
 * interrupted thread inside the enclave leave (AEX). */
struct dfx_ipi {
	struct dfx_thread *threads[8];
	int nr_threads;
	bool aex;
	unsigned int rounds;
	unsigned int interrupted;
};
void dfx_ipi_install(struct dfx_ipi *ipi);
void dfx_ipi_add(struct dfx_ipi *ipi, struct dfx_thread *t);

/* Tests switch the tracking mode of the shared platform. */
void dfx_set_tracking(enum softsgx_tracking mode);
/* The upstream defaults again: per-page tracking, no IPI double. */
void dfx_restore_defaults(void);

/* The platform's counter @c now. */
#define DFX_COUNT(c) softsgx_counter(c)

/* dsgx2: the SGX2 ioctls with a struct built from the arguments (result and
 * count 0); *@out (may be NULL) receives the struct as the driver left it.
 * Return: softsgx_ioctl()'s value, errno set. */
int dfx_restrict(struct dfx_encl *e, uint64_t offset, uint64_t length, uint64_t perm,
		 struct sgx_enclave_restrict_permissions *out);
int dfx_modify(struct dfx_encl *e, uint64_t offset, uint64_t length, uint64_t type,
	       struct sgx_enclave_modify_types *out);
int dfx_remove(struct dfx_encl *e, uint64_t offset, uint64_t length,
	       struct sgx_enclave_remove_pages *out);
/* A page of its own holding a copy of @len bytes of @src, then made read-only
 * (the driver can read it but not copy back into it); free with dfx_page_free(). */
void *dfx_ro_copy(const void *src, size_t len);
/* A PROT_NONE page (an ioctl argument the driver cannot read). */
void *dfx_unreadable(void);
void dfx_page_free(void *p);
/* Take the IPI double out again (interrupt rounds are then only counted). */
void dfx_ipi_uninstall(void);

/* dmap: ADD_PAGES of the default enclave's pages (TCS0/1, SSA, code, data,
 * rodata; the layout above) as dfx_build() adds them, without INIT or
 * mappings. Return: 0 or -errno of the failing ADD_PAGES. */
int dfx_add_layout(struct dfx_encl *e);

/* dbuild: a created, not initialized enclave of DFX_SIZE with extra SECS
 * @attributes (dfx_create() on a fresh struct); NULL after recording a
 * failure. dfx_close() frees it. */
struct dfx_encl *dfx_new_created(uint64_t attributes);
/* dbuild: two fresh pages, the first read-write, the second PROT_NONE: an
 * argument placed to end past the first page cannot be read in full.
 * Free with dfx_hole_free(). */
uint8_t *dfx_before_hole(void);
void dfx_hole_free(uint8_t *p);

/* dsgx2: simulated thread @t runs EACCEPT (@leaf_id SGX_LEAF_ENCLU(ENCLU_EACCEPT))
 * or EMODPE of @page with @secinfo on a real thread; while that leaf pauses
 * holding the page's marks (the processor's pause hook), @during(@ctx) runs on
 * the calling thread; then the leaf finishes. *@leaf_ret gets the leaf's result.
 * Return: @during's value, or -2 if the leaf never paused (failure recorded). */
int dfx_during_leaf(struct dfx_thread *t, unsigned int leaf_id, uint64_t secinfo, uint64_t page,
		    int (*during)(void *ctx), void *ctx, int *leaf_ret);

/* dsgx2: the protection the real process mapping of @addr carries now
 * (PROT_* from /proc/self/maps), or -1 if nothing is mapped there. */
int dfx_host_prot(uint64_t addr);

/* The process's mappings */

/* mmap(MAP_SHARED | MAP_FIXED) of @e's descriptor over [@offset, @offset + @len).
 * Return: softsgx_mmap()'s value (MAP_FAILED with errno set). */
void *dfx_map(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot);
/* softsgx_mprotect() / softsgx_munmap() of [@offset, @offset + @len).
 * Return: the call's value, errno set. */
int dfx_protect(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot);
int dfx_unmap(struct dfx_encl *e, uint64_t offset, uint64_t len);
/* The fault handler called as the host's SIGSEGV handler calls it. */
enum sgx_fault_result dfx_vma_fault(uint64_t addr, uint32_t access, uint32_t *pfec);
/* The line of /proc/self/maps holding @addr: its permissions ("rw-s") and,
 * if @path, its path. Return: false if nothing is mapped at @addr. */
bool dfx_maps_lookup(uint64_t addr, char perms[5], char *path, size_t path_len);
/* How many lines of /proc/self/maps overlap [@start, @end). */
int dfx_maps_lines(uint64_t start, uint64_t end);
/* The shared platform's free EPC pages now. */
size_t dfx_free_epc(void);
/*
 * The same once a reclaimer batch in progress has ended: a batch holds a
 * reference to each enclave it works on, so that an enclave unmapped and
 * closed meanwhile gives its pages back when the batch lets go of it.
 */
size_t dfx_free_epc_settled(void);
/*
 * Whether the thread @tid of this process waits in a futex now (a mutex or
 * condition it cannot have yet): its system call is 202.
 */
bool dfx_waits_in_futex(int tid);

/* Arguments the driver reads but cannot write back, and ones it cannot read */

/* The ioctl @cmd on @fd with a read-only copy of the @len bytes at @arg (a
 * copy back faults: EFAULT); @arg receives what the copy holds afterwards.
 * Return: softsgx_ioctl()'s value, errno set (-1/ENOMEM, failure recorded,
 * if there is no page for the copy). */
int dfx_ioctl_ro(int fd, unsigned long cmd, void *arg, size_t len);
/* An EINVAL that @cmd finds before it would copy anything back: with a
 * read-only copy of @arg and then with @arg itself, EINVAL, and the struct
 * left as it was (records failures). */
void dfx_expect_einval_no_copy_back(struct dfx_encl *e, unsigned long cmd, void *arg, size_t len);
/* @cmd with NULL, with (void *)8 and with a PROT_NONE page as its argument:
 * each -1 with @err (records failures). */
void dfx_expect_unreadable_arg(int fd, unsigned long cmd, int err);
/* @cmd on a fresh /dev/sgx_enclave descriptor (no enclave): -1 with EINVAL,
 * and the @len bytes at @arg left as they were (records failures). */
void dfx_expect_not_created_einval(unsigned long cmd, void *arg, size_t len);

#endif
