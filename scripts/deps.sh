#!/bin/sh
# Checks that the Debian packages softsgx builds with are installed; as root
# it installs the missing ones with apt-get, otherwise it prints the command.
# "deps.sh test" adds what the tests need beyond the build (clang: the tree
# must build warning-free with it too; python3: an unmodified program that
# softsgx exec must run unchanged); "deps.sh fuzz" adds clang's
# libFuzzer and sanitizer runtimes (make fuzz); "deps.sh bench" adds gnuplot,
# which draws the plot of make bench.
set -eu

packages="gcc make cmake pkg-config libssl-dev linux-libc-dev"
if [ "${1:-}" = test ]; then
	packages="$packages clang python3"
elif [ "${1:-}" = fuzz ]; then
	packages="$packages clang libclang-rt-14-dev"
elif [ "${1:-}" = bench ]; then
	packages="$packages gnuplot-nox"
fi
missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "softsgx: installing$missing" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
else
	echo "softsgx: missing packages:$missing" >&2
	echo "run:  sudo apt-get install -y$missing" >&2
	exit 1
fi
