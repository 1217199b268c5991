/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * The event trace of real enclave runs, read back with a strict JSON
 * reader (trace_reader.h; no dependency): the file is valid JSON in the Chrome
 * trace-event format, spans nest per thread (every B has its E, in order,
 * with the same name), the leaves, faults, AEX, interrupts and ioctls of
 * the run are there with their arguments, and the file stays valid when
 * the trace is replaced, closed while a thread is inside an enclave, never
 * closed (exit), or opened through SOFTSGX_TRACE.
 */
#include <asm/sgx.h>
#include <dirent.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "test_enclave.h"
#include "test/spin.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"
#include "trace/trace_reader.h"

#define PAGE 4096ull
#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define LEAF_ERESUME (16 + ERESUME) /* softsgx_leaf_count()'s numbering */

/* Driving the test enclave (as tests/host/scenario_test.c does). */

/* The user handler: on an exception, EACCEPT the page from TCS 1 and resume. */
static int accept_and_resume(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			     struct sgx_enclave_run *run)
{
	struct softsgx_enclave *e = (struct softsgx_enclave *)(uintptr_t)run->user_data;

	if (run->function != ERESUME || run->exception_vector != SGX_VEC_PF)
		return 0;
	te_run(e, 1, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, run->exception_addr);
	run->user_data = 0; /* once */
	return ERESUME;
}

static int restrict_to_r(struct softsgx_enclave *e, uint64_t page)
{
	struct sgx_enclave_restrict_permissions p = {
		.offset = page - softsgx_enclave_base(e), .length = PAGE, .permissions = SGX_SECINFO_R
	};

	return softsgx_ioctl(softsgx_enclave_fd(e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p);
}

/* A scratch directory for trace files. */
static char scratch[64];

static const char *scratch_path(const char *name)
{
	static char path[128];

	if (!scratch[0]) {
		strcpy(scratch, "/tmp/softsgx-trace-XXXXXX");
		if (!mkdtemp(scratch))
			harness_fail(__FILE__, __LINE__, "mkdtemp: %s", strerrorname_np(errno));
	}
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	return path;
}

/* Remove the scratch directory (keep it with TRACE_TEST_KEEP=1, to look at the traces). */
__attribute__((destructor)) static void scratch_remove(void)
{
	struct dirent *d;
	DIR *dir;

	if (!scratch[0] || getenv("TRACE_TEST_KEEP") || !(dir = opendir(scratch)))
		return;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			unlinkat(dirfd(dir), d->d_name, 0);
	closedir(dir);
	rmdir(scratch);
}

/*
 * One thread's run: build, enter and leave, EACCEPT of a page that was
 * never there (#PF in the leaf: AEX, EAUG, ERESUME), a write to a pending
 * page (AEX with #PF 0x8007, reported; EACCEPT from the handler; ERESUME),
 * RESTRICT_PERMISSIONS (EMODPR, ETRACK, an interrupt round).
 */
static void single_thread_run(void)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;
	struct te_call c;
	uint64_t page;

	if (!e)
		return;
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT, 42, 0), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET, 0, 0), 42);
	page = softsgx_enclave_free_start(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page), 0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { page + PAGE, 7 } };
	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, 0);
	run.user_handler = (uintptr_t)accept_and_resume;
	run.user_data = (uintptr_t)e;
	EXPECT_EQ(softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run), 0);
	EXPECT_EQ(run.function, EEXIT);
	EXPECT_EQ(restrict_to_r(e, page), 0);
	softsgx_unload(e);
}

