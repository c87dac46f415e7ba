# shellcheck shell=bash
# Helpers of the packaging tier (tests/packaging/*.t): the Debian mirror of
# this machine, a cached bookworm base, throw-away chroots, the previous build.
#
#   pkg_diag               standard input as TAP diagnostics (tap.sh's diag
#                          takes arguments)
#   pkg_need_debs          fail unless ./build.sh debs has run (00-build.t)
#   pkg_mirror             the first bookworm mirror of this machine's apt
#                          sources (one-line and deb822 formats)
#   pkg_base               make $PKG_BASE, a minbase bookworm tarball with
#                          package lists, if it is missing or a week old
#   pkg_tmpdir NAME        a new directory under $PKG_OUT/tmp, in $PKG_DIR
#                          (removed by pkg_cleanup, or by ./build.sh clean)
#   pkg_unpack DIR         unpack $PKG_BASE into DIR
#   pkg_chroot DIR CMD...  run CMD chrooted in DIR, in a private mount
#                          namespace (proc, sys, dev, the apt download cache,
#                          and every "SRC:DST" of PKG_BINDS, DST in DIR; all
#                          gone with the namespace); root's shell environment
#   pkg_previous           build, or take from the cache, the previous
#                          version's .debs; prints their directory, a flat
#                          apt repository (Packages)
#
# Nothing here installs on this machine itself: chroots only.

PKG_ROOT=${MOSIX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PKG_OUT=${MOSIX_OUT:-$PKG_ROOT/out}
# survives between runs (warm runs are fast); ./build.sh clean removes it
PKG_CACHE=${MOSIX_PKG_CACHE:-$PKG_OUT/cache/packaging}
PKG_SUITE=bookworm
PKG_BASE=$PKG_CACHE/$PKG_SUITE-base.tar.gz
PKG_BASE_MAX_DAYS=7
PKG_BINDS=
declare -a _pkg_tmp=()

pkg_diag() {
	sed 's/^/# /' >&2
}

pkg_need_debs() {
	if ! compgen -G "$PKG_OUT/debs/mosix_*.deb" >/dev/null ||
		[ ! -s "$PKG_OUT/repo/dists/$PKG_SUITE/InRelease" ]; then
		echo "Bail out! no packages in $PKG_OUT/debs: run ./build.sh debs (00-build.t does)"
		exit 1
	fi
}

pkg_mirror() {
	local f
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -r "$f" ] || continue
			# deb [OPTIONS] URI SUITE COMPONENT...
			awk -v s="$PKG_SUITE" '$1 == "deb" {
				i = 2
				if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) == s) print $i
			}' "$f"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -r "$f" ] || continue
			awk -v s="$PKG_SUITE" 'BEGIN { RS = ""; FS = "\n" }
			{
				types = ""; uris = ""; suites = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/ || !match($i, /^[A-Za-z-]+:/)) continue
					key = tolower(substr($i, 1, RLENGTH - 1))
					val = substr($i, RLENGTH + 1)
					if (key == "types") types = val
					else if (key == "uris") uris = val
					else if (key == "suites") suites = val
					else if (key == "enabled") enabled = val
				}
				if (enabled ~ /no/ || (" " types " ") !~ /[ \t]deb[ \t]/) next
				n = split(suites, S, /[ \t]+/)
				for (j = 1; j <= n; j++) if (S[j] == s) {
					n = split(uris, U, /[ \t]+/)
					for (k = 1; k <= n; k++) if (U[k] != "") { print U[k]; next }
				}
			}' "$f"
		done
	} | head -n 1
}

pkg_base() {
	mkdir -p "$PKG_CACHE/apt-archives/partial"
	(
		flock 9
		if [ -s "$PKG_BASE" ] &&
			[ -z "$(find "$PKG_BASE" -mtime +"$PKG_BASE_MAX_DAYS")" ]; then
			exit 0
		fi
		mirror=$(pkg_mirror)
		if [ -z "$mirror" ]; then
			echo "# no $PKG_SUITE mirror in /etc/apt/sources.list*" >&2
			exit 1
		fi
		echo "# making $PKG_BASE from $mirror" >&2
		dir=$(mktemp -d "$PKG_CACHE/base.XXXXXX")
		chmod 755 "$dir"
		if ! nice -n 10 debootstrap --variant=minbase --include=eatmydata \
			"$PKG_SUITE" "$dir" "$mirror" >"$PKG_CACHE/debootstrap.log" 2>&1; then
			tail -n 20 "$PKG_CACHE/debootstrap.log" | sed 's/^/# /' >&2
			rm -rf "$dir"
			exit 1
		fi
		# every test chroot: no translations, nothing started by dpkg
		echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/90mosix-test"
		printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
		chmod 755 "$dir/usr/sbin/policy-rc.d"
		# package lists in the tarball: a later update is a quick check
		pkg_chroot "$dir" apt-get -qq update >&2 &&
			pkg_chroot "$dir" apt-get -qq clean >&2 &&
			tar -C "$dir" -czf "$PKG_BASE.tmp" . &&
			mv "$PKG_BASE.tmp" "$PKG_BASE"
		rc=$?
		rm -rf "$dir"
		exit "$rc"
	) 9>"$PKG_CACHE/lock"
}

