/* SPDX-License-Identifier: MIT */
/*
 * The softsgx library: an emulated SGX2 platform (processor + Linux SGX
 * driver) inside the calling process. Programs use it exactly as they use
 * Linux: the calls below mirror open/ioctl/mmap/mprotect/munmap/madvise/
 * close on /dev/sgx_enclave and /dev/sgx_provision, take the request
 * numbers and argument structs of <asm/sgx.h>, and return -1 with errno
 * set as Linux would. The platform is created on first use with the
 * configuration of softsgx_configure() (or the defaults).
 */
#ifndef SOFTSGX_SOFTSGX_H
#define SOFTSGX_SOFTSGX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* When the driver runs ETRACK and interrupts the threads inside the enclave. */
enum softsgx_tracking {
	SOFTSGX_TRACK_PER_PAGE = 0, /* after every EMODPR/EMODT, as Linux does */
	SOFTSGX_TRACK_BATCHED = 1,  /* once per ioctl call, after its page loop */
};

/* Whether the processor has AEX-Notify (ENCLU[EDECCSSA], ATTRIBUTES.AEXNOTIFY). */
enum softsgx_aex_notify {
	SOFTSGX_AEX_NOTIFY_DEFAULT = 0, /* yes on an SGX2 processor, no on an SGX1 one */
	SOFTSGX_AEX_NOTIFY_YES = 1,     /* yes (SGX2 only: EINVAL with sgx1) */
	SOFTSGX_AEX_NOTIFY_NO = 2,      /* no: an SGX2 processor from before AEX-Notify */
};

struct softsgx_config {
	size_t epc_size;                 /* bytes of EPC (multiple of 4096); 0: 64 MiB */
	enum softsgx_tracking tracking;
	const uint8_t *seed;             /* 32 bytes of platform key seed; NULL: the built-in one */
	bool sgx1;                       /* an SGX1 processor: no SGX2 leaves, the SGX2 ioctls
					  * fail with ENODEV and faults never EAUG (a runtime's
					  * fallback path) */
	const char *inject;              /* failures to inject (docs/injection.md), e.g.
					  * "restrict.eagain=0.1,seed=42"; NULL: the
					  * environment's SOFTSGX_INJECT, if set */
	enum softsgx_aex_notify aex_notify;
};

/*
 * softsgx_configure() - set the platform's configuration; only before the
 * first softsgx_open(). Return: 0, or -1 with errno EFAULT (@config or its
 * seed unreadable), EBUSY (the platform exists already) or EINVAL (bad
 * epc_size, tracking, injection or aex_notify, or AEX-Notify asked of an
 * SGX1 processor).
 */
int softsgx_configure(const struct softsgx_config *config);

/*
 * softsgx_open() - open "/dev/sgx_enclave" or "/dev/sgx_provision".
 * The descriptor is a real one of this process (a memfd), unique, and
 * close-on-exec if O_CLOEXEC is given. Return: the fd, or -1 with errno
 * EFAULT (@path unreadable), ENOENT (another path), ENOMEM, EMFILE/ENFILE
 * (no fd available).
 */
int softsgx_open(const char *path, int flags);

/*
 * softsgx_ioctl() - SGX_IOC_ENCLAVE_* on an enclave fd (see <asm/sgx.h>);
 * errno values exactly as Linux gives them (docs/driver.md lists them).
 * Return: 0 or -1 with errno; EBADF/ENOTTY for fds that are not softsgx's.
 */
int softsgx_ioctl(int fd, unsigned long request, void *arg);

/*
 * softsgx_mmap() - map (part of) an enclave. MAP_SHARED (or
 * MAP_SHARED_VALIDATE) only. The address alone selects the enclave page
 * (the offset is ignored, as in Linux). Without MAP_FIXED @addr is a hint,
 * used when the range is free; MAP_FIXED_NOREPLACE fails over a mapping.
 * A MAP_FIXED call the driver refuses leaves the range unmapped, as Linux
 * does. Return: the address, or MAP_FAILED with errno EINVAL, EACCES (the
 * driver's rules, or the descriptor's open mode), ENOMEM, EEXIST,
 * EOPNOTSUPP (MAP_SHARED_VALIDATE with a flag such as MAP_SYNC), EBADF,
 * ENODEV.
 */