TEST(trace_single_thread_run_is_valid_and_complete)
{
	const char *path = scratch_path("single.json");
	struct trace t;
	int tid = gettid();

	ASSERT_EQ(softsgx_trace_open(path), 0);
	single_thread_run();
	ASSERT_EQ(softsgx_trace_close(), 0);
	ASSERT_TRUE(trace_read(path, &t));
	EXPECT_TRUE(trace_check_format(&t));
	/* Leaves, by name and category, with their result codes. */
	EXPECT_TRUE(trace_has_leaf(&t, "ECREATE", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EADD", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EEXTEND", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EINIT", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EAUG", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EMODPR", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "ETRACK", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EREMOVE", "encls", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EENTER", "enclu", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "ERESUME", "enclu", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EEXIT", "enclu", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EACCEPT", "enclu", "SUCCESS"));
	EXPECT_TRUE(trace_has_leaf(&t, "EACCEPT", "enclu", "#PF")); /* the unbacked page */
	/* Enclave spans: EENTER starts one, EEXIT and EACCEPT happen inside. */
	EXPECT_TRUE(trace_count(&t, "enclave", tid) >= 2 * 6);
	EXPECT_TRUE(trace_count_in_enclave(&t, "EENTER", false) >= 5);
	EXPECT_TRUE(trace_count_in_enclave(&t, "EEXIT", true) >= 5);
	EXPECT_TRUE(trace_count_in_enclave(&t, "EACCEPT", true) >= 3);
	EXPECT_TRUE(trace_count_in_enclave(&t, "AEX", true) >= 2);
	/* Faults and AEX, with their arguments. */
	{
		size_t i, eaug = 0, epcm = 0, pf_aex = 0;

		for (i = 0; i < t.n; i++) {
			const struct json *e = trace_event(&t, i);

			if (!strcmp(json_str(e, "name"), "fault eaug") &&
			    !strcmp(trace_arg_str(e, "kind") ?: "", "eaug") && trace_arg_str(e, "addr") &&
			    trace_arg_str(e, "error_code"))
				eaug++;
			if (!strcmp(json_str(e, "name"), "fault epcm") &&
			    !strcmp(trace_arg_str(e, "error_code") ?: "", "0x8007"))
				epcm++;
			if (!strcmp(json_str(e, "name"), "AEX") && trace_arg_num(e, "vector") == 14 &&
			    !strcmp(trace_arg_str(e, "exception") ?: "", "#PF") && trace_arg_str(e, "addr"))
				pf_aex++;
		}
		EXPECT_TRUE(eaug >= 2);
		EXPECT_EQ(epcm, 1);
		EXPECT_TRUE(pf_aex >= 3);
	}
	/* The ioctls, as spans, and the interrupt round (nobody inside). */
	EXPECT_EQ(trace_count(&t, "ioctl CREATE", tid), 2);
	EXPECT_EQ(trace_count(&t, "ioctl INIT", tid), 2);
	EXPECT_EQ(trace_count(&t, "ioctl RESTRICT_PERMISSIONS", tid), 2);
	EXPECT_TRUE(trace_count(&t, "interrupt sent", tid) >= 1);
	trace_free(&t);
}

/* Thread 2 spins inside the enclave while thread 1 restricts a page: the interrupt. */
struct spinner {
	struct softsgx_enclave *e;
	volatile uint64_t flag;
	struct te_call c;
	struct sgx_enclave_run run;
	int ret;
	atomic_int tid;
	uint64_t beat; /* TE_OP_SPIN's heartbeat (test/spin.h) */
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	s->c = (struct te_call){ .op = TE_OP_SPIN,
				 .arg = { (uintptr_t)&s->flag, (uintptr_t)&s->beat } };
	memset(&s->run, 0, sizeof(s->run));
	s->run.tcs = softsgx_enclave_tcs(s->e, 1);
	atomic_store(&s->tid, gettid());
	s->ret = softsgx_call_enclave((long)&s->c, 0, 0, EENTER, 0, 0, &s->run);
	return NULL;
}

static bool spinner_start(struct spinner *s, pthread_t *th)
{
	memset(s, 0, sizeof(*s));
	s->e = te_load();
	if (!s->e || pthread_create(th, NULL, spin_thread, s))
		return false;
	return te_spin_wait(&s->beat, 0); /* inside and spinning */
}

static void spinner_stop(struct spinner *s, pthread_t th)
{
	s->flag = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(s->ret, 0);
	EXPECT_EQ(s->run.function, EEXIT);
	softsgx_unload(s->e);
}

TEST(trace_interrupt_of_a_thread_inside)
{
	const char *path = scratch_path("interrupt.json");
	struct spinner s;
	struct trace t;
	pthread_t th;
	uint64_t page;
	size_t i, sent = 0, received = 0, aex = 0;

	ASSERT_EQ(softsgx_trace_open(path), 0);
	ASSERT_TRUE(spinner_start(&s, &th));
	page = softsgx_enclave_free_start(s.e);
	EXPECT_EQ(te_run(s.e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page), 0);
	EXPECT_EQ(restrict_to_r(s.e, page), 0);
	spinner_stop(&s, th);
	ASSERT_EQ(softsgx_trace_close(), 0);
	ASSERT_TRUE(trace_read(path, &t));
	EXPECT_TRUE(trace_check_format(&t));
	for (i = 0; i < t.n; i++) {
		const struct json *e = trace_event(&t, i);
		bool spinner = json_num(e, "tid") == atomic_load(&s.tid);

		if (!strcmp(json_str(e, "name"), "interrupt sent") && !spinner &&
		    trace_arg_num(e, "threads") >= 1 && trace_arg_num(e, "round") >= 1)
			sent++;
		if (!strcmp(json_str(e, "name"), "interrupt received") && spinner &&
		    json_get(json_get(e, "args"), "inside")->boolean)
			received++;
		if (!strcmp(json_str(e, "name"), "AEX") && spinner && trace_arg_num(e, "vector") == 32 &&
		    !strcmp(trace_arg_str(e, "exception") ?: "", "interrupt"))
			aex++;
	}
	EXPECT_TRUE(sent >= 1);
	EXPECT_TRUE(received >= 1);
	EXPECT_EQ(aex, received);
	/* Its stays inside: the first, one more per AEX (first touches of pages too), each ended. */
	EXPECT_EQ(trace_count(&t, "enclave", atomic_load(&s.tid)),
		  2 * (1 + trace_count(&t, "AEX", atomic_load(&s.tid))));
	EXPECT_TRUE(trace_count_in_enclave(&t, "AEX", true) >= aex);
	trace_free(&t);
}

/* Opened while a thread is inside and closed while it is inside again: still balanced. */
TEST(trace_open_and_close_while_inside_stay_balanced)
{
	const char *path = scratch_path("inside.json");
	uint64_t resumes;
	struct spinner s;
	struct trace t;
	pthread_t th;

	ASSERT_TRUE(spinner_start(&s, &th));
	ASSERT_EQ(softsgx_trace_open(path), 0);
	EXPECT_EQ(te_run(s.e, 0, TE_OP_NOP, 0, 0), 0);
	/* Interrupt it: its E (opened before the trace) is dropped, its ERESUME opens a span. */
	EXPECT_EQ(te_run(s.e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING,
		     softsgx_enclave_free_start(s.e)), 0);
	resumes = softsgx_leaf_count(LEAF_ERESUME);
	EXPECT_EQ(restrict_to_r(s.e, softsgx_enclave_free_start(s.e)), 0);
	/* Let it get back in (ERESUME, then its B) before the close: it spins again. */
	while (softsgx_leaf_count(LEAF_ERESUME) == resumes)
		usleep(1000);
	EXPECT_TRUE(te_spin_wait(&s.beat, __atomic_load_n(&s.beat, __ATOMIC_ACQUIRE)));
	ASSERT_EQ(softsgx_trace_close(), 0);
	spinner_stop(&s, th);
	ASSERT_TRUE(trace_read(path, &t));
	EXPECT_TRUE(trace_check_format(&t));
	/* Per interrupt an AEX (E, the first one dropped) and an ERESUME (B); the close's E. */
	EXPECT_TRUE(trace_count(&t, "interrupt received", atomic_load(&s.tid)) >= 1);
	EXPECT_EQ(trace_count(&t, "enclave", atomic_load(&s.tid)),
		  2 * trace_count(&t, "interrupt received", atomic_load(&s.tid)) - 1);
	EXPECT_EQ(trace_count(&t, "", atomic_load(&s.tid)), 1);
	trace_free(&t);
}

TEST(trace_replaced_closed_and_errors)
{
	char first[128];
	struct trace t;

	EXPECT_ERRNO(softsgx_trace_close(), EBADF);
	EXPECT_ERRNO(softsgx_trace_open("/nonexistent-dir/trace.json"), ENOENT);
	EXPECT_ERRNO(softsgx_trace_open(NULL), EFAULT);
	EXPECT_ERRNO(softsgx_trace_open((const char *)8), EFAULT);
	snprintf(first, sizeof(first), "%s", scratch_path("first.json"));
	ASSERT_EQ(softsgx_trace_open(first), 0);
	/* Valid while open: the footer follows what has been flushed. */
	ASSERT_TRUE(trace_read(first, &t));
	EXPECT_TRUE(trace_check_format(&t));
	EXPECT_EQ(trace_count(&t, "process_name", 0), 1);
	trace_free(&t);
	/* A second trace finishes the first. */
	ASSERT_EQ(softsgx_trace_open(scratch_path("second.json")), 0);
	single_thread_run();
	/* More than a buffer's worth: flushed, and valid JSON before the close too. */
	ASSERT_TRUE(trace_read(scratch_path("second.json"), &t));
	EXPECT_TRUE(t.n > 100);
	trace_free(&t);
	ASSERT_EQ(softsgx_trace_close(), 0);
	EXPECT_ERRNO(softsgx_trace_close(), EBADF);
	ASSERT_TRUE(trace_read(first, &t));
	EXPECT_EQ(t.n, 1);
	trace_free(&t);
	ASSERT_TRUE(trace_read(scratch_path("second.json"), &t));
	EXPECT_TRUE(trace_check_format(&t));
	EXPECT_TRUE(trace_count(&t, "EENTER", 0) >= 5);
	trace_free(&t);
	/* The same file again: it starts afresh. */
	ASSERT_EQ(softsgx_trace_open(first), 0);
	ASSERT_EQ(softsgx_trace_open(first), 0);
	ASSERT_EQ(softsgx_trace_close(), 0);
	ASSERT_TRUE(trace_read(first, &t));
	EXPECT_EQ(t.n, 1);
	trace_free(&t);
}

/*
 * The child half of the next test: run with SOFTSGX_TRACE set (the
 * platform opens the trace) and TRACE_TEST_CHILD=1, it runs enclave code
 * and exits without closing the trace. Does nothing in a normal run.
 */
TEST(trace_child_run_without_close)
{
	if (!getenv("TRACE_TEST_CHILD"))
		return;
	single_thread_run();
}

TEST(trace_env_opened_and_finished_at_exit)
{
	char env_trace[192], *argv[] = { "trace_test", "trace_child_run_without_close", NULL };
	char *envp[] = { env_trace, "TRACE_TEST_CHILD=1", NULL };
	const char *path = scratch_path("child.json");
	struct trace t;
	int status;
	pid_t pid;

	snprintf(env_trace, sizeof(env_trace), "SOFTSGX_TRACE=%s", path);
	ASSERT_EQ(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, envp), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_TRUE(trace_read(path, &t));
	EXPECT_TRUE(trace_check_format(&t));
	EXPECT_TRUE(trace_count(&t, "EENTER", pid) >= 5);
	EXPECT_TRUE(trace_count(&t, "fault eaug", pid) >= 2);
	EXPECT_TRUE(trace_count(&t, "AEX", pid) >= 2);
	trace_free(&t);
}

/* The reader itself refuses what is not JSON. */
TEST(trace_json_reader_is_strict)
{
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "01", "1.", "\"\\x\"",
		"\"a\nb\"", "[1]]", "{\"a\":tru}", "nul", "-", "[\"\\u12\"]",
	};
	static const char good[] = " {\"a\":[1,-2.5e3,true,false,null,\"\\u0041\\n\"],\"b\":{}} ";
	struct json j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_parser ps = { .p = bad[i], .end = bad[i] + strlen(bad[i]) };
		bool ok = json_value(&ps, &j);

		json_ws(&ps);
		if (ok && ps.p == ps.end)
			harness_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		json_free(&j);
	}
	ASSERT_TRUE(json_parse(good, strlen(good), &j));
	EXPECT_EQ(json_get(&j, "a")->len, 6);
	EXPECT_TRUE(json_get(&j, "a")->items[1].num == -2500);
	EXPECT_TRUE(!strcmp(json_get(&j, "a")->items[5].str, "A\n"));
	json_free(&j);
}

