#!/usr/bin/env bash
# ./build.sh debs: the packages (version from debian/changelog, Debian's
# hardening flags on the optimised build), the same bytes when built twice,
# and a signed repository whose shipped key verifies it.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
trap pkg_cleanup EXIT

plan 14

version=$(dpkg-parsechangelog -l "$PKG_ROOT/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
deb=$PKG_OUT/debs/mosix_${version}_$arch.deb
repo=$PKG_OUT/repo

MOSIX_OUT=$PKG_OUT "$PKG_ROOT/build.sh" debs >"$PKG_OUT/debs-first.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || tail -n 30 "$PKG_OUT/debs-first.log" | pkg_diag
ok "$rc" "./build.sh debs"
[ "$rc" -eq 0 ] || { echo "Bail out! no packages to test"; exit 1; }

is "$(dpkg-deb -f "$deb" Version)" "$version" "the package's version is debian/changelog's"

# --- hardening: the optimised build with dpkg-buildflags -------------------
pkg_tmpdir build
x=$PKG_DIR/x
dpkg-deb -x "$deb" "$x"
bad=''
for b in "$x"/usr/bin/* "$x"/usr/sbin/* "$x"/lib/systemd/system-generators/*; do
	readelf -h "$b" | grep -q 'Type: *DYN' || bad+=" $(basename "$b"):not-PIE"
	readelf -d "$b" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || bad+=" $(basename "$b"):no-BIND_NOW"
	readelf -l "$b" | grep -q GNU_RELRO || bad+=" $(basename "$b"):no-RELRO"
	readelf --dyn-syms -W "$b" | grep -q '__stack_chk_fail' || bad+=" $(basename "$b"):no-stack-protector"
	readelf --dyn-syms -W "$b" | grep -q '__asan\|__ubsan' && bad+=" $(basename "$b"):sanitizer"
done
is "${bad:-none}" none "binaries are PIE, BIND_NOW, RELRO, stack-protected, not sanitised"
log=$PKG_OUT/debs-build/build.log
like "$(grep -c -- '-Wdate-time -D_FORTIFY_SOURCE=2 .*-Werror=format-security' "$log")" \
	'^[1-9]' "the compiler got dpkg-buildflags' hardening flags"
daemons=$(find "$PKG_ROOT/tools/daemons" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | xargs)
is "$(find "$x/usr/sbin" -type f -printf '%f\n' | sort | xargs)" "$daemons" \
	"every daemon of tools/daemons/ is in /usr/sbin"
cmds=$(find "$PKG_ROOT/tools/cmd" -name '*.c' ! -name '*-generator.c' -printf '%f\n' |
	sed 's/\.c$//' | sort | xargs)
is "$(find "$x/usr/bin" -type f -printf '%f\n' | sort | xargs)" "$cmds" \
	"every command of tools/cmd/ is in /usr/bin"
gens=$(find "$PKG_ROOT/tools/cmd" -name '*-generator.c' -printf '%f\n' | sed 's/\.c$//' | sort | xargs)
is "$(find "$x/lib/systemd/system-generators" -type f -printf '%f\n' | sort | xargs)" "$gens" \
	"every systemd generator of tools/cmd/ is in /lib/systemd/system-generators"
is "$(dpkg-deb -I "$deb" conffiles | sort | xargs)" "/etc/mosix/mosix.conf /etc/mosix/pool.conf" \
	"the conffiles are mosix.conf and pool.conf (never the admin's map or key)"

# --- reproducible: a second build gives the same bytes --------------------
mkdir -p "$PKG_DIR/first"
cp "$PKG_OUT"/debs/*.deb "$PKG_DIR/first/"
fpr1=$(gpg --show-keys --with-colons "$repo/mosix-archive-keyring.gpg" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
MOSIX_OUT=$PKG_OUT "$PKG_ROOT/build.sh" debs >"$PKG_OUT/debs-second.log" 2>&1
ok $? "./build.sh debs again"
differ=''
for f in "$PKG_DIR"/first/*.deb; do
	g=$PKG_OUT/debs/$(basename "$f")
	cmp -s "$f" "$g" && continue
	differ+=" $(basename "$f")"
	# what differs (a source file edited between the two builds, or not)
	mkdir -p "$PKG_DIR/a" "$PKG_DIR/b"
	dpkg-deb -R "$f" "$PKG_DIR/a/${f##*/}"
	dpkg-deb -R "$g" "$PKG_DIR/b/${f##*/}"
	diff -r "$PKG_DIR/a/${f##*/}" "$PKG_DIR/b/${f##*/}" 2>&1 | head -n 20 | pkg_diag
	diff <(dpkg-deb -c "$f") <(dpkg-deb -c "$g") | head -n 20 | pkg_diag
done
is "${differ:-none}" none "two builds give the same .debs, byte for byte"

# --- the repository --------------------------------------------------------
fpr2=$(gpg --show-keys --with-colons "$repo/mosix-archive-keyring.gpg" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
like "$fpr2" "^[0-9A-F]{40}$" "the repository ships its public key"
is "$fpr2" "$fpr1" "and keeps its signing key from one build to the next"
out=$(gpgv --keyring "$repo/mosix-archive-keyring.gpg" "$repo/dists/bookworm/InRelease" 2>&1)
rc=$?
ok "$rc" "InRelease verifies with the shipped key"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | pkg_diag
like "$(cat "$repo/mosix.list")" \
	"^deb \[signed-by=/etc/apt/keyrings/mosix-archive-keyring.gpg\] file:$repo bookworm main$" \
	"mosix.list is a ready sources.list line with signed-by="