void *softsgx_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);

/*
 * softsgx_mprotect() - change the page-table permissions of enclave
 * mappings; never the EPCM's. Ranges outside enclave mappings are passed
 * to mprotect(2). Return: 0, or -1 with errno EACCES (beyond a page's
 * maximum, or PROT_WRITE on a mapping of a descriptor not open for
 * writing), EINVAL, ENOMEM.
 */
int softsgx_mprotect(void *addr, size_t len, int prot);

/*
 * softsgx_mremap() - mremap(2) with Linux's answers for enclave mappings
 * (VM_PFNMAP | VM_DONTEXPAND): shrinking unmaps the tail; growing, even
 * with MREMAP_MAYMOVE, is EFAULT; MREMAP_DONTUNMAP is EINVAL; a move
 * (MREMAP_MAYMOVE | MREMAP_FIXED, the new address as fifth argument)
 * takes the mapping and its page-table entries along, so an enclave access
 * at the new address reaches the page of the old one and is refused by the
 * EPCM, and an address without an entry faults in the page of its own
 * address (SIGBUS outside ELRANGE). Ranges outside enclave mappings go to
 * mremap(2). Return: the address, or MAP_FAILED with errno EINVAL, EFAULT
 * (no enclave mapping covers the old range; growth), ENOMEM.
 */
void *softsgx_mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...);

/* softsgx_munmap() - unmap enclave mappings (others via munmap(2)). Return: 0 or -1/errno. */
int softsgx_munmap(void *addr, size_t len);

/*
 * softsgx_madvise() - madvise(2) with Linux's answers for enclave mappings
 * (VM_IO | VM_PFNMAP): MADV_WILLNEED on an initialized enclave EAUGs every
 * absent page of the range in one call (beyond upstream Linux, where it
 * does nothing); advice that only sets VMA flags (NORMAL, RANDOM,
 * SEQUENTIAL, DONTFORK, KEEPONFORK, DONTDUMP, (UN)MERGEABLE, (NO)HUGEPAGE)
 * succeeds; MADV_REMOVE is EACCES, or ENODEV where the file is open for
 * writing; any other advice (DONTNEED, FREE, COLD, PAGEOUT, POPULATE_READ,
 * POPULATE_WRITE, ...) is EINVAL. Ranges outside enclave mappings go to
 * madvise(2). Return: 0 or -1 with errno (ENOMEM when the EPC is full or
 * a part is unmapped, EFAULT ...).
 */
int softsgx_madvise(void *addr, size_t len, int advice);

/*
 * softsgx_access_vm() - what a debugger gets from ptrace(PTRACE_PEEKDATA/
 * POKEDATA) or /proc/PID/mem on Linux, for this process: memory of a
 * DEBUG enclave through EDBGRD/EDBGWR (8-byte units, writes
 * read-modify-write; a TCS only its first 72 bytes, EDBGWR only its
 * FLAGS), never EAUGing a page; other memory copied as the kernel copies
 * it. @write non-zero writes @buf there. Return: bytes done (stopping
 * before the first that fails), or -1 with errno EFAULT (a non-DEBUG
 * enclave, an address without an enclave page, unmapped memory, @buf not
 * readable or writable) or EIO
 * (EDBGRD/EDBGWR refused) when none was.
 */
ssize_t softsgx_access_vm(void *addr, void *buf, size_t len, int write);

/* softsgx_close() - close an fd from softsgx_open(). Return: 0 or -1/EBADF. */
int softsgx_close(int fd);

/* True if @fd is an open softsgx device descriptor. */
bool softsgx_is_device_fd(int fd);

struct sgx_enclave_run;

/*
 * softsgx_enter_enclave() - enter an enclave: the ABI and behaviour of
 * Linux's __vdso_sgx_enter_enclave() (see <asm/sgx.h>). @function is
 * EENTER (2) or ERESUME (3); RDI, RSI, RDX, R8, R9 and the other
 * registers reach the enclave as given. Return: 0 after EEXIT (run->function
 * = EEXIT) or an exception (run->function = ERESUME, or EENTER/ERESUME if
 * that leaf faulted, and run->exception_* set); -EINVAL for another
 * function or non-zero reserved bytes; what run->user_handler returns when
 * it returns <= 0; -ENOMEM if the thread cannot be set up for enclaves.
 */
