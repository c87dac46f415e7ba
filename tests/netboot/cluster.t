#!/usr/bin/env bash
# Diskless nodes PXE-boot from a head node and join its cluster. The head
# is node 1 of a namespace cluster (tests/harness): mosix-pxe-setup
# configures it, and it runs dnsmasq (DHCP and TFTP), mosix-keysrv,
# mosix-infod and mosix-migd. Two qemu VMs (software emulation) sit on
# tap devices of the cluster's bridge, in the harness's hub namespace,
# which has no route out: a BIOS VM (e1000; qemu's iPXE ROM gets
# mosix.ipxe) and a UEFI VM (OVMF with its own virtio-net driver, no
# option ROM; OVMF's PXE gets snponly.efi, which gets mosix.ipxe). Each leases an address of the range,
# fetches the key, finds its id and shows up in the head's mosctl status.
# A process of the head moves to a diskless node, on to the other (VM to
# VM, both running the patched kernel) and back home with the same output
# (and uses no CPU at home meanwhile, while the node counts a guest); one
# killed at home ends on its node. qemu's emulated CPU lacks
# features of the head's (XSAVEC, which the head's ld.so uses, at least):
# a node refuses a process that may use them, naming them, and takes it
# once glibc is told to leave them (GLIBC_TUNABLES) and the head's admin
# says its processes need none of the others (mig_cpu_ignore).
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"
. "$here/lib.sh"

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, taps)"
	exit 0
fi
nb_init
nb_need_kernel
nb_need_image
# the sanitised build is the head's; the image holds the optimised one
bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")
plan 41

# shellcheck disable=SC2119 # no extra arguments for mosix-pxe-setup
nb_head_up || { echo "Bail out! the head did not come up"; exit 1; }
# the head's logs are kept with the consoles (out/netboot-logs)
trap 'cp "$d1"/tmp/nb/*.log "$d1"/tmp/*.log "$tmp/" 2>/dev/null; nb_cleanup; cluster_down' EXIT
ok "$nb_setup_rc" "mosix-pxe-setup configures the head"
[ "$nb_setup_rc" -eq 0 ] || diag "$(cat "$tmp/setup.log")"
is "$(cat "$d1/etc/mosix/mosix.map")" "1 10.77.0.1 1
2 10.77.0.100 10" "the map gives the head and every address of the range an id"
cmp -s "$d1/etc/mosix/mosix.map" "$d1/run/mosix/mosix.map"
ok $? "... and is installed (setpe -w)"
test -s "$d1/etc/mosix/keysrv.key" && test -s "$d1/tmp/nb/tftp/mosix/site.gz"
ok $? "the key server's key is made and its public half is in the site image"
sleep 1
kill -0 "$nb_dnsmasq" && kill -0 "$nb_keysrv" && kill -0 "$nb_infod"
ok $? "dnsmasq, mosix-keysrv, mosix-infod and mosix-migd run on the head"

# --- the diskless nodes, on taps of the cluster's bridge
nb_vm bios bios 1 52:54:00:77:01:01
nb_vm uefi uefi 2 52:54:00:77:01:02

declare -A vmid=() vmip=()
for vm in bios uefi; do
	nb_wait "$vm" 300 'mosix-init: .* node [0-9]+ is up'
	ok $? "$vm: the VM boots from the network and its daemons run ($(nb_since "$vm") s)"
	vmid[$vm]=$(nb_console "$vm" | sed -n 's/.*this is node \([0-9]*\) (\(.*\))$/\1/p' | tail -n 1)
	vmip[$vm]=$(nb_console "$vm" | sed -n 's/.*this is node \([0-9]*\) (\(.*\))$/\2/p' | tail -n 1)
	[ -n "${vmid[$vm]}" ] || diag "$vm console:" "$(nb_console "$vm" | tail -n 30)"
done
mac=(52:54:00:77:01:01 52:54:00:77:01:02)
i=0
for vm in bios uefi; do
	lease=$(awk -v m="${mac[i]}" '$2 == m { print $3 }' "$d1/tmp/nb/leases")
	is "$lease" "${vmip[$vm]}" "$vm: dnsmasq leased it ${lease:-nothing}, the address it uses"
	like "${vmip[$vm]}" '^10\.77\.0\.10[0-9]$' "$vm: the address is in the range"
	is "$(cluster_exec 1 "$bin/mosctl" whois "${vmip[$vm]}")" "${vmid[$vm]}" \
		"$vm: its id ${vmid[$vm]:-none} is the head's map's id for it"
	wait_for 30 cluster_exec 1 "$bin/mosctl" isup "${vmid[$vm]:-0}" >/dev/null
	ok $? "$vm: node ${vmid[$vm]:-?} is up in the head's mosctl status"
	i=$((i + 1))
done
grep -q 'bootfile-name  snponly.efi' "$d1/tmp/nb/dnsmasq.log" &&
	grep -q 'bootfile-name  mosix.ipxe' "$d1/tmp/nb/dnsmasq.log"
