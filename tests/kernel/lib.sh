# shellcheck shell=bash
# Helpers of the kernel tier (tests/kernel/*.t): Debian's stock kernel and
# its headers, the module built against them, a test initramfs, a qemu boot
# whose console TAP is re-emitted here.
#
#   kt_skip_all WHY        "1..0 # SKIP WHY" and exit (before any output)
#   kt_stock               Debian's current linux-image-amd64 and its headers,
#                          unpacked under $KT_CACHE/stock/KVER (downloaded with
#                          apt-get download, never installed): sets KT_KVER,
#                          KT_VMLINUZ, KT_KDIR (the headers' build directory),
#                          KT_HEADER_DEBS (the headers' .debs, kept) or skips
#                          the test when apt cannot say or fetch them
#   kt_checkpatch          checkpatch.pl of Debian's linux-source of the same
#                          kernel, under $KT_CACHE: sets KT_CHECKPATCH
#   kt_tmpdir NAME         a new directory under $KT_OUT/tmp in KT_DIR
#                          (removed by kt_cleanup)
#   kt_build_module SRC DIR  the module from SRC (a copy of kernel-patches/
#                          mosix) built in DIR against KT_KDIR, with W=1
#   kt_build_ktest OUT     tests/kernel/ktest.c, static, to OUT
#   kt_initramfs DIR OUT   a newc initramfs of DIR (plus /dev/console)
#   kt_boot INITRD NAME    boot KT_VMLINUZ with INITRD in qemu (software
#                          emulation), the console to $KT_LOG_DIR/NAME.console;
#                          re-emit its TAP as this test's, with the boot time
#                          to the first line as a diagnostic
#
# Nothing is installed on this machine: the kernel packages are unpacked
# into the cache, which survives between runs (./build.sh clean removes it).

KT_ROOT=${MOSIX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KT_OUT=${MOSIX_OUT:-$KT_ROOT/out}
KT_CACHE=${MOSIX_KERNEL_CACHE:-$KT_OUT/cache/kernel}
KT_LOG_DIR=$KT_OUT/kernel
KT_TIMEOUT=${MOSIX_KTEST_TIMEOUT:-300}
KT_VERSION=$(dpkg-parsechangelog -l "$KT_ROOT/debian/changelog" -S Version 2>/dev/null)
declare -a _kt_tmp=()

kt_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# The package a Depends: line of apt-cache names, matching an ERE.
_kt_depends() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: \([^ <>]*\)$/\1/p' | grep -E -m1 "$2"
}

# apt-get download PKG... into the current directory
_kt_download() {
	apt-get download -qq -o APT::Sandbox::User=root "$@" >&2
}

