#!/usr/bin/env bash
# The migration suite in the spirit of CRIU's ZDTM: each tests/progs/zdtm_*
# program sets up one kind of state at home (node 1), says "ready", is
# migrated to node 2 while it waits, gets SIGUSR2 there, checks that the
# state survived and says "PASS zdtm_NAME" (see tests/progs/zdtm.h). Each
# first runs without migration, as the baseline of the same checks.
#
# A program whose migrated run fails because the engine is wrong is kept,
# its checks marked "# TODO engine: why" by the engine_todo table below, so
# that the suite stays green and the bug stays documented.
set -u
here=$(dirname "$0")
. "$here/../lib/tap.sh"
. "$here/../harness/cluster.sh"
. "$here/../lib/migd_cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, ptrace)"
	exit 0
fi
migd_progs

# TAG -> the engine bug that makes its migrated run fail
declare -A engine_todo=()

plan 241
migd_cluster_up 2 || { echo "Bail out! no cluster"; exit 1; }
d1=$(cluster_dir 1)
d2=$(cluster_dir 2)

# The pty harness for zdtm_tty: ROWS COLS PROG [ARG...] runs PROG as the
# session leader of a new pty whose window is ROWS x COLS, prints
# "pty pid=N", copies the terminal's output to stdout (without the \r),
# and exits with PROG's status (128 + N for signal N).
cat >"$d1/tmp/zdtm_pty.py" <<'EOF'
import fcntl, os, pty, struct, sys, termios
rows, cols = int(sys.argv[1]), int(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.execv(sys.argv[3], sys.argv[3:])
print("pty pid=%d" % pid, flush=True)
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data.replace(b"\r", b""))
    sys.stdout.flush()
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
sys.exit(code if code >= 0 else 128 - code)
EOF

# start TAG CMD...: run CMD at home, its output in node 1's /tmp/TAG.out;
# sets shell (the job here) and pid (in node 1: the process under test,
# which is the one a "pid=N" line names, if any); true once it is ready
start() {
	local tag=$1 f=$d1/tmp/$1.out
	shift
	run_at 1 "$tag" "$@"
	shell=$!
	pid=$(node_pid 1 "$tag")
	wait_for 10 eval "grep -q '^ready' '$f' || ! kill -0 $shell" 2>/dev/null
	if grep -q 'pid=' "$f" 2>/dev/null; then
		pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$f" | head -n 1)
	fi
	grep -q '^ready' "$f" && return 0
	diag "$tag did not get ready: $(cat "$f" "$d1/tmp/$tag.err" 2>/dev/null)"
	cluster_exec 1 kill -KILL "$pid" 2>/dev/null
	return 1
}

# finish TAG: the exit status of the job, killed after 30 s
finish() {
	if ! wait_for 30 eval "! kill -0 $shell" 2>/dev/null; then
		diag "$1: still running after 30 s: killed"
		cluster_exec 1 kill -KILL "$pid" 2>/dev/null
		kill -KILL "$shell" 2>/dev/null
	fi
	wait "$shell"
}

