/* SPDX-License-Identifier: MIT */
/*
 * The interposed calls on the SGX device files, their descriptors and
 * their mappings. Each decides with a test that costs no system call
 * whether the call is softsgx's (a device path; a descriptor this library
 * handed out; a range near an enclave mapping) and otherwise jumps to the
 * next definition with its arguments untouched.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/settings.h"
#include "driver/uaccess.h"
#include "host/host.h"
#include "preload/preload.h"
#include "softsgx/softsgx.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))
/* @alias: another name of the function @name (the C library's *64 twins). */
#define ALIAS(alias, name)                                                                         \
	__asm__(".globl " #alias "\n\t.type " #alias ", @function\n\t.set " #alias ", " #name)

bool preload_ready;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread bool starting; /* this thread runs init() */

/* The next definitions. */
static int (*next_open)(const char *, int, ...);
static int (*next_open64)(const char *, int, ...);
static int (*next_openat)(int, const char *, int, ...);
static int (*next_openat64)(int, const char *, int, ...);
static int (*next___open_2)(const char *, int);
static int (*next___open64_2)(const char *, int);
static int (*next___openat_2)(int, const char *, int);
static int (*next___openat64_2)(int, const char *, int);
static FILE *(*next_fopen)(const char *, const char *);
static FILE *(*next_fopen64)(const char *, const char *);
static int (*next_ioctl)(int, unsigned long, ...);
static void *(*next_mmap)(void *, size_t, int, int, int, off_t);
static void *(*next_mmap64)(void *, size_t, int, int, int, off_t);
static int (*next_mprotect)(void *, size_t, int);
static int (*next_munmap)(void *, size_t);
static int (*next_madvise)(void *, size_t, int);
static void *(*next_mremap)(void *, size_t, size_t, int, ...);
static int (*next_close)(int);
static int (*next_dup)(int);
static int (*next_dup2)(int, int);
static int (*next_dup3)(int, int, int);
static int (*next_fcntl)(int, int, ...);
static int (*next_fcntl64)(int, int, ...);
static int (*next_stat)(const char *, struct stat *);
static int (*next_lstat)(const char *, struct stat *);
static int (*next_fstat)(int, struct stat *);
static int (*next_fstatat)(int, const char *, struct stat *, int);
static int (*next_statx)(int, const char *, int, unsigned int, struct statx *);
static int (*next_access)(const char *, int);
static int (*next_faccessat)(int, const char *, int, int);
static int (*next___xstat)(int, const char *, struct stat *);
static int (*next___lxstat)(int, const char *, struct stat *);
static int (*next___fxstat)(int, int, struct stat *);
static int (*next___fxstatat)(int, int, const char *, struct stat *, int);
static ssize_t (*next_readlink)(const char *, char *, size_t);
static ssize_t (*next_readlinkat)(int, const char *, char *, size_t);
static ssize_t (*next_getxattr)(const char *, const char *, void *, size_t);
static ssize_t (*next_lgetxattr)(const char *, const char *, void *, size_t);
static ssize_t (*next_listxattr)(const char *, char *, size_t);
static ssize_t (*next_llistxattr)(const char *, char *, size_t);

/* Lookups */

void *preload_next(const char *name)
{
	preload_boot();
	return ((void *(*)(void *, const char *))preload_real_dlsym)(RTLD_NEXT, name);
}

/* The platform's settings from the SOFTSGX_* variables (softsgx exec puts its options there). */
static void configure(void)
{
	static uint8_t seed[32];
	struct softsgx_config cfg = { 0 };

	sgx_settings_from_env(&cfg, seed);
	if (softsgx_configure(&cfg))
		fprintf(stderr, "softsgx: the platform refused the configuration: %s\n",
			strerror(errno));
}

/*
 * The next definition of @name, found on first use: an interposed call may
 * come before the library's start (a sanitizer's runtime calls mmap while
 * it starts), and must then only pass through.
 */
#define NEXT_OF(name)                                                                              \
	({                                                                                         \
		if (__builtin_expect(!next_##name, 0))                                             \
			next_##name = (typeof(next_##name))preload_next(#name);                   \
		next_##name;                                                                       \
	})

static void init(void)
{
	starting = true;
	/* dlsym() is ours: the C library's is read from its own symbol table. */
	if (!preload_boot_complete()) {
		static const char msg[] = "softsgx: the C library's dlsym() cannot be found; "
					  "the preload library does nothing\n";

		starting = false;
		if (write(2, msg, sizeof(msg) - 1) < 0)
			return;
		return;
	}
	preload_vdso_init();
	starting = false;
	__atomic_store_n(&preload_ready, true, __ATOMIC_RELEASE);
}

void preload_init(void)
{
	if (!starting)
		pthread_once(&once, init);
}

/* The platform's start: its configuration is read from the environment. */
static void start(void)
{
	configure();
	preload_signals_init();
	preload_rawsys_init();
}

void preload_start(void)
{
	static pthread_once_t start_once = PTHREAD_ONCE_INIT;

	/*
	 * Before the C library has started (a sanitizer's runtime calls in
	 * from the program's preinit functions) there is no environment yet:
	 * the constructor below comes later and starts it.
	 */
	if (environ)
		pthread_once(&start_once, start);
}

__attribute__((constructor)) static void preload_constructor(void)
{
	preload_start();
}

/* The device files */

enum device { NOT_DEVICE, DEV_ENCLAVE, DEV_PROVISION };

/*
 * The device a path names: /dev/sgx_enclave and /dev/sgx_provision, and
 * the /dev/sgx/enclave and /dev/sgx/provision links of udev's rules.
 * @link: the name is one of the links. A NULL path is none (the system
 * call answers EFAULT).
 */
static enum device device_of(const char *path, bool *link)
{
	static const char *const names[] = { "/dev/sgx_enclave", "/dev/sgx_provision",
					      "/dev/sgx/enclave", "/dev/sgx/provision" };
	bool maybe[4] = { true, true, true, true };
	size_t i, n;
	int c;

	*link = false;
	/*
	 * Byte by byte, each read through the fault-safe probe: a bad pointer
	 * is none of them, and the system call says EFAULT. Most paths differ
	 * in their first bytes.
	 */
	for (i = 0; path; i++) {
		c = softsgx_probe_byte(path + i);
		if (c < 0)
			return NOT_DEVICE;
		for (n = 0; n < 4; n++) {
			if (!maybe[n])
				continue;
			if (names[n][i] != c)
				maybe[n] = false;
			else if (!c) {
				*link = n >= 2;
				return n % 2 ? DEV_PROVISION : DEV_ENCLAVE;
			}
		}
		if (!maybe[0] && !maybe[1] && !maybe[2] && !maybe[3])
			return NOT_DEVICE;
	}
	return NOT_DEVICE;
}

/*
 * Descriptors handed out for the devices: the open flags' access mode
 * (plus DEV_FD) per descriptor number, for numbers below FD_TABLE; a
 * larger number asks the driver. No device open yet: no descriptor is one.
 */
#define FD_TABLE 4096
#define DEV_FD 0x40000000

static bool devices_opened;
static int fd_table[FD_TABLE];

static void fd_mark(int fd, int flags)
{
	if (fd >= 0 && fd < FD_TABLE)
		__atomic_store_n(&fd_table[fd], DEV_FD | (flags & O_ACCMODE), __ATOMIC_RELEASE);
}

static void fd_clear(int fd)
{
	if (fd >= 0 && fd < FD_TABLE)
		__atomic_store_n(&fd_table[fd], 0, __ATOMIC_RELEASE);
}

/* The table's entry for @fd (0: none) */
static int fd_entry(int fd)
{
	if (__builtin_expect(!__atomic_load_n(&devices_opened, __ATOMIC_ACQUIRE), 1) || fd < 0)
		return 0;
	if (fd < FD_TABLE)
		return __atomic_load_n(&fd_table[fd], __ATOMIC_ACQUIRE);
	return softsgx_is_device_fd(fd) ? DEV_FD | O_RDWR : 0;
}

static bool is_device_fd(int fd)
{
	return fd_entry(fd) != 0;
}

static int device_open(const char *path, int flags, bool link)
{
	preload_start();
	/* The device's name: a link leads to it. */
	int fd = softsgx_open(link ? (strstr(path, "provision") ? "/dev/sgx_provision"
								 : "/dev/sgx_enclave")
				   : path,
			      flags);

	if (fd < 0)
		return -1;
	/* The status flags the descriptor keeps (the access mode is ours to answer). */
	if (flags & (O_APPEND | O_NONBLOCK))
		sys_fcntl(fd, F_SETFL, flags & (O_APPEND | O_NONBLOCK));
	__atomic_store_n(&devices_opened, true, __ATOMIC_RELEASE);
	fd_mark(fd, flags);
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define OPEN_BODY(next, path, flags, ...)                                                          \
	do {                                                                                       \
		bool link;                                                                         \
		if (__builtin_expect(device_of(path, &link) != NOT_DEVICE, 0))                     \
			return device_open(path, flags, link);                                    \
		return next(__VA_ARGS__);                                                          \
	} while (0)

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(NEXT_OF(open), path, flags, path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(NEXT_OF(open64), path, flags, path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(NEXT_OF(openat), path, flags, dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(NEXT_OF(openat64), path, flags, dirfd, path, flags, mode);
}

EXPORT int __open_2(const char *path, int flags);
EXPORT int __open_2(const char *path, int flags)
{
	OPEN_BODY(NEXT_OF(__open_2), path, flags, path, flags);
}

EXPORT int __open64_2(const char *path, int flags);
EXPORT int __open64_2(const char *path, int flags)
{
	OPEN_BODY(NEXT_OF(__open64_2), path, flags, path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags);
EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	OPEN_BODY(NEXT_OF(__openat_2), path, flags, dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags);
EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	OPEN_BODY(NEXT_OF(__openat64_2), path, flags, dirfd, path, flags);
}

/* fopen()'s mode as open flags ("r", "w", "a", with "+", "e", "x"), as glibc reads it. */
static int fopen_flags(const char *mode, bool *ok)
{
	int flags;

	*ok = true;
	switch (mode[0]) {
	case 'r': flags = O_RDONLY; break;
	case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
	case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
	default: *ok = false; return 0;
	}
	for (mode++; *mode && *mode != ','; mode++) {
		if (*mode == '+')
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		else if (*mode == 'e')
			flags |= O_CLOEXEC;
		else if (*mode == 'x')
			flags |= O_EXCL;
	}
	return flags;
}

static FILE *device_fopen(const char *path, const char *mode, bool link)
{
	bool ok;
	int flags = mode ? fopen_flags(mode, &ok) : 0, fd;
	FILE *f;

	if (!mode || !ok) {
		errno = EINVAL;
		return NULL;
	}
	fd = device_open(path, flags, link);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, mode);
	if (!f) {
		int err = errno;

		softsgx_close(fd);
		fd_clear(fd);
		errno = err;
	}
	return f;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	bool link;

	if (__builtin_expect(device_of(path, &link) != NOT_DEVICE, 0))
		return device_fopen(path, mode, link);
	return NEXT_OF(fopen)(path, mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	bool link;

	if (__builtin_expect(device_of(path, &link) != NOT_DEVICE, 0))
		return device_fopen(path, mode, link);
	return NEXT_OF(fopen64)(path, mode);
}

/* Descriptors */

EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (__builtin_expect(is_device_fd(fd), 0))
		return softsgx_ioctl(fd, request, arg);
	return NEXT_OF(ioctl)(fd, request, arg);
}

EXPORT int close(int fd)
{
	if (__builtin_expect(is_device_fd(fd), 0)) {
		fd_clear(fd);
		if (!softsgx_close(fd))
			return 0;
	}
	return NEXT_OF(close)(fd);
}

/* A duplicate @newfd of @oldfd was made (or failed: @newfd < 0). */
static int dup_made(int oldfd, int newfd)
{
	int entry = fd_entry(oldfd);

	if (newfd >= 0 && entry)
		fd_mark(newfd, entry);
	return newfd;
}

/* dup2()/dup3() onto a device descriptor close it first, as the kernel does. */
static void dup_target(int oldfd, int newfd)
{
	if (newfd != oldfd && is_device_fd(newfd)) {
		fd_clear(newfd);
		softsgx_close(newfd);
	}
}

EXPORT int dup(int fd)
{
	return dup_made(fd, NEXT_OF(dup)(fd));
}

EXPORT int dup2(int oldfd, int newfd)
{
	if (__builtin_expect(__atomic_load_n(&devices_opened, __ATOMIC_ACQUIRE), 0) &&
	    sys_fcntl(oldfd, F_GETFD, 0) != -1)
		dup_target(oldfd, newfd);
	return dup_made(oldfd, NEXT_OF(dup2)(oldfd, newfd));
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	if (__builtin_expect(__atomic_load_n(&devices_opened, __ATOMIC_ACQUIRE), 0) &&
	    oldfd != newfd && !(flags & ~O_CLOEXEC) && sys_fcntl(oldfd, F_GETFD, 0) != -1)
		dup_target(oldfd, newfd);
	return dup_made(oldfd, NEXT_OF(dup3)(oldfd, newfd, flags));
}

static int fcntl_common(int (*next)(int, int, ...), int fd, int cmd, va_list ap)
{
	unsigned long arg = va_arg(ap, unsigned long); /* every command's argument fits a word */
	int entry, ret;

	entry = fd_entry(fd);
	ret = next(fd, cmd, arg);
	if (!entry || ret < 0)
		return ret;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		fd_mark(ret, entry);
		break;
	case F_GETFL:
		/* The access mode the device was opened with; the memory file is O_RDWR. */
		ret = (ret & ~O_ACCMODE) | (entry & O_ACCMODE);
		break;
	default:
		break;
	}
	return ret;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int ret;

	va_start(ap, cmd);
	ret = fcntl_common(NEXT_OF(fcntl), fd, cmd, ap);
	va_end(ap);
	return ret;
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	int ret;

	va_start(ap, cmd);
	ret = fcntl_common(NEXT_OF(fcntl64) ? NEXT_OF(fcntl64) : NEXT_OF(fcntl), fd, cmd, ap);
	va_end(ap);
	return ret;
}

/* Mappings */

static bool enclave_range(const void *addr, size_t len)
{
	return sgx_range_may_be_enclave((uintptr_t)addr, len);
}

static void *mmap_common(void *(*next)(void *, size_t, int, int, int, off_t), void *addr,
			 size_t len, int prot, int flags, int fd, off_t off)
{
	if (__builtin_expect(!(flags & MAP_ANONYMOUS) && is_device_fd(fd), 0))
		return softsgx_mmap(addr, len, prot, flags, fd, off);
	/* A fixed mapping over an enclave's replaces it: the driver lets it go first. */
	if (__builtin_expect((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == MAP_FIXED &&
			     enclave_range(addr, len), 0))
		softsgx_munmap(addr, len);
	return next(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_common(NEXT_OF(mmap), addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_common(NEXT_OF(mmap64) ? NEXT_OF(mmap64) : NEXT_OF(mmap), addr, len, prot, flags, fd, off);
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	if (__builtin_expect(enclave_range(addr, len), 0))
		return softsgx_mprotect(addr, len, prot);
	return NEXT_OF(mprotect)(addr, len, prot);
}

EXPORT int munmap(void *addr, size_t len)
{
	if (__builtin_expect(enclave_range(addr, len), 0))
		return softsgx_munmap(addr, len);
	return NEXT_OF(munmap)(addr, len);
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
	if (__builtin_expect(enclave_range(addr, len), 0))
		return softsgx_madvise(addr, len, advice);
	return NEXT_OF(madvise)(addr, len, advice);
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (__builtin_expect(enclave_range(old, old_len) ||
				     ((flags & MREMAP_FIXED) && enclave_range(new_addr, new_len)),
			     0))
		return softsgx_mremap(old, old_len, new_len, flags, new_addr);
	return NEXT_OF(mremap)(old, old_len, new_len, flags, new_addr);
}

/* File status */

/*
 * The status of a device file as Linux shows it: a character device of
 * the misc major (10), read-write for everyone as udev's rules make it;
 * the minor numbers are dynamic on Linux, softsgx's are fixed.
 */
static void device_stat(enum device dev, struct stat *st)
{
	static struct timespec boot;

	if (!boot.tv_sec)
		clock_gettime(CLOCK_REALTIME, &boot);
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0, 5); /* devtmpfs */
	st->st_ino = dev == DEV_ENCLAVE ? 1001 : 1002;
	st->st_mode = S_IFCHR | 0666;
	st->st_nlink = 1;
	st->st_rdev = makedev(10, dev == DEV_ENCLAVE ? 125 : 126);
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = boot;
}

/* lstat() of a udev link: the symbolic link itself. */
static void link_stat(enum device dev, struct stat *st)
{
	device_stat(dev, st);
	st->st_ino += 100;
	st->st_mode = S_IFLNK | 0777;
	st->st_rdev = 0;
	st->st_size = dev == DEV_ENCLAVE ? 14 : 16; /* "../sgx_enclave", "../sgx_provision" */
}

/* stat()/lstat() of @path if it is a device's: 0 done, 1 not a device's. */
/* The program's buffer is written as the system call writes it: EFAULT where it cannot be. */
static int put_user(void *to, const void *from, size_t len)
{
	if (copy_to_user(to, from, len)) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

static int path_stat(const char *path, struct stat *st, bool nofollow)
{
	bool link;
	enum device dev = device_of(path, &link);
	struct stat mine;

	if (dev == NOT_DEVICE)
		return 1;
	if (link && nofollow)
		link_stat(dev, &mine);
	else
		device_stat(dev, &mine);
	return put_user(st, &mine, sizeof(mine));
}

/* The body of a stat call by path: the device's status, or the next definition's call @next. */
#define STAT_BY_PATH(path, st, nofollow, next)                                                      \
	do {                                                                                       \
		int ret_;                                                                          \
		ret_ = path_stat(path, st, nofollow);                                              \
		return ret_ <= 0 ? ret_ : next;                                                    \
	} while (0)

EXPORT int stat(const char *path, struct stat *st)
{
	STAT_BY_PATH(path, st, false, NEXT_OF(stat)(path, st));
}

ALIAS(stat64, stat);

EXPORT int lstat(const char *path, struct stat *st)
{
	STAT_BY_PATH(path, st, true, NEXT_OF(lstat)(path, st));
}

ALIAS(lstat64, lstat);

/* fstat() of a device descriptor */
static int fd_stat(int fd, struct stat *st)
{
	struct stat mine;

	device_stat(sgx_fd_is_provision(sgx_platform_get(), fd) ? DEV_PROVISION : DEV_ENCLAVE, &mine);
	return put_user(st, &mine, sizeof(mine));
}

EXPORT int fstat(int fd, struct stat *st)
{
	if (__builtin_expect(is_device_fd(fd), 0))
		return fd_stat(fd, st);
	return NEXT_OF(fstat)(fd, st);
}

ALIAS(fstat64, fstat);

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	int ret;

	if ((flags & AT_EMPTY_PATH) && path && softsgx_probe_byte(path) == 0 && is_device_fd(dirfd))
		return fd_stat(dirfd, st);
	ret = path_stat(path, st, flags & AT_SYMLINK_NOFOLLOW);
	return ret <= 0 ? ret : NEXT_OF(fstatat)(dirfd, path, st, flags);
}

ALIAS(fstatat64, fstatat);

/* The stat versions of C libraries before 2.33 (programs built against them call these). */
EXPORT int __xstat(int ver, const char *path, struct stat *st);
EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	STAT_BY_PATH(path, st, false, NEXT_OF(__xstat)(ver, path, st));
}

ALIAS(__xstat64, __xstat);

EXPORT int __lxstat(int ver, const char *path, struct stat *st);
EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	STAT_BY_PATH(path, st, true, NEXT_OF(__lxstat)(ver, path, st));
}

ALIAS(__lxstat64, __lxstat);

EXPORT int __fxstat(int ver, int fd, struct stat *st);
EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	if (__builtin_expect(is_device_fd(fd), 0))
		return fd_stat(fd, st);
	return NEXT_OF(__fxstat)(ver, fd, st);
}

ALIAS(__fxstat64, __fxstat);

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	STAT_BY_PATH(path, st, flags & AT_SYMLINK_NOFOLLOW, NEXT_OF(__fxstatat)(ver, dirfd, path, st, flags));
}

ALIAS(__fxstatat64, __fxstatat);

static void statx_from(struct statx *sx, const struct stat *st)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st->st_blksize;
	sx->stx_nlink = (uint32_t)st->st_nlink;
	sx->stx_mode = (uint16_t)st->st_mode;
	sx->stx_ino = st->st_ino;
	sx->stx_size = (uint64_t)st->st_size;
	sx->stx_atime.tv_sec = st->st_atim.tv_sec;
	sx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	sx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	sx->stx_rdev_major = major(st->st_rdev);
	sx->stx_rdev_minor = minor(st->st_rdev);
	sx->stx_dev_major = major(st->st_dev);
	sx->stx_dev_minor = minor(st->st_dev);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sx)
{
	struct statx mine;
	struct stat st;
	int ret;

	if ((flags & AT_EMPTY_PATH) && path && softsgx_probe_byte(path) == 0 && is_device_fd(dirfd))
		ret = fd_stat(dirfd, &st);
	else
		ret = path_stat(path, &st, flags & AT_SYMLINK_NOFOLLOW);
	if (ret > 0)
		return NEXT_OF(statx)(dirfd, path, flags, mask, sx);
	if (ret < 0)
		return ret;
	statx_from(&mine, &st);
	return put_user(sx, &mine, sizeof(mine));
}

/* access(): read and write for everyone, execute for no one (a character device). */
static int device_access(int mode)
{
	if (mode & ~(R_OK | W_OK | X_OK)) {
		errno = EINVAL;
		return -1;
	}
	if (mode & X_OK) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

EXPORT int access(const char *path, int mode)
{
	bool link;

	if (__builtin_expect(device_of(path, &link) != NOT_DEVICE, 0))
		return device_access(mode);
	return NEXT_OF(access)(path, mode);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	bool link;

	if (__builtin_expect(device_of(path, &link) != NOT_DEVICE, 0))
		return device_access(mode);
	return NEXT_OF(faccessat)(dirfd, path, mode, flags);
}

/* The udev links' target, and the devices' (absent) extended attributes, as ls -l reads them. */
static ssize_t device_readlink(enum device dev, bool link, char *buf, size_t len)
{
	const char *target = dev == DEV_ENCLAVE ? "../sgx_enclave" : "../sgx_provision";
	size_t n = strlen(target);

	if (!link) {
		errno = EINVAL; /* not a symbolic link */
		return -1;
	}
	if (n > len)
		n = len;
	return put_user(buf, target, n) ? -1 : (ssize_t)n;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	bool link;
	enum device dev;

	dev = device_of(path, &link);
	if (__builtin_expect(dev != NOT_DEVICE, 0))
		return device_readlink(dev, link, buf, len);
	return NEXT_OF(readlink)(path, buf, len);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	bool link;
	enum device dev;

	dev = device_of(path, &link);
	if (__builtin_expect(dev != NOT_DEVICE, 0))
		return device_readlink(dev, link, buf, len);
	return NEXT_OF(readlinkat)(dirfd, path, buf, len);
}

#define XATTR_GET(fn)                                                                              \
	EXPORT ssize_t fn(const char *path, const char *name, void *value, size_t size)            \
	{                                                                                          \
		bool link;                                                                         \
		if (__builtin_expect(device_of(path, &link) != NOT_DEVICE, 0)) {                   \
			errno = ENODATA;                                                           \
			return -1;                                                                 \
		}                                                                                  \
		return NEXT_OF(fn)(path, name, value, size);                                         \
	}

#define XATTR_LIST(fn)                                                                             \
	EXPORT ssize_t fn(const char *path, char *list, size_t size)                               \
	{                                                                                          \
		bool link;                                                                         \
		if (__builtin_expect(device_of(path, &link) != NOT_DEVICE, 0))                     \
			return 0;                                                                  \
		return NEXT_OF(fn)(path, list, size);                                                \
	}

XATTR_GET(getxattr)
XATTR_GET(lgetxattr)
XATTR_LIST(listxattr)
XATTR_LIST(llistxattr)
