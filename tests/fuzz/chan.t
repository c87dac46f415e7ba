#!/usr/bin/env bash
# Runs the migration channel fuzzer (handshake decoder, record length and
# record decoder) for a fixed number of inputs, from seeds made here: one
# of each handshake message (version 1), a record, a plaintext, and an
# AES-256-GCM record and plaintext.
set -u
out=${MOSIX_OUT:-$(dirname "$0")/../../out}
fuzzer=$out/asan/tests/fuzz/fuzz_chan
runs=${MOSIX_FUZZ_RUNS:-100000}
echo "1..1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"

# seed NAME BYTES...: the first byte picks the fuzzer's mode (0 handshake,
# 1 wire record, 2 plaintext, 3 and 4 the same for AES-256-GCM records);
# "zN" stands for N zero bytes
seed() {
	local name=$1 b
	shift
	for b in "$@"; do
		case $b in
		z*) head -c "${b#z}" /dev/zero ;;
		*) printf '%b' "\\x$b" ;;
		esac
	done >"$work/corpus/$name"
}
ids="02 00 00 00 01 00 00 00"
# shellcheck disable=SC2086 # $ids is several words on purpose
{
	seed hello 00 4d 58 4d 43 01 01 30 00 $ids z32
	seed reply 00 4d 58 4d 43 01 02 68 00 $ids z88
	seed proof 00 4d 58 4d 43 01 03 48 00 $ids z56
	seed refuse 00 4d 58 4d 43 01 04 10 00 02 00 00 00 00 00 00 00
	seed record 01 19 00 00 00 z25
	seed plain 02 00 07 00 00 00 61 62 63
	seed gcm-record 03 19 00 00 00 z25
	seed gcm-plain 04 ff 07 00 00 00 61 62 63
}
if "$fuzzer" -runs="$runs" -seed=1 -artifact_prefix="$work/" -max_len=4096 "$work/corpus" >"$work/log" 2>&1; then
	echo "ok 1 - fuzz_chan: $runs runs without a crash or a broken round trip"
else
	sed "s/^/# /" "$work/log" | tail -40 >&2
	echo "not ok 1 - fuzz_chan crashed (see above)"
fi