int softsgx_enter_enclave(long rdi, long rsi, long rdx, unsigned int function, long r8, long r9,
			  struct sgx_enclave_run *run);

/*
 * softsgx_call_enclave() - softsgx_enter_enclave() for C callers: the same,
 * but RBX, RBP and R12-R15 are preserved as the C calling convention
 * requires (the entry function itself, like the vDSO, returns whatever the
 * enclave left in them).
 */
int softsgx_call_enclave(long rdi, long rsi, long rdx, unsigned int function, long r8, long r9,
			 struct sgx_enclave_run *run);

/*
 * softsgx_thread_init() - make the calling thread able to run enclave code
 * through its own ENCLU (runtimes that do not use the entry function).
 * Called again, it reads anew what the entry function keeps between calls:
 * the thread's own FS and GS bases (call it after changing them with
 * arch_prctl() on a host without FSGSBASE) and whether SIGINT and SIGTERM
 * have handlers (docs/fidelity.md). Return: 0, or -1 with errno ENOMEM.
 */
int softsgx_thread_init(void);

struct sigaction;

/*
 * softsgx_sigaction() - sigaction() for programs that run enclaves. For the
 * signals softsgx traps (SIGILL, SIGSEGV, SIGBUS, SIGSYS, SIGFPE, SIGTRAP)
 * softsgx's handler stays installed and @act becomes the handler it passes
 * what is not its own to, after an AEX where hardware would have done one:
 * so the program's handler never runs with an enclave's FS base. Other
 * signals go to sigaction(). Return: 0, or -1 with errno as sigaction(), or
 * EINVAL for the signal softsgx reserves (SIGRTMAX - 1), or EFAULT when @act
 * cannot be read or @oldact written (rt_sigaction(2)'s rules).
 */
int softsgx_sigaction(int sig, const struct sigaction *act, struct sigaction *oldact);

/* Counters of the platform since it was created. */
enum softsgx_counter {
	SOFTSGX_CNT_IOCTL_CREATE,
	SOFTSGX_CNT_IOCTL_ADD_PAGES,
	SOFTSGX_CNT_IOCTL_INIT,
	SOFTSGX_CNT_IOCTL_PROVISION,
	SOFTSGX_CNT_IOCTL_RESTRICT_PERMISSIONS,
	SOFTSGX_CNT_IOCTL_MODIFY_TYPES,
	SOFTSGX_CNT_IOCTL_REMOVE_PAGES,
	SOFTSGX_CNT_ETRACK,              /* ETRACKs the driver ran */
	SOFTSGX_CNT_IPI_ROUNDS,          /* interrupt rounds (on_each_cpu_mask calls) */
	SOFTSGX_CNT_IPI_THREADS,         /* threads interrupted, summed over rounds */
	SOFTSGX_CNT_FAULT_EAUG,          /* faults resolved by EAUG */
	SOFTSGX_CNT_FAULT_MAP,           /* faults on existing pages resolved by mapping them */
	SOFTSGX_CNT_FAULT_VMA,           /* faults the mapping forbids (#PF without SGX bit) */
	SOFTSGX_CNT_FAULT_EPCM,          /* faults the EPCM forbids (#PF with SGX bit) */
	SOFTSGX_CNT_FAULT_SIGBUS,        /* faults Linux answers with SIGBUS */
	SOFTSGX_CNT_BATCH_EAUG,          /* pages EAUGed by MAP_POPULATE / MADV_WILLNEED */
	SOFTSGX_CNT_EPC_EVICTED,         /* pages written back to the backing store (EWB), SECS
					  * included */
	SOFTSGX_CNT_EPC_RELOADED,        /* pages loaded back (ELDU) */
	SOFTSGX_CNT_EPC_RELOAD_FAILED,   /* reloads ELDU refused (a modified or replayed page) */
	SOFTSGX_CNT_RECLAIM_BATCHES,     /* reclaimer passes (batches of up to 16 pages) */
	SOFTSGX_CNT_PAGING_ETRACK,       /* ETRACKs paging needed (EWB said NOT_TRACKED) */
	SOFTSGX_CNT_PAGING_IPI,          /* interrupt rounds paging needed */
	SOFTSGX_CNT_AEX_ARMED,           /* AEX-Notify: AEXs from a frame armed for notification */
	SOFTSGX_CNT_ERESUME_NOTIFY,      /* AEX-Notify: ERESUMEs that entered the handler */
	/* Injected results (docs/injection.md), one counter per injection point. */
	SOFTSGX_CNT_INJECT_EMODPR_CONFLICT,
	SOFTSGX_CNT_INJECT_EMODT_CONFLICT,
	SOFTSGX_CNT_INJECT_EACCEPT_NOT_TRACKED,
	SOFTSGX_CNT_INJECT_EINIT_UNMASKED_EVENT,
	SOFTSGX_CNT_INJECT_EWB_NOT_TRACKED,
	SOFTSGX_CNT_INJECT_IOCTL_EBUSY,
	SOFTSGX_CNT_INJECT_ADD_SIGNAL,
	SOFTSGX_CNT_INJECT_RESTRICT_EAGAIN,
	SOFTSGX_CNT_INJECT_MODIFY_EAGAIN,
	SOFTSGX_CNT_INJECT_REMOVE_EAGAIN,
	SOFTSGX_CNT_INJECT_REMOVE_EBUSY,
	SOFTSGX_CNT_INJECT_ALLOC_ENOMEM,
	SOFTSGX_CNT_INJECT_ALLOC_EBUSY,
	SOFTSGX_CNT_INJECT_FAULT_SIGBUS,
	SOFTSGX_CNT_INJECT_FAULT_RETRY,
	SOFTSGX_CNT_INJECT_EVICT,
	SOFTSGX_CNT_INJECT_AEX,
	SOFTSGX_CNT_INJECT_ETRACK_IRQ,
	SOFTSGX_NR_COUNTERS
};

