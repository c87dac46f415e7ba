#!/usr/bin/env bash
# Runs the gossip datagram fuzzer for a fixed number of inputs.
set -u
out=${MOSIX_OUT:-$(dirname "$0")/../../out}
fuzzer=$out/asan/tests/fuzz/fuzz_gossip
runs=${MOSIX_FUZZ_RUNS:-100000}
echo "1..1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
if "$fuzzer" -runs="$runs" -seed=1 -artifact_prefix="$work/" -max_len=1500 "$work/corpus" >"$work/log" 2>&1; then
	echo "ok 1 - fuzz_gossip: $runs runs without a crash"
else
	sed "s/^/# /" "$work/log" | tail -40 >&2
	echo "not ok 1 - fuzz_gossip crashed (see above)"
fi
