#!/usr/bin/env bash
# The netboot image without booting it: two builds give the same bytes;
# it holds busybox, init and the daemons with every library they need (each
# runs --help in a chroot of the unpacked image); no cluster key is in it
# unless --bake-key puts one there, loudly; out/netboot is a TFTP root whose
# menus name files that exist; kernel plus initramfs stay under 16 MiB.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/lib.sh"
nb_init
nb_need_image
plan 18

mk=$root/initramfs/mkinitramfs
"$mk" --bin "$plain" -o "$tmp/a.gz" 2>"$tmp/mk.err"
ok $? "mkinitramfs builds the image"
# the second build elsewhere, with another umask, time zone and locale
(cd / && umask 077 && TZ=Asia/Tokyo LC_ALL=C.UTF-8 "$mk" --bin "$plain" -o "$tmp/b.gz")
a=$(sha256sum <"$tmp/a.gz")
is "$(sha256sum <"$tmp/b.gz")" "$a" "a second build gives the same sha256 (${a%% *})"
is "$(sha256sum <"$image/mosix/initrd.gz")" "$a" "out/netboot's initramfs is that image"
SOURCE_DATE_EPOCH=1 "$mk" --bin "$plain" -o "$tmp/c.gz"
test "$(sha256sum <"$tmp/c.gz")" != "$a"
ok $? "(another SOURCE_DATE_EPOCH gives other bytes: the date is really set)"

mkdir "$tmp/x"
(cd "$tmp/x" && zcat ../a.gz | cpio -id --quiet --no-absolute-filenames)
is "$(zcat "$tmp/a.gz" | cpio -tv --quiet | awk '$3 != "root" || $4 != "root"' | head -n 3)" "" \
	"every entry is owned by root:root"
listed=$(zcat "$tmp/a.gz" | cpio -t --quiet)
is "$(printf '%s\n' "$listed" | LC_ALL=C sort -c 2>&1)" "" "entries are sorted"
test -x "$tmp/x/init" && test -x "$tmp/x/bin/busybox" && test -c "$tmp/x/dev/console"
ok $? "/init, busybox and /dev/console are there"
! readelf -l "$tmp/x/bin/busybox" | grep -q interpreter
ok $? "busybox is static"
bad=''
for p in mosix-infod mosix-migd mosctl mosix-keyget setpe; do
	chroot "$tmp/x" "/usr/sbin/$p" --help >/dev/null 2>&1 || bad+=" $p"
	readelf -S "$tmp/x/usr/sbin/$p" | grep -q '\.debug_info' && bad+=" $p(debug)"
done
is "$bad" "" "each program runs in the image (its libraries are there), stripped"
chroot "$tmp/x" /bin/sh -c 'udhcpc --help; ip -V; mount --help; setsid --help' >/dev/null 2>&1
ok $? "the applets init uses are there (udhcpc, ip, mount, setsid)"
like "$(chroot "$tmp/x" /usr/sbin/mosix-infod --help 2>&1 | head -n 1)" "^usage: mosix-infod" \
	"the daemon is the optimised build"
is "$(find "$tmp/x/etc/mosix" -mindepth 1)" "" "no key, map or server key in the generic image"

# the site part
mkdir -p "$tmp/conf"
printf '1 10.77.0.1 1\n' >"$tmp/conf/mosix.map"
MOSIX_CONFIG_DIR=$tmp/conf "$plain/mosctl" genkey >/dev/null 2>&1
MOSIX_CONFIG_DIR=$tmp/conf "$plain/mosix-keysrv" --genkey >/dev/null
"$mk" --site --pubkey "$tmp/conf/keysrv.key.pub" -o "$tmp/site.gz" 2>"$tmp/site.err"
is "$(zcat "$tmp/site.gz" | cpio -t --quiet | grep -v '^etc$\|^etc/mosix$')" "etc/mosix/keysrv.key.pub" \
	"the site part holds the server's public key only"
is "$(cat "$tmp/site.err")" "" "... and says nothing"
"$mk" --site --pubkey "$tmp/conf/keysrv.key.pub" --bake-key --config-dir "$tmp/conf" \
	-o "$tmp/baked.gz" 2>"$tmp/baked.err"
like "$(cat "$tmp/baked.err")" "WARNING: --bake-key puts the cluster key into the boot image" \
	"--bake-key warns"
mkdir "$tmp/y"
(cd "$tmp/y" && zcat ../baked.gz | cpio -id --quiet --no-absolute-filenames)
cmp -s "$tmp/y/etc/mosix/secret" "$tmp/conf/secret" && test -e "$tmp/y/etc/mosix/baked" &&
	[ "$(stat -c %a "$tmp/y/etc/mosix/secret")" = 600 ]
ok $? "... and puts the key (0600), the map and the marker in the site part"

# the TFTP root
missing=''
for f in pxelinux.0 ldlinux.c32 snponly.efi mosix.ipxe pxelinux.cfg/default mosix/site.gz; do
	[ -s "$image/$f" ] || missing+=" $f"
done
for f in $(sed -n 's/^ *\(KERNEL\|INITRD\) //p' "$image/pxelinux.cfg/default" | tr , ' ') \
	$(awk '$1 == "kernel" || $1 == "initrd" { print $2 }' "$image/mosix.ipxe"); do
	[ "$f" = mosix/vmlinuz ] && [ ! -f "$kernel" ] && continue
	[ -s "$image/$f" ] || missing+=" $f"
done
is "$missing" "" "out/netboot has the loaders, menus and every file they name"

if [ -f "$kernel" ]; then
	k=$(stat -c %s "$image/mosix/vmlinuz")
	i=$(stat -c %s "$image/mosix/initrd.gz")
	diag "kernel $k bytes, initramfs $i bytes, together $(((k + i) / 1024)) KiB"
	ok $((k + i >= 16 * 1024 * 1024)) "kernel plus initramfs under 16 MiB ($(((k + i) / 1024)) KiB)"
else
	echo "ok $((++_tap_n)) # SKIP no netboot kernel (./build.sh kernel --netboot)"
fi