/*
 * AEX-Notify: an ERESUME that entered the enclave's handler carries
 * notify = 1, a plain one does not, and the handler's EDECCSSA is a leaf
 * event: one of each per fault of the armed frame (EAUG on its EACCEPTs).
 */
TEST(trace_marks_notifying_eresume_and_edeccssa)
{
	const char *path = scratch_path("notify.json");
	struct softsgx_load_options opts = { .attributes = SGX_ATTR_AEXNOTIFY };
	struct softsgx_enclave *e = NULL;
	size_t i, notifying = 0, plain = 0, edeccssa = 0;
	uint64_t page;
	struct trace t;

	ASSERT_EQ(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &e), 0);
	page = softsgx_enclave_free_start(e);
	te_run(e, 1, TE_OP_NOTIFY, 1);
	ASSERT_EQ(softsgx_trace_open(path), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_ACCEPT_RANGE, REG_RW | SGX_SECINFO_PENDING, page, 3), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_NOTIFY, 0), 3);
	/* Disarmed: the next fault resumes plainly. */
	EXPECT_EQ(te_run(e, 1, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page + 3 * PAGE), 0);
	ASSERT_EQ(softsgx_trace_close(), 0);
	softsgx_unload(e);
	ASSERT_TRUE(trace_read(path, &t));
	EXPECT_TRUE(trace_check_format(&t));
	for (i = 0; i < t.n; i++) {
		const struct json *ev = trace_event(&t, i);

		/* An ERESUME whose SSA page was not mapped yet faults, and is made again. */
		if (!strcmp(json_str(ev, "name"), "ERESUME") &&
		    !strcmp(trace_arg_str(ev, "code") ?: "", "SUCCESS")) {
			if (trace_arg_num(ev, "notify") == 1)
				notifying++;
			else
				plain++;
		}
		if (!strcmp(json_str(ev, "name"), "EDECCSSA") &&
		    !strcmp(trace_arg_str(ev, "code") ?: "", "SUCCESS"))
			edeccssa++;
	}
	EXPECT_EQ(notifying, 3);
	EXPECT_EQ(edeccssa, 3);
	/* The unarmed fault, and any of the handler itself (a stack page mapped): plain. */
	EXPECT_TRUE(plain >= 1);
	EXPECT_EQ(trace_count(&t, "AEX", 0), notifying + plain);
	trace_free(&t);
}