# verdict TAG PROG LABEL STATUS WHAT [TODO]: its output says PASS PROG,
# and it exited 0 (2 tests)
verdict() {
	local tag=$1 prog=$2 label=$3 status=$4 what=$5 mark=${6:+ # TODO $6} o
	o=$(cat "$d1/tmp/$tag.out" "$d1/tmp/$tag.err" 2>/dev/null)
	like "$o" "^PASS $prog\$" "$label: PASS $what$mark"
	is "$status" 0 "$label: exit status 0 $what$mark"
	if [ -z "$mark" ] && ! printf '%s' "$o" | grep -q "^PASS $prog\$"; then
		diag "--- $tag: output" "$o"
		diag "--- node 1 migd.log (tail)" "$(tail -n 12 "$d1/tmp/migd.log" 2>/dev/null)"
		diag "--- node 2 migd.log (tail)" "$(tail -n 12 "$d2/tmp/migd.log" 2>/dev/null)"
	fi
}

# zdtm TAG CMD...: the baseline run, then the migrated one (7 tests). The
# program is zdtm_${TAG%%-*}. A function pre_TAG runs just before SIGUSR2
# is sent, post_TAG just after; both in either run, with $tag and $pid set.
zdtm() {
	local name=$1 prog="zdtm_${1%%-*}" label="zdtm_$1" status err
	shift
	for tag in "b_$name" "m_$name"; do
		if start "$tag" "$@"; then
			if [ "$tag" = "m_$name" ]; then
				err=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
				ok $? "$label: migrate it (pid $pid) to node 2${err:+: $err}"
				guest_of 2 "$pid" >/dev/null
				ok $? "$label: node 2 hosts its guest"
			fi
			if declare -F "pre_$name" >/dev/null; then "pre_$name"; fi
			cluster_exec 1 kill -USR2 "$pid"
			if declare -F "post_$name" >/dev/null; then "post_$name"; fi
		elif [ "$tag" = "m_$name" ]; then
			ok 1 "$label: migrate it to node 2"
			ok 1 "$label: node 2 hosts its guest"
		fi
		finish "$tag"
		status=$?
		if [ "$tag" = "b_$name" ]; then
			verdict "$tag" "$prog" "$label" "$status" "(baseline)"
		else
			verdict "$tag" "$prog" "$label" "$status" "after migration" "${engine_todo[$name]:-}"
		fi
	done
	wait_for 3 eval "! guest_of 2 $pid"
	ok $? "$label: no guest left on node 2"
}

# zdtm_sigmask: SIGUSR1 once and its real-time signal twice, while blocked
pre_sigmask() {
	local rt
	rt=$(sed -n 's/^ready rt=//p' "$d1/tmp/$tag.out")
	cluster_exec 1 kill -USR1 "$pid"
	cluster_exec 1 kill "-${rt:-36}" "$pid"
	cluster_exec 1 kill "-${rt:-36}" "$pid"
	sleep 0.2
}

# zdtm_sigmask, brought home before SIGUSR2: the signals pending in the
# guest's kernel on node 2 (blocked there) come home with it
pre_sigmask-home() {
	local err
	pre_sigmask
	[ "$tag" = "m_sigmask-home" ] || return 0
	err=$(cluster_exec 1 "$bin/migrate" "$pid" home 2>&1)
	ok $? "zdtm_sigmask-home: brought home with its pending signals${err:+: $err}"
	wait_for 3 eval "! guest_of 2 $pid"
}

# zdtm_nice, moved: its guest on node 2 is niced 7 and SCHED_BATCH (3) too,
# as /proc/PID/stat of the guest itself says (fields 19 and 41)
pre_nice() {
	local g st
	[ "$tag" = m_nice ] || return 0
	g=$(guest_of 2 "$pid")
	st=$(cluster_exec 2 cat "/proc/${g:-0}/stat" 2>/dev/null | sed 's/.*) //')
	# shellcheck disable=SC2016 # awk's
	is "$(printf '%s\n' "$st" | awk '{ print $17, $39 }')" "7 3" \
		"zdtm_nice: its guest on node 2 runs at nice 7, SCHED_BATCH"
}

# zdtm_exit segv-core, moved: it came home to die, as home's log says
post_exit-segv-core() {
	[ "$tag" = m_exit-segv-core ] || return 0
	wait_for 10 grep -q "process $pid: a signal dumps its core on node 2: it comes home" \
		"$d1/tmp/migd.log"
	ok $? "zdtm_exit-segv-core: home's migd says it came home to dump its core"
}

# zdtm_siginfo: SIGUSR1 from a process at home, whose pid it is told
pre_siginfo() {
	# shellcheck disable=SC2016 # the inner shell's own $$ and $1
	cluster_exec 1 sh -c 'echo $$ >/tmp/zdtm_siginfo.sender; exec kill -USR1 "$1"' sh "$pid"
}

# in_read: the process under test is blocked in read(2) at home (where
# the home agent runs a forwarded read, if it moved)
in_read() {
	[ "$(cluster_exec 1 cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)" = 0 ]
}

# in_poll: the same for poll(2) (or ppoll)
in_poll() {
	case "$(cluster_exec 1 cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)" in
	7 | 271) return 0 ;;
	esac
	return 1
}

# in_epoll: the same for epoll_wait(2) (or epoll_pwait)
in_epoll() {
	case "$(cluster_exec 1 cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)" in
	232 | 281) return 0 ;;
	esac
	return 1
}

