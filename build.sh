#!/usr/bin/env bash
# mosix build driver: dependencies, tools, tests, demo (and later debs,
# kernel, netboot). Run as root on Debian 12. See ./build.sh --help.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${MOSIX_OUT:-$ROOT/out}
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian packages the build, the tests and the demo need. Keep in one list:
# CI on a fresh machine installs exactly these.
DEPS=(
	build-essential pkg-config       # compiler, make
	libcmocka-dev                    # unit tests
	libsodium-dev                    # cluster key, authenticated messages
	clang libclang-rt-14-dev         # libFuzzer targets
	perl                             # prove runs the TAP tests
	iproute2 util-linux iputils-ping # the namespace cluster harness
	procps                           # ps, pgrep in the tests
	mandoc shellcheck cppcheck       # man page, script and C lint
	libncurses-dev                   # mtop
	tmux python3                     # mtop driven in a terminal; JSON checks
	dpkg-dev debhelper               # ./build.sh debs: the packages
	dh-dkms                          # ./build.sh debs: mosix-dkms (dh_dkms)
	apt-utils gnupg                  # the signed apt repository
	bc xz-utils gzip                 # real programs the migration tests move
	lintian piuparts debootstrap     # packaging tier: package checks, chroots
	debian-archive-keyring           # debootstrap of the test chroots
	systemd-container man-db         # boot test (nspawn), man --warnings
	gnuplot-nox                      # bench/bal-sim-run's plot
	qemu-system-x86 cpio             # kernel tier: boots Debian's stock kernel
	dkms sparse                      # kernel tier: the module by DKMS, sparse
	quilt ccache                     # ./build.sh kernel: the series, rebuilds
	flex bison bc libelf-dev         # ./build.sh kernel: the kernel's build
	libssl-dev rsync kmod            # ./build.sh kernel: signing, bindeb-pkg
	busybox-static                   # netboot: the initramfs's shell and tools
	pxelinux syslinux-common ipxe    # netboot: BIOS and UEFI boot loaders
	dnsmasq-base ovmf                # netboot tier: DHCP+TFTP server, UEFI VM
)

usage() {
	cat <<'USAGE'
usage: ./build.sh [COMMAND]

  (none)   deps, tools, then a short demo on a namespace cluster
  deps     install missing build dependencies with apt-get
  tools    build the commands and daemons into out/bin (and the
           ASan/UBSan build the tests use into out/asan)
  check    build everything and run every test tier; prints a summary
  demo     start a small namespace cluster on this machine and show it
  kernel [--netboot]
           Debian's linux-source-6.1 with kernel-patches/ applied: by
           default linux-image- and linux-headers-*-mosix packages from
           Debian's config in out/kernel/debs; --netboot the small kernel
           of diskless nodes and the tests in out/kernel/netboot. ccache
           and the sources in /var/cache/mosix-build (kernel-patches/README)
  bench    run the benchmarks in bench/ and print their figures
  netboot  the netboot image and a ready TFTP root in out/netboot (the
           kernel from out/kernel/netboot, if built; docs/NETBOOT.md)
  debs     build the Debian packages into out/debs and a signed apt
           repository into out/repo; its key is kept in MOSIX_REPO_KEY_DIR
           (default ~/.local/share/mosix/repo-key; docs/PACKAGING.md)
  clean    remove out/
  --help   this text

Environment: MOSIX_OUT (default ./out), V=1 for full compiler commands.
USAGE
}

# Run a named step; a failure stops the script and names the step.
step() {
	local name=$1
	shift
	printf '==> %s\n' "$name"
	local rc=0
	"$@" || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf 'build.sh: step "%s" failed (exit %d)\n' "$name" "$rc" >&2
		exit "$rc"
	fi
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: '$1' needs root (apt-get, namespaces); run it with sudo" >&2
		exit 1
	fi
}