kt_stock() {
	local img kver dir
	[ "$(dpkg --print-architecture)" = amd64 ] || kt_skip_all "not amd64"
	img=$(_kt_depends linux-image-amd64 '^linux-image-')
	if [ -z "$img" ]; then
		# no package lists: a kernel fetched earlier still does
		dir=$(find "$KT_CACHE/stock" -mindepth 2 -maxdepth 2 -name ok -printf '%h\n' 2>/dev/null | sort -V | tail -n 1)
		[ -n "$dir" ] || kt_skip_all "apt knows no linux-image-amd64 (run apt-get update)"
		kver=${dir##*/}
	else
		kver=${img#linux-image-}
	fi
	dir=$KT_CACHE/stock/$kver
	mkdir -p "$KT_CACHE/stock"
	if [ ! -e "$dir/ok" ] || [ ! -d "$dir/debs" ]; then
		(
			flock 9
			[ -e "$dir/ok" ] && [ -d "$dir/debs" ] && exit 0
			set -e
			rm -rf "$dir" "$dir.debs"
			mkdir -p "$dir/root" "$dir.debs"
			cd "$dir.debs"
			common=$(_kt_depends "linux-headers-$kver" '^linux-headers-.*-common$')
			kbuild=$(_kt_depends "linux-headers-$kver" '^linux-kbuild-')
			echo "# fetching linux-image-$kver and its headers" >&2
			_kt_download "linux-image-$kver" "linux-headers-$kver" "$common" "$kbuild"
			for d in linux-headers-*.deb linux-kbuild-*.deb; do
				dpkg-deb -x "$d" "$dir/root"
			done
			# the image: only the kernel, not its 300 MB of modules
			dpkg-deb --fsys-tarfile linux-image-*.deb |
				tar -x -C "$dir/root" "./boot/vmlinuz-$kver"
			# the headers include their common half by absolute path
			sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" \
				"$dir/root/usr/src/linux-headers-$kver/Makefile"
			# the headers' packages stay for the install test (dkms-package.t)
			rm linux-image-*.deb
			cd /
			mv "$dir.debs" "$dir/debs"
			# only the newest kernel is kept
			find "$KT_CACHE/stock" -mindepth 1 -maxdepth 1 ! -name "$kver" ! -name lock \
				-exec rm -rf {} +
			touch "$dir/ok"
		) 9>"$KT_CACHE/stock/lock" ||
			kt_skip_all "cannot fetch linux-image-$kver and its headers with apt-get download"
	fi
	KT_KVER=$kver
	KT_VMLINUZ=$dir/root/boot/vmlinuz-$kver
	KT_KDIR=$dir/root/usr/src/linux-headers-$kver
	KT_HEADER_DEBS=$dir/debs
}

kt_checkpatch() {
	local src dir
	src=linux-source-$(echo "$KT_KVER" | cut -d. -f1-2)
	dir=$KT_CACHE/checkpatch-$(apt-cache policy "$src" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ "$dir" != "$KT_CACHE/checkpatch-" ] || dir=$(find "$KT_CACHE" -maxdepth 1 -name 'checkpatch-*' | sort -V | tail -n 1)
	[ -n "$dir" ] || return 1
	if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
		(
			set -e
			rm -rf "$dir.tmp"
			mkdir -p "$dir.tmp"
			cd "$dir.tmp"
			echo "# fetching $src for checkpatch.pl" >&2
			_kt_download "$src"
			dpkg-deb --fsys-tarfile "$src"_*.deb | tar -x --wildcards './usr/src/linux-source-*.tar.xz'
			tar -xJf usr/src/linux-source-*.tar.xz --strip-components=1 --wildcards \
				'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
				'*/scripts/const_structs.checkpatch'
			rm -rf usr ./*.deb
			cd /
			# only the newest is kept
			find "$KT_CACHE" -maxdepth 1 -name 'checkpatch-*' ! -name "${dir##*/}.tmp" \
				-exec rm -rf {} +
			mv "$dir.tmp" "$dir"
		) || return 1
	fi
	KT_CHECKPATCH=$dir/scripts/checkpatch.pl
}

kt_tmpdir() {
	mkdir -p "$KT_OUT/tmp"
	KT_DIR=$(mktemp -d "$KT_OUT/tmp/$1.XXXXXX") || return 1
	_kt_tmp+=("$KT_DIR")
}

kt_cleanup() {
	local d
	for d in "${_kt_tmp[@]}"; do
		rm -rf --one-file-system "$d"
	done
}

kt_build_module() {
	local src=$1 dir=$2
	rm -rf "$dir"
	cp -r "$src" "$dir"
	make -C "$KT_KDIR" M="$dir" W=1 MOSIX_VERSION="$KT_VERSION" modules
}

kt_build_ktest() {
	gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$1" "$KT_ROOT/tests/kernel/ktest.c"
}

kt_initramfs() {
	local dir=$1 out=$2
	mkdir -p "$dir/dev" "$dir/proc"
	[ -e "$dir/dev/console" ] || mknod "$dir/dev/console" c 5 1
	(cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
}

kt_boot() {
	local initrd=$1 name=$2 console start first='' rc why line n=0 plan='' bail=''
	mkdir -p "$KT_LOG_DIR"
	console=$KT_LOG_DIR/$name.console
	: >"$console"
	start=$EPOCHREALTIME
	# software emulation (no KVM), two CPUs for the concurrency checks, no
	# network; ktest powers off, a panic reboots, and -no-reboot ends qemu
	while IFS= read -r line; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$console"
		if [ -z "$first" ] && [[ $line =~ ^(ok|not\ ok|#\ ktest) ]]; then
			first=$EPOCHREALTIME
		fi
	done < <(timeout "$KT_TIMEOUT" qemu-system-x86_64 -accel tcg -smp 2 -m 512 \
		-nographic -monitor none -serial stdio -no-reboot -nic none \
		-kernel "$KT_VMLINUZ" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet MOSIX_VERSION=$KT_VERSION" </dev/null 2>&1)
	wait $! 2>/dev/null
	rc=$?
	if [ -n "$first" ]; then
		diag "boot to the first TAP line: $(echo "$first - $start" | bc) s (qemu, software emulation, 2 CPUs); whole run $(echo "$EPOCHREALTIME - $start" | bc) s"
	fi
	why="qemu exit $rc"
	[ "$rc" -ne 124 ] || why="timeout after $KT_TIMEOUT s"
	[ "$rc" -eq 0 ]
	ok $? "$name: the VM ran and powered off ($why)"
	[ "$rc" -eq 0 ] || diag "console ($console), last lines:" \
		"$(tail -n 40 "$console" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g')"
	# the VM's TAP, re-emitted: its checks become this test's
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); ok 0 "$name: ${line#ok * - }" ;;
		"not ok "*) n=$((n + 1)); ok 1 "$name: ${line#not ok * - }" ;;
		"1.."*) plan=${line#1..} ;;
		"Bail out!"*) bail=$line ;;
		"# "*) diag "${line#\# }" ;;
		esac
	done < <(grep -aE '^(ok |not ok |1\.\.[0-9]+$|Bail out!|# )' "$console")
	[ -z "$bail" ] || diag "$bail"
	[ -n "$plan" ] && [ "$n" -eq "$plan" ]
	ok $? "$name: the VM ran its whole plan ($n of ${plan:-no plan})"
}
