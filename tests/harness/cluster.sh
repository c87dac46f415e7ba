# shellcheck shell=bash
# shellcheck disable=SC2015 # "a && b || fail" here means: fail unless all succeed
#
# tests/harness/cluster.sh - a MOSIX cluster on one machine, for tests.
#
# Source this file from a bash test (the API; details above each function):
#
#   cluster_up 4 [--cpuset] [--topology flat|routed | --routed]
#   cluster_exec 2 hostname              # -> node2; status, stdio pass through
#   cluster_exec hub ip link             # in the bridges' network namespace
#   cluster_spawn 3 sleep 100; pid=$!    # background; kill/wait "$pid" work
#   cluster_addr 2 / cluster_addr6 2     # 10.77.0.2 / fd77::2
#   cluster_dir 2                        # host-side dir: etc/mosix, run, tmp
#   cluster_reach 1 "$(cluster_addr 2)"  # does node1 get an answer from it?
#   cluster_pid 2 / cluster_nodes / cluster_cpuset [2]
#   cluster_down                         # idempotent; also run by the traps
#   cluster_sweep                        # remove what crashed clusters left
#
# Must be root.  Call cluster_up in the main shell of the script, not in a
# $(...) or ( ... ) subshell: the cluster dies with the shell that made it.
# cluster_up installs EXIT, INT, TERM and HUP traps that run cluster_down
# (and then die of the signal); set MOSIX_CLUSTER_NO_TRAP=1 to manage that
# yourself.  bash runs a trap only once the foreground command returns, so
# wait for long commands with "cmd & wait $!" to stay interruptible.  Other
# processes (the mosix-cluster CLI, tmux panes) can use a cluster through
# MOSIX_CLUSTER_STATE, which cluster_up exports.
#
# Environment: MOSIX_OUT (build dir, default <repo>/out; node-init and
# node-exec are built in $MOSIX_OUT/harness when their source is newer), CC,
# MOSIX_CLUSTER_TMPDIR (where state dirs go, under /tmp; default /tmp),
# MOSIX_CLUSTER_SHARE (see below), MOSIX_CLUSTER_NO_PING=1 (cluster_reach
# without ping), MOSIX_CLUSTER_NO_TRAP=1.
#
# What a node is: one process tree in its own pid, mount, network, uts and
# ipc namespaces.  Its PID 1 is node-init.  Its hostname is nodeN; it has a
# private /etc (overlay on the host's, with its own /etc/hosts listing all
# nodes), its own /etc/mosix, /run, /tmp and /dev/shm, and a fresh /sys.  On
# the host those directories are under "$(cluster_dir N)": etc/mosix, run,
# tmp.  The host's /tmp is hidden in nodes, except the repository and
# $MOSIX_OUT when they are under /tmp (and paths in MOSIX_CLUSTER_SHARE,
# colon-separated), which stay visible at the same path, so tests can run
# the project's binaries in nodes.  /var and the rest are shared.
#
# Addressing.  Every node has eth0 on a bridge in a "hub" network namespace
# that has no other interface, and no namespace has a default route, so no
# packet can leave the test namespaces.  IPv6 addresses use the node number
# written in decimal as the last group ("fd77::12" for node 12), with DAD off.
#
#   flat (default), N <= 250:
#     nodeK eth0  10.77.0.K/24   fd77::K/64        bridge br0
#
#   routed, 3 <= N <= 250: two subnets joined by node1, the router:
#     node1 eth0  10.77.1.254/24 fd77:1::254/64    bridge br1 (subnet 1)
#     node1 eth1  10.77.2.254/24 fd77:2::254/64    bridge br2 (subnet 2)
#     nodeK, K even: 10.77.1.K/24  fd77:1::K/64   (subnet 1)
#     nodeK, K odd:  10.77.2.K/24  fd77:2::K/64   (subnet 2)
#   node1 forwards IPv4 and IPv6; the others have one route to the other
#   subnet, via node1's address in their own subnet.  cluster_addr 1 is the
#   router's subnet-1 address, "cluster_addr 1 2" its subnet-2 address.
#
# Cpusets (--cpuset): cgroup v1 cpuset "mosix-test.<id>/nodeK" under the
# caller's cpuset, with the (K-1 mod count)-th CPU of the caller's cpuset;
# a node's processes and everything cluster_exec runs in it are in it.
#
# Lifetime.  A supervisor process, child of the shell that ran cluster_up,
# starts one holder process per node (and one for the hub).  Each holder
# has the parent-death signal SIGKILL, and so has the supervisor towards that
# shell: if the shell or the supervisor dies, even by SIGKILL, every node's
# PID 1 dies, the kernel kills the rest of each node, and the namespaces go
# away.  Nothing is mounted in the host's mount namespace.  What can outlive
# a crash is the state directory and the cpusets: the next cluster_up
# removes those whose supervisor is dead.
#
# State directory /tmp/mosix-cluster.XXXXXX ($MOSIX_CLUSTER_STATE):
#   nodes, topology        node count, flat|routed
#   supervisor, hub        "pid starttime" of the supervisor and hub holder
#   kids                   "pid starttime" of the supervisor's children
#   bindir                 where node-init and node-exec were built
#   cpuset                 the cluster's cpuset directory, if any
#   share, hosts, log      host paths kept visible, /etc/hosts, all output
#   nodeK/pid              "pid starttime" of nodeK's PID 1, as seen on host
#   nodeK/addr, addr6      one address per leg (the router has two)
#   nodeK/etc/mosix, run, tmp, .etc/, .sys/  (bind-mounted in the node)

