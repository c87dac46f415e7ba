#!/usr/bin/env bash
# Runs the state snapshot fuzzer for a fixed number of inputs.
set -u
out=${MOSIX_OUT:-$(dirname "$0")/../../out}
fuzzer=$out/asan/tests/fuzz/fuzz_state
runs=${MOSIX_FUZZ_RUNS:-100000}
echo "1..1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$(dirname "$0")"/corpus/state/* "$work/corpus/"
if "$fuzzer" -runs="$runs" -seed=1 -artifact_prefix="$work/" -max_len=4096 "$work/corpus" >"$work/log" 2>&1; then
	echo "ok 1 - fuzz_state: $runs runs without a crash"
else
	sed "s/^/# /" "$work/log" | tail -40 >&2
	echo "not ok 1 - fuzz_state crashed (see above)"
fi
