#!/bin/sh
# SPDX-License-Identifier: MIT
# SOFTSGX_RAW_SYSCALLS: with "off" the runtime-shaped program's own
# system calls go to the host, which has no SGX device here, so it cannot
# load its enclave; a value that is none of auto, on, off is named on
# stderr and auto taken, and the program passes; auto leaves a program
# that goes through the C library alone. And the platform's settings as
# the library reads them, without softsgx exec to check them first: a bad
# SOFTSGX_AEX_NOTIFY, or AEX-Notify asked of an SGX1 processor, is named
# on stderr and the default taken.
# Usage: raw_setting_test.sh SOFTSGX RUNTIME_PROGRAM PRELOAD_LIBRARY
softsgx=$1
prog=$2
lib=$3
failures=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "raw_setting_test.sh: FAIL: $*" >&2
	failures=$((failures + 1))
}

if [ -e /dev/sgx_enclave ]; then
	echo "raw_setting_test.sh: this host has an SGX device: the 'off' part is skipped"
else
	SOFTSGX_RAW_SYSCALLS=off "$softsgx" exec -- "$prog" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -ne 0 ] || fail "with SOFTSGX_RAW_SYSCALLS=off the program passed"
	grep -q "/dev/sgx_enclave: No such file or directory" "$tmp/err" ||
		fail "with off, not the host's ENOENT: $(cat "$tmp/err")"
fi

SOFTSGX_RAW_SYSCALLS=sometimes "$softsgx" exec -- "$prog" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "with a bad value the program failed ($status): $(tail -3 "$tmp/err")"
grep -q "SOFTSGX_RAW_SYSCALLS: 'sometimes' is not auto, on or off; auto taken" "$tmp/err" ||
	fail "the bad value is not named: $(cat "$tmp/err")"

# An ordinary program (grep takes open() from the C library) gets no filter
# under auto, and so no no_new_privs; "on" gives it both.
out=$("$softsgx" exec -- grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | tr -s ' \t' ' ')
[ "$out" = "$(printf 'NoNewPrivs: 0\nSeccomp: 0')" ] || fail "auto filtered grep: $out"
out=$(SOFTSGX_RAW_SYSCALLS=on "$softsgx" exec -- grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status |
	tr -s ' \t' ' ')
[ "$out" = "$(printf 'NoNewPrivs: 1\nSeccomp: 2')" ] || fail "on did not filter grep: $out"

# The runtime needs no AEX-Notify: it passes on an SGX2 processor without it.
SOFTSGX_AEX_NOTIFY=no LD_PRELOAD="$lib" "$prog" >"$tmp/out" 2>"$tmp/err" ||
	fail "with SOFTSGX_AEX_NOTIFY=no the program failed: $(tail -3 "$tmp/err")"
SOFTSGX_AEX_NOTIFY=maybe LD_PRELOAD="$lib" "$prog" >"$tmp/out" 2>"$tmp/err" ||
	fail "with a bad SOFTSGX_AEX_NOTIFY the program failed: $(tail -3 "$tmp/err")"
grep -q "SOFTSGX_AEX_NOTIFY='maybe' ignored: expected 'yes' or 'no'" "$tmp/err" ||
	fail "the bad SOFTSGX_AEX_NOTIFY is not named: $(cat "$tmp/err")"
# SGX1 with AEX-Notify: the library says so and takes SGX1 alone (the runtime's
# EDMM part then fails, as it must there); softsgx exec refuses it outright.
SOFTSGX_SGX=1 SOFTSGX_AEX_NOTIFY=yes LD_PRELOAD="$lib" "$prog" >"$tmp/out" 2>"$tmp/err"
grep -q "SOFTSGX_AEX_NOTIFY='yes' ignored: AEX-Notify needs an SGX2 processor" "$tmp/err" ||
	fail "SGX1 with AEX-Notify is not named: $(cat "$tmp/err")"
SOFTSGX_SGX=1 SOFTSGX_AEX_NOTIFY=yes "$softsgx" exec -- "$prog" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 2 ] || fail "softsgx exec took SGX1 with AEX-Notify ($status)"

[ "$failures" -eq 0 ] || exit 1
echo "raw_setting_test.sh: passed"