# zdtm_sigrestart: SIGUSR1 into each blocking read; SIGCHLD and SIGHUP
# first into the second, then data; SIGUSR1 into a blocking poll; then
# epoll_wait: SIGCHLD and SIGWINCH, then data; SIGCHLD every 0.5 s into
# a 2 s timeout; SIGUSR1; then the same SIGCHLDs into a ppoll's and a
# select's 2 s
post_sigrestart() {
	local f=$d1/tmp/$tag.out wfd
	wait_for 10 grep -q '^blocking eintr' "$f"
	wait_for 5 in_read || diag "$tag: not seen blocked in the first read"
	sleep 0.1
	cluster_exec 1 kill -USR1 "$pid"
	wait_for 10 grep -q '^blocking restart' "$f"
	wait_for 5 in_read || diag "$tag: not seen blocked in the second read"
	sleep 0.1
	# neither ends the read: SIGCHLD is ignored, SIGHUP blocked
	cluster_exec 1 kill -CHLD "$pid"
	cluster_exec 1 kill -HUP "$pid"
	sleep 0.2
	wait_for 5 in_read || diag "$tag: not seen blocked in the read after SIGCHLD and SIGHUP"
	cluster_exec 1 kill -USR1 "$pid"
	sleep 0.3
	wfd=$(sed -n 's/^blocking restart wfd=//p' "$f")
	cluster_exec 1 sh -c "printf data >/proc/$pid/fd/${wfd:-4}"
	wait_for 10 grep -q '^blocking poll' "$f"
	wait_for 5 in_poll || diag "$tag: not seen blocked in poll"
	sleep 0.1
	cluster_exec 1 kill -USR1 "$pid"
	wait_for 10 grep -q '^blocking epoll wfd' "$f"
	wait_for 5 in_epoll || diag "$tag: not seen blocked in epoll_wait"
	sleep 0.1
	cluster_exec 1 kill -CHLD "$pid"
	cluster_exec 1 kill -WINCH "$pid"
	sleep 0.2
	wait_for 5 in_epoll || diag "$tag: not seen blocked in epoll_wait after SIGCHLD and SIGWINCH"
	wfd=$(sed -n 's/^blocking epoll wfd=//p' "$f")
	cluster_exec 1 sh -c "printf data >/proc/$pid/fd/${wfd:-4}"
	wait_for 10 grep -q '^blocking epoll timeout' "$f"
	for _ in 1 2 3; do
		sleep 0.5
		cluster_exec 1 kill -CHLD "$pid"
	done
	wait_for 10 grep -q '^blocking epoll eintr' "$f"
	wait_for 5 in_epoll || diag "$tag: not seen blocked in the last epoll_wait"
	sleep 0.1
	cluster_exec 1 kill -USR1 "$pid"
	for what in ppoll select; do
		wait_for 10 grep -q "^blocking $what timeout" "$f"
		for _ in 1 2 3; do
			sleep 0.5
			cluster_exec 1 kill -CHLD "$pid"
		done
	done
}

# zdtm_sigwait: ppoll and epoll_pwait whose own mask lets SIGUSR1 in (it
# is blocked otherwise): SIGUSR1 into each must end it with the handler
# run inside; then a ppoll whose mask keeps SIGUSR1 out must time out.
# Moved, each masked wait brings it home: it is moved again between the
# first two, so that both start on node 2
post_sigwait() {
	local f=$d1/tmp/$tag.out err
	wait_for 10 grep -q '^blocking ppoll mask' "$f"
	wait_for 5 in_poll || diag "$tag: not seen blocked in ppoll"
	sleep 0.1
	cluster_exec 1 kill -USR1 "$pid"
	wait_for 10 grep -q '^ready again' "$f"
	if [ "$tag" = m_sigwait ]; then
		# the ppoll brought it home: moved again, the epoll_pwait
		# starts on node 2 and brings it home
		wait_for 3 eval "! guest_of 2 $pid"
		ok $? "zdtm_sigwait: the ppoll with a mask brought it home"
		err=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
		ok $? "zdtm_sigwait: moved to node 2 again${err:+: $err}"
		guest_of 2 "$pid" >/dev/null
		ok $? "zdtm_sigwait: node 2 hosts its guest again"
	fi
	cluster_exec 1 kill -USR2 "$pid"
	wait_for 10 grep -q '^blocking epoll_pwait mask' "$f"
	wait_for 5 eval "! guest_of 2 $pid && in_epoll"
	ok $? "zdtm_sigwait: $tag waits in epoll_pwait at home"
	sleep 0.1
	cluster_exec 1 kill -USR1 "$pid"
	wait_for 10 grep -q '^blocking ppoll blocked' "$f"
	wait_for 5 in_poll || diag "$tag: not seen blocked in the last ppoll"
	sleep 0.1
	cluster_exec 1 kill -USR1 "$pid"
}

