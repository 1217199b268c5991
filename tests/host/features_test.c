/* SPDX-License-Identifier: MIT */
/*
 * Host features: the SOFTSGX_HOST_DISABLE syntax, and the setting applied
 * by the library in a process that reads it at its start.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "host/features.h"

TEST(host_disable_parses_names_all_none_empty)
{
	const char *bad = NULL;
	unsigned int m = ~0u;

	EXPECT_EQ(host_features_parse("", &m, &bad), 0);
	EXPECT_EQ(m, 0);
	EXPECT_EQ(host_features_parse("none", &m, &bad), 0);
	EXPECT_EQ(m, 0);
	EXPECT_EQ(host_features_parse("all", &m, &bad), 0);
	EXPECT_EQ(m, HOST_ALL_FEATURES);
	EXPECT_EQ(host_features_parse("sud,,cpuid-faulting,", &m, &bad), 0);
	EXPECT_EQ(m, HOST_SUD | HOST_CPUID_FAULTING);
	EXPECT_EQ(host_features_parse("fsgsbase,tsc-faulting", &m, &bad), 0);
	EXPECT_EQ(m, HOST_FSGSBASE | HOST_TSC_FAULTING);
	EXPECT_EQ(host_features_parse("populate-write,fsgsbase-read", &m, &bad), 0);
	EXPECT_EQ(m, HOST_POPULATE_WRITE | HOST_FSGSBASE_READ);
}

TEST(host_disable_unknown_name_points_at_it)
{
	const char *s = "sud,fsgs,cpuid-faulting", *bad = NULL;
	unsigned int m = 0;

	EXPECT_EQ(host_features_parse(s, &m, &bad), -1);
	EXPECT_TRUE(bad == s + 4);
	EXPECT_EQ(m, HOST_SUD); /* what came before it */
	EXPECT_EQ(host_features_parse("all2", &m, &bad), -1);
	EXPECT_EQ(host_features_parse("SUD", &m, &bad), -1);
}

/* In a fresh process: the setting turns features off, unknown names are ignored. */
static void disabled_in_process(void)
{
	EXPECT_EQ(host_features_disabled(), HOST_SUD | HOST_FSGSBASE);
	EXPECT_EQ(host_features() & (HOST_SUD | HOST_FSGSBASE), 0);
	EXPECT_EQ(host_features() | (HOST_SUD | HOST_FSGSBASE),
		  host_features_present() | (HOST_SUD | HOST_FSGSBASE));
}

TEST(host_disable_applied_unknown_ignored)
{
	/* This process has read its setting already: a child reads it anew only after exec. */
	if (getenv("FEATURES_TEST_CHILD")) {
		disabled_in_process();
		return;
	}
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		setenv("SOFTSGX_HOST_DISABLE", "sud,bogus,fsgsbase", 1);
		setenv("FEATURES_TEST_CHILD", "1", 1);
		execl("/proc/self/exe", "features_test", "host_disable_applied_unknown_ignored", NULL);
		_exit(3);
	}
	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
