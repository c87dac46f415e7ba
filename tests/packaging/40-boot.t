#!/usr/bin/env bash
# The package on a booted system: a bookworm container with systemd as PID 1
# (systemd-nspawn -b, its own network: only lo) and mosix installed from
# out/repo. Before a map nothing listens; writing one starts mosix-infod
# (mosix-infod.path); mosctl status shows the node up; reload, restart
# (the state survives), upgrade (restarts), stop, remove and purge behave;
# the generated timers of the adaptive pool mode run once mosix.conf says
# adaptive; systemd-analyze verify and man --warnings are clean on the
# installed files.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
nspawn_pid=''
cleanup() {
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill -TERM "$nspawn_pid"
		for _ in $(seq 100); do
			kill -0 "$nspawn_pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	pkg_cleanup
}
trap cleanup EXIT
pkg_need_debs

plan 34

repo=$PKG_OUT/repo
version=$(dpkg-parsechangelog -l "$PKG_ROOT/debian/changelog" -S Version)
pkg_base || { echo "Bail out! no base chroot"; exit 1; }
pkg_tmpdir boot
root=$PKG_DIR/root
mkdir -p "$root"
pkg_unpack "$root"
install -D -m 0644 "$repo/mosix-archive-keyring.gpg" \
	"$root/etc/apt/keyrings/mosix-archive-keyring.gpg"
cp "$repo/mosix.sources" "$root/etc/apt/sources.list.d/"
PKG_BINDS="$repo:$repo" pkg_chroot "$root" sh -c 'apt-get -qq update &&
	eatmydata apt-get install -y -qq --no-install-recommends systemd man-db mosix' \
	>"$PKG_DIR/prepare.log" 2>&1
rc=$?
ok "$rc" "a bookworm root with systemd, man-db and mosix from out/repo"
[ "$rc" -eq 0 ] || { tail -n 20 "$PKG_DIR/prepare.log" | pkg_diag; echo "Bail out! no root"; exit 1; }
# services start as on any machine from now on
rm -f "$root/usr/sbin/policy-rc.d"

# a mosix node traces the processes it moves and makes namespaces for
# guests: the container gets the capabilities a real node's root has
systemd-nspawn --register=no --keep-unit --machine="mosix-boot-$$" -b -D "$root" \
	--private-network --console=passive --bind-ro="$PKG_OUT/debs:/srv/debs" \
	--capability=all --system-call-filter=pidfd_getfd \
	>"$PKG_DIR/nspawn.log" 2>&1 &
nspawn_pid=$!
leader=''
for _ in $(seq 100); do
	leader=$(pgrep -P "$nspawn_pid" -x systemd) && break
	sleep 0.1
done
# in the container, bounded in time
c() { timeout 60 nsenter -t "$leader" -a "$@"; }
# wait_for SECS CMD...: poll CMD until it succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
[ -n "$leader" ] || { tail -n 20 "$PKG_DIR/nspawn.log" | pkg_diag; echo "Bail out! no container"; exit 1; }
# systemd's own socket first: before it, systemctl cannot connect
wait_for 60 c test -S /run/systemd/private
state=$(c systemctl is-system-running --wait 2>&1)
is "$state" running "the container booted, systemd is PID 1"
[ "$state" = running ] || c systemctl --failed --no-pager 2>&1 | pkg_diag
prop() { c systemctl show -P "$1" "$2"; }
udp_bound() { c cat /proc/net/udp /proc/net/udp6 | awk '$2 ~ /:1612$/ { n++ } END { exit !n }'; }

# --- before a map: nothing listens, a clear status ---------------------------
is "$(prop ActiveState mosix-infod):$(prop ConditionResult mosix-infod)" "inactive:no" \
	"no map: mosix-infod is not started (start condition not met)"
like "$(c systemctl status mosix-infod --no-pager 2>&1)" \
	'ConditionPathExists=\|/etc/mosix/mosix.map was not met' "and its status says why"
udp_bound
ok $((!$?)) "nothing listens on the gossip port"
is "$(prop ActiveState mosix-infod.path) $(prop ActiveState mosix.target)" "active active" \
	"mosix.target is up, mosix-infod.path waits for a map"

# --- a map appears -------------------------------------------------------------
c sh -c 'echo "1 127.0.0.1 1" >/etc/mosix/mosix.map'
wait_for 15 c test -S /run/mosix/infod.sock
is "$(prop ActiveState mosix-infod)" active "writing the map started mosix-infod"
wait_for 10 sh -c "timeout 5 nsenter -t $leader -a mosctl status | grep -Eq '^ *1\\* +127\\.0\\.0\\.1 +up'"
like "$(c mosctl status 2>&1)" '^ *1\* +127\.0\.0\.1 +up' "mosctl status shows this node up"
udp_bound
ok $? "mosix-infod listens on the gossip port"
is "$(c stat -c '%a %G' /run/mosix/infod.sock)" "660 mosix" \
	"its control socket is for root and group mosix"