ok $? "DHCP sent snponly.efi to the UEFI firmware, mosix.ipxe to the iPXE clients"
like "$(cat "$d1/tmp/nb/keysrv.log")" "sent the key to ${vmip[bios]}" \
	"mosix-keysrv sent the key to the nodes"
cluster_exec 1 "$bin/mosctl" status >"$tmp/status"
diag "$(cat "$tmp/status")"

# --- a process of the head moves to a diskless node and back
# A C program (python3 crawls under software emulation): it computes and
# prints a line every STEP iterations.
cat >"$tmp/burn.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	unsigned long n = 0, total = strtoul(argv[1], NULL, 10), step = strtoul(argv[2], NULL, 10);

	for (unsigned long i = 0; i < total; i++) {
		n = (n * 31 + i) % 1000003;
		if (i % step == 0) {
			printf("at %lu\n", i);
			fflush(stdout);
		}
	}
	printf("%lu\n", n);
	return 0;
}
C
gcc -O2 -o "$d1/tmp/burnc" "$tmp/burn.c" || echo "Bail out! cannot build burn.c"
lines() { grep -c '^at' "$d1/tmp/$1.out"; }
# grown NAME N: NAME's output has more than N lines
grown() { [ "$(lines "$1")" -gt "$2" ]; }
vm=bios
id=${vmid[$vm]}

# --- what the node's CPU lacks: refused, named, and the process runs on
run_at 1 plain /tmp/burnc 100000000000 10000000
shell=$!
pid=$(node_pid 1 plain)
sleep 0.2
msg=$(cluster_exec 1 timeout 60 "$bin/migrate" "$pid" "$id" 2>&1)
rc=$?
lacks=$(sed -n "s/.*node $id's CPU lacks what the process may use: //p" <<<"$msg")
ok "$([ "$rc" -ne 0 ] && [ -n "$lacks" ]; echo $?)" \
	"node $id refuses a process that may use what its CPU lacks: ${lacks:-$msg}"
if grep -qw xsavec /proc/cpuinfo; then
	like "$lacks" '(^| )xsavec( |$)' "... XSAVEC among them (the head's ld.so uses it)"
else
	skip "this CPU has no XSAVEC"
fi
h0=$(cpu_ticks 1 "$pid")
sleep 1
ok "$([ "$(cpu_ticks 1 "$pid")" -gt "$h0" ] && [ "$(cat "$d1/run/mosix/proc/$pid/where" 2>/dev/null)" != "$id" ]; echo $?)" \
	"... and it runs on at home"
cluster_exec 1 kill -9 "$pid"
wait "$shell"
# glibc leaves XSAVEC when GLIBC_TUNABLES says so (only its dynamic
# linker uses it); the head's admin declares the rest unused by its
# programs, and on a head with AVX-512 turns glibc's use of it off too
# (its string functions' registers would be state the node cannot hold)
hwcaps='' ignore=''
for f in $lacks; do
	case $f in
	xsavec) hwcaps+=${hwcaps:+,}-XSAVEC ;;
	avx512f | avx512dq | avx512cd | avx512bw | avx512vl)
		hwcaps+=${hwcaps:+,}-${f^^}
		ignore+=${ignore:+ }$f ;;
	*) ignore+=${ignore:+ }$f ;;
	esac
done
tunables=GLIBC_TUNABLES=glibc.cpu.hwcaps=${hwcaps:--XSAVEC}
diag "the head ignores: ${ignore:-nothing}; $tunables"
echo "mig_cpu_ignore = $ignore" >>"$d1/etc/mosix/mosix.conf"
# SIGHUP to the daemon itself, the oldest mosix-migd of the head
cluster_exec 1 pkill -HUP -o -x mosix-migd
wait_for 10 grep -q "SIGHUP: reread mig_cpu_ignore (${ignore:-none})" "$d1/tmp/migd.log"
ok $? "the head's migd rereads mig_cpu_ignore = $ignore on SIGHUP"

t0=$SECONDS
run_at 1 burn0 env "$tunables" /tmp/burnc 1200000000 10000000
wait $!
expect=$(cat "$d1/tmp/burn0.out")
diag "the program at home: $((SECONDS - t0)) s"
run_at 1 burn env "$tunables" /tmp/burnc 1200000000 10000000
shell=$!
pid=$(node_pid 1 burn)
sleep 0.2
cluster_exec 1 timeout 60 "$bin/migrate" "$pid" "$id" 2>"$tmp/mig.err"
ok $? "migrate a CPU-bound program (pid $pid) to the diskless node $id"
[ -s "$tmp/mig.err" ] && diag "$(cat "$tmp/mig.err")"
is "$(cat "$d1/run/mosix/proc/$pid/where" 2>/dev/null)" "$id" "where says $id"
nb_wait "$vm" 10 'mosix-init: .*guests: 1 \(pids'
ok $? "node $id says on its console that it hosts the guest"
# its migd logs to the console; Linux 6.1 refuses a thread while the
# time namespace for children is not the caller's own
nb_wait "$vm" 10 "process $pid of node 1 .* runs here as" &&
	! nb_console "$vm" | grep -aq 'pages filled without a second thread'
