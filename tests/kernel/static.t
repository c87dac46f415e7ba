#!/usr/bin/env bash
# The kernel sources pass the kernel's own checks: checkpatch.pl --strict
# (from Debian's linux-source of the stock kernel) on every file of
# kernel-patches/, and sparse (make C=2) on the module.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
trap kt_cleanup EXIT

command -v sparse >/dev/null || kt_skip_all "no sparse: run ./build.sh deps"
kt_stock
kt_checkpatch || kt_skip_all "cannot fetch linux-source for checkpatch.pl with apt-get download"

# the sources (tracked or new, not ignored build products), but the README
mapfile -t files < <(cd "$KT_ROOT" && git ls-files --cached --others --exclude-standard kernel-patches |
	grep -Ev '(^|/)(README|\.gitignore)$' | LC_ALL=C sort)
plan $((${#files[@]} + 1))

for f in "${files[@]}"; do
	out=$(cd "$KT_ROOT" && perl "$KT_CHECKPATCH" --strict --no-tree --no-summary --terse -f "$f" 2>&1)
	is "$out" "" "checkpatch --strict: $f"
done

kt_tmpdir static
log=$KT_LOG_DIR/sparse.log
mkdir -p "$KT_LOG_DIR"
rm -rf "$KT_DIR/mosix"
cp -r "$KT_ROOT/kernel-patches/mosix" "$KT_DIR/mosix"
make -C "$KT_KDIR" M="$KT_DIR/mosix" C=2 modules >"$log" 2>&1
rc=$?
out=$(grep -vE '^  (CC|CHECK|LD|MODPOST|BTF) |^make|^Skipping BTF' "$log")
[ "$rc" -eq 0 ] || out+=$'\n'"(make exit $rc)"
is "$out" "" "sparse (C=2): no warning on the module"
