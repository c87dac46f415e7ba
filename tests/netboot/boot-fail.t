#!/usr/bin/env bash
# The init script's failure paths, each in a qemu VM (software emulation)
# on qemu's user network inside a network namespace of this test (no route
# out; the VM's 10.0.2.2 is this namespace's loopback):
#   - out/netboot as it is, served by qemu's built-in TFTP server (BIOS
#     iPXE ROM -> pxelinux.0 -> kernel and initramfs): the image has no key
#     server key, so the node says "no key", tries again, then starts the
#     rescue shell and says so;
#   - no DHCP answer (a NIC on an empty network): said, tried again;
#   - no key server answering, then a map without the node: each said and
#     tried again; once the head's map has the node, it comes up.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (a network namespace)"
	exit 0
fi
if [ -z "${NB_FAIL_T_NETNS:-}" ]; then
	NB_FAIL_T_NETNS=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up
nb_init
nb_need_kernel
nb_need_image
plan 14

# --- out/netboot through qemu's TFTP: pxelinux, then "no key" and the rescue shell
nb_qemu pxe -boot n -nic "user,model=e1000,tftp=$image,bootfile=pxelinux.0"
nb_wait pxe 120 'mosix-init: .*FAILED: no key: the image has no key server public key'
ok $? "pxelinux from qemu's TFTP boots out/netboot; init says it has no key ($(nb_since pxe) s)"
nb_wait pxe 60 'mosix-init: .*trying again in'
ok $? "... and tries again"
nb_wait pxe 60 'mosix-init: .*failed 5 times; starting a rescue shell'
ok $? "... and after 5 tries starts a rescue shell, saying so"
nb_wait pxe 20 'built-in shell'
ok $? "... which runs on the console"
nb_stop pxe

# --- no DHCP answer: a NIC on a network with nothing else on it
append="console=ttyS0 panic=-1 quiet mosix.tries=2 mosix.delay=1 mosix.dhcp_wait=3"
nb_qemu nodhcp -kernel "$kernel" -initrd "$image/mosix/initrd.gz" -append "$append" \
	-netdev hubport,id=n0,hubid=7 -device e1000,netdev=n0
nb_wait nodhcp 120 'mosix-init: .*FAILED: no DHCP answer on eth0 within 3s'
ok $? "no DHCP answer: said ($(nb_since nodhcp) s)"
nb_wait nodhcp 30 'mosix-init: .*trying step_dhcp again in 1s \(try 2 of 2\)'
ok $? "... and tried again"
nb_wait nodhcp 30 'mosix-init: .*step_dhcp failed 2 times; starting a rescue shell'
ok $? "... then the rescue shell"
nb_stop nodhcp

# --- no answer from the key server, then an address outside the map
head=$tmp/head
mkdir -p "$head/run"
export MOSIX_CONFIG_DIR=$head MOSIX_RUN_DIR=$head/run
"$plain/mosctl" genkey >/dev/null 2>&1
"$plain/mosix-keysrv" --genkey >/dev/null
printf '1 10.0.2.100 5\n' >"$head/mosix.map"
"$root/initramfs/mkinitramfs" --site --pubkey "$head/keysrv.key.pub" -o "$tmp/site.gz"
cat "$image/mosix/initrd.gz" "$tmp/site.gz" >"$tmp/initrd.gz"
nb_qemu key -kernel "$kernel" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet mosix.tries=20 mosix.delay=2" -nic user,model=e1000
nb_wait key 120 'mosix-init: .*FAILED: no key: mosix-keyget: no answer from 10.0.2.2 port 5652'
ok $? "no key server: 'no key' and why ($(nb_since key) s)"
"$plain/mosix-keysrv" -r 127.0.0.1 2>"$tmp/keysrv.log" &
keysrv=$!
nb_wait key 60 'mosix-init: .*got the cluster key'
ok $? "... tried again: once a key server answers, the node has the key"
nb_wait key 30 'mosix-init: .*FAILED: address 10.0.2.15 is outside the map'
ok $? "an address outside the map: said"
nb_wait key 30 'mosix-init: .*FAILED: address 10.0.2.15 is outside the map' 2
ok $? "... and tried again"
test "$(grep -c 'sent the key to' "$tmp/keysrv.log")" -ge 2
ok $? "... asking the server again each time (the map may have been fixed)"
printf '1 10.0.2.10 10\n' >"$head/mosix.map"
nb_wait key 60 'mosix-init: .*this is node 6 \(10.0.2.15\)'
ok $? "once the head's map has it, the node finds its id (6)"
nb_wait key 30 'mosix-init: .*node 6 is up'
ok $? "... and starts its daemons"
nb_stop key
kill "$keysrv"
wait "$keysrv"
