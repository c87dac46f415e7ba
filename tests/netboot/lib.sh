# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are the tests'
# Helpers of the netboot tier (tests/netboot/*.t): the image, the netboot
# kernel, qemu boots whose console is kept and searched.
#
#   nb_init              set root, out, bin (the sanitised build), plain (the
#                        optimised build the image holds), kernel, image
#                        (out/netboot), tmp (removed at exit)
#   nb_need_kernel       "1..0 # SKIP" and exit when the netboot kernel is
#                        not built (./build.sh kernel --netboot)
#   nb_need_image        bail out when out/netboot is not built
#   nb_qemu NAME ARGS... start qemu in the background (software emulation,
#                        -cpu max: XSAVE, which migration needs), the
#                        console in $tmp/NAME.console; its pid in
#                        nb_pid[NAME]. Runs in the network namespace of
#                        process $NB_NETNS if set, else in the current one
#   nb_wait NAME SECS ERE [N]  wait until the console has N (default 1)
#                        lines matching ERE; false on timeout or when qemu
#                        ended
#   nb_stop NAME         kill that qemu
#   nb_console NAME      the console without escape sequences
#   nb_since NAME        seconds since that qemu started

NB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -A nb_pid=() nb_start=()

nb_init() {
	root=$(cd "$NB_HERE/../.." && pwd)
	out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
	bin=$(realpath -m -- "${MOSIX_BIN:-$out/asan/bin}")
	plain=$out/bin
	kernel=$out/kernel/netboot/bzImage
	image=$out/netboot
	mkdir -p "$out/tmp"
	tmp=$(mktemp -d "$out/tmp/netboot.XXXXXX")
	trap nb_cleanup EXIT
}

