#!/usr/bin/env bash
# mosctl check: the kernel feature probe on this machine (every required
# feature works on the kernels we support; soft-dirty does not on 6.18),
# its output format and speed; and, as the negative control, the same
# probe under a seccomp filter that takes system calls away as an older or
# smaller kernel would (tests/progs/nosys).
set -u
. "$(dirname "$0")/../lib/tap.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m -- "${MOSIX_OUT:-$root/out}")
bin=$(realpath -m -- "${MOSIX_BIN:-$out/bin}")
progs=$out/asan/tests/progs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$bin/mosctl" ] || { echo "Bail out! no $bin/mosctl (./build.sh tools)"; exit 1; }
make -C "$root/tests" --no-print-directory -s O="$out/asan" progs >&2 ||
	{ echo "Bail out! cannot build the programs of tests/progs"; exit 1; }

required=(
	"PTRACE_SEIZE, PTRACE_INTERRUPT"
	"PTRACE_GETREGSET NT_X86_XSTATE"
	"PTRACE_GET_RSEQ_CONFIGURATION"
	"rseq"
	"process_vm_readv, process_vm_writev"
	"pidfd_open"
	"pidfd_getfd"
	"seccomp user notification"
	"SECCOMP_IOCTL_NOTIF_ADDFD"
	"SECCOMP_USER_NOTIF_FLAG_CONTINUE"
	"prctl PR_SET_MM_MAP, unprivileged"
	"close_range"
	"kcmp"
)
optional=(
	"time namespaces (CLONE_NEWTIME)"
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
	"SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP"
	"userfaultfd, UFFD_USER_MODE_ONLY"
	"soft-dirty page tracking"
	"mosix kernel part (/proc/mosix)"
)

# The status of feature NAME in the output in FILE: what follows the name.
status_of() {
	awk -v name="$1" 'substr($0, 1, length(name) + 2) == name "  " {
		s = substr($0, length(name) + 1)
		sub(/^ +/, "", s)
		print s
		exit
	}' "$2"
}

plan $((${#required[@]} + 17))

start=$(date +%s%N)
"$bin/mosctl" check >"$work/out" 2>"$work/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 0 "exit 0: every required feature works here"
is "$(cat "$work/err")" "" "nothing on stderr"
for f in "${required[@]}"; do
	like "$(status_of "$f" "$work/out")" "^ok" "$f: ok"
done
like "$(status_of "PTRACE_GETREGSET NT_X86_XSTATE" "$work/out")" \
	'^ok \([0-9]+ bytes, XCR0 0x[0-9a-f]+\)$' "the xstate size and XCR0 are shown"
is "$(status_of "soft-dirty page tracking" "$work/out")" \
	"optional, missing: pre-copy migration, which the engine does not do yet (nothing lost today)" \
	"soft-dirty: optional, missing on this kernel, with what is lost"
is "$(wc -l <"$work/out")" $((${#required[@]} + ${#optional[@]} + 2)) \
	"one line per feature, the CPU's features and a summary"
like "$(status_of "CPU features (other nodes need them)" "$work/out")" '^ok \(sse3 .*\)$' \
	"the CPU features a node needs to take this node's processes"
bad=$(head -n -1 "$work/out" | grep -v -E '^.{38}  (ok( \(.*\))?|missing: needed for .+ \(.+\)|optional, missing: .+)$')
is "$bad" "" "every line: the name in 38 columns, then ok, missing or optional, missing"
for f in "${optional[@]}"; do
	status=$(status_of "$f" "$work/out")
	[[ $status == ok || $status == "optional, missing: "* ]] || bad="$bad $f"
done
is "$bad" "" "the optional features are ok or 'optional, missing'"
like "$(tail -n 1 "$work/out")" \
	"^mosctl check: all ${#required[@]} required kernel features work; [0-9] of ${#optional[@]} optional ones missing\$" \
	"the summary"
ok "$([ "$ms" -lt 1000 ] && echo 0 || echo 1)" "fast: ${ms} ms (the probe alone takes a few)"

"$bin/mosctl" check extra >/dev/null 2>&1
is "$?" 2 "check takes no argument"

# --- negative control: a kernel without some calls ------------------------------------

"$progs/nosys" pidfd_getfd -- "$bin/mosctl" check >"$work/out" 2>&1
is "$?" 1 "no pidfd_getfd: exit 1"
is "$(status_of pidfd_getfd "$work/out")" \
	"missing: needed for taking the files of a process (file mappings) (Function not implemented)" \
	"no pidfd_getfd: missing, what for, and why"
is "$(tail -n 1 "$work/out")" \
	"mosctl check: 1 of ${#required[@]} required kernel features missing: this node cannot migrate processes" \
	"no pidfd_getfd: the summary says this node cannot migrate"
"$progs/nosys" kcmp -- "$bin/mosctl" check >"$work/out" 2>&1
is "$?:$(status_of kcmp "$work/out")" \
	"1:missing: needed for telling a process that shares its memory, or a file, with another (Function not implemented)" \
	"no kcmp: required, so exit 1"
"$progs/nosys" userfaultfd -- "$bin/mosctl" check >"$work/out" 2>&1
is "$?:$(status_of "userfaultfd, UFFD_USER_MODE_ONLY" "$work/out")" \
	"0:optional, missing: filling a moved-in process's memory without a page fault a page (moves in are slower)" \
	"no userfaultfd: optional, so still exit 0"
"$progs/nosys" unshare process_vm_writev -- "$bin/mosctl" check >"$work/out" 2>&1
is "$?:$(grep -c ' missing: needed for ' "$work/out")" "1:1" \
	"no unshare, no process_vm_writev: process_vm missing (time namespaces are optional)"