# The harness's own files, wherever the caller sourced them from.
_CLUSTER_SELF=$(realpath -- "${BASH_SOURCE[0]}")
_CLUSTER_DIR=${_CLUSTER_SELF%/*}
_CLUSTER_REPO=${_CLUSTER_DIR%/tests/harness}
_CLUSTER_CFLAGS=(-std=gnu11 -O2 -Wall -Wextra -Werror -Wstrict-prototypes
	-Wmissing-prototypes -Wvla)
# Seconds allowed for all nodes to come up, and for teardown steps.
_CLUSTER_UP_TIMEOUT=30
_CLUSTER_DOWN_TIMEOUT=5

_cluster_err() {
	echo "cluster: $*" >&2
}

# Build node-init and node-exec into $MOSIX_OUT/harness when their source
# is newer, through a temporary name so that concurrent builds are safe.
_cluster_build() {
	local bindir=${MOSIX_OUT:-$_CLUSTER_REPO/out}/harness tool src bin
	[[ $bindir == /* ]] || bindir=$PWD/$bindir
	mkdir -p "$bindir" || return 1
	for tool in node-init node-exec; do
		src=$_CLUSTER_DIR/$tool.c
		bin=$bindir/$tool
		[[ -x $bin && ! $src -nt $bin ]] && continue
		"${CC:-gcc}" "${_CLUSTER_CFLAGS[@]}" -o "$bin.$$" "$src" ||
			{ rm -f "$bin.$$"; _cluster_err "unable to build '$bin'"; return 1; }
		mv -f "$bin.$$" "$bin" || return 1
	done
	_CLUSTER_BINDIR=$bindir
}

# A note on style: the code that runs while a cluster's traps are set uses
# no $(...) nor <(...).  bash 5.2 re-enters its parser to expand them and
# may run a pending trap from there, where the trap's own text then fails
# to parse: the signal is lost and the current command aborted.  Helpers
# therefore return values in _cluster_* variables.

# Set _cluster_pstate (state letter), _cluster_pppid (parent pid) and
# _cluster_pstart (start time, field 22) from /proc/PID/stat; false if there
# is no such process.  A pid and its start time name a process for good,
# where a pid alone can be reused.
_cluster_proc() {
	local stat
	local -a f
	_cluster_pstate='' _cluster_pppid='' _cluster_pstart=''
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	# comm (field 2) may contain spaces: split after its closing ')'.
	read -r -a f <<<"${stat##*) }"
	_cluster_pstate=${f[0]}
	_cluster_pppid=${f[1]}
	_cluster_pstart=${f[19]}
}

# True if the process "pid starttime" still runs (a zombie does not).
_cluster_alive() {
	[[ -n ${1:-} ]] && _cluster_proc "$1" &&
		[[ $_cluster_pstate != [ZX] && $_cluster_pstart == "${2:-}" ]]
}

# Wait until none of the processes recorded in a state dir runs; false on
# timeout.
_cluster_wait_gone() {
	local state=$1 deadline=$((SECONDS + _CLUSTER_DOWN_TIMEOUT)) f pid start left
	while :; do
		left=0
		for f in "$state/supervisor" "$state/hub" "$state/kids" "$state"/node*/pid; do
			[[ -r $f ]] || continue
			while read -r pid start; do
				_cluster_alive "$pid" "$start" && left=1
			done <"$f"
		done
		((left)) || return 0
		((SECONDS < deadline)) || return 1
		sleep 0.01
	done
}

