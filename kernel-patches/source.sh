# shellcheck shell=bash
# Debian's linux-source-6.1, pristine, for the scripts of kernel-patches/
# (mkseries, mkkernel). Sourced; needs apt-get, dpkg-deb, tar, xz.
#
#   ks_source          sets KS_VERSION (the package's version, from apt or,
#                      without package lists, the newest in the cache) and
#                      KS_TARBALL (linux-source-6.1.tar.xz), fetching the
#                      package into $KS_CACHE/src with apt-get download
#   ks_pristine DIR    a fresh, pristine tree of KS_TARBALL in DIR
#   ks_config_deb      sets KS_DEBIAN_CONFIG: Debian's amd64 config of the
#                      same version (package linux-config-6.1)
#
# KS_CACHE (default /var/cache/mosix-build) survives clean clones, so a CI
# run on a warm machine neither downloads nor rebuilds what ccache has.

KS_CACHE=${MOSIX_BUILD_CACHE:-/var/cache/mosix-build}
KS_PKG=linux-source-6.1

_ks_download() {
	(cd "$1" && apt-get download -qq -o APT::Sandbox::User=root "$2" >&2)
}

ks_source() {
	local dir=$KS_CACHE/src
	mkdir -p "$dir"
	KS_VERSION=$(apt-cache policy "$KS_PKG" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	if [ -z "$KS_VERSION" ] || [ "$KS_VERSION" = "(none)" ]; then
		KS_VERSION=$(find "$dir" -maxdepth 1 -name "${KS_PKG}_*.deb" -printf '%f\n' |
			sed "s/^${KS_PKG}_\\(.*\\)_all\\.deb$/\\1/" | sort -V | tail -n 1)
		[ -n "$KS_VERSION" ] || {
			echo "kernel-patches: apt knows no $KS_PKG and none is cached (apt-get update)" >&2
			return 1
		}
	fi
	KS_TARBALL=$dir/$KS_VERSION/usr/src/$KS_PKG.tar.xz
	[ -f "$KS_TARBALL" ] && return 0
	if [ ! -f "$dir/${KS_PKG}_${KS_VERSION}_all.deb" ]; then
		echo "kernel-patches: fetching $KS_PKG $KS_VERSION" >&2
		_ks_download "$dir" "$KS_PKG=$KS_VERSION" || return 1
	fi
	rm -rf "${dir:?}/${KS_VERSION:?}"
	dpkg-deb -x "$dir/${KS_PKG}_${KS_VERSION}_all.deb" "$dir/$KS_VERSION" || return 1
	[ -f "$KS_TARBALL" ]
}

ks_pristine() {
	local out=$1
	rm -rf "$out"
	mkdir -p "$out"
	tar -xJf "$KS_TARBALL" -C "$out" --strip-components=1
}

ks_config_deb() {
	local dir=$KS_CACHE/src pkg=linux-config-6.1
	KS_DEBIAN_CONFIG=$dir/config-$KS_VERSION/usr/src/$pkg/config.amd64_none_amd64.xz
	[ -f "$KS_DEBIAN_CONFIG" ] && return 0
	if [ ! -f "$dir/${pkg}_${KS_VERSION}_amd64.deb" ]; then
		echo "kernel-patches: fetching $pkg $KS_VERSION" >&2
		_ks_download "$dir" "$pkg=$KS_VERSION" || return 1
	fi
	dpkg-deb -x "$dir/${pkg}_${KS_VERSION}_amd64.deb" "$dir/config-$KS_VERSION" &&
		[ -f "$KS_DEBIAN_CONFIG" ]
}