pkg_tmpdir() {
	local d
	mkdir -p "$PKG_OUT/tmp"
	d=$(mktemp -d "$PKG_OUT/tmp/$1.XXXXXX") || return 1
	_pkg_tmp+=("$d")
	PKG_DIR=$d
}

pkg_cleanup() {
	local d
	for d in "${_pkg_tmp[@]}"; do
		rm -rf --one-file-system "$d"
	done
}

pkg_unpack() {
	tar -C "$1" -xzf "$PKG_BASE"
}

pkg_chroot() {
	local dir=$1
	shift
	mkdir -p "$PKG_CACHE/apt-archives/partial"
	# shellcheck disable=SC2016 # expanded by the inner bash
	PKG_CACHE=$PKG_CACHE PKG_BINDS=$PKG_BINDS \
		unshare --mount --propagation private -- bash -c '
		set -e
		d=$1
		shift
		mount -t proc proc "$d/proc"
		mount -t sysfs sysfs "$d/sys"
		mount --bind /dev "$d/dev"
		mount --bind /dev/pts "$d/dev/pts"
		mount --bind "$PKG_CACHE/apt-archives" "$d/var/cache/apt/archives"
		for b in $PKG_BINDS; do
			mkdir -p "$d${b#*:}"
			mount --bind "${b%%:*}" "$d${b#*:}"
		done
		cp /etc/resolv.conf "$d/etc/resolv.conf"
		exec chroot "$d" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' _ "$dir" "$@"
}

pkg_previous() {
	local cur c v commit='' ver dir src log
	cur=$(dpkg-parsechangelog -l "$PKG_ROOT/debian/changelog" -S Version) || return 1
	# the newest committed version older than this one
	for c in $(git -C "$PKG_ROOT" log --format=%H -- debian/changelog 2>/dev/null); do
		v=$(git -C "$PKG_ROOT" show "$c:debian/changelog" |
			dpkg-parsechangelog -l- -S Version 2>/dev/null) || continue
		if dpkg --compare-versions "$v" lt "$cur"; then
			commit=$c
			ver=$v
			break
		fi
	done
	# none yet: this tree, built as a lower version
	[ -n "$commit" ] || ver="$cur~prev"
	dir=$PKG_CACHE/previous/$ver
	if [ -s "$dir/Packages" ]; then
		echo "$dir"
		return 0
	fi
	pkg_tmpdir previous || return 1
	src=$PKG_DIR/mosix
	log=$PKG_CACHE/previous-$ver.log
	mkdir -p "$src" "$PKG_CACHE/previous"
	if [ -n "$commit" ]; then
		echo "# building the previous version $ver from commit $commit" >&2
		git -C "$PKG_ROOT" archive "$commit" | tar -C "$src" -xf - || return 1
	else
		echo "# no older version committed: building this tree as $ver" >&2
		cp -a "$PKG_OUT/debs-build/mosix/." "$src/" || return 1
		sed -i "1s/($cur)/($ver)/" "$src/debian/changelog"
	fi
	if ! (cd "$src" && nice -n 10 dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
		tail -n 20 "$log" | sed 's/^/# /' >&2
		rm -rf "$PKG_DIR"
		return 1
	fi
	rm -rf "$dir.new"
	mkdir -p "$dir.new"
	cp "$src"/../*.deb "$dir.new/" &&
		(cd "$dir.new" && apt-ftparchive packages . >Packages && gzip -9n -k Packages) &&
		mv "$dir.new" "$dir" && echo "$dir"
	local rc=$?
	# called as $(pkg_previous): pkg_cleanup does not know this one
	rm -rf "$PKG_DIR"
	return "$rc"
}
