#!/bin/sh
# SPDX-License-Identifier: MIT
# The runtime-shaped program under softsgx exec on a hostile platform: the
# injections that a runtime cannot see but the emulator must get right
# (faults retried, pages evicted and reloaded while threads are inside,
# spurious interrupts, EWB and EINIT refusals, allocation that must wait)
# struck, each one logged, and the program still passes every check.
# Usage: inject_test.sh SOFTSGX RUNTIME_PROGRAM
softsgx=$1
prog=$2
failures=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "inject_test.sh: FAIL: $*" >&2
	failures=$((failures + 1))
}

spec="fault.retry=1/5,evict=1/20,aex.rate=500/s,ewb.not_tracked=0.5,etrack.irq=1/2"
spec="$spec,alloc.ebusy=1/10,einit.unmasked_event=1/2,seed=1"
SOFTSGX_INJECT_LOG="$tmp/log" "$softsgx" --inject "$spec" exec -- "$prog" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "the program failed ($status): $(tail -5 "$tmp/err")"
for point in fault.retry evict aex.rate etrack.irq alloc.ebusy einit.unmasked_event; do
	grep -q "^inject [0-9]* $point " "$tmp/log" || fail "no $point in the log"
done
# Every line says what it was and how to make it again (aex.rate: its round, no replay).
line='^inject [0-9]+ [a-z_.]+ thread=([0-9]+|ksgxd) call=[0-9]+ encl=[0-9]+ addr=0x[0-9a-f]+ replay=[a-z_.]+=#[0-9]+:thread=([0-9]+|ksgxd)$'
bad=$(grep -v -E "$line" "$tmp/log" | grep -v -E '^inject [0-9]+ aex.rate round=[0-9]+ threads=[1-9][0-9]*$' | head -3)
[ -z "$bad" ] || fail "log lines not as documented: $bad"

[ "$failures" -eq 0 ] || exit 1
echo "inject_test.sh: $(wc -l <"$tmp/log") injections, the program passed"