is "$(c cat /run/mosix/admin/version)" "$version" \
	"the daemon's version is the package's (debian/changelog)"
wait_for 15 c test -S /run/mosix/migd.sock
state=$(prop ActiveState mosix-migd)
is "$state" active "writing the map started mosix-migd too"
[ "$state" = active ] || c journalctl -u mosix-migd --no-pager 2>&1 | pkg_diag
c mosctl check >/dev/null 2>&1
ok $? "mosctl check: the container's kernel has what migration needs"

# --- reload, restart ---------------------------------------------------------
pid=$(prop MainPID mosix-infod)
c systemctl reload mosix-infod
ok $? "systemctl reload"
wait_for 5 sh -c "timeout 5 nsenter -t $leader -a journalctl -u mosix-infod | grep -q 'reloaded:'"
like "$(c journalctl -u mosix-infod --no-pager 2>&1)" 'reloaded: node 1 of 1' "the daemon reread its map"
is "$(prop MainPID mosix-infod) $(prop ActiveState mosix-infod)" "$pid active" \
	"reload keeps the same process"
c mosctl block
c systemctl restart mosix-infod
ok $? "systemctl restart"
is "$(c cat /run/mosix/admin/block)" 1 "the state in /run/mosix survives a restart"

# --- the adaptive pool mode: mosix-pool-generator's timers ----------------------
is "$(prop LoadState mosix-pool-day.timer) $(prop ActiveState mosix-pool-day.timer)" "loaded inactive" \
	"the generator made the timers; mode single: they do not run"
c sh -c 'sed -i "s/^mode = single$/mode = adaptive/" /etc/mosix/mosix.conf &&
	systemctl daemon-reload && systemctl reload mosix-infod && systemctl start mosix.target'
is "$(prop ActiveState mosix-pool-day.timer) $(prop ActiveState mosix-pool-night.timer)" "active active" \
	"mode adaptive, daemon-reload: both timers run"
c systemctl start mosix-pool@night.service
is "$(prop Result mosix-pool@night.service)" success \
	"a switch (mosix-pool@night.service, mosctl mode adaptive) succeeds"
like "$(c mosctl mode)" '^mode: adaptive, now (single|half-duplex) .*; next switch: ' \
	"mosix-infod follows the schedule"
out=$(c sh -c 'systemd-analyze verify /lib/systemd/system/mosix* /run/systemd/generator/mosix-pool-*.timer' 2>&1)
ok $? "systemd-analyze verify: the installed units and the generated timers"
is "$out" "" "with nothing to say"
# shellcheck disable=SC2016 # expanded in the container
out=$(c sh -c 'for p in $(dpkg -L mosix | grep "^/usr/share/man/.*\.gz$"); do
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" >/dev/null || echo "$p: failed"; done' 2>&1)
is "$out" "" "man --warnings: every installed man page renders cleanly"

# --- upgrade, stop -------------------------------------------------------------
pid=$(prop MainPID mosix-infod)
c dpkg -i "/srv/debs/mosix_${version}_$(dpkg --print-architecture).deb" >/dev/null 2>&1
ok $? "dpkg -i: an upgrade (to the same version)"
new=$(prop MainPID mosix-infod)
ok "$([ "$new" != "$pid" ] && [ "$new" != 0 ] && echo 0 || echo 1)" \
	"restarted the daemon (nothing is away before migration exists)"
c systemctl stop mosix.target
ok $? "systemctl stop mosix.target"
# the target stops first, its services after it (mosix-infod after
# mosix-migd, which is ordered after it): wait for the last
inactive() { [ "$(prop ActiveState "$1")" = inactive ]; }
wait_for 20 inactive mosix-infod
is "$(prop ActiveState mosix-infod) $(prop Result mosix-infod) $(prop ExecMainStatus mosix-infod) $(prop ActiveState mosix-infod.path)" \
	"inactive success 0 inactive" "stopped cleanly: exit status 0, path unit stopped too"
ok "$(c test ! -e /run/mosix/infod.sock -a -e /run/mosix/admin/block; echo $?)" \
	"the socket is gone, the state stays"

# --- remove, purge ---------------------------------------------------------------
c systemctl start mosix.target
wait_for 10 c test -S /run/mosix/infod.sock
c apt-get remove -y mosix >/dev/null 2>&1
ok $? "apt-get remove mosix"
c pgrep -x mosix-infod >/dev/null
ok $((!$?)) "remove stopped mosix-infod"
c apt-get purge -y mosix >/dev/null 2>&1
ok "$(c test ! -e /run/mosix -a ! -e /etc/mosix/secret -a -e /etc/mosix/mosix.map; echo $?)" \
	"purge removed the state and the key, left the admin's map"

# SIGTERM to systemd-nspawn: an orderly poweroff of the container
kill -TERM "$nspawn_pid"
wait_for 60 sh -c "! kill -0 $nspawn_pid"
wait "$nspawn_pid"
rc=$?
[ "$rc" -eq 0 ] && nspawn_pid=''
ok "$rc" "the container powered off cleanly"