uint64_t softsgx_counter(enum softsgx_counter counter);
/*
 * softsgx_enclave_pages() - how many of the enclave's pages (behind the
 * enclave descriptor @fd; the SECS and version-array pages not counted)
 * are in the EPC (*@resident) and swapped out to its backing store
 * (*@swapped). Either pointer may be NULL. Return: 0, or -1 with errno
 * EBADF (not an open descriptor), ENOTTY (not an enclave's) or EFAULT (a
 * pointer that cannot be written).
 */
int softsgx_enclave_pages(int fd, uint64_t *resident, uint64_t *swapped);
const char *softsgx_counter_name(enum softsgx_counter counter);
/* How often the processor ran leaf @leaf_id (ENCLS n: n; ENCLU n: 16 + n; AEX: 24). */
uint64_t softsgx_leaf_count(unsigned int leaf_id);

/*
 * softsgx_trace_open() - start writing an event trace to the file @path
 * (created or truncated), in the Chrome trace-event JSON format that
 * Perfetto (ui.perfetto.dev) and chrome://tracing open: one track per
 * thread, a span for each stay inside an enclave (EENTER/ERESUME to
 * EEXIT/AEX) and for each ioctl, instants for every ENCLS and ENCLU leaf,
 * AEX, page fault and interrupt. A trace already open is finished first.
 * The file is valid JSON whenever it has been flushed, and it is flushed
 * and finished at exit if softsgx_trace_close() is never called. The
 * platform opens a trace by itself when it is created with the
 * environment variable SOFTSGX_TRACE set to a path, unless one is open.
 * A forked child does not trace (until it opens a trace of its own).
 * Return: 0, or -1 with errno as open(2) (ENOENT, EACCES, ...) or write(2)
 * (ENOSPC, EIO ...).
 */
int softsgx_trace_open(const char *path);

/*
 * softsgx_trace_close() - finish the open trace: end the spans still open,
 * flush, terminate the JSON and close the file.
 * Return: 0, or -1 with errno EBADF (no trace is open) or the error of a
 * write to the file since it was opened (ENOSPC, EIO ...).
 */
int softsgx_trace_close(void);

#ifdef __cplusplus
}
#endif

#endif /* SOFTSGX_SOFTSGX_H */
