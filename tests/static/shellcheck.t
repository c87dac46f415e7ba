#!/usr/bin/env bash
# Lint every shell script in the tree (by shebang).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
mapfile -t scripts < <(git ls-files 2>/dev/null | while read -r f; do
	# the migration lab is prototype code kept for reference, not shipped
	case $f in docs/design/migration-lab/*) continue ;; esac
	[ -f "$f" ] && head -c 64 "$f" | grep -qE '^#!.*(ba)?sh' && echo "$f"
done)
echo "1..${#scripts[@]}"
n=0
for s in "${scripts[@]}"; do
	n=$((n + 1))
	if out=$(shellcheck -x -P "$(dirname "$s")" "$s" 2>&1); then
		echo "ok $n - shellcheck $s"
	else
		printf '%s\n' "$out" | sed 's/^/# /' >&2
		echo "not ok $n - shellcheck $s"
	fi
done
