#!/usr/bin/env bash
# The full kernel's packages (./build.sh kernel: Debian's config and the
# series, linux-image-*-mosix and linux-headers-*-mosix) as an admin meets
# them, in a throw-away bookworm chroot (never on this machine): they
# install beside Debian's own kernel; installing the headers runs DKMS's
# hook, which builds mosix-dkms for Debian's kernel and, for the mosix
# kernel, whose interface is built in, an empty module that refuses to
# load; the modules are signed
# with the build's key; and the installed mosix kernel boots in qemu and
# passes ktest and the series' kselftest. Skips until the full kernel is
# built (hours on two cores: docs/BENCHMARKS.md).
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../packaging/lib.sh"
. "$(dirname "$0")/lib.sh"
trap 'pkg_cleanup; kt_cleanup' EXIT

[ "$(id -u)" -eq 0 ] || kt_skip_all "needs root (chroot)"
for t in qemu-system-x86_64 cpio gcc modinfo bc debootstrap; do
	command -v "$t" >/dev/null || kt_skip_all "no $t: run ./build.sh deps"
done
debs=$KT_OUT/kernel/debs
image=$(find "$debs" -maxdepth 1 -name 'linux-image-*-mosix_*.deb' ! -name '*-dbg_*' 2>/dev/null | head -n 1)
headers=$(find "$debs" -maxdepth 1 -name 'linux-headers-*-mosix_*.deb' 2>/dev/null | head -n 1)
if [ -z "$image" ] || [ -z "$headers" ]; then
	kt_skip_all "no full kernel packages in $debs: ./build.sh kernel"
fi
dkms_deb=$PKG_OUT/debs/mosix-dkms_${KT_VERSION}_all.deb
[ -f "$dkms_deb" ] || kt_skip_all "no $dkms_deb: run ./build.sh debs"
kver=$(dpkg-deb -f "$image" Package)
kver=${kver#linux-image-}
kt_stock
diag "mosix kernel $kver beside Debian's $KT_KVER"

pkg_base || { echo "Bail out! no base chroot"; exit 1; }
pkg_tmpdir kernel-debs
root=$PKG_DIR/root
mkdir -p "$root/tmp/debs" "$root/tmp/stock"
pkg_unpack "$root"
cp "$image" "$headers" "$dkms_deb" "$root/tmp/debs/"
cp "$KT_HEADER_DEBS"/*.deb "$root/tmp/stock/"
# Debian's kernel image from this machine's apt sources (a kernel update
# is in bookworm-security, which the chroot's base sources lack)
(cd "$root/tmp/stock" && _kt_download "linux-image-$KT_KVER") ||
	diag "cannot download linux-image-$KT_KVER"
in_root() { pkg_chroot "$root" "$@"; }
log=$KT_LOG_DIR/kernel-debs.log
mkdir -p "$KT_LOG_DIR"
: >"$log"

in_root apt-get update -qq >>"$log" 2>&1
# (the glob is the chroot's: expanded by its shell)
in_root sh -c "apt-get install -y -q --no-install-recommends dkms \
	/tmp/debs/${dkms_deb##*/} /tmp/stock/*.deb" >>"$log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$log")"
ok "$rc" "Debian's linux-image-$KT_KVER, its headers, dkms and mosix-dkms install"
in_root apt-get install -y -q --no-install-recommends "/tmp/debs/${image##*/}" \
	"/tmp/debs/${headers##*/}" >>"$log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$log")"
ok "$rc" "linux-image-$kver and linux-headers-$kver install beside them"
ok "$(test -f "$root/boot/vmlinuz-$KT_KVER" -a -f "$root/boot/vmlinuz-$kver" \
	-a -d "$root/lib/modules/$KT_KVER" -a -d "$root/lib/modules/$kver"; echo $?)" \
	"both kernels and both module trees are there"
status=$(in_root dkms status 2>&1)
like "$status" "^mosix/$KT_VERSION, $KT_KVER, x86_64: installed\$" \
	"DKMS built mosix-dkms for Debian's kernel"
like "$status" "^mosix/$KT_VERSION, $kver, x86_64: installed\$" \
	"... and for the mosix kernel (DKMS 3.0.10 fails a kernel's install over a module that declines it)"
like "$(modinfo -F description "$root/lib/modules/$kver/updates/dkms/mosix.ko" 2>&1)" \
	'built into this kernel' "... there, the empty module, which refuses to load"
desc=$(modinfo -F description "$root/lib/modules/$KT_KVER/updates/dkms/mosix.ko" 2>&1)
ok "$(case $desc in *built\ into* | "") echo 1 ;; *) echo 0 ;; esac)" \
	"... and the interface itself for Debian's kernel ($desc)"
grep -qx 'CONFIG_MOSIX=y' "$root/boot/config-$kver"
ok $? "the mosix kernel has CONFIG_MOSIX=y"
ko=$(find "$root/lib/modules/$kver/kernel/fs" -name '*.ko' | head -n 1)
like "$(modinfo -F sig_id "$ko" 2>&1)/$(modinfo -F signer "$ko" 2>&1)" '^PKCS#7/.+' \
	"its modules are signed (${ko##*/}: $(modinfo -F signer "$ko" 2>&1))"

# --- the installed kernel boots and passes ktest and the kselftest ------------
kt_tmpdir kernel-debs
mkdir -p "$KT_DIR/initramfs"
kt_build_ktest "$KT_DIR/initramfs/init" >"$KT_LOG_DIR/ktest-debs.log" 2>&1
ok $? "ktest builds (static)"
if [ -f "$KT_OUT/kernel/netboot/mosix_test" ]; then
	cp "$KT_OUT/kernel/netboot/mosix_test" "$KT_DIR/initramfs/mosix_test"
fi
kt_initramfs "$KT_DIR/initramfs" "$KT_DIR/initrd.gz"
KT_VMLINUZ=$root/boot/vmlinuz-$kver
export KT_VMLINUZ
kt_boot "$KT_DIR/initrd.gz" kernel-debs

plan "$_tap_n"
