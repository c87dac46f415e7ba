#!/usr/bin/env bash
# lintian finds no error and no warning in any package built (pedantic and
# informational tags are shown, not failed on); every lintian override says
# why; every man page of the packages renders without a warning and every
# unit's Documentation= names a page the packages ship.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
trap pkg_cleanup EXIT
pkg_need_debs

plan 4

out=$(lintian --fail-on error,warning --display-info --pedantic \
	"$PKG_OUT"/debs/*.changes 2>&1)
rc=$?
ok "$rc" "lintian: no error, no warning"
printf '%s\n' "$out" | grep -v 'running with root privileges' | grep . | pkg_diag

# an override is a comment then the override lines it explains
bad=$(for f in "$PKG_ROOT"/debian/*lintian-overrides "$PKG_ROOT"/debian/source/lintian-overrides; do
	[ -f "$f" ] || continue
	awk -v f="${f#"$PKG_ROOT"/}" '
		/^#/ { c = 1; next }
		/^[ \t]*$/ { c = 0; next }
		!c { print f ": " $0 }' "$f"
done)
is "$bad" "" "every lintian override carries a comment saying why"

pkg_tmpdir lintian
for d in "$PKG_OUT"/debs/*.deb; do
	dpkg-deb -x "$d" "$PKG_DIR/x"
done
out=''
for p in $(find "$PKG_DIR/x/usr/share/man" -name '*.gz' | sort); do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
	[ -z "$w" ] || out+="${p##*/}: $w"$'\n'
done
is "$out" "" "man --warnings: the packages' man pages render without a warning"

missing=''
for u in "$PKG_DIR"/x/lib/systemd/system/*; do
	# shellcheck disable=SC2013 # Documentation= holds words
	for m in $(sed -n 's/^Documentation=//p' "$u"); do
		case $m in
		man:*)
			page=${m#man:}
			name=${page%(*}
			sec=${page##*(}
			sec=${sec%)}
			[ -e "$PKG_DIR/x/usr/share/man/man$sec/$name.$sec.gz" ] ||
				missing+=" ${u##*/}:$m"
			;;
		esac
	done
done
is "${missing:-none}" none "every unit's Documentation= man page is in the packages"
