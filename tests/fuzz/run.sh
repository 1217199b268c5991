#!/bin/sh
# Runs every fuzz target of a libFuzzer build (make fuzz) for SECONDS each,
# one after the other: its committed corpus (tests/fuzz/corpus/<target>)
# seeds it, what it adds goes to BUILD/corpus/<target>, and crashes, leaks
# and timeouts to BUILD/findings/<target>/. Exits non-zero if any target
# found something.
#   usage: tests/fuzz/run.sh BUILD [SECONDS] [TARGET...]
# The committed corpora are kept small by merging what a run found into a
# fresh directory (edge coverage only, so that few files cover it):
#   BUILD/tests/fuzz/T -merge=1 -use_counters=0 NEW tests/fuzz/corpus/T BUILD/corpus/T
set -u

build=${1:?usage: run.sh BUILD [SECONDS] [TARGET...]}
seconds=${2:-60}
[ $# -ge 2 ] && shift 2 || shift $#
targets=${*:-"fuzz_driver fuzz_leaves fuzz_elf fuzz_sigstruct fuzz_inject"}
src=$(dirname "$0")
status=0

for t in $targets; do
	mkdir -p "$build/corpus/$t" "$build/findings/$t"
	echo "== $t: ${seconds}s"
	# -timeout: an input that runs this long is a hang (reported as a finding).
	"$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$build/findings/$t/" \
		"$build/corpus/$t" "$src/corpus/$t" 2>"$build/findings/$t.log"
	rc=$?
	grep -E '^stat::number_of_executed_units|^Done|^#[0-9]+.*DONE' "$build/findings/$t.log" | tail -2
	if [ $rc -ne 0 ]; then
		status=1
		echo "$t: FOUND something (log: $build/findings/$t.log):"
		ls "$build/findings/$t"
	fi
done
exit $status
