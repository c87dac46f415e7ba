#!/usr/bin/env bash
# apt install mosix from out/repo, as an admin would, on a throw-away
# bookworm chroot (never on this machine): first from file: with the shipped
# key and mosix.sources, then over HTTP. The installed binaries pass a smoke
# test; mosix-netboot installs with its boot loaders from Debian and
# purges cleanly; reinstalling keeps the admin's map and key; purge removes
# the key and the state and leaves the map.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
http_pid=''
cleanup() {
	[ -z "$http_pid" ] || kill "$http_pid" 2>/dev/null
	pkg_cleanup
}
trap cleanup EXIT
pkg_need_debs

plan 31

repo=$PKG_OUT/repo
pkg_base || { echo "Bail out! no base chroot"; exit 1; }
pkg_tmpdir apt
root=$PKG_DIR/root
mkdir -p "$root"
pkg_unpack "$root"
install -D -m 0644 "$repo/mosix-archive-keyring.gpg" \
	"$root/etc/apt/keyrings/mosix-archive-keyring.gpg"
cp "$repo/mosix.sources" "$root/etc/apt/sources.list.d/"
export PKG_BINDS="$repo:$repo"
in_root() { pkg_chroot "$root" "$@"; }

# --- from file: --------------------------------------------------------------
out=$(in_root apt-get update 2>&1)
ok $? "apt-get update with the repository's mosix.sources"
# unlike TEXT ERE DESC: no line of TEXT matches
unlike() {
	local hits
	hits=$(printf '%s\n' "$1" | grep -E -- "$2")
	is "$hits" "" "$3"
}
unlike "$out" '^(W|E):|NO_PUBKEY|not signed' "the repository's signature is accepted"
out=$(in_root apt-get install -y --no-install-recommends mosix 2>&1)
rc=$?
ok "$rc" "apt-get install mosix"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 20 | pkg_diag
like "$(in_root apt-cache policy mosix)" "^ +500 file:$repo bookworm/main" \
	"installed from out/repo"
is "$(in_root stat -c '%a %U %G' /etc/mosix/secret)" "600 root root" \
	"postinst made the cluster key, 0600 root"
like "$(in_root getent group mosix)" '^mosix:x:[0-9]+:' "and the system group mosix"
like "$(in_root getent passwd mosix-guest)" '^mosix-guest:x:[1-9][0-9]*:[1-9][0-9]*:.*:/nonexistent:/usr/sbin/nologin$' \
	"and the system user guests run as, no root, no login"
ok "$(in_root test ! -e /etc/mosix/mosix.map; echo $?)" "and no map: that is the admin's"

# --- smoke test of the installed binaries ------------------------------------
is "$(in_root dpkg -S /usr/sbin/mosix-infod)" "mosix: /usr/sbin/mosix-infod" \
	"mosix-infod is the package's"
out=$(in_root setpe -c -v -f /usr/share/doc/mosix/examples/mosix.map 2>&1)
rc=$?
ok "$rc" "setpe -c checks the example map and /etc/mosix/mosix.conf"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | pkg_diag
bad=''
for c in $(in_root dpkg -L mosix | grep -E '^/usr/s?bin/'); do
	in_root "$c" --help 2>&1 | grep -q "usage: ${c##*/}" || bad+=" ${c##*/}"
done
is "${bad:-none}" none "every installed command and daemon answers --help"
like "$(in_root mosix-infod --help)" '^usage: mosix-infod' "mosix-infod --help"
like "$(in_root mosctl --help)" '^usage: mosctl' "mosctl --help"
ok "$(in_root test -L /etc/systemd/system/multi-user.target.wants/mosix.target \
	-a -L /etc/systemd/system/mosix.target.wants/mosix-infod.service \
	-a -L /etc/systemd/system/mosix.target.wants/mosix-infod.path; echo $?)" \
	"the units are enabled (mosix.target, mosix-infod.service and .path)"
is "$(in_root bash -c '. /usr/share/bash-completion/completions/mtop; complete -p setpe mosctl mtop mosix-mkmap' | awk '{ print $NF }' | xargs)" \
	"setpe mosctl mtop mosix-mkmap" "bash completion for the commands"

