#!/bin/sh
# SPDX-License-Identifier: MIT
# What `softsgx exec` cannot run it refuses, with the reason and the
# status a shell gives: a statically linked program (no library can be
# preloaded into it) fails with a message saying "statically linked" and a
# non-zero status, without running; a program that does not exist gives
# 127, as sh does. Usage: exec_refusal_test.sh SOFTSGX STATIC_PROGRAM|none
softsgx=$1
static=$2
failures=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "exec_refusal_test.sh: FAIL: $*" >&2
	failures=$((failures + 1))
}

if [ "$static" = none ]; then
	echo "exec_refusal_test.sh: the toolchain cannot link statically: that part is skipped"
else
	# The program itself runs: the refusal is not that it is broken.
	out=$("$static") || fail "$static does not run by itself"
	[ "$out" = "static program ran" ] || fail "$static printed '$out'"
	"$softsgx" exec -- "$static" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -ne 0 ] || fail "softsgx exec of a static program exited 0"
	grep -q "statically linked" "$tmp/err" ||
		fail "no 'statically linked' in the message: $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "the static program ran anyway: $(cat "$tmp/out")"
	echo "static program: status $status, $(cat "$tmp/err")"
fi

"$softsgx" exec -- "$tmp/no-such-program" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 127 ] || fail "a nonexistent path: status $status, not 127"
"$softsgx" exec -- softsgx-no-such-program-in-path >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 127 ] || fail "a name not in PATH: status $status, not 127"
grep -q "softsgx-no-such-program-in-path" "$tmp/err" || fail "the message does not name the program"

if [ "$failures" -ne 0 ]; then
	echo "exec_refusal_test.sh: $failures check(s) FAILED" >&2
	exit 1
fi
echo "exec_refusal_test.sh: all checks passed"
