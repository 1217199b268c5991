#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs tests/preload/signals.c under `softsgx exec --trace`, then finds in
# the trace the AEX that the SIGALRM caused (an interrupt: vector 32).
#   signals_test.sh SOFTSGX SIGNALS_PROGRAM
set -u
softsgx=$1
prog=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# The program's CPUID shows SGX2 only where the host has CPUID faulting.
if "$softsgx" info | grep -q '^ *CPUID faulting *yes'; then
	EXPECT_SGX_CPUID=1
else
	EXPECT_SGX_CPUID=0
fi
export EXPECT_SGX_CPUID
"$softsgx" exec --trace "$dir/trace.json" -- "$prog"
status=$?
[ $status -eq 0 ] || exit $status
if ! grep -q '"name":"AEX".*"vector":32' "$dir/trace.json"; then
	echo "signals_test: no AEX of an interrupt (vector 32) in the trace" >&2
	exit 1
fi
echo "signals_test: the trace has the AEX"