# --- mosix-netboot: the boot server, its boot loaders from Debian ------------
out=$(in_root apt-get install -y --no-install-recommends mosix-netboot 2>&1)
rc=$?
ok "$rc" "apt-get install mosix-netboot (dnsmasq, ipxe, pxelinux from Debian)"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 20 | pkg_diag
like "$(in_root mosix-pxe-setup --help)" '^usage: mosix-pxe-setup' "mosix-pxe-setup --help"
lib=/usr/lib/mosix-netboot
ok "$(in_root test -s $lib/tftp/mosix/initrd.gz -a -x $lib/mkinitramfs -a -x $lib/mktftproot \
	-a -f /lib/systemd/system/mosix-keysrv.service -a -f /usr/lib/PXELINUX/pxelinux.0 \
	-a -f /usr/lib/ipxe/snponly.efi; echo $?)" \
	"the boot image, its tools, mosix-keysrv's unit and Debian's pxelinux and iPXE"
# the image's own binaries are the package's build (both stripped, each its
# own way): the same mosix-migd, by its build id
zcat "$root$lib/tftp/mosix/initrd.gz" | cpio -i --quiet --to-stdout usr/sbin/mosix-migd \
	>"$PKG_DIR/image-migd" 2>/dev/null
build_id() { readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: //p'; }
id_image=$(build_id "$PKG_DIR/image-migd")
id_pkg=$(build_id "$root/usr/sbin/mosix-migd")
ok "$([ -n "$id_image" ] && [ "$id_image" = "$id_pkg" ]; echo $?)" \
	"the image holds the installed mosix-migd (build id ${id_image:-none})"
out=$(in_root apt-get purge -y mosix-netboot 2>&1)
ok $? "apt-get purge mosix-netboot"
ok "$(in_root test ! -e $lib -a ! -e /usr/sbin/mosix-pxe-setup; echo $?)" \
	"purge removed the image and mosix-pxe-setup"

# --- over HTTP, reinstalling: the admin's map and key stay ------------------
printf '1 192.168.77.1 4\n' >"$root/etc/mosix/mosix.map"
key=$(sha256sum <"$root/etc/mosix/secret")
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$repo" \
	>"$PKG_DIR/http.log" 2>&1 &
http_pid=$!
port=''
for _ in $(seq 50); do
	port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\).*/\1/p' "$PKG_DIR/http.log")
	[ -n "$port" ] && break
	sleep 0.1
done
sed -i "s|^URIs: .*|URIs: http://127.0.0.1:$port/|" "$root/etc/apt/sources.list.d/mosix.sources"
out=$(in_root apt-get update 2>&1)
ok $? "apt-get update over HTTP"
unlike "$out" '^(W|E):|NO_PUBKEY|not signed' "the signature is accepted over HTTP too"
# not from the download cache this chroot shares with the others
rm -f "$PKG_CACHE"/apt-archives/mosix_*.deb
out=$(in_root apt-get install -y --reinstall mosix 2>&1)
rm -f "$PKG_CACHE"/apt-archives/mosix_*.deb
ok $? "apt-get install --reinstall mosix over HTTP"
like "$out" "^Get:[0-9]+ http://127.0.0.1:$port/? bookworm/main .*mosix" "fetched over HTTP"
is "$(sha256sum <"$root/etc/mosix/secret")" "$key" "the upgrade kept the cluster key"
is "$(cat "$root/etc/mosix/mosix.map")" "1 192.168.77.1 4" "and the admin's map"

# --- purge -------------------------------------------------------------------
mkdir -p "$root/run/mosix/nodes/1" "$root/var/lib/mosix"
echo 1 >"$root/run/mosix/nodes/1/status"
out=$(in_root apt-get purge -y mosix 2>&1)
ok $? "apt-get purge mosix"
ok "$(in_root test ! -e /etc/mosix/secret -a ! -e /etc/mosix/mosix.conf \
	-a ! -e /run/mosix -a ! -e /var/lib/mosix; echo $?)" \
	"purge removed the key, mosix.conf and the state"
is "$(cat "$root/etc/mosix/mosix.map" 2>&1)" "1 192.168.77.1 4" "and left the admin's map"
in_root dpkg-query -W mosix >/dev/null 2>&1
ok $((!$?)) "dpkg has forgotten the package"
