#!/usr/bin/env bash
# Host names in the map are resolved once, at load, by the real resolver,
# inside namespace nodes (each has its own /etc/hosts and resolv.conf, so no
# query leaves the test); each node then finds itself in the map.
set -u
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=../harness/cluster.sh
. "$(dirname "$0")/../harness/cluster.sh"
bin=${MOSIX_BIN:-${MOSIX_OUT:-$(dirname "$0")/../../out}/bin}

plan 8
cluster_up 3 || { echo "Bail out! no cluster"; exit 1; }

# node names come from the nodes' /etc/hosts; DNS goes to the node's own
# loopback, where nothing listens, so an unknown name fails at once
for n in 1 2 3; do
	cluster_exec "$n" sh -c 'echo "nameserver 127.0.0.1" >/etc/resolv.conf'
	printf '1 node1 1\n2 node2 1\n3 node3 1\n' >"$(cluster_dir "$n")/etc/mosix/mosix.map"
done

out=$(cluster_exec 2 "$bin/setpe" -r -f /etc/mosix/mosix.map 2>&1)
is "$out" "1 $(cluster_addr 1) 3" "host names resolve to the nodes' IPv4 addresses and merge into one range"

for n in 1 2 3; do
	out=$(cluster_exec "$n" "$bin/setpe" -c -v 2>&1)
	like "$out" "this node: $n \($(cluster_addr "$n")\)" "node$n finds itself in a map of host names"
done

printf '1 node1 1\n2 no-such-node.invalid 1\n3 node3 1\n' >"$(cluster_dir 1)/etc/mosix/mosix.map"
start=$(date +%s)
out=$(cluster_exec 1 "$bin/setpe" -c 2>&1)
rc=$?
is "$rc" 1 "an unresolvable host name makes the map invalid"
like "$out" "^/etc/mosix/mosix.map:2: cannot resolve host name 'no-such-node.invalid': " \
	"and is reported with its file and line"
[ $(($(date +%s) - start)) -le 5 ]
ok $? "without a stall (5 s at most)"

# the same name twice is the same address twice
printf '1 node1 1\n2 node1 1\n' >"$(cluster_dir 1)/etc/mosix/mosix.map"
out=$(cluster_exec 1 "$bin/setpe" -c 2>&1)
like "$out" "mosix.map:2: address $(cluster_addr 1) is already used at /etc/mosix/mosix.map:1" \
	"a name that resolves to a listed address is a duplicate"
