/* SPDX-License-Identifier: MIT */
/*
 * A large EPC costs what is used of it: powering on a processor with a
 * 16 GiB or the largest (1 TiB) EPC leaves the process's resident memory
 * almost as it was; a page at the far end works as any other; the
 * invariant checker walks what the leaves reached, and still finds a
 * broken entry there; an EPC beyond the processor's maximum is refused.
 */
#include "common.h"
#include "cpu/cpu_internal.h"

/* Powering on must not make this much of the process resident, whatever the EPC size. */
#define RESIDENT_BOUND (16ull << 20)
#define EPC_16G_PAGES (1ull << 22)

/* VmRSS of this process in bytes, from /proc/self/status; 0 if unknown. */
static uint64_t resident(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long kib = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kib << 10;
}

/*
 * Power on a processor with @pages of EPC; true if that made less than
 * RESIDENT_BOUND resident (the processor stays on in *@out).
 */
static bool create_small(size_t pages, struct sgx_cpu **out)
{
	struct sgx_cpu_config cfg;
	uint64_t before = resident(), after;
	int ret;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = pages;
	ret = sgx_cpu_create(&cfg, out);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "sgx_cpu_create(%zu pages): %s", pages,
			     strerrorname_np(-ret));
		return false;
	}
	after = resident();
	if (after > before && after - before >= RESIDENT_BOUND) {
		harness_fail(__FILE__, __LINE__, "an EPC of %zu pages made %llu KiB resident", pages,
			     (unsigned long long)(after - before) >> 10);
		return false;
	}
	return true;
}

/*
 * Whether an EPC of 16 GiB is cheap. The 1 TiB cases run only then: where
 * the metadata were eager they would need some 18 GiB.
 */
static bool large_epc_cheap(void)
{
	struct sgx_cpu *cpu = NULL;
	bool ok = create_small(EPC_16G_PAGES, &cpu);

	sgx_cpu_destroy(cpu);
	return ok;
}

TEST(create_16g_epc_resident_memory_small)
{
	struct sgx_cpu *cpu = NULL;

	EXPECT_TRUE(create_small(EPC_16G_PAGES, &cpu));
	if (cpu)
		EXPECT_EQ(sgx_cpu_epc_pages(cpu), EPC_16G_PAGES);
	sgx_cpu_destroy(cpu);
}

TEST(create_max_epc_resident_memory_small)
{
	struct sgx_cpu *cpu = NULL;

	ASSERT_TRUE(large_epc_cheap());
	EXPECT_TRUE(create_small(SGX_EPC_MAX_PAGES, &cpu));
	if (cpu)
		EXPECT_EQ(sgx_cpu_epc_pages(cpu), SGX_EPC_MAX_PAGES);
	sgx_cpu_destroy(cpu);
}

TEST(create_beyond_max_epc_einval)
{
	struct sgx_cpu_config cfg;
	struct sgx_cpu *cpu = NULL;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = SGX_EPC_MAX_PAGES + 1;
	EXPECT_EQ(sgx_cpu_create(&cfg, &cpu), -EINVAL);
	cfg.epc_pages = 0;
	EXPECT_EQ(sgx_cpu_create(&cfg, &cpu), -EINVAL);
}

/* The last page of the largest EPC: a VA page there, its EPCM entry, its storage, EREMOVE. */
TEST(epa_last_page_of_max_epc_success)
{
	struct sgx_cpu_config cfg;
	struct sgx_cpu *cpu = NULL;
	struct sgx_epcm_info info;
	struct sgx_lp *klp;
	uint64_t last, *slot;
	char why[256] = "";

	ASSERT_TRUE(large_epc_cheap());
	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = SGX_EPC_MAX_PAGES;
	cfg.check_invariants = true; /* after every leaf */
	ASSERT_EQ(sgx_cpu_create(&cfg, &cpu), 0);
	klp = sgx_lp_create(cpu, NULL, NULL);
	ASSERT_TRUE(klp);
	last = sgx_cpu_epc_base(cpu) + (SGX_EPC_MAX_PAGES - 1) * SGX_PAGE_SIZE;
	EXPECT_SGX(encls_epa(klp, SGX_PAGE_TYPE_VA, last), SGX_SUCCESS);
	EXPECT_EQ(sgx_cpu_epcm_read(cpu, last, &info), 0);
	EXPECT_TRUE(info.valid);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_VA);
	slot = sgx_cpu_epc_mem(cpu, last + 8);
	EXPECT_TRUE(slot && *slot == 0);
	EXPECT_EQ(sgx_cpu_check_invariants(cpu, why, sizeof(why)), 0);
	EXPECT_SGX(encls_eremove(klp, last), SGX_SUCCESS);
	EXPECT_TRUE(sgx_cpu_epc_mem(cpu, last + SGX_PAGE_SIZE) == NULL);
	sgx_lp_destroy(klp);
	sgx_cpu_destroy(cpu);
}

/* An enclave built at the start of a 16 GiB EPC, a VA page at its end: the checker sees both. */
TEST(invariants_far_page_broken_found)
{
	struct fx *fx = fx_new(EPC_16G_PAGES);
	char why[256] = "";
	uint64_t far;
	struct epc_page *pg;

	ASSERT_TRUE(fx);
	ASSERT_TRUE(fx_build_init(fx));
	far = sgx_cpu_epc_base(fx->cpu) + (EPC_16G_PAGES - 1) * SGX_PAGE_SIZE;
	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, far), SGX_SUCCESS);
	EXPECT_EQ(sgx_cpu_check_invariants(fx->cpu, why, sizeof(why)), 0);
	pg = epc_page_at(fx->cpu, far);
	pg->perm = SGX_SECINFO_R;
	EXPECT_EQ(sgx_cpu_check_invariants(fx->cpu, why, sizeof(why)), -1);
	if (!strstr(why, "VA page with owner, address, permissions or flags"))
		harness_fail(__FILE__, __LINE__, "message \"%s\"", why);
	pg->perm = 0;
	EXPECT_EQ(sgx_cpu_check_invariants(fx->cpu, why, sizeof(why)), 0);
	fx_free(fx);
}
