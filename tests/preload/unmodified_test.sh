#!/bin/sh
# SPDX-License-Identifier: MIT
# Unmodified system programs behave under `softsgx exec` as without it:
# the same standard output, standard error and exit status for a shell
# command, ls, make (its version and a tiny makefile, with a recipe that
# fails) and python3 (if present). First it makes sure the preload library
# is really in the programs it runs, so that equality means something.
# Usage: unmodified_test.sh SOFTSGX PRELOAD_LIBRARY
softsgx=$1
preload=$2
failures=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "unmodified_test.sh: FAIL: $*" >&2
	failures=$((failures + 1))
}

# same NAME FILTER CMD...: run CMD with and without softsgx exec; FILTER
# (a sed script) is applied to both outputs first.
same() {
	name=$1
	filter=$2
	shift 2
	before=$failures
	"$@" >"$tmp/plain.out" 2>"$tmp/plain.err"
	plain=$?
	"$softsgx" exec -- "$@" >"$tmp/exec.out" 2>"$tmp/exec.err"
	under=$?
	if [ "$plain" -ne "$under" ]; then
		fail "$name: exit status $plain without softsgx exec, $under with it"
		cat "$tmp/exec.err" >&2
	fi
	for f in out err; do
		sed "$filter" "$tmp/plain.$f" >"$tmp/plain.$f.cmp"
		sed "$filter" "$tmp/exec.$f" >"$tmp/exec.$f.cmp"
		if ! cmp -s "$tmp/plain.$f.cmp" "$tmp/exec.$f.cmp"; then
			fail "$name: std$f differs"
			diff "$tmp/plain.$f.cmp" "$tmp/exec.$f.cmp" >&2
		fi
	done
	[ "$failures" -eq "$before" ] &&
		echo "$name: status $plain, $(wc -l <"$tmp/plain.out") line(s) of output, same under softsgx exec"
}

# The library is in the program softsgx exec runs, and in the programs that one starts.
"$softsgx" exec -- cat /proc/self/maps >"$tmp/maps" || fail "softsgx exec cat failed"
grep -q "libsoftsgx-preload.so" "$tmp/maps" || fail "libsoftsgx-preload.so is not mapped in cat"
"$softsgx" exec -- sh -c 'cat /proc/self/maps' >"$tmp/maps" || fail "softsgx exec sh failed"
grep -q "libsoftsgx-preload.so" "$tmp/maps" || fail "libsoftsgx-preload.so is not mapped in sh's child"
cat /proc/self/maps | grep -q "libsoftsgx-preload.so" && fail "the library is mapped without softsgx exec"
[ -r "$preload" ] || fail "$preload is missing"

same "sh -c" '' sh -c 'echo "hello from sh"; echo to-stderr >&2; exit 3'

# ls of a system directory that nothing else running changes (/ does: other
# tests write below it, and its link counts and column widths move).
same "ls -l /usr" '' ls -l /usr
mkdir "$tmp/d" && echo one >"$tmp/d/a" && echo two three >"$tmp/d/b" && ln -s a "$tmp/d/l" &&
	touch -h -d "2020-01-02 03:04:05" "$tmp/d/a" "$tmp/d/b" "$tmp/d/l" "$tmp/d"
same "ls -la DIR" '' ls -la --time-style=full-iso "$tmp/d"
same "ls of a missing file" '' ls -la "$tmp/does-not-exist"

if command -v make >/dev/null 2>&1; then
	same "make -v" '' make -v
	mkdir "$tmp/m" && cat >"$tmp/m/Makefile" <<'MAKEFILE'
all: out.txt
	@cat out.txt
out.txt:
	@echo "made by $(MAKE_VERSION)" >$@
	@sh -c 'echo sub-shell $$((6 * 7))' >>$@
fails:
	@echo before the failure
	@exit 2
MAKEFILE
	same "make -f (all)" '' sh -c "cd '$tmp/m' && rm -f out.txt && make -s -f Makefile all"
	same "make -f (a failing recipe)" '' make -s -C "$tmp/m" --no-print-directory fails
else
	echo "make is absent: its part is skipped"
fi

if command -v python3 >/dev/null 2>&1 && python3 -c '' >/dev/null 2>&1; then
	same "python3 -c" '' python3 -c 'import sys, os; print("hello", sum(range(10)), sys.version_info[0]); sys.exit(5)'
else
	echo "python3 is absent: its part is skipped"
fi

if [ "$failures" -ne 0 ]; then
	echo "unmodified_test.sh: $failures check(s) FAILED" >&2
	exit 1
fi
echo "unmodified_test.sh: all checks passed"
