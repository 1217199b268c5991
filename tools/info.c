/* SPDX-License-Identifier: MIT */
/*
 * `softsgx info`: the emulated platform as software would discover it
 * (CPUID leaf 0x12: SGX1/SGX2, MISCSELECT, ATTRIBUTES and XFRM masks,
 * maximum enclave sizes, the EPC section) and what this host offers the
 * emulator (FSGSBASE, Syscall User Dispatch, CPUID and TSC faulting, and
 * the IA32 emulation and UMIP that decide what faults at all), with what
 * each missing feature costs in fidelity or speed.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "cpu/cpu.h"
#include "driver/driver.h"
#include "host/features.h"

static void print_bits(uint64_t value, const char *const names[], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if ((value >> i & 1) && names[i])
			printf(" %s", names[i]);
	putchar('\n');
}

static void print_masks(const struct sgx_cpu_config *c)
{
	static const char *const attrs[] = { "INIT", "DEBUG", "MODE64BIT", NULL, "PROVISIONKEY",
					     "EINITTOKENKEY", "CET", "KSS", NULL, NULL,
					     "AEXNOTIFY" };
	static const char *const xfrm[] = { "x87", "SSE", "AVX", "BNDREGS", "BNDCSR", "opmask",
					    "ZMM_Hi256", "Hi16_ZMM", NULL, "PKRU" };

	printf("  %-20s 0x%08x ", "MISCSELECT", c->miscselect);
	print_bits(c->miscselect, (const char *const[]){ "EXINFO", "CPINFO" }, 2);
	printf("  %-20s %#llx ", "ATTRIBUTES allowed", (unsigned long long)c->attributes);
	print_bits(c->attributes, attrs, sizeof(attrs) / sizeof(attrs[0]));
	printf("  %-20s %#llx ", "XFRM allowed", (unsigned long long)c->xfrm);
	print_bits(c->xfrm, xfrm, sizeof(xfrm) / sizeof(xfrm[0]));
}

/* CPUID.(EAX=12H, ECX=0..2) as the emulated processor answers it. */
static void print_cpuid(const struct sgx_cpu *cpu)
{
	uint32_t r[4];
	uint32_t i;

	printf("  CPUID leaf 0x12, as enclave software would read it:\n");
	for (i = 0; i < 3; i++) {
		r[0] = r[1] = r[2] = r[3] = 0;
		sgx_cpu_cpuid(cpu, 0x12, i, r);
		printf("    subleaf %u: EAX=0x%08x EBX=0x%08x ECX=0x%08x EDX=0x%08x\n", i, r[0], r[1],
		       r[2], r[3]);
	}
}

static void print_platform(struct sgx_platform *plat)
{
	const struct sgx_cpu_config *c = sgx_cpu_config(plat->cpu);
	const struct config_view *cfg = config_get();
	uint64_t epc_size = (uint64_t)sgx_cpu_epc_pages(plat->cpu) * 4096;
	char size[32];

	printf("emulated platform\n");
	printf("  %-20s %s / %s\n", "SGX1 / SGX2", "yes", c->sgx2 ? "yes" : "no");
	printf("  %-20s %s\n", "AEX-Notify",
	       c->aexnotify ? "yes: EDECCSSA, ATTRIBUTES.AEXNOTIFY, TCS.FLAGS.AEXNOTIFY" : "no");
	printf("  %-20s %s (%zu pages), one section at %#llx\n", "EPC", cli_size(epc_size, size),
	       sgx_cpu_epc_pages(plat->cpu),
	       (unsigned long long)sgx_cpu_epc_base(plat->cpu));
	print_masks(c);
	printf("  %-20s 2^%u bytes in 64-bit mode, 2^%u in 32-bit mode\n", "max enclave size",
	       c->max_enclave_size_64, c->max_enclave_size_32);
	printf("  %-20s %s\n", "tracking",
	       cfg->tracking == SOFTSGX_TRACK_BATCHED
		       ? "batched: ETRACK, interrupts once per ioctl (beyond Linux)"
		       : "per-page: ETRACK, interrupts after each EMODPR/EMODT (Linux)");
	printf("  %-20s %s%s (never secret: protect nothing with it)\n", "platform key seed",
	       cfg->seed_given ? "from " : "built in", cfg->seed_given ? cfg->seed_from : "");
	printf("  %-20s %s\n", "injection", cfg->inject && *cfg->inject ? cfg->inject
								: "none (docs/injection.md)");
	print_cpuid(plat->cpu);
}

/* One host feature: present and used, turned off by the setting, or absent; and what follows. */
static void print_feature(const char *name, unsigned int feature, const char *yes, const char *no)
{
	bool present = host_features_present() & feature, used = host_features() & feature;

	printf("  %-22s %-4s %s\n", name, used ? "yes" : present ? "off" : "no", used ? yes : no);
	if (present && !used)
		printf("  %-22s      (present, turned off by SOFTSGX_HOST_DISABLE)\n", "");
}