nb_cleanup() {
	local n
	for n in "${!nb_pid[@]}"; do
		kill "${nb_pid[$n]}" 2>/dev/null
		wait "${nb_pid[$n]}" 2>/dev/null
	done
	# the consoles stay for a failed run to be read
	mkdir -p "$out/netboot-logs"
	cp "$tmp"/*.console "$tmp"/*.log "$out/netboot-logs/" 2>/dev/null
	rm -rf "$tmp"
}

nb_need_kernel() {
	[ -f "$kernel" ] || {
		echo "1..0 # SKIP no netboot kernel $kernel (./build.sh kernel --netboot)"
		exit 0
	}
}

nb_need_image() {
	[ -f "$image/mosix/initrd.gz" ] || {
		echo "Bail out! no boot image in $image (./build.sh netboot)"
		exit 1
	}
}

nb_qemu() {
	local name=$1
	shift
	: >"$tmp/$name.console"
	nb_start[$name]=$EPOCHREALTIME
	local -a ns=()
	[ -z "${NB_NETNS:-}" ] || ns=(nsenter -t "$NB_NETNS" -n --)
	# dies with the test, whatever kills it
	setpriv --pdeathsig KILL "${ns[@]}" qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 -nographic -monitor none \
		-serial "file:$tmp/$name.console" -no-reboot "$@" </dev/null >"$tmp/$name.log" 2>&1 &
	nb_pid[$name]=$!
}

nb_console() {
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r$//' "$tmp/$1.console"
}

nb_wait() {
	local name=$1 secs=$2 ere=$3 want=${4:-1} end
	end=$((SECONDS + secs))
	until [ "$(nb_console "$name" | grep -aEc -- "$ere")" -ge "$want" ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		kill -0 "${nb_pid[$name]}" 2>/dev/null || return 1
		sleep 0.2
	done
}

nb_stop() {
	kill "${nb_pid[$1]}" 2>/dev/null
	wait "${nb_pid[$1]}" 2>/dev/null
	unset "nb_pid[$1]"
}

nb_since() {
	echo "$EPOCHREALTIME - ${nb_start[$1]}" | bc
}

# nb_head_up [PXE-SETUP-ARG...]: node 1 of a new namespace cluster becomes
# the head: a cluster key, mosix-pxe-setup (range 10.77.0.100-109, the TFTP
# root and dnsmasq's files under its /tmp/nb), then dnsmasq, mosix-keysrv
# (with the arguments mosix-pxe-setup wrote), mosix-infod and mosix-migd;
# two taps nbtap1, nbtap2 on the cluster's bridge. Sets d1 (node 1's
# directory), hub (the pid whose network namespace has the bridge) and
# nb_setup_rc. Call in the main shell (cluster_up's rule); needs $bin.
# With NB_PROXY=1 the cluster has a node 2 more, the site's DHCP server
# (a plain dnsmasq giving 10.77.0.150-159, no boot options; its pid in
# nb_site_dhcp), and the head is a proxy DHCP server for those addresses.
nb_head_up() {
	local t
	local -a addrs=(--dhcp-range 10.77.0.100,10.77.0.109,255.255.255.0,10m)
	if [ "${NB_PROXY:-0}" = 1 ]; then
		addrs=(--proxy 10.77.0.0 --nodes 10.77.0.150-10.77.0.159)
		cluster_up 2 || return 1
		mkdir -p "$(cluster_dir 2)/tmp/site"
		cluster_spawn 2 dnsmasq --keep-in-foreground --port=0 --user=root --group=root \
			--no-resolv --no-hosts --interface=eth0 --bind-dynamic \
			--dhcp-range=10.77.0.150,10.77.0.159,255.255.255.0,10m \
			--dhcp-leasefile=/tmp/site/leases --pid-file=/tmp/site/dnsmasq.pid \
			--log-dhcp --log-facility=/tmp/site/dnsmasq.log
		nb_site_dhcp=$!
	else
		cluster_up 1 || return 1
	fi
	d1=$(cluster_dir 1)
	mkdir -p "$d1/tmp/nb"
	cluster_exec 1 "$bin/mosctl" genkey >/dev/null 2>&1
	cluster_exec 1 env MOSIX_BIN="$bin" "$root/pxe/mosix-pxe-setup" -i eth0 "${addrs[@]}" \
		--image "$image" --kernel "$kernel" --tftp-root /tmp/nb/tftp \
		--dnsmasq-conf /tmp/nb/dnsmasq.conf --leases /tmp/nb/leases \
		--append "mosix.tries=3 mosix.delay=2" --no-restart "$@" >"$tmp/setup.log" 2>&1
	nb_setup_rc=$?
	cluster_spawn 1 dnsmasq --keep-in-foreground --conf-file=/tmp/nb/dnsmasq.conf --port=0 \
		--user=root --group=root --pid-file=/tmp/nb/dnsmasq.pid --no-resolv --no-hosts \
		--log-dhcp --log-facility=/tmp/nb/dnsmasq.log
	nb_dnsmasq=$!
	# shellcheck source=/dev/null
	. "$d1/etc/mosix/keysrv.env"
	# shellcheck disable=SC2086,SC2016 # the arguments mosix-pxe-setup wrote
	cluster_spawn 1 sh -c 'exec "$0" "$@" 2>>/tmp/nb/keysrv.log' "$bin/mosix-keysrv" $KEYSRV_ARGS
	nb_keysrv=$!
	# shellcheck disable=SC2016 # expanded by the inner sh
	cluster_spawn 1 sh -c 'exec "$1" 2>>/tmp/infod.log' _ "$bin/mosix-infod"
	nb_infod=$!
	migd_start 1 || return 1
	hub=$(cluster_pid hub)
	for t in 1 2; do
		cluster_exec hub ip tuntap add dev "nbtap$t" mode tap &&
			cluster_exec hub ip link set "nbtap$t" master br0 up || return 1
	done
}

# nb_vm NAME bios|uefi TAP MAC [NIC-MODEL]: a diskless VM on tap nbtapTAP,
# booting from the network: BIOS with qemu's iPXE ROM (default e1000), or
# UEFI with OVMF (default virtio-net without qemu's iPXE ROM, so that
# OVMF's own driver and PXE client boot, and DHCP gives it snponly.efi)
nb_vm() {
	local name=$1 fw=$2 tap=$3 mac=$4 model=${5:-}
	if [ "$fw" = bios ]; then
		NB_NETNS=$hub nb_qemu "$name" -boot n \
			-netdev "tap,id=n0,ifname=nbtap$tap,script=no,downscript=no" \
			-device "${model:-e1000},netdev=n0,mac=$mac"
	else
		NB_NETNS=$hub nb_qemu "$name" -bios /usr/share/ovmf/OVMF.fd \
			-netdev "tap,id=n0,ifname=nbtap$tap,script=no,downscript=no" \
			-device "${model:-virtio-net-pci,romfile=},netdev=n0,mac=$mac,bootindex=1"
	fi
}
