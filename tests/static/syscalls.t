#!/usr/bin/env bash
# The system call table: its committed outputs are fresh, it covers every
# number of <asm/unistd_64.h>, the compiled table says what the .tbl says
# for well-known calls, and the generator rejects a broken table with
# FILE:LINE.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$root/tests/lib/tap.sh"

gen=$root/tools/engine/gen-syscalls
tbl=$root/tools/engine/syscalls.tbl
hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
eng=${MOSIX_OUT:-$root/out}/asan/lib/libmosixeng.a
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 30

# --- the generator and the committed outputs
out=$("$gen" --help)
ok $? "gen-syscalls --help exits 0"
like "$out" "^usage: gen-syscalls" "gen-syscalls --help prints its usage"
out=$("$gen" --check 2>&1)
ok $? "committed sc_table_gen.c and docs/syscalls.md are fresh"
[ -n "$out" ] && diag "$out"

# --- coverage, checked without the generator
missing=$(awk 'NR == FNR { if ($0 !~ /^[[:space:]]*(#|$)/) have[$1 " " $2] = 1; next }
	$1 == "#define" && $2 ~ /^__NR_/ { n = substr($2, 6); if (!((($3) " " n) in have)) print $3, n }' \
	"$tbl" "$hdr")
is "$missing" "" "every number of unistd_64.h is in syscalls.tbl with its name"

# --- the compiled table (from the engine library the tests link)
cat >"$tmp/show.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "engine/sc_table.h"

static const char *cls[] = { "home", "local", "fwd", "answer", "special" };
static const char *kind[] = { "val", "in", "out", "io", "str", "iovin", "iovout" };
static const char *answer[] = { "NONE", "PID", "TID", "PPID" };
static const char *special[] = { "NONE", "MMAP", "IOCTL", "FCNTL", "SENDMSG", "RECVMSG",
	"SELECT", "PSELECT6", "PRCTL", "CPUTIME", "RUSAGE", "GETSOCKOPT" };

/* one line per number, in the table's own spelling, sizes evaluated */
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long nr = strtol(argv[i], NULL, 10);
		const struct sc_desc *d = sc_lookup(nr);

		if (!d) {
			printf("%ld unknown\n", nr);
			continue;
		}
		printf("%ld %s %s", nr, d->name, cls[d->cls]);
		if (d->cls == SC_ANSWER)
			printf(":%s", answer[d->answer]);
		if (d->cls == SC_SPECIAL)
			printf(":%s", special[d->special]);
		for (int a = 0; a < d->nargs; a++) {
			const struct sc_arg *g = &d->arg[a];

			printf(" %s", kind[g->kind]);
			if (g->kind == SCK_VAL || g->kind == SCK_STR)
				continue;
			if (g->flags & SCF_LEN_PTR)
				printf(":*a%d", g->len_arg);
			else if ((g->flags & SCF_LEN_ARG) && g->size == 1)
				printf(":a%d", g->len_arg);
			else if (g->flags & SCF_LEN_ARG)
				printf(":a%d*%u", g->len_arg, (unsigned)g->size);
			else
				printf(":%u", (unsigned)g->size);
			if (g->flags & SCF_RET_LEN)
				printf(":ret");
		}
		printf("\n");
	}
	return 0;
}
EOF
if [ -f "$eng" ] && out=$(gcc -std=gnu11 -D_GNU_SOURCE -I"$root/tools" -Wall -Werror \
	-fsanitize=address,undefined -o "$tmp/show" "$tmp/show.c" "$eng" 2>&1); then
	ok 0 "a program links sc_lookup from libmosixeng.a"
else
	diag "${out:-$eng is missing: run ./build.sh tools}"
	ok 1 "a program links sc_lookup from libmosixeng.a"
fi
show() { "$tmp/show" "$1" 2>&1; }
is "$(show 0)" "0 read fwd val out:a2:ret val" "read: out buffer, length a2, ret bytes back"
is "$(show 1)" "1 write fwd val in:a2 val" "write: in buffer of a2 bytes"
is "$(show 4)" "4 stat fwd str out:144" "stat: path, out struct stat"
is "$(show 7)" "7 poll fwd io:a1*8 val val" "poll: a1 pollfds in and out"
is "$(show 19)" "19 readv fwd val iovout:a2*16:ret val" "readv: iovec out"
is "$(show 43)" "43 accept fwd val out:*a2 io:4" "accept: length from *a2"
is "$(show 39)" "39 getpid answer:PID" "getpid is answered with the home pid"
is "$(show 186)" "186 gettid answer:TID" "gettid is answered"
is "$(show 110)" "110 getppid answer:PPID" "getppid is answered"
is "$(show 56)" "56 clone home" "clone brings the process home"
is "$(show 59)" "59 execve home" "execve brings the process home"
is "$(show 12)" "12 brk local" "brk runs on the node"
is "$(show 9)" "9 mmap special:MMAP" "mmap has its handler"
is "$(show 1000)" "1000 unknown" "an unknown number has no entry (SC_HOME)"
is "$(show 400)" "400 unknown" "a hole in the numbers has no entry (SC_HOME)"

# --- negative controls: a broken copy of the table fails with FILE:LINE
# fails CASE SED: exit status and message of the generator on a copy of
# the table edited by SED
fails() {
	sed "$2" "$tbl" >"$tmp/$1.tbl"
	out=$("$gen" --check --table "$tmp/$1.tbl" 2>&1)
	rc=$?
}
line_of() { grep -n "$1" "$tbl" | head -1 | cut -d: -f1; }

fails missing '/^39 *getpid /d'
is "$rc" 2 "a table without getpid is an error"
like "$out" "unistd_64\.h:$(grep -n '__NR_getpid ' "$hdr" | cut -d: -f1): __NR_getpid \(39\) is not in" \
	"the error names the header line of the missing call"

fails kind 's/^\(0 .*\)out:a2:ret/\1outt:a2:ret/'
is "$rc" 2 "an unknown argument kind is an error"
like "$out" "kind\.tbl:$(line_of '^0 '): unknown kind 'outt'" "the error names the table line"

fails special 's/special:MMAP/special:MAPP/'
like "$out" "special\.tbl:$(line_of '^9 '): unknown special 'MAPP'" "an unknown special is named"

fails dup '/^1 *write /p'
like "$out" "dup\.tbl:$(($(line_of '^1 ') + 1)): duplicate number 1" "a duplicate number is named"

fails name 's/^1 *write /1 wrote /'
like "$out" "name\.tbl:$(line_of '^1 '): 1 is 'wrote' in the table but 'write'" "a name unlike the header's is named"

fails badlen 's/^\(43 .*\)out:\*a2/\1out:a2/'
like "$out" "badlen\.tbl:$(line_of '^43 '): .*length a2 must be a val" "a length that is not a value is an error"

# a valid but different table: the committed outputs are stale against it
fails stale 's/^12  *brk  *local/12 brk home/'
is "$rc" 1 "--check exits 1 when an output differs"
like "$out" "sc_table_gen\.c is stale" "--check names the stale file"