static void print_fact(const char *name, bool present, const char *yes, const char *no)
{
	printf("  %-22s %-4s %s\n", name, present ? "yes" : "no", present ? yes : no);
}

static void print_host(void)
{
	uint32_t r[4];
	char vendor[13];
	struct utsname u;
	bool ia32 = host_ia32_emulation(), sud = host_features() & HOST_SUD, intel;

	__cpuid(0, r[0], r[1], r[2], r[3]);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	intel = !strcmp(vendor, "GenuineIntel");
	printf("\nhost (what it offers the emulator)\n");
	if (!uname(&u))
		printf("  %-22s %s %s %s\n", "kernel", u.sysname, u.release, u.machine);
	printf("  %-22s %s\n", "processor", vendor);
	print_feature("FSGSBASE", HOST_FSGSBASE, "FS/GS bases switch with WRFSBASE/WRGSBASE",
		      "FS/GS bases switch by arch_prctl(): up to 2 system calls per switch");
	print_feature("Syscall User Dispatch", HOST_SUD, "SYSCALL, INT 0x80 in an enclave: #UD, as on SGX",
		      "SYSCALL in an enclave executes (SGX: #UD); needs Linux 5.11+");
	print_feature("CPUID faulting", HOST_CPUID_FAULTING,
		      "CPUID in an enclave: #UD, as on SGX; under softsgx exec a program's\n"
		      "                              CPUID shows SGX2 (leaf 7, leaf 0x12)",
		      "CPUID in an enclave executes (SGX: #UD); under softsgx exec a\n"
		      "                              program's CPUID shows the host's processor, no SGX");
	print_feature("FSGSBASE read", HOST_FSGSBASE_READ,
		      (host_features_present() & HOST_FSGSBASE)
			      ? "RDFSBASE/RDGSBASE execute (announced by the kernel)"
			      : "RDFSBASE/WRFSBASE execute, but the kernel does not announce them:\n"
				"                              a base enclave code writes with them is read at its\n"
				"                              exits, and may be lost at a context switch before",
		      "enclave code's WRFSBASE/WRGSBASE #UD (no FSGSBASE)");
	print_feature("TSC faulting", HOST_TSC_FAULTING, "RDTSC in an SGX1 enclave (--sgx 1): #UD",
		      "RDTSC in an SGX1 enclave executes (SGX1: #UD)");
	print_fact("IA32 emulation", ia32,
		   sud ? (intel ? "INT 0x80: #UD by Syscall User Dispatch; SYSENTER: #UD, address lost"
				: "INT 0x80: #UD by Syscall User Dispatch")
		       : "INT 0x80 in an enclave runs as a 32-bit system call (SGX: #UD)",
		   "INT 0x80, SYSENTER in an enclave fault on the host: #UD, as on SGX");
	print_fact("seccomp filters", host_seccomp_filter(),
		   "under softsgx exec, a program's own system calls on SGX reach softsgx",
		   "under softsgx exec, a program's own system calls go to the host: no SGX device");
	print_feature("MADV_POPULATE_WRITE", HOST_POPULATE_WRITE,
		      "MAP_POPULATE, MADV_WILLNEED: host memory of 512 pages per call before EAUG",
		      "MAP_POPULATE, MADV_WILLNEED: a host page fault per EAUGed page (slower)");
	print_fact("UMIP", host_umip(),
		   "SGDT, SIDT, SLDT, STR in an enclave: the kernel emulates them (SGX: #UD)",
		   "SGDT, SIDT, SLDT, STR in an enclave execute (SGX: #UD)");
}

static int cmd_info(const struct cli_command *cmd, int argc, char **argv)
{
	struct sgx_platform *plat;
	int ret = cli_start(cmd, argc, argv, NULL, NULL, 0, 0);

	if (ret != CLI_CONTINUE)
		return ret;
	plat = sgx_platform_get();
	if (!plat)
		return cli_fail(cmd, "the platform could not be created (EPC of %zu bytes)",
				config_get()->epc_size);
	print_platform(plat);
	print_host();
	return CLI_EXIT_OK;
}

const struct cli_command info_command = {
	.name = "info",
	.summary = "the emulated platform (CPUID leaf 0x12) and what this host offers",
	.synopsis = "softsgx info [OPTIONS]",
	.help = "Shows the emulated SGX platform as software would discover it (SGX1/SGX2,\n"
		"EPC, MISCSELECT, ATTRIBUTES and XFRM masks, maximum enclave sizes, the CPUID\n"
		"leaf 0x12 registers) with the configuration applied, and the host features the\n"
		"emulator uses (FSGSBASE, Syscall User Dispatch, CPUID and TSC faulting) or\n"
		"that decide what faults (IA32 emulation, UMIP), with the consequence of each\n"
		"missing one. --host-disable turns features off as for any other command.\n",
	.run = cmd_info,
};
