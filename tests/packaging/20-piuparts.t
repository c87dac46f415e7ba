#!/usr/bin/env bash
# piuparts in a clean bookworm chroot: install and purge the new package,
# then install the previous build, upgrade it to the new one, remove and
# purge; nothing may be left behind. The mirror is this machine's.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
trap pkg_cleanup EXIT
pkg_need_debs

plan 5

version=$(dpkg-parsechangelog -l "$PKG_ROOT/debian/changelog" -S Version)
pkg_base
ok $? "a bookworm base chroot (cached in $PKG_CACHE)"
prev=$(pkg_previous)
ok $? "the previous build: ${prev##*/}"
[ -n "$prev" ] || { echo "Bail out! no previous build"; exit 1; }

pkg_tmpdir piuparts
log=$PKG_CACHE/piuparts.log
rm -f "$log"
nice -n 10 piuparts -d "$PKG_SUITE" -m "$(pkg_mirror)" -b "$PKG_BASE" \
	--tmpdir="$PKG_DIR" --bindmount "$prev" \
	--extra-repo "deb [trusted=yes] file://$prev ./" \
	-l "$log" "$PKG_OUT"/debs/mosix_"$version"_*.deb >/dev/null 2>&1
rc=$?
ok "$rc" "piuparts passes (log: $log)"
[ "$rc" -eq 0 ] || grep -E 'ERROR|FAIL|WARN' "$log" | tail -n 20 | pkg_diag
like "$(grep -c 'PASS: Installation and purging test' "$log")" '^1$' \
	"install and purge"
like "$(grep -F "Unpacking mosix ($version) over (${prev##*/})" "$log")" . \
	"install ${prev##*/}, upgrade to $version, remove and purge"