# Set _cluster_csparent to the caller's cpuset, as a directory of the v1
# cpuset hierarchy; false if that hierarchy is not mounted.
_cluster_cpuset_parent() {
	local root=/sys/fs/cgroup/cpuset line
	_cluster_csparent=''
	[[ -f $root/cpuset.cpus ]] || return 1
	_cluster_csparent=$root
	while IFS= read -r line; do
		if [[ $line == *:cpuset:* ]]; then
			_cluster_csparent=$root${line#*:cpuset:}
			_cluster_csparent=${_cluster_csparent%/}
			break
		fi
	done </proc/self/cgroup
}

# Expand a cpu list such as "0-2,5" into the array _cluster_cpus.
_cluster_cpu_list() {
	local part i
	local -a parts
	_cluster_cpus=()
	IFS=, read -r -a parts <<<"$1"
	for part in "${parts[@]}"; do
		if [[ $part == *-* ]]; then
			for ((i = ${part%-*}; i <= ${part#*-}; i++)); do _cluster_cpus+=("$i"); done
		else
			_cluster_cpus+=("$part")
		fi
	done
}

_cluster_cpuset_create() {
	local state=$1 n=$2 parent cs cpus mems i
	_cluster_cpuset_parent ||
		{ _cluster_err "--cpuset needs the cgroup v1 cpuset hierarchy at /sys/fs/cgroup/cpuset"; return 1; }
	parent=$_cluster_csparent
	cs=$parent/mosix-test.${state##*.}
	# Recorded before mkdir, so teardown removes it whatever fails next.
	echo "$cs" >"$state/cpuset"
	read -r cpus <"$parent/cpuset.cpus" && read -r mems <"$parent/cpuset.mems" &&
		mkdir "$cs" && echo "$cpus" >"$cs/cpuset.cpus" && echo "$mems" >"$cs/cpuset.mems" ||
		{ _cluster_err "unable to create cpuset '$cs'"; return 1; }
	_cluster_cpu_list "$cpus"
	for ((i = 1; i <= n; i++)); do
		mkdir "$cs/node$i" &&
			echo "${_cluster_cpus[(i - 1) % ${#_cluster_cpus[@]}]}" >"$cs/node$i/cpuset.cpus" &&
			echo "$mems" >"$cs/node$i/cpuset.mems" ||
			{ _cluster_err "unable to create cpuset '$cs/node$i'"; return 1; }
	done
}

# rmdir fails while a task is still in the cpuset, so retry for a while.
_cluster_cpuset_remove() {
	local cs=$1 deadline=$((SECONDS + _CLUSTER_DOWN_TIMEOUT)) d
	[[ $cs == */mosix-test.* ]] || return 0
	while [[ -d $cs ]]; do
		for d in "$cs"/node*/; do
			[[ -d $d ]] && { rmdir "$d" 2>/dev/null || :; }
		done
		rmdir "$cs" 2>/dev/null && return 0
		if ((SECONDS >= deadline)); then
			_cluster_err "unable to remove cpuset '$cs'"
			return 1
		fi
		sleep 0.01
	done
}

# Write each node's addresses, /etc/hosts and role (see the top comment).
_cluster_plan() {
	local state=$1 n=$2 topo=$3 i s d
	local -a a4 a6
	{
		echo "127.0.0.1 localhost"
		echo "::1 localhost ip6-localhost ip6-loopback"
	} >"$state/hosts"
	for ((i = 1; i <= n; i++)); do
		d=$state/node$i
		if [[ $topo == flat ]]; then
			a4=("10.77.0.$i") a6=("fd77::$i")
		elif ((i == 1)); then
			a4=(10.77.1.254 10.77.2.254) a6=(fd77:1::254 fd77:2::254)
		else
			s=$((i % 2 ? 2 : 1))
			a4=("10.77.$s.$i") a6=("fd77:$s::$i")
		fi
		printf '%s\n' "${a4[@]}" >"$d/addr" &&
			printf '%s\n' "${a6[@]}" >"$d/addr6" &&
			printf '%s node%d\n' "${a4[0]}" "$i" "${a6[0]}" "$i" >>"$state/hosts" ||
			return 1
	done
}

# ip -batch commands for the hub: bridges, and one veth per node leg whose
# node end is created directly in the node's namespace as eth0 (eth1).
_cluster_hub_batch() {
	local state=$1 n=$2 topo=$3 i pid start
	if [[ $topo == flat ]]; then
		echo "link add br0 type bridge forward_delay 0 mcast_snooping 0"
		echo "link set br0 up"
	else
		echo "link add br1 type bridge forward_delay 0 mcast_snooping 0"
		echo "link add br2 type bridge forward_delay 0 mcast_snooping 0"
		echo "link set br1 up"
		echo "link set br2 up"
	fi
	for ((i = 1; i <= n; i++)); do
		read -r pid start <"$state/node$i/pid"
		echo "link add n${i}e0 type veth peer name eth0 netns $pid"
		if [[ $topo == flat ]]; then
			echo "link set n${i}e0 master br0 up"
		elif ((i == 1)); then
			echo "link add n${i}e1 type veth peer name eth1 netns $pid"
			echo "link set n${i}e0 master br1 up"
			echo "link set n${i}e1 master br2 up"
		else
			echo "link set n${i}e0 master br$((i % 2 ? 2 : 1)) up"
		fi
	done
}

# ip -batch commands run inside node I.
_cluster_node_batch() {
	local state=$1 i=$2 topo=$3 leg s o
	local -a a4 a6
	mapfile -t a4 <"$state/node$i/addr"
	mapfile -t a6 <"$state/node$i/addr6"
	echo "link set lo up"
	for ((leg = 0; leg < ${#a4[@]}; leg++)); do
		echo "addr add ${a4[leg]}/24 dev eth$leg"
		echo "addr add ${a6[leg]}/64 dev eth$leg nodad"
		echo "link set eth$leg up"
	done
	if [[ $topo == routed ]] && ((i != 1)); then
		s=$((i % 2 ? 2 : 1))
		o=$((3 - s))
		echo "route add 10.77.$o.0/24 via 10.77.$s.254"
		echo "route add fd77:$o::/64 via fd77:$s::254"
	fi
}

# Everything cluster_up does once the state directory exists.
_cluster_create() {
	local state=$1 n=$2 topo=$3 cpuset=$4 i fd what pid p spid sstart me
	local deadline=$((SECONDS + _CLUSTER_UP_TIMEOUT)) up=0 line partial=
	local -a share=("$_CLUSTER_REPO" "${MOSIX_OUT:-$_CLUSTER_REPO/out}") extra

	echo "$n" >"$state/nodes"
	echo "$topo" >"$state/topology"
	echo "$_CLUSTER_BINDIR" >"$state/bindir"
	IFS=: read -r -a extra <<<"${MOSIX_CLUSTER_SHARE:-}"
	share+=("${extra[@]}")
	for p in "${share[@]}"; do
		[[ -n $p ]] && realpath -m -- "$p"
	done >"$state/share"
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$state/node$i"/{etc/mosix,run,tmp,.etc/upper,.etc/work,.sys} || return 1
		chmod 1777 "$state/node$i/tmp"
		chmod 755 "$state/node$i"
	done
	_cluster_plan "$state" "$n" "$topo" || return 1
	if ((cpuset)); then
		_cluster_cpuset_create "$state" "$n" || return 1
	fi

	# Holders report "hub PID", "node K PID" or "fail WHAT WHY" on this
	# fifo; we keep it open read-write so their opens never block.
	mkfifo "$state/ready" && exec {fd}<>"$state/ready" || return 1
	# $BASHPID here, as words of a background command expand in the child.
	me=$BASHPID
	setpriv --pdeathsig KILL bash "$_CLUSTER_SELF" _supervise "$state" "$me" \
		</dev/null >>"$state/log" 2>&1 {fd}>&- &
	_cluster_proc "$!"
	echo "$! $_cluster_pstart" >"$state/supervisor"

	read -r spid sstart <"$state/supervisor"
	while ((up < n + 1)); do
		# A timeout can strike in the middle of a line (bash reads a fifo
		# byte by byte) and hands back what it read so far: keep it.
		if ! read -r -t 0.5 -u "$fd" line; then
			partial+=$line
			if ! _cluster_alive "$spid" "$sstart"; then
				_cluster_err "the supervisor died"
			elif ((SECONDS < deadline)); then
				continue
			else
				_cluster_err "nodes did not come up within ${_CLUSTER_UP_TIMEOUT}s"
			fi
			exec {fd}>&-
			return 1
		fi
		read -r what i pid <<<"$partial$line"
		partial=
		case $what in
		hub)
			pid=$i
			_cluster_proc "$pid"
			echo "$pid $_cluster_pstart" >"$state/hub"
			;;
		node)
			_cluster_proc "$pid"
			echo "$pid $_cluster_pstart" >"$state/node$i/pid"
			;;
		*)
			_cluster_err "set-up failed: $what $i $pid"
			exec {fd}>&-
			return 1
			;;
		esac
		# Never configure the host's network by mistake.
		if [[ /proc/$pid/ns/net -ef /proc/self/ns/net ]]; then
			_cluster_err "$what $i: pid $pid is in the host's network namespace"
			exec {fd}>&-
			return 1
		fi
		up=$((up + 1))
	done
	exec {fd}>&-
	rm -f "$state/ready"

	_cluster_hub_batch "$state" "$n" "$topo" | cluster_exec hub ip -batch - ||
		{ _cluster_err "unable to configure the hub"; return 1; }
	for ((i = 1; i <= n; i++)); do
		_cluster_node_batch "$state" "$i" "$topo" | cluster_exec "$i" ip -batch - ||
			{ _cluster_err "unable to configure node$i"; return 1; }
	done
}

# Set _cluster_tmp to where state dirs go: MOSIX_CLUSTER_TMPDIR, default
# /tmp.  It must be under /tmp, which nodes do not see.
_cluster_tmpdir() {
	_cluster_tmp=${MOSIX_CLUSTER_TMPDIR:-/tmp}
	_cluster_tmp=${_cluster_tmp%/}
	[[ $_cluster_tmp == /tmp || $_cluster_tmp == /tmp/* ]] ||
		{ _cluster_err "MOSIX_CLUSTER_TMPDIR must be under /tmp"; return 1; }
}

# Make a new state dir, as mktemp -d would.  MOSIX_CLUSTER_STATE is set
# before mkdir, so that a trap running at any point finds what to remove.
_cluster_mkstate() {
	local chars=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
	local suffix try k
	for ((try = 0; try < 100; try++)); do
		suffix=''
		for ((k = 0; k < 6; k++)); do
			suffix+=${chars:RANDOM % ${#chars}:1}
		done
		export MOSIX_CLUSTER_STATE=$_cluster_tmp/mosix-cluster.$suffix
		mkdir -m 700 "$MOSIX_CLUSTER_STATE" 2>/dev/null && return 0
	done
	unset MOSIX_CLUSTER_STATE
	return 1
}

# cluster_up N [--cpuset] [--topology flat|routed] [--routed]
#
# Brings up N nodes and exports MOSIX_CLUSTER_STATE.  Returns 0, or 1 after
# removing whatever it had made; 2 on bad usage.
cluster_up() {
	local n='' cpuset=0 topo=flat state
	while (($#)); do
		case $1 in
		--cpuset) cpuset=1 ;;
		--routed) topo=routed ;;
		--topology) topo=${2:-}; shift ;;
		--topology=*) topo=${1#*=} ;;
		*) n=$1 ;;
		esac
		shift
	done
	local ok=1
	[[ $n =~ ^[1-9][0-9]*$ && $topo =~ ^(flat|routed)$ ]] || ok=0
	((ok && n > 250)) && ok=0
	((ok)) && [[ $topo == routed ]] && ((n < 3)) && ok=0
	if ((!ok)); then
		_cluster_err "usage: cluster_up N [--cpuset] [--topology flat|routed]" \
			"(1 <= N <= 250, routed needs N >= 3)"
		return 2
	fi
	if [[ -n ${MOSIX_CLUSTER_STATE:-} && -d $MOSIX_CLUSTER_STATE ]]; then
		_cluster_err "a cluster is already up: $MOSIX_CLUSTER_STATE"
		return 1
	fi
	if ((EUID != 0)); then
		_cluster_err "must be root"
		return 1
	fi
	_cluster_tmpdir && mkdir -p "$_cluster_tmp" && _cluster_build || return 1
	cluster_sweep
	_cluster_install_traps
	if ! _cluster_mkstate; then
		_cluster_err "unable to create a state dir in '$_cluster_tmp'"
		_cluster_remove_traps
		return 1
	fi
	state=$MOSIX_CLUSTER_STATE
	if ! _cluster_create "$state" "$n" "$topo" "$cpuset"; then
		[[ -s $state/log ]] && sed 's/^/cluster: log: /' "$state/log" >&2
		cluster_down
		return 1
	fi
}

_cluster_install_traps() {
	local sig
	[[ ${MOSIX_CLUSTER_NO_TRAP:-0} == 1 ]] && return 0
	_CLUSTER_TRAP_PID=$BASHPID
	trap '_cluster_on_signal EXIT' EXIT
	for sig in INT TERM HUP; do
		# shellcheck disable=SC2064 # expand $sig now
		trap "_cluster_on_signal $sig" "$sig"
	done
}

_cluster_remove_traps() {
	local sig
	for sig in EXIT INT TERM HUP; do
		# trap -p in a pipeline still shows this shell's traps.
		if trap -p "$sig" | grep -q _cluster_on_signal; then
			trap - "$sig"
		fi
	done
	return 0
}

# Tear down, then die of the signal so the caller sees how we ended.
# A child that bash has forked but not yet exec'd (cluster_spawn's, any
# "cmd &") runs these traps too if a signal reaches it then: it must not
# tear down the cluster, only end as the command would have.
_cluster_on_signal() {
	if [[ $BASHPID != "${_CLUSTER_TRAP_PID:-}" ]]; then
		[[ $1 == EXIT ]] && return 0
		trap - "$1"
		kill -s "$1" "$BASHPID"
		exit 1
	fi
	cluster_down || :
	if [[ $1 != EXIT ]]; then
		trap - "$1"
		kill -s "$1" "$BASHPID"
		case $1 in
		HUP) exit 129 ;;
		INT) exit 130 ;;
		*) exit 143 ;;
		esac
	fi
}

# Stop and remove one cluster given its state dir, whether it is ours, a
# crashed one's, or half made.  Nodes first get SIGTERM (their PID 1 passes
# it on); the supervisor then SIGKILLs its holders, which takes down what
# is left through the parent-death signals.
_cluster_teardown() {
	local state=$1 pid start f p s live deadline cs='' ret=0 i
	[[ $state == /tmp/*mosix-cluster.* && -d $state ]] || return 0
	for f in "$state"/node*/pid; do
		if [[ -r $f ]] && read -r pid start <"$f" && _cluster_alive "$pid" "$start"; then
			kill -TERM "$pid" 2>/dev/null || :
		fi
	done
	if [[ -r $state/supervisor ]] && read -r pid start <"$state/supervisor"; then
		deadline=$((SECONDS + _CLUSTER_DOWN_TIMEOUT))
		# Give the nodes their grace period before killing the holders.
		while _cluster_alive "$pid" "$start" && ((SECONDS < deadline)); do
			live=0
			for f in "$state"/node*/pid; do
				[[ -r $f ]] && read -r p s <"$f" && _cluster_alive "$p" "$s" && live=1
			done
			((live)) || break
			sleep 0.01
		done
		if _cluster_alive "$pid" "$start"; then
			kill -TERM "$pid" 2>/dev/null || :
		fi
		if ! _cluster_wait_gone "$state"; then
			if _cluster_alive "$pid" "$start"; then
				kill -KILL "$pid" 2>/dev/null || :
			fi
			_cluster_wait_gone "$state" ||
				{ _cluster_err "processes of '$state' are still running"; ret=1; }
		fi
		# Reap it if it is our child, so no zombie is left behind.
		wait "$pid" 2>/dev/null || :
	fi
	[[ -r $state/cpuset ]] && { read -r cs <"$state/cpuset" || :; }
	if [[ -n $cs ]]; then
		_cluster_cpuset_remove "$cs" || ret=1
	fi
	if ((ret == 0)); then
		# Nothing is mounted on the host, so this cannot reach outside.
		# A supervisor forked but not yet recorded may still be opening
		# its log in there as we go: try again for a moment.
		for ((i = 0; i < 20; i++)); do
			rm -rf --one-file-system -- "$state" 2>/dev/null && break
			sleep 0.05
		done
		[[ -e $state ]] && { _cluster_err "unable to remove '$state'"; ret=1; }
	fi
	return "$ret"
}

# cluster_down: stop the cluster and remove everything it made.  Safe to
# call twice, with no cluster, or on a half-made one.
cluster_down() {
	local state=${MOSIX_CLUSTER_STATE:-} ret=0
	if [[ -n $state ]]; then
		_cluster_teardown "$state" || ret=1
		unset MOSIX_CLUSTER_STATE
	fi
	_cluster_remove_traps
	return "$ret"
}

# cluster_sweep: remove what crashed clusters left: state dirs whose
# supervisor is dead, with their cpusets, and mosix-test.* cpusets with no
# task that are over a minute old (so not those of a starting cluster).
# cluster_up calls it.
cluster_sweep() {
	local d pid start cs parent
	_cluster_tmpdir || return 1
	for d in "$_cluster_tmp"/mosix-cluster.*; do
		[[ -d $d && $d != "${MOSIX_CLUSTER_STATE:-}" ]] || continue
		if [[ -r $d/supervisor ]]; then
			read -r pid start <"$d/supervisor" && _cluster_alive "$pid" "$start" && continue
		elif find "$d" -maxdepth 0 -mmin -1 | grep -q .; then
			continue # just made by a cluster_up that has not started yet
		fi
		_cluster_teardown "$d" || :
	done
	_cluster_cpuset_parent || return 0
	parent=$_cluster_csparent
	for cs in "$parent"/mosix-test.*; do
		[[ -d $cs ]] && find "$cs" -maxdepth 0 -mmin +1 | grep -q . || continue
		rmdir "$cs"/node*/ "$cs" 2>/dev/null || :
	done
	return 0
}

# Set _cluster_argv to the node-exec command that enters NODE (a number or
# "hub"); the caller declares _cluster_argv local.
_cluster_exec_argv() {
	local node=$1 state=${MOSIX_CLUSTER_STATE:-} bindir pid start cs=''
	if [[ -z $state || ! -d $state ]]; then
		_cluster_err "no cluster is up"
		return 1
	fi
	if [[ $node == hub ]]; then
		read -r pid start 2>/dev/null <"$state/hub"
	elif [[ $node =~ ^[1-9][0-9]*$ ]]; then
		read -r pid start 2>/dev/null <"$state/node$node/pid"
		[[ -r $state/cpuset ]] && { read -r cs <"$state/cpuset" || :; }
	fi
	if [[ -z ${pid:-} ]]; then
		_cluster_err "no node '$node'"
		return 1
	fi
	read -r bindir <"$state/bindir"
	_cluster_argv=("$bindir/node-exec" -s "$start")
	[[ -n $cs ]] && _cluster_argv+=(-c "$cs/node$node/tasks")
	_cluster_argv+=("$pid" --)
}

# cluster_exec NODE CMD [ARG...]
#
# Run CMD in NODE (1..N, or "hub" for the bridges' namespace) and wait for
# it: all the node's namespaces and cpuset, the current directory if that
# path exists in the node (else /), the caller's environment and stdio.
# Returns CMD's status; 125 if the node cannot be entered, 126/127 if CMD
# cannot be run.
cluster_exec() {
	local -a _cluster_argv
	_cluster_exec_argv "${1:-}" || return 125
	shift
	"${_cluster_argv[@]}" "$@"
}

# cluster_spawn NODE CMD [ARG...]
#
# Like cluster_exec, in the background.  Afterwards $! (and
# CLUSTER_SPAWN_PID) is a pid for kill and wait: signals sent to it reach
# CMD, and wait returns CMD's status.
cluster_spawn() {
	local -a _cluster_argv
	local deadline=$((SECONDS + 2))
	_cluster_exec_argv "${1:-}" || return 125
	shift
	"${_cluster_argv[@]}" "$@" &
	# shellcheck disable=SC2034 # for the caller
	CLUSTER_SPAWN_PID=$!
	# Return once the child runs node-exec: until then it is a copy of this
	# shell, which would run our traps if the caller signalled it at once.
	while [[ ! /proc/$CLUSTER_SPAWN_PID/exe -ef ${_cluster_argv[0]} && -e /proc/$CLUSTER_SPAWN_PID ]] &&
		((SECONDS < deadline)); do
		:
	done
}

_cluster_node_file() {
	local node=$1 file=$2 leg=${3:-1} state=${MOSIX_CLUSTER_STATE:-}
	local -a lines
	if ! [[ -n $state && $node =~ ^[1-9][0-9]*$ && -r $state/node$node/$file ]]; then
		_cluster_err "no node '$node'"
		return 1
	fi
	mapfile -t lines <"$state/node$node/$file"
	[[ $leg =~ ^[1-9]$ && -n ${lines[leg - 1]:-} ]] ||
		{ _cluster_err "node$node has no leg '$leg'"; return 1; }
	echo "${lines[leg - 1]}"
}

# cluster_addr NODE [LEG] / cluster_addr6 NODE [LEG]: the node's IPv4 /
# IPv6 address; LEG 2 is the routed topology's router's subnet-2 side.
cluster_addr() { _cluster_node_file "${1:-}" addr "${2:-1}"; }
cluster_addr6() { _cluster_node_file "${1:-}" addr6 "${2:-1}"; }

# cluster_dir NODE: host-side directory whose etc/mosix, run and tmp are
# the node's /etc/mosix, /run and /tmp.
cluster_dir() {
	local state=${MOSIX_CLUSTER_STATE:-}
	[[ -n $state && ${1:-} =~ ^[1-9][0-9]*$ && -d $state/node$1 ]] ||
		{ _cluster_err "no node '${1:-}'"; return 1; }
	echo "$state/node$1"
}

# cluster_pid NODE|hub: host pid of the node's PID 1 (or the hub holder).
cluster_pid() {
	local state=${MOSIX_CLUSTER_STATE:-} f pid
	if [[ ${1:-} == hub ]]; then f=$state/hub; else f=$state/node${1:-}/pid; fi
	[[ -n $state && -r $f ]] && read -r pid _ <"$f" ||
		{ _cluster_err "no node '${1:-}'"; return 1; }
	echo "$pid"
}

# cluster_nodes: number of nodes; cluster_cpuset [NODE]: cpuset directory
# of the cluster (or of NODE), empty without --cpuset.
cluster_nodes() { cat -- "${MOSIX_CLUSTER_STATE:-/nonexistent}/nodes"; }
cluster_cpuset() {
	local cs=''
	[[ -r ${MOSIX_CLUSTER_STATE:-}/cpuset ]] && { read -r cs <"$MOSIX_CLUSTER_STATE/cpuset" || :; }
	[[ -n $cs ]] && echo "$cs${1:+/node$1}"
	return 0
}

# cluster_reach NODE ADDR: true if NODE gets an answer from ADDR.  Uses
# ping(8) if installed (iputils-ping); otherwise a TCP connection to port 9,
# where "connection refused" also proves that the peer answered.
cluster_reach() {
	local node=$1 addr=$2
	if [[ ${MOSIX_CLUSTER_NO_PING:-0} != 1 ]] && command -v ping >/dev/null; then
		cluster_exec "$node" ping -n -q -c1 -W1 "$addr" >/dev/null 2>&1
		return
	fi
	# The "|| :" keeps bash's own failure from failing the pipeline under
	# pipefail: grep alone decides.
	# shellcheck disable=SC2016 # expanded by the inner bash
	{
		LC_ALL=C cluster_exec "$node" timeout 2 \
			bash -c 'exec 3<>"/dev/tcp/$1/9" && echo "Connection accepted"' _ "$addr" 2>&1 || :
	} | grep -q -e "Connection refused" -e "Connection accepted"
}

# ---------------------------------------------------------------------------
# The processes of a cluster run this file as a script (not sourced).

# A parent-death signal set by setpriv is lost if the parent died before
# setpriv ran: we would have been re-parented already.  So each process of
# the chain, once it runs, checks that its parent is still the expected one;
# from then on, the signal is sure to come.

# The supervisor: parent of the holders, so their parent-death signal ties
# them to it.  SIGTERM makes it SIGKILL them; it leaves when they are gone.
_cluster_supervise() {
	local state=$1 n cs='' i sup=$BASHPID
	local -a kids=() rec
	[[ $PPID == "$2" ]] || exit 1
	# Make nothing until our parent has recorded us: a signal can run its
	# teardown between our fork and that record, and that teardown, not
	# knowing us, removes the state dir; then we go without a trace.
	until read -r rec _ 2>/dev/null <"$state/supervisor" && [[ $rec == "$sup" ]]; do
		[[ -d $state ]] || exit 0
		sleep 0.01
	done
	read -r n <"$state/nodes"
	[[ -r $state/cpuset ]] && read -r cs <"$state/cpuset"
	cd / || return 1
	# shellcheck disable=SC2317 # called by the trap
	_cluster_supervisor_stop() {
		kill -KILL "${kids[@]}" 2>/dev/null
		exit 0
	}
	trap _cluster_supervisor_stop TERM
	setpriv --pdeathsig KILL unshare --net -- bash "$_CLUSTER_SELF" _hub "$state" "$sup" &
	kids+=("$!")
	for ((i = 1; i <= n; i++)); do
		(
			[[ -n $cs ]] && echo "$BASHPID" >"$cs/node$i/tasks"
			exec setpriv --pdeathsig KILL unshare --net --uts --mount --pid --ipc \
				--fork --kill-child --propagation private -- \
				bash "$_CLUSTER_SELF" _node "$state" "$i" "$sup"
		) &
		kids+=("$!")
	done
	for i in "${kids[@]}"; do
		_cluster_proc "$i"
		echo "$i $_cluster_pstart"
	done >"$state/kids"
	wait
}

# The hub holder, in its own network namespace: report, then just exist.
_cluster_hub() {
	local state=$1
	[[ $PPID == "$2" ]] || exit 1
	cd / || return 1
	echo "hub $$" >"$state/ready"
	exec sleep infinity
}

# A node's set-up, run as PID 1 of its new namespaces; ends by exec'ing
# node-init.  Order matters: everything that reads the host's /tmp (the
# state dir, shared paths) happens before the node's own /tmp hides it.
_cluster_node() {
	local state=$1 n=$2 d=$1/node$2 hostpid bindir topo fifo p
	# /proc is still the host's: "self" is our pid as the host sees it.
	read -r hostpid _ </proc/self/stat
	# Our parent is unshare (its --kill-child signal is set), and its parent
	# must still be the supervisor (see above).
	_cluster_proc self && _cluster_proc "$_cluster_pppid" && [[ $_cluster_pppid == "$3" ]] ||
		exit 1
	read -r bindir <"$state/bindir"
	read -r topo <"$state/topology"
	exec {fifo}>"$state/ready"
	_fail() {
		echo "fail node$n $*" >&"$fifo"
		exit 1
	}
	# Our /run first, and "mount -n" throughout, so that mount(8) does not
	# write its utab under the host's /run.
	mount -n --bind "$d/run" /run || _fail "bind /run"
	mount -n -t proc proc /proc || _fail "mount /proc"
	echo "node$n" >/proc/sys/kernel/hostname || _fail hostname
	mount -n -t overlay overlay \
		-o "lowerdir=/etc,upperdir=$d/.etc/upper,workdir=$d/.etc/work" /etc ||
		_fail "overlay on /etc"
	cp "$state/hosts" /etc/hosts && echo "node$n" >/etc/hostname &&
		mkdir -p /etc/mosix && mount -n --bind "$d/etc/mosix" /etc/mosix ||
		_fail "/etc/mosix"
	mount -n -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || _fail "/dev/shm"
	# A sysfs of this network namespace, with the host's cgroups under it.
	mount -n -t sysfs sysfs "$d/.sys" &&
		mount -n --rbind /sys/fs/cgroup "$d/.sys/fs/cgroup" &&
		mount -n --move "$d/.sys" /sys || _fail "/sys"
	while IFS= read -r p; do
		[[ $p == /tmp/?* && $p != "$state" && $p != "$state"/* && -d $p ]] || continue
		# $d/tmp becomes the node's /tmp: /tmp/x goes to $d/tmp/x
		mkdir -p "$d/tmp${p#/tmp}" && mount -n --rbind "$p" "$d/tmp${p#/tmp}" ||
			_fail "share '$p'"
	done <"$state/share"
	mount -n --rbind "$d/tmp" /tmp || _fail "bind /tmp"
	# No duplicate address detection, not even for link-local addresses:
	# a router cannot send neighbour solicitations for forwarded packets
	# while its link-local address is tentative, for a second or so.
	echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad &&
		echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad || _fail "accept_dad"
	if ((n == 1)) && [[ $topo == routed ]]; then
		echo 1 >/proc/sys/net/ipv4/ip_forward &&
			echo 1 >/proc/sys/net/ipv6/conf/all/forwarding || _fail forwarding
	fi
	echo "node $n $hostpid" >&"$fifo"
	exec {fifo}>&-
	cd / || _fail "cd /"
	exec -a node-init "$bindir/node-init"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	case ${1:-} in
	_supervise | _hub | _node) "_cluster$1" "${@:2}" ;;
	*)
		echo "cluster.sh is a library: source it, or use tests/harness/mosix-cluster" >&2
		exit 2
		;;
	esac
fi
