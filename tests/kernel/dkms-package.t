#!/usr/bin/env bash
# The mosix-dkms package as an admin meets it, in a throw-away bookworm
# chroot (never on this machine): it ships the module's sources of this tree;
# installed, it registers with DKMS; installing the headers of Debian's
# stock kernel afterwards builds and installs the module for that kernel
# (DKMS's kernel hook, as after a kernel upgrade); that very module boots
# with the stock kernel in qemu and passes ktest; removing the package
# removes the module, purging leaves nothing of it.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../packaging/lib.sh"
. "$(dirname "$0")/lib.sh"
trap 'pkg_cleanup; kt_cleanup' EXIT

[ "$(id -u)" -eq 0 ] || kt_skip_all "needs root (chroot)"
for t in qemu-system-x86_64 cpio gcc modinfo bc debootstrap; do
	command -v "$t" >/dev/null || kt_skip_all "no $t: run ./build.sh deps"
done
deb=$PKG_OUT/debs/mosix-dkms_${KT_VERSION}_all.deb
[ -f "$deb" ] || kt_skip_all "no $deb: run ./build.sh debs (the packaging tier does)"
kt_stock
diag "stock kernel $KT_KVER, mosix-dkms $KT_VERSION"

# --- what the package ships -------------------------------------------------
kt_tmpdir dkms-package
dpkg-deb -x "$deb" "$KT_DIR/x"
src=/usr/src/mosix-$KT_VERSION
differ=''
for f in "$KT_ROOT"/kernel-patches/mosix/{*.c,*.h,Kbuild,Makefile}; do
	cmp -s "$f" "$KT_DIR/x$src/${f##*/}" || differ+=" ${f##*/}"
done
# builtin/: the empty module for a kernel with CONFIG_MOSIX
for f in "$KT_ROOT"/debian/dkms-builtin/*; do
	cmp -s "$f" "$KT_DIR/x$src/builtin/${f##*/}" || differ+=" builtin/${f##*/}"
done
extra=''
for f in "$KT_DIR/x$src"/* "$KT_DIR/x$src"/builtin/*; do
	f=${f#"$KT_DIR/x$src/"}
	case $f in
	dkms.conf | builtin) ;;
	builtin/*) [ -f "$KT_ROOT/debian/dkms-$f" ] || extra+=" $f" ;;
	*) [ -f "$KT_ROOT/kernel-patches/mosix/$f" ] || extra+=" $f" ;;
	esac
done
is "${differ:-none}/${extra:-none}" "none/none" \
	"$src holds kernel-patches/mosix and builtin/ as in this tree, nothing else (else: ./build.sh debs)"
is "$(cat "$KT_DIR/x$src/dkms.conf")" \
	"$(sed "s/#MODULE_VERSION#/$KT_VERSION/g" "$KT_ROOT/debian/mosix-dkms.dkms")" \
	"its dkms.conf is debian/mosix-dkms.dkms with the version put in"
like "$(dpkg-deb -f "$deb" Depends)" '(^|, )dkms( |,|$)' "it depends on dkms"

# --- install in a chroot: the package, then the headers ----------------------
pkg_base || { echo "Bail out! no base chroot"; exit 1; }
pkg_tmpdir dkms-package
root=$PKG_DIR/root
mkdir -p "$root/tmp/debs"
pkg_unpack "$root"
cp "$deb" "$root/tmp/"
cp "$KT_HEADER_DEBS"/*.deb "$root/tmp/debs/"
in_root() { pkg_chroot "$root" "$@"; }
log=$KT_LOG_DIR/dkms-package.log
mkdir -p "$KT_LOG_DIR"
: >"$log"

in_root apt-get update -qq >>"$log" 2>&1
in_root apt-get install -y -q --no-install-recommends "/tmp/${deb##*/}" >>"$log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$log")"
ok "$rc" "apt-get install mosix-dkms (no kernel headers yet)"
is "$(in_root dkms status 2>&1)" "mosix/$KT_VERSION: added" "the module is added to DKMS, built for no kernel"

in_root sh -c 'apt-get install -y -q --no-install-recommends /tmp/debs/*.deb' >>"$log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$log")"
ok "$rc" "apt-get install linux-headers-$KT_KVER (the stock kernel's)"
is "$(in_root dkms status 2>&1)" "mosix/$KT_VERSION, $KT_KVER, x86_64: installed" \
	"DKMS's kernel hook built and installed the module for $KT_KVER"
ko=$root/lib/modules/$KT_KVER/updates/dkms/mosix.ko
is "$(modinfo -F vermagic "$ko" 2>&1 | cut -d' ' -f1)/$(modinfo -F version "$ko" 2>&1)" \
	"$KT_KVER/$KT_VERSION" "/lib/modules/$KT_KVER/updates/dkms/mosix.ko: vermagic and version"

# --- that module on the stock kernel ----------------------------------------
mkdir -p "$KT_DIR/initramfs"
kt_build_ktest "$KT_DIR/initramfs/init" >"$KT_LOG_DIR/ktest.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(cat "$KT_LOG_DIR/ktest.log")"
ok "$rc" "ktest builds (static)"
cp "$ko" "$KT_DIR/initramfs/mosix.ko" 2>/dev/null
kt_initramfs "$KT_DIR/initramfs" "$KT_DIR/initrd.gz"
ok $? "the initramfs: ktest as /init, the module DKMS installed"
kt_boot "$KT_DIR/initrd.gz" dkms-package

# --- remove, purge ------------------------------------------------------------
in_root apt-get remove -y -q mosix-dkms >>"$log" 2>&1
ok $? "apt-get remove mosix-dkms"
ok "$([ ! -e "$ko" ] && echo 0 || echo 1)" "  the module is gone from /lib/modules/$KT_KVER"
is "$(in_root dkms status 2>&1)" "" "  and from DKMS"
# no conffiles: nothing is left for apt to purge, dpkg does it all the same
in_root dpkg --purge mosix-dkms >>"$log" 2>&1
ok $? "dpkg --purge mosix-dkms"
left=$(cd "$root" && ls -d "./$src" ./var/lib/dkms/mosix 2>/dev/null)
is "$left" "" "  nothing of it is left"

plan "$_tap_n"