do_deps() {
	local missing=() p
	for p in "${DEPS[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
			missing+=("$p")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	need_root deps
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# stale package lists on a fresh machine are the usual reason to fail
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

do_tools() {
	make -C "$ROOT/tools" -j"$JOBS" --no-print-directory O="$OUT"
	make -C "$ROOT/tools" -j"$JOBS" --no-print-directory O="$OUT/asan" SAN=1
}

do_test_build() {
	make -C "$ROOT/tests" -j"$JOBS" --no-print-directory O="$OUT/asan" all fuzz
}

do_check() {
	need_root check
	MOSIX_OUT=$OUT "$ROOT/tests/run"
}

do_kernel() {
	MOSIX_OUT=$OUT nice -n 5 "$ROOT/kernel-patches/mkkernel" -o "$OUT/kernel" "$@"
}

do_demo() {
	need_root demo
	MOSIX_OUT=$OUT "$ROOT/tests/demo"
}

do_bench() {
	MOSIX_OUT=$OUT "$ROOT/bench/run"
}

# The packages, built by dpkg-buildpackage from a copy of the source files
# (out/ and .git left out) at a fixed path, so two builds give the same
# bytes; then the signed repository (debian/mkrepo). The signing key lives
# outside out/ (MOSIX_REPO_KEY_DIR) so that `clean` does not change the key
# that machines using the repository trust.
do_debs() {
	local build=$OUT/debs-build src rc=0
	src=$build/mosix
	rm -rf "$build"
	mkdir -p "$src"
	(
		cd "$ROOT"
		if git rev-parse --git-dir >/dev/null 2>&1; then
			git ls-files -z --cached --others --exclude-standard |
				while IFS= read -r -d '' f; do
					[ -f "$f" ] && printf '%s\0' "$f"
				done
		else
			find . \( -path ./out -o -path ./.git \) -prune -o -type f -printf '%P\0'
		fi
	) | tar -C "$ROOT" --null -T - -cf - | tar -C "$src" -xf - || return 1
	echo "building $(dpkg-parsechangelog -l "$src/debian/changelog" -S Version) (log: $build/build.log)"
	(cd "$src" && nice -n 10 dpkg-buildpackage -b -us -uc -j"$JOBS") >"$build/build.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$build/build.log" >&2
		return "$rc"
	fi
	rm -rf "$OUT/debs"
	mkdir -p "$OUT/debs"
	cp "$build"/*.deb "$build"/*.buildinfo "$build"/*.changes "$OUT/debs/" || return 1
	ls "$OUT/debs"
	"$ROOT/debian/mkrepo" "$OUT/debs" "$OUT/repo" \
		"${MOSIX_REPO_KEY_DIR:-${HOME:-/root}/.local/share/mosix/repo-key}"
}

# The boot image of diskless nodes: the initramfs from the optimised build
# (out/bin) and a TFTP root around it. Without the netboot kernel the root
# has no vmlinuz and the netboot tier skips.
do_netboot() {
	local nb=$OUT/netboot work=$OUT/netboot-build kernel=$OUT/kernel/netboot/bzImage
	local -a args=()
	rm -rf "$nb" "$work"
	mkdir -p "$work"
	"$ROOT/initramfs/mkinitramfs" --bin "$OUT/bin" -o "$work/initrd.gz" || return 1
	if [ -f "$kernel" ]; then
		args=(--kernel "$kernel")
	else
		echo "netboot: no $kernel yet (./build.sh kernel --netboot): no vmlinuz in $nb"
	fi
	"$ROOT/pxe/mktftproot" -o "$nb" --initrd "$work/initrd.gz" "${args[@]}" || return 1
	du -b "$nb/mosix"/* | sed 's|'"$nb"'/||'
}

do_clean() {
	rm -rf "$OUT"
}

cmd=${1:-all}
case $cmd in
-h | --help | help) usage ;;
deps) step deps do_deps ;;
kernel)
	step deps do_deps
	step kernel do_kernel "${@:2}"
	;;
tools)
	step deps do_deps
	step tools do_tools
	;;
check)
	step deps do_deps
	step tools do_tools
	step kernel do_kernel --netboot
	step netboot do_netboot
	step test-build do_test_build
	step check do_check
	;;
demo)
	step deps do_deps
	step tools do_tools
	step demo do_demo
	;;
bench)
	step deps do_deps
	step tools do_tools
	step bench do_bench
	;;
debs)
	step deps do_deps
	step debs do_debs
	;;
netboot)
	step deps do_deps
	step tools do_tools
	step netboot do_netboot
	;;
clean) step clean do_clean ;;
all)
	step deps do_deps
	step tools do_tools
	step demo do_demo
	;;
*)
	echo "build.sh: unknown command '$cmd'" >&2
	usage >&2
	exit 2
	;;
esac
