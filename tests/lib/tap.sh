# shellcheck shell=bash
# Minimal TAP producer for the shell tests: plan, ok, is, like, diag.
# Each assertion prints "ok N - desc" or "not ok N - desc" with the
# difference as diagnostics, so prove shows why.

_tap_n=0

plan() { echo "1..$1"; }

diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

# ok STATUS DESC: passes when STATUS is 0
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		# on stderr too: prove shows it beside the summary, without -v
		diag "failed $_tap_n: $2"
	fi
}

# is GOT EXPECTED DESC
is() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		diag "failed $_tap_n: $3" "got:" "$1" "expected:" "$2"
	fi
}

# like GOT ERE DESC
like() {
	_tap_n=$((_tap_n + 1))
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"
		diag "failed $_tap_n: $3" "got:" "$1" "expected to match:" "$2"
	fi
}
