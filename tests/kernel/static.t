#!/usr/bin/env bash
# The kernel sources pass the kernel's own checks: checkpatch.pl --strict
# (from Debian's linux-source of the stock kernel) on every source file of
# kernel-patches/ and on every patch of its series, and sparse (make C=2) on
# the module.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
trap kt_cleanup EXIT

command -v sparse >/dev/null || kt_skip_all "no sparse: run ./build.sh deps"
kt_stock
kt_checkpatch || kt_skip_all "cannot fetch linux-source for checkpatch.pl with apt-get download"

# the sources (tracked or new, not ignored build products): C, headers,
# Kbuild files and the documentation; the scripts are shellcheck's
mapfile -t files < <(cd "$KT_ROOT" && git ls-files --cached --others --exclude-standard kernel-patches |
	grep -E '\.(c|h|rst)$|(^|/)(Kbuild|Makefile)$' | LC_ALL=C sort)
mapfile -t patches < <(grep -v '^#' "$KT_ROOT/kernel-patches/series")
plan $((${#files[@]} + ${#patches[@]} + 2))

for f in "${files[@]}"; do
	out=$(cd "$KT_ROOT" && perl "$KT_CHECKPATCH" --strict --no-tree --no-summary --terse -f "$f" 2>&1)
	is "$out" "" "checkpatch --strict: $f"
done
# the patches as patches: descriptions, Signed-off-by, what they change
for p in "${patches[@]}"; do
	out=$(cd "$KT_ROOT/kernel-patches" && perl "$KT_CHECKPATCH" --strict --no-tree --no-summary --terse "$p" 2>&1)
	is "$out" "" "checkpatch --strict: the patch $p"
done
is "$(cd "$KT_ROOT/kernel-patches" && printf '%s\n' ./*.patch | sed 's|^\./||' | LC_ALL=C sort)" \
	"$(LC_ALL=C sort <<<"$(printf '%s\n' "${patches[@]}")")" "every patch is in the series, every entry is a patch"

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
