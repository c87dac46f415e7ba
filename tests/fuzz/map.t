#!/usr/bin/env bash
# Runs the map parser fuzzer for a fixed number of inputs from the seed
# corpus. Longer runs: docs/TESTING.md.
set -u
out=${MOSIX_OUT:-$(dirname "$0")/../../out}
fuzzer=$out/asan/tests/fuzz/fuzz_map
runs=${MOSIX_FUZZ_RUNS:-100000}
echo "1..1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# copy the seeds: libFuzzer adds what it finds to the first corpus dir
mkdir "$work/corpus"
cp "$(dirname "$0")"/corpus/map/* "$work/corpus/"
if "$fuzzer" -runs="$runs" -seed=1 -artifact_prefix="$work/" -max_len=4096 "$work/corpus" >"$work/log" 2>&1; then
	echo "ok 1 - fuzz_map: $runs runs without a crash or a broken round trip"
else
	sed "s/^/# /" "$work/log" | tail -40 >&2
	echo "not ok 1 - fuzz_map crashed (see above)"
fi