ok $? "node $id (Linux 6.1) filled the pages with its second thread"
# guests_of N: the guests node N's load vector says it hosts, as the head hears
guests_of() {
	cluster_exec 1 "$bin/mosctl" status --json "$1" | sed -n 's/.*"guests": \([0-9]*\).*/\1/p'
}
hosts() { [ "$(guests_of "$1")" = "$2" ]; }
wait_for 15 hosts "$id" 1
ok $? "its gossip tells the head it hosts 1 guest ($(guests_of "$id"))"
# idle_at_home H0 MS0 DESC: since tick count H0 at $EPOCHREALTIME MS0, the
# home process used under 2% of a CPU: only its forwarded writes (a tick
# may land on one of them), not the computing
idle_at_home() {
	local used ms
	used=$(($(cpu_ticks 1 "$pid") - $1))
	ms=$(echo "($EPOCHREALTIME - $2) * 1000 / 1" | bc)
	ok "$(((used * 10 * 100 <= ms * 2) ? 0 : 1))" "$3 ($((used * 10)) ms of CPU in $ms ms)"
}
h0=$(cpu_ticks 1 "$pid") t0=$EPOCHREALTIME
n0=$(lines burn)
sleep 2
wait_for 60 grown burn "$((n0 + 2))"
ok $? "it goes on computing and printing, to its file at home ($n0, then $(lines burn) lines)"
idle_at_home "$h0" "$t0" "the home process uses no CPU meanwhile (it runs on node $id)"

# --- on from one diskless node to the other (the home relays the image)
other=${vmid[uefi]}
cluster_exec 1 timeout 60 "$bin/migrate" "$pid" "$other" 2>"$tmp/mig.err"
ok $? "migrate it on from node $id to the other diskless node $other"
[ -s "$tmp/mig.err" ] && diag "$(cat "$tmp/mig.err")"
is "$(cat "$d1/run/mosix/proc/$pid/where" 2>/dev/null)" "$other" "where says $other"
nb_wait uefi 10 'mosix-init: .*guests: 1 \(pids'
ok $? "node $other says on its console that it hosts the guest"
nb_wait bios 10 'mosix-init: .*guests: 0$'
ok $? "node $id says the guest left"
h0=$(cpu_ticks 1 "$pid") t0=$EPOCHREALTIME
n0=$(lines burn)
sleep 2
wait_for 60 grown burn "$((n0 + 2))"
ok $? "it goes on computing on node $other ($n0, then $(lines burn) lines)"
idle_at_home "$h0" "$t0" "... and the home process uses no CPU"
# the node's CPU keeps its registers in another layout (MPX, PKRU)
cluster_exec 1 timeout 30 "$bin/migrate" "$pid" home 2>"$tmp/mig.err"
ok $? "migrate it home (after $(lines burn) of 120 lines)"
[ -s "$tmp/mig.err" ] && diag "$(cat "$tmp/mig.err")"
# at home the rest takes a few seconds; on the node minutes
wait_for 30 test ! -e "/proc/$shell" || cluster_exec 1 kill -9 "$pid"
wait "$shell"
is "$(cat "$d1/tmp/burn.out")" "$expect" "its output equals a run at home, byte for byte"
nb_wait uefi 15 'mosix-init: .*guests: 0$'
ok $? "node $other says the guest left"

# --- killed at home, it ends on the node
vm=uefi
id=${vmid[$vm]}
run_at 1 k9 env "$tunables" /tmp/burnc 100000000000 10000000
shell=$!
pid=$(node_pid 1 k9)
sleep 0.2
cluster_exec 1 timeout 60 "$bin/migrate" "$pid" "$id" 2>"$tmp/mig.err"
ok $? "migrate a CPU-bound program to the diskless UEFI node $id"
nb_wait "$vm" 10 'mosix-init: .*guests: 1 \(pids' 2
ok $? "node $id says it hosts the guest"
n0=$(lines k9)
wait_for 60 grown k9 "$((n0 + 1))"
ok $? "it computes there, printing to its file at home ($n0, then $(lines k9) lines)"
cluster_exec 1 kill -9 "$pid"
wait "$shell"
nb_wait "$vm" 10 'mosix-init: .*guests: 0$' 2
ok $? "kill -9 at home ends it on node $id (its console says the guest left)"

for vm in bios uefi; do
	nb_console "$vm" | grep -a 'mosix-init:' | sed "s/^/$vm: /" >>"$tmp/init.log"
done
diag "$(cat "$tmp/init.log")"
