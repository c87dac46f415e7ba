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
#                        nb_pid[NAME]. Runs in the current network namespace
#   nb_wait NAME SECS ERE  wait until the console has a line matching ERE;
#                        false on timeout
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
	done
	wait 2>/dev/null
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
	qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 -nographic -monitor none \
		-serial "file:$tmp/$name.console" -no-reboot "$@" </dev/null >"$tmp/$name.log" 2>&1 &
	nb_pid[$name]=$!
}

nb_console() {
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r$//' "$tmp/$1.console"
}

nb_wait() {
	local name=$1 secs=$2 ere=$3 end
	end=$((SECONDS + secs))
	until nb_console "$name" | grep -aEq -- "$ere"; do
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
