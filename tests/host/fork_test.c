/* SPDX-License-Identifier: MIT */
/*
 * fork() of a process with enclaves: the child gets detached enclave
 * mappings (SIGBUS on access, as Linux gives a child whose mm it could not
 * add to the enclave), EIO from its inherited descriptor's ioctls and
 * mmaps, and whatever it does, the parent's enclave goes on unharmed.
 */
#include <asm/sgx.h>
#include <setjmp.h>
#include <spawn.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"
#include "test_enclave.h"

#define PAGE 4096ull

static sigjmp_buf bus_jump;
static volatile int bus_signals;

static void on_bus(int sig, siginfo_t *info, void *uc)
{
	bus_signals++;
	siglongjmp(bus_jump, 1);
}

/* What the child finds; each failed expectation is one bit of its exit status. */
static int child_checks(struct softsgx_enclave *e)
{
	struct sigaction sa = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO };
	struct sgx_enclave_restrict_permissions rp = { .offset = 0, .length = PAGE,
						       .permissions = SGX_SECINFO_R };
	volatile const uint8_t *data = (const uint8_t *)(uintptr_t)softsgx_enclave_free_start(e);
	struct sgx_enclave_run run;
	struct te_call c = { .op = TE_OP_GET };
	int fails = 0;

	sigemptyset(&sa.sa_mask);
	softsgx_sigaction(SIGBUS, &sa, NULL);
	/* The ioctls and new mappings of the inherited descriptor: EIO. */
	if (softsgx_ioctl(softsgx_enclave_fd(e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp) != -1 ||
	    errno != EIO)
		fails |= 1;
	if (softsgx_mmap((void *)(uintptr_t)softsgx_enclave_base(e), PAGE, PROT_READ,
			 MAP_SHARED | MAP_FIXED, softsgx_enclave_fd(e), 0) != MAP_FAILED ||
	    errno != EIO)
		fails |= 2;
	/* The mappings: SIGBUS, the ELF header and an accepted data page alike. */
	bus_signals = 0;
	if (!sigsetjmp(bus_jump, 1))
		(void)*(volatile const uint8_t *)(uintptr_t)softsgx_enclave_base(e);
	if (!sigsetjmp(bus_jump, 1))
		(void)data[0];
	if (bus_signals != 2)
		fails |= 4;
	/* A debugger's read: the detached mapping is opaque. */
	{
		uint8_t byte;

		if (softsgx_access_vm((void *)(uintptr_t)softsgx_enclave_base(e), &byte, 1, 0) != -1 ||
		    errno != EFAULT)
			fails |= 16;
	}
	/* A new enclave of its own works as in any process. */
	{
		struct softsgx_enclave *mine = te_load();

		if (!mine || te_run(mine, 0, TE_OP_PUT, 5) != 0 || te_run(mine, 1, TE_OP_GET) != 5)
			fails |= 32;
		softsgx_unload(mine);
	}
	/* EENTER: the TCS page faults (reported by the entry function). */
	if (te_enter(e, 0, &c, &run) || run.function != TE_EENTER || run.exception_vector != SGX_VEC_PF)
		fails |= 8;
	/* And it unmaps and closes what it inherited. */
	softsgx_unload(e);
	return fails;
}

TEST(forked_child_gets_detached_mappings_parent_unharmed)
{
	struct softsgx_enclave *e = te_load();
	uint64_t page;
	int status;
	pid_t pid;

	ASSERT_TRUE(e);
	page = softsgx_enclave_free_start(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
						      SGX_SECINFO_PENDING,
			 page),
		  0);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT_AT, page, 0x5a5a), 0);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT, 99), 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(child_checks(e));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	/* The parent's enclave: its state and its memory as they were, and it goes on. */
	EXPECT_EQ(te_run(e, 1, TE_OP_GET), 99);
	EXPECT_EQ(te_run(e, 0, TE_OP_GET_AT, page), 0x5a5a);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
						      SGX_SECINFO_PENDING,
			 page + PAGE),
		  0);
	softsgx_unload(e);
}

/* vfork() and posix_spawn() children exec at once: the parent's enclave goes on. */
TEST(posix_spawn_and_vfork_leave_the_parent_alone)
{
	struct softsgx_enclave *e = te_load();
	char *argv[] = { "true", NULL };
	int status;
	pid_t pid;

	ASSERT_TRUE(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT, 7), 0);
	ASSERT_EQ(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pid = vfork();
	if (pid == 0) {
		execlp("true", "true", (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET), 7);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
						      SGX_SECINFO_PENDING,
			 softsgx_enclave_free_start(e)),
		  0);
	softsgx_unload(e);
}
