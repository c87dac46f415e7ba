#!/usr/bin/env bash
# Every command has --help (exit 0) and a man page that mandoc lints clean.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MOSIX_OUT:-$root/out}/bin
mapfile -t cmds < <(find "$bin" -maxdepth 1 -type f -executable -printf '%f\n' | sort)
mapfile -t pages < <(find "$root/tools/man" "$root/pxe" -name '*.[1-8]' | sort)
echo "1..$(( ${#cmds[@]} * 2 + ${#pages[@]} ))"
n=0
for c in "${cmds[@]}"; do
	n=$((n + 1))
	if "$bin/$c" --help | grep -q "usage: $c"; then
		echo "ok $n - $c --help prints its usage"
	else
		echo "not ok $n - $c --help prints its usage"
	fi
	n=$((n + 1))
	if compgen -G "$root/tools/man/$c.[1-8]" >/dev/null; then
		echo "ok $n - $c has a man page"
	else
		echo "not ok $n - $c has a man page in tools/man/"
	fi
done
for p in "${pages[@]}"; do
	n=$((n + 1))
	# -W warning: style notes are advice, warnings and errors fail
	if out=$(mandoc -T lint -W warning "$p" 2>&1); then
		echo "ok $n - mandoc lint $(basename "$p")"
	else
		printf '%s\n' "$out" | sed 's/^/# /' >&2
		echo "not ok $n - mandoc lint $(basename "$p")"
	fi
done
