#!/usr/bin/env bash
# Proxy DHCP: the nodes' network already has a DHCP server, which gives
# addresses and no boot options (node 2 of the namespace cluster, a plain
# dnsmasq giving 10.77.0.150-159). The head's mosix-pxe-setup --proxy
# makes its dnsmasq a proxy DHCP server (boot options only) and gives the
# site's addresses node ids; a BIOS VM boots from it with an address of
# the site's server, fetches the key and joins the head's cluster.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, taps)"
	exit 0
fi
nb_init
nb_need_kernel
nb_need_image
bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")
plan 10

# shellcheck disable=SC2119 # no extra arguments for mosix-pxe-setup
NB_PROXY=1 nb_head_up || { echo "Bail out! the head did not come up"; exit 1; }
d2=$(cluster_dir 2)
trap 'cp "$d1"/tmp/nb/*.log "$d1"/tmp/*.log "$tmp/" 2>/dev/null; cp "$d2/tmp/site/dnsmasq.log" "$tmp/site-dnsmasq.log" 2>/dev/null; nb_cleanup; cluster_down' EXIT
ok "$nb_setup_rc" "mosix-pxe-setup --proxy configures the head"
[ "$nb_setup_rc" -eq 0 ] || diag "$(cat "$tmp/setup.log")"
grep -qx 'dhcp-range=10.77.0.0,proxy' "$d1/tmp/nb/dnsmasq.conf"
ok $? "the head's dnsmasq is a proxy DHCP server on 10.77.0.0"
grep -qx '[0-9]* 10.77.0.150 10' "$d1/etc/mosix/mosix.map"
ok $? "the map gives the site server's ten addresses ids ($(grep 10.77.0.150 "$d1/etc/mosix/mosix.map"))"

nb_vm bios bios 1 52:54:00:77:02:01
nb_wait bios 300 'mosix-init: .* node [0-9]+ is up'
ok $? "the VM boots through the proxy and its daemons run ($(nb_since bios) s)"
id=$(nb_console bios | sed -n 's/.*this is node \([0-9]*\) (\(.*\))$/\1/p' | tail -n 1)
ip=$(nb_console bios | sed -n 's/.*this is node \([0-9]*\) (\(.*\))$/\2/p' | tail -n 1)
[ -n "$id" ] || diag "console:" "$(nb_console bios | tail -n 30)"
like "$ip" '^10\.77\.0\.15[0-9]$' "its address ${ip:-none} is one the site's server gives"
lease=$(awk '$2 == "52:54:00:77:02:01" { print $3 }' "$d2/tmp/site/leases")
is "$lease" "$ip" "the site's server leased it (${lease:-nothing})"
test ! -s "$d1/tmp/nb/leases"
ok $? "the head leased nothing"
grep -q 'proxy' "$d1/tmp/nb/dnsmasq.log" && grep -q 'mosix.ipxe' "$d1/tmp/nb/dnsmasq.log"
ok $? "the head's dnsmasq answered as a proxy, with the iPXE script"
is "$(cluster_exec 1 "$bin/mosctl" whois "$ip")" "$id" "its id ${id:-none} is the head's map's id for it"
wait_for 30 cluster_exec 1 "$bin/mosctl" isup "${id:-0}" >/dev/null
ok $? "node ${id:-?} is up in the head's mosctl status"
nb_console bios | grep -a 'mosix-init:' | sed 's/^/bios: /' >"$tmp/init.log"
diag "$(cat "$tmp/init.log")"
