#!/bin/sh
# SPDX-License-Identifier: MIT
# SOFTSGX_RAW_SYSCALLS: with "off" the runtime-shaped program's own
# system calls go to the host, which has no SGX device here, so it cannot
# load its enclave; a value that is none of auto, on, off is named on
# stderr and auto taken, and the program passes; auto leaves a program
# that goes through the C library alone.
# Usage: raw_setting_test.sh SOFTSGX RUNTIME_PROGRAM
softsgx=$1
prog=$2
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

[ "$failures" -eq 0 ] || exit 1
echo "raw_setting_test.sh: passed"
