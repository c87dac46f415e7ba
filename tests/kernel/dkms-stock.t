#!/usr/bin/env bash
# Debian's stock kernel (linux-image-amd64 from the archive) boots in qemu
# with the mosix module that DKMS builds for it from the files mosix-dkms
# installs; inside, ktest (tests/kernel/ktest.c) loads the module, checks
# /proc/mosix (admin files, nodes through admin/nodes, the lock across fork,
# exec and exit, bad writes, permissions), unloads it and reads the kernel
# log. Its TAP comes back over the serial console and is re-emitted here.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
trap kt_cleanup EXIT

[ "$(id -u)" -eq 0 ] || kt_skip_all "needs root (the initramfs's /dev/console)"
for t in qemu-system-x86_64 cpio dkms gcc modinfo bc; do
	command -v "$t" >/dev/null || kt_skip_all "no $t: run ./build.sh deps"
done
kt_stock
diag "stock kernel $KT_KVER, module version $KT_VERSION"

kt_tmpdir dkms-stock
mkdir -p "$KT_LOG_DIR"

# --- the module, by make, W=1 ---------------------------------------------
log=$KT_LOG_DIR/make.log
kt_build_module "$KT_ROOT/kernel-patches/mosix" "$KT_DIR/make" >"$log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(tail -n 30 "$log")"
ok "$rc" "make: the module builds against the headers of $KT_KVER"
warnings=$(grep -E 'warning:|error:' "$log")
is "$warnings" "" "make: no compiler warning with W=1"

# --- the module, by DKMS, as mosix-dkms installs it -------------------------
# /usr/src/mosix-VERSION of the package: the module's files and dkms.conf
# with dh_dkms -V's substitution; DKMS in private trees (nothing
# registered on this machine) and a throw-away signing key if it signs
src=$KT_DIR/usr-src/mosix-$KT_VERSION
mkdir -p "$src" "$KT_DIR/dkms"
cp "$KT_ROOT"/kernel-patches/mosix/{*.c,*.h,Kbuild,Makefile} "$src/"
sed "s/#MODULE_VERSION#/$KT_VERSION/g" "$KT_ROOT/debian/mosix-dkms.dkms" >"$src/dkms.conf"
dkms_args=(-m mosix -v "$KT_VERSION" --sourcetree "$KT_DIR/usr-src" --dkmstree "$KT_DIR/dkms")
log=$KT_LOG_DIR/dkms.log
{
	dkms add "${dkms_args[@]}" &&
		mok_signing_key=$KT_DIR/mok.key mok_certificate=$KT_DIR/mok.pub \
			dkms build "${dkms_args[@]}" -k "$KT_KVER" --kernelsourcedir "$KT_KDIR"
} >"$log" 2>&1
rc=$?
ko=$KT_DIR/dkms/mosix/$KT_VERSION/$KT_KVER/x86_64/module/mosix.ko
[ -f "$ko" ] || rc=1
if [ "$rc" -ne 0 ]; then
	diag "$(tail -n 30 "$log")"
	diag "$(tail -n 30 "$KT_DIR/dkms/mosix/$KT_VERSION/build/make.log" 2>/dev/null)"
fi
ok "$rc" "dkms build: mosix $KT_VERSION for $KT_KVER"
is "$(modinfo -F vermagic "$ko" 2>&1 | cut -d' ' -f1)" "$KT_KVER" "the module's vermagic is the stock kernel's"
is "$(modinfo -F version "$ko" 2>&1)" "$KT_VERSION" "the module's version is debian/changelog's"
is "$(modinfo -F depends "$ko" 2>&1)" "" "the module needs no other module"

# --- the initramfs: ktest as /init, the module ------------------------------
mkdir -p "$KT_DIR/initramfs"
kt_build_ktest "$KT_DIR/initramfs/init" >"$KT_LOG_DIR/ktest.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(cat "$KT_LOG_DIR/ktest.log")"
ok "$rc" "ktest builds (static)"
cp "$ko" "$KT_DIR/initramfs/mosix.ko" 2>/dev/null
kt_initramfs "$KT_DIR/initramfs" "$KT_DIR/initrd.gz"
ok $? "the initramfs: ktest as /init, mosix.ko, /dev/console"

# --- boot -----------------------------------------------------------------
kt_boot "$KT_DIR/initrd.gz" dkms-stock

plan "$_tap_n"
