#!/usr/bin/env bash
# The patched kernel (the series of kernel-patches/ on Debian's
# linux-source-6.1, its netboot config, built by ./build.sh kernel
# --netboot) boots in qemu; inside, ktest (tests/kernel/ktest.c) checks the
# built-in /proc/mosix with the lock kept in the task, then runs the series'
# kselftest (tools/testing/selftests/mosix: per-process files, the lock
# across fork and exec, cantmove, a guest's getpid and its absence from
# /proc listings). Their TAP comes back over the serial console.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
trap kt_cleanup EXIT

[ "$(id -u)" -eq 0 ] || kt_skip_all "needs root (the initramfs's /dev/console)"
for t in qemu-system-x86_64 cpio gcc bc; do
	command -v "$t" >/dev/null || kt_skip_all "no $t: run ./build.sh deps"
done
nb=$KT_OUT/kernel/netboot
if [ ! -f "$nb/bzImage" ] || [ ! -f "$nb/mosix_test" ]; then
	kt_skip_all "no patched kernel in $nb: ./build.sh kernel --netboot"
fi
# kt_boot boots this kernel
KT_VMLINUZ=$nb/bzImage
export KT_VMLINUZ
diag "patched kernel $(cat "$nb/VERSION"), interface version $KT_VERSION"

grep -qx CONFIG_MOSIX=y "$nb/config"
ok $? "the kernel has CONFIG_MOSIX=y"
grep -q '^# CONFIG_MODULES is not set' "$nb/config"
ok $? "and no module support: the interface is built in"

kt_tmpdir patched
mkdir -p "$KT_DIR/initramfs" "$KT_LOG_DIR"
kt_build_ktest "$KT_DIR/initramfs/init" >"$KT_LOG_DIR/ktest-patched.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(cat "$KT_LOG_DIR/ktest-patched.log")"
ok "$rc" "ktest builds (static)"
cp "$nb/mosix_test" "$KT_DIR/initramfs/mosix_test"
kt_initramfs "$KT_DIR/initramfs" "$KT_DIR/initrd.gz"
ok $? "the initramfs: ktest as /init, the kselftest, /dev/console"

kt_boot "$KT_DIR/initrd.gz" patched

plan "$_tap_n"
