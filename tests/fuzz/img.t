#!/usr/bin/env bash
# Runs the fuzzer of the migration stream and forwarding decoders
# (engine/mig_img.c) for a fixed number of inputs, from seeds made here:
# one well-formed payload of each record type, version 1. The first byte
# of a seed picks the decoder, as tests/fuzz/fuzz_img.c describes.
set -u
out=${MOSIX_OUT:-$(dirname "$0")/../../out}
fuzzer=$out/asan/tests/fuzz/fuzz_img
runs=${MOSIX_FUZZ_RUNS:-100000}
echo "1..1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"

# le N VALUE: VALUE as N little-endian bytes
le() {
	local n=$1 v=$2 i
	for ((i = 0; i < n; i++)); do
		printf '%b' "\\x$(printf '%02x' $(((v >> (8 * i)) & 255)))"
	done
}

# seed NAME WORD...: a word is "zN" (N zero bytes), "uN:VALUE" (le N
# VALUE), "s:TEXT" (the text, no NUL) or a byte in hex
seed() {
	local name=$1 w
	shift
	for w in "$@"; do
		case $w in
		z*) head -c "${w#z}" /dev/zero ;;
		u*:*)
			w=${w#u}
			le "${w%%:*}" "${w#*:}"
			;;
		s:*) printf '%s' "${w#s:}" ;;
		*) printf '%b' "\\x$w" ;;
		esac
	done >"$work/corpus/$name"
}

# a VMA: start end prot kind pages
vma() {
	echo "u8:$1 u8:$2 u4:$3 u4:$4 u8:$5"
}

# shellcheck disable=SC2046 # vma's words are several words on purpose
{
	# version home_node home_pid uid xcr0 xsize pad mem mono boot comm
	seed hello 00 u4:2 u4:1 u4:42 u4:1000 u8:7 u4:832 u4:3 u8:1048576 z16 s:sleep z11
	seed reason 01 u4:-16 u4:0 s:busy z124
	seed task 02 z64
	# the scalar parts (fuzz_img.c): from ss_sp (rseq_len at 32) to the
	# auxv words; auxv_bytes, xsize, vvar, vdso start and end; home_pid...
	seed task-fields 03 z32 u4:32 z108 u4:16 u4:832 \
		u8:0x7f0000000000 u8:0x7f0000004000 u8:0x7f0000006000 u4:42 z76
	seed vmas 04 u4:3 u4:0 $(vma 0x400000 0x402000 5 2 2) \
		$(vma 0x402000 0x404000 3 1 1) $(vma 0x7ffffffde000 0x7ffffffff000 3 3 4)
	seed vmas-none 04 u4:0 u4:0
	# the VMA, the header (a run of 2 pages at its second page), no skew
	seed pages 05 $(vma 0x10000 0x14000 3 1 4) u8:0x11000 u8:0x2000 00
	# write(1, buf, 5): one IN buffer
	seed call-write 06 u8:1 u8:1 u8:0x7fff0000 u8:5 z24 u4:1 u4:0 \
		01 01 00 00 u4:5 s:hello
	# stat(path, buf): the path, then the stat buffer going both ways
	seed call-stat 06 u8:4 u8:0x7fff0000 u8:0x7fff1000 z32 u4:2 u4:0 \
		00 01 00 00 u4:5 01 03 00 00 u4:144 s:/tmp 00 z144
	# readv(3, iov, 2): two OUT iovec elements, only `ret` bytes back
	seed call-readv 06 u8:19 u8:3 u8:0x7fff0000 u8:2 z24 u4:2 u4:0 \
		01 02 01 01 u4:100 01 02 01 01 u4:50
	# two buffers expected: 3 and 2 bytes back
	seed ret 07 u2:2 u8:5 u4:2 u4:0 u4:3 u4:2 s:abcde
	seed ret-none 07 u2:0 u8:-9 u4:0 u4:0
	seed signal 08 0d z8
	seed end 08 07 z16
	seed filereq 08 13 z24
	seed ping 08 12
	seed cipher 09 u4:3 u4:2 u4:0
}
if "$fuzzer" -runs="$runs" -seed=1 -artifact_prefix="$work/" -max_len=4096 "$work/corpus" >"$work/log" 2>&1; then
	echo "ok 1 - fuzz_img: $runs runs without a crash or a broken promise"
else
	sed "s/^/# /" "$work/log" | tail -40 >&2
	echo "not ok 1 - fuzz_img crashed (see above)"
fi