# zdtm_waitmove: an endless epoll_wait, then epoll_pwait, then a read,
# each moved home and away again while it waits (the first move stops a
# call forwarded home, the second a wait of home's own): it must go on
# waiting, not fail with EINTR, until data comes
post_waitmove() {
	local f=$d1/tmp/$tag.out what wfd err in
	for what in epoll epoll_pwait read; do
		in=in_epoll
		[ "$what" = read ] && in=in_read
		wait_for 10 grep -q "^blocking $what wfd" "$f"
		wait_for 5 "$in" || diag "$tag: not seen blocked in $what"
		if [ "$tag" = m_waitmove ]; then
			err=$(cluster_exec 1 "$bin/migrate" "$pid" home 2>&1)
			ok $? "zdtm_waitmove: brought home inside $what${err:+: $err}"
			wait_for 5 eval "! guest_of 2 $pid && $in" ||
				diag "$tag: not seen home in $what"
			err=$(cluster_exec 1 "$bin/migrate" "$pid" 2 2>&1)
			ok $? "zdtm_waitmove: moved to node 2 inside $what${err:+: $err}"
			guest_of 2 "$pid" >/dev/null
			ok $? "zdtm_waitmove: node 2 hosts its guest inside $what"
		fi
		sleep 0.2
		wfd=$(sed -n "s/^blocking $what wfd=//p" "$f")
		cluster_exec 1 sh -c "printf data >/proc/$pid/fd/${wfd:-4}"
	done
}

p=$progs
zdtm file "$p/zdtm_file"
zdtm pipe "$p/zdtm_pipe"
zdtm tty python3 /tmp/zdtm_pty.py 37 91 "$p/zdtm_tty" 37 91
zdtm sigmask "$p/zdtm_sigmask"
zdtm sigmask-home "$p/zdtm_sigmask"
zdtm raise "$p/zdtm_raise"
zdtm siginfo "$p/zdtm_siginfo" /tmp/zdtm_siginfo.sender
zdtm sigrestart "$p/zdtm_sigrestart"
zdtm sigwait "$p/zdtm_sigwait"
zdtm waitmove "$p/zdtm_waitmove"
zdtm altstack "$p/zdtm_altstack"
zdtm fpu "$p/zdtm_fpu"
diag "zdtm_fpu: $(sed -n 's/^ready //p' "$d1/tmp/m_fpu.out") registers"
zdtm heap "$p/zdtm_heap" 256
zdtm dlopen "$p/zdtm_dlopen"
zdtm procmaps "$p/zdtm_procmaps"
zdtm mmapfile "$p/zdtm_mmapfile"
zdtm timers "$p/zdtm_timers"
zdtm cputimer "$p/zdtm_cputimer"
zdtm ids "$p/zdtm_ids"
zdtm rlimit "$p/zdtm_rlimit"
zdtm memlimit "$p/zdtm_memlimit"
zdtm nice "$p/zdtm_nice"
zdtm persona "$p/zdtm_persona"
zdtm sigchld "$p/zdtm_sigchld"
zdtm ppid "$p/zdtm_ppid"
zdtm exit-exit "$p/zdtm_exit" exit
zdtm exit-abort "$p/zdtm_exit" abort
zdtm exit-segv "$p/zdtm_exit" segv
# cores need a core limit to raise and a core_pattern that writes a file
# (a pipe to a collector may not run here): else the 15 tests are skipped
if [ "$(ulimit -Hc)" != 0 ] && ! grep -q '^|' /proc/sys/kernel/core_pattern; then
	zdtm exit-segv-core "$p/zdtm_exit" segv-core
	zdtm exit-abort-core "$p/zdtm_exit" abort-core
else
	for _ in $(seq 15); do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # SKIP no core files here (hard core limit 0, or core_pattern a pipe)"
	done
fi
zdtm fork "$p/zdtm_fork"
zdtm exec "$p/zdtm_exec"
