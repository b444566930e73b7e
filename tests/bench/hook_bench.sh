#!/usr/bin/env bash
# Benchmark: how long the leaked VIP route lives after `vzctl start`, with vzlvs's mount hook
# against the field report's hook (a backgrounded sleep-and-poll script), on the OpenVZ
# stand-in; and how long `vzlvs hook mount` keeps vzctl waiting.
#
#   tests/bench/hook_bench.sh [RUNS]        (root; after scripts/build)
#
# VZLVS (default build/vzlvs) picks the binary, OPENVZ=7 the stand-in's OpenVZ 7 mode,
# ARTICLE=0 leaves out the field report's hook (it takes ~5 s per restart).
# The route's lifetime is read from `ip -ts monitor route` in the node namespace: the time
# between the kernel's RTM_NEWROUTE and RTM_DELROUTE for the VIP. Nothing here is asserted:
# the figures go to docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
vzlvs=${VZLVS:-$here/build/vzlvs}
vip=192.0.2.10
root=$(mktemp -d /tmp/vzlvs-bench.XXXXXX)
mon_pid=""
cleanup() {
    [[ -n $mon_pid ]] && kill "$mon_pid" 2>/dev/null
    "$here/tests/openvz/rmnode" "$root" >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$("$here/tests/openvz/mknode" -p "vzb$$" --openvz "${OPENVZ:-4}" "$root")"
node=$VZ_STANDIN_NODE_NS
"$VZCTL" create 101 --ipadd 198.51.100.101 >/dev/null
conf=$root/vzlvs.conf
{
    "$here/tests/openvz/node-conf" "$root" bench
    printf 'restart = never\n[service web]\nvip = %s\nport = 80\n[container 101]\nservices = web\n' "$vip"
} >"$conf"
# A VZLVS older than runtime_root gets the configuration without it.
"$vzlvs" -q -c "$conf" config >/dev/null 2>&1 || sed -i '/^runtime_root = /d' "$conf"
ip netns exec "$node" "$vzlvs" -q -c "$conf" provision >/dev/null || true

source "$here/tests/bench/lifetimes.sh"

measure() { # label
    local log=$root/monitor.$1
    ip netns exec "$node" ip -ts monitor route >"$log" &
    mon_pid=$!
    for ((i = 0; i < runs; i++)); do
        "$VZCTL" restart 101 >/dev/null 2>&1
        # the vzlvs worker holds this lock while it works; the article's script has none
        [[ $1 == vzlvs ]] && ip netns exec "$node" flock "$root/state/workers/101.lock" true
        [[ $1 == article ]] && while ip -n "$node" route show "$vip" | grep -q venet0; do sleep 0.2; done
    done
    kill "$mon_pid"; wait "$mon_pid" 2>/dev/null || true; mon_pid=""
    printf '%-8s route lifetime: ' "$1"; route_lifetimes "$log" "$vip" | percentiles
}

measure vzlvs

if [[ ${ARTICLE:-1} != 0 ]]; then
# The field report's hook: background a script that sleeps, then polls vzctl status and
# deletes the route (lvs-openvz-article.txt), adapted to this node's paths.
cat >"$root/etc/vz/conf/101.mount" <<EOF
#!/bin/bash
(
sleep 4
x=0
until [ \$x == 6 ]; do
    sleep 1
    status=(\$($root/bin/vzctl status 101))
    if [ "\${status[4]}" == "running" ]; then
        ip ro del $vip dev venet0 scope link
        exit 0
    fi
    x=\$((x + 1))
done
) >/dev/null 2>&1 &
exit 0
EOF
chmod +x "$root/etc/vz/conf/101.mount"
measure article
fi

# How long vzctl waits for `vzlvs hook mount` (guard already in place, as at every start).
# Run by hand on a running CT, each hook leaves a worker waiting for a route that does not
# come; rmnode ends them with the node.
ip netns exec "$node" "$vzlvs" -q -c "$conf" provision >/dev/null 2>&1 || true
for ((i = 0; i < runs; i++)); do
    s=$(date +%s%N)
    ip netns exec "$node" env -i VEID=101 "$vzlvs" -c "$conf" hook mount
    e=$(date +%s%N)
    echo "$(((e - s) / 1000))" | awk '{ printf "%.3f\n", $1 / 1000 }'
done | percentiles | sed 's/^/hook mount returns after (incl. ip netns exec): /'
