#!/usr/bin/env bash
# Inside the VM (tests/vm/vm): a real LVS-TUN path end to end, on two stand-in nodes.
#   LAN (node 1's lan namespace, bridge br0, which is also the router at 198.51.100.1): the
#   director at 198.51.100.5 holding the VIP 198.51.100.10 on-link (an alias, as in the field
#   article), node 1's eth0 at .2 with CT 101 (.101), node 2's eth0 at .3 with CT 102 (.102).
#   The client is behind the router, at 203.0.113.2. Each CT serves HTTP naming itself.
#   The director is test-director applying registrations to IPVS (ipvsadm, tunnel mode).
# vzlvs bootstrap and provision on each node from a config file; the client's fetches of the
# VIP must be answered by both CTs, with IPVS OutPkts 0 (replies bypass the director), and no
# frame on the LAN may claim the VIP for anyone but the director (an ARP capture of the run).
# Variants (environment; tests/vm/lvs_tun_*.sh):
#   GUARD=tc     nft unusable for vzlvs, so the tc guard runs (the backend of OpenVZ 7's 3.10)
#   OPENVZ=7     the stand-in's OpenVZ 7 mode on both nodes
#   NODES=1      node 1 only (CT 101 answers everything), for the variants that test a guard
#   LEAK_RUNS=N  N more restarts of CT 101, the VIP route's lifetime from `ip -ts monitor`
#   NEGATIVE=1   the injected faults: node 2 without vzlvs claims the VIP; rp_filter 1 in CT 102
#   OLD_TC=1     (with GUARD=tc) tc as before Linux 4.5, which has no clsact, and node 1's
#                eth0 a four-queue device under mq: the guard's prio form must keep the mq
set -uo pipefail
src=${VZLVS_SOURCE_DIR:?run by tests/vm/vm}
build=${VZLVS_BUILD_DIR:?}
source "$src/tests/openvz/tap.sh"
source "$src/tests/bench/lifetimes.sh"
TMPD=$(mktemp -d)
vzlvs=$build/vzlvs
vip=198.51.100.10
guard=${GUARD:-nft} openvz=${OPENVZ:-4}
start=$(date +%s)
pids=()
cleanup() {
    kill "${pids[@]}" 2>/dev/null
    "$src/tests/openvz/rmnode" /tmp/node2
    "$src/tests/openvz/rmnode" /tmp/node1
    ip netns del dir 2>/dev/null
    ip netns del cli 2>/dev/null
}
trap cleanup EXIT

queues=1
if [[ ${OLD_TC:-0} == 1 ]]; then
    queues=4
    # Each queue of an mq root gets the default qdisc: CentOS 7's pfifo_fast, not Debian's
    # fq_codel (which vzlvs refuses to replace; docs/arp-guard.md).
    sysctl -qw net.core.default_qdisc=pfifo_fast
fi
eval "$("$src/tests/openvz/mknode" -p vm1 --openvz "$openvz" --queues $queues /tmp/node1)"
lan=$VZ_STANDIN_LAN_NS node1=$VZ_STANDIN_NODE_NS vz1=$VZCTL
nodes=${NODES:-2}
if ((nodes == 2)); then
    eval "$("$src/tests/openvz/mknode" -p vm2 --openvz "$openvz" --lan "$lan" --addr 198.51.100.3 /tmp/node2)"
    node2=$VZ_STANDIN_NODE_NS vz2=$VZCTL
fi
# The client, one hop behind the router.
ip netns add cli
ip -n "$lan" link add c0 type veth peer name eth0 netns cli
ip -n "$lan" addr add 203.0.113.1/24 dev c0 && ip -n "$lan" link set c0 up
ip netns exec "$lan" sysctl -qw net.ipv4.ip_forward=1
ip -n cli link set lo up && ip -n cli link set eth0 up
ip -n cli addr add 203.0.113.2/24 dev eth0 && ip -n cli route add default via 203.0.113.1
# The director on the LAN bridge.
ip netns add dir
ip -n "$lan" link add d0 type veth peer name eth0 netns dir
ip -n "$lan" link set d0 master br0 up
ip -n dir link set lo up && ip -n dir link set eth0 up
ip -n dir addr add 198.51.100.5/24 dev eth0
ip -n dir addr add $vip/24 dev eth0   # secondary: the VIP on-link
ip -n dir route add default via 198.51.100.1
modprobe ip_vs
# Everything ARP on the LAN, from before the first CT start to the end.
ip netns exec "$lan" python3 - "$TMPD/arp.log" <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(("br0", 0))
out = open(sys.argv[1], "w", buffering=1)
while True:
    f = s.recv(100)
    op, smac, sip, tmac, tip = struct.unpack("!6xH6s4s6s4s", f[14:42])
    out.write("%d %s %s %s\n" % (op, smac.hex(":"), socket.inet_ntoa(sip), socket.inet_ntoa(tip)))
PY
pids+=($!)
for _ in $(seq 50); do [[ -e $TMPD/arp.log ]] && break; sleep 0.1; done  # bound: recording
dir_mac=$(ip netns exec dir cat /sys/class/net/eth0/address)
# claims_since LINE: the recorded frames after line LINE that claim the VIP for a MAC other
# than the director's (a reply, or a gratuitous announcement).
claims_since() {
    tail -n +"$(($1 + 1))" "$TMPD/arp.log" | awk -v v="$vip" -v d="$dir_mac" \
        '($1 == 2 && $3 == v && $2 != d) || ($1 == 1 && $3 == v && $4 == v && $2 != d)'
}
ip netns exec dir "$build/tests/test-director" --listen 198.51.100.5:4672 \
    --ipvsadm /usr/sbin/ipvsadm >"$TMPD/director.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$TMPD/director.log" && break; sleep 0.1; done
check "the director listens" grep -q "listening on" "$TMPD/director.log"

if [[ ${NEGATIVE:-0} == 1 ]]; then
    # Fault 1, no ARP guard: node 2 without vzlvs starts a CT that has the VIP. vzctl routes
    # it, adds its proxy entry and announces it: the record must show node 2 claiming it.
    mark=$(wc -l <"$TMPD/arp.log")
    "$vz2" create 102 --ipadd 198.51.100.102 --ipadd $vip >/dev/null && "$vz2" start 102 >/dev/null
    for _ in $(seq 30); do [[ -n $(claims_since "$mark") ]] && break; sleep 0.1; done
    node2_mac=$(ip netns exec "$node2" cat /sys/class/net/eth0/address)
    claims=$(claims_since "$mark")
    check "fault, no ARP guard: the record shows node 2 claiming the VIP" has "$claims" "$node2_mac"
    "$vz2" stop 102 >/dev/null && "$vz2" destroy 102 >/dev/null
    # The router learnt node 2 for the VIP; it asks again, and only the director may answer.
    ip -n "$lan" neigh flush to $vip
fi
clean_from=$(wc -l <"$TMPD/arp.log")  # from here on, nothing may claim the VIP

mkdir -p "$TMPD/www101" "$TMPD/www102"
echo ct101 >"$TMPD/www101/index.html" && echo ct102 >"$TMPD/www102/index.html"
"$vz1" create 101 --ipadd 198.51.100.101 >/dev/null && "$vz1" start 101 >/dev/null
((nodes == 1)) || { "$vz2" create 102 --ipadd 198.51.100.102 >/dev/null && "$vz2" start 102 >/dev/null; }
serve() { # NODE CTID: the CT's HTTP server, started again after each restart; until it listens
    ip netns exec "vm$1-ct$2" python3 -m http.server 80 --directory "$TMPD/www$2" \
        >/dev/null 2>&1 &
    pids+=($!)
    local _
    for _ in $(seq 100); do
        ip netns exec "vm$1-ct$2" ss -Hltn "sport = :80" | grep -q . && return
        sleep 0.1
    done
}

conf() { # N CTID
    "$src/tests/openvz/node-conf" "/tmp/node$1" "vmnode$1" "/tmp/state$1"
    cat <<CONF
restart = auto
uplinks = eth0
[director]
url = http://198.51.100.5:4672
drain = 1s
[service web]
vip = $vip
port = 80
check = none
[container $2]
services = web
CONF
}
conf 1 101 >/tmp/vzlvs1.conf
((nodes == 1)) || conf 2 102 >/tmp/vzlvs2.conf
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [[ $guard == tc ]]; then
    # nft unusable for vzlvs: first in its PATH, an nft that fails as on a kernel without
    # netdev egress.
    mkdir -p /tmp/nonft
    printf '#!/bin/sh\necho "Error: Could not process rule: Operation not supported" >&2\nexit 1\n' \
        >/tmp/nonft/nft
    chmod 755 /tmp/nonft/nft
    path=/tmp/nonft:$path
fi
if [[ ${OLD_TC:-0} == 1 ]]; then
    # tc as on a kernel before clsact: the qdisc kind is unknown there.
    mkdir -p /tmp/oldtc
    printf '#!/bin/sh\nfor a; do [ "$a" = clsact ] && { echo "Unknown qdisc \\"clsact\\"" >&2; exit 2; }; done\nexec %s "$@"\n' \
        "$(command -v tc)" >/tmp/oldtc/tc
    chmod 755 /tmp/oldtc/tc
    path=/tmp/oldtc:$path
fi
# Bounded, so that a hang is a failure with its diagnosis (diag) and not the VM's timeout.
v1() { timeout 150 ip netns exec "$node1" env PATH="$path" "$vzlvs" -c /tmp/vzlvs1.conf "$@"; }
v2() { timeout 150 ip netns exec "$node2" env PATH="$path" "$vzlvs" -c /tmp/vzlvs2.conf "$@"; }
diag() { # N: what node N was doing
    echo "# --- node $1 at $(($(date +%s) - start)) s: processes, hook log, vzctl log"
    ps -eo pid,etimes,args | grep -E "vzlvs|vzctl|ip netns" | grep -v grep | sed 's/^/#   /'
    tail -15 /tmp/state$1/hook.log 2>/dev/null | sed 's/^/#   /'
    tail -15 /tmp/node$1/var/log/vzctl.log 2>/dev/null | sed 's/^/#   /'
}
for ((k = 1; k <= nodes; k++)); do
    run v$k bootstrap
    check "node $k: bootstrap: exit 0" rc_is 0
    run v$k provision
    check "node $k: provision: exit 0 (at $(($(date +%s) - start)) s)" rc_is 0
    [[ $RC == 0 ]] || { printf '%s\n' "$OUT" | sed 's/^/#   /'; diag $k; }
    flock /tmp/state$k/workers/10$k.lock true 2>/dev/null
    run v$k check
    check "node $k: check: exit 0" rc_is 0
    [[ $RC == 0 ]] || printf '%s\n' "$OUT" | grep -v "^  ok" | sed 's/^/#   /'
    check "node $k: check names the $guard guard" has "$OUT" "($guard"
done
# The CTs' servers start once provision has restarted them (an OpenVZ 7 restart makes a new
# network namespace).
serve 1 101
((nodes == 1)) || serve 2 102
if [[ ${OLD_TC:-0} == 1 ]]; then
    run v1 check
    check "node 1: the tc guard takes its prio form (no clsact)" has "$OUT" "prio qdiscs in place"
    qd=$(tc -n "$node1" qdisc show dev eth0)
    printf '%s\n' "$qd" | sed 's/^/#   /'
    check "node 1: eth0 keeps its mq root" grep -q "^qdisc mq 1: root" <<<"$qd"
    check "... each of its 4 queues got a prio of its own" \
        test "$(grep -cE "^qdisc prio fa0[1-4]: parent 1:[1-4] " <<<"$qd")" = 4
fi
run ip -n vm1-ct101 -d link show tunl0
check "CT 101's tunl0 is a real ipip device (so check's \"tunl0 is an ipip device\" held)" \
    has "$OUT" "ipip"

# The director applies each registration to IPVS as it answers it; wait for both, bounded.
for _ in $(seq 50); do
    [[ $(ip netns exec dir ipvsadm -L -n | grep -cE "198.51.100.10[12]:80") == "$nodes" ]] && break
    sleep 0.2
done
# fetch N: the client's N fetches of the VIP; sets A101 A102 (answers of each) and LOST.
fetch() {
    A101=0 A102=0 LOST=0
    local i body
    for ((i = 0; i < $1; i++)); do
        body=$(ip netns exec cli curl -s -m 2 "http://$vip/")
        case $body in ct101) ((A101++)) ;; ct102) ((A102++)) ;; *) ((LOST++)) ;; esac
    done
}
fetch 20
check "the client's 20 fetches of the VIP are all answered by the CTs ($A101 by 101, $A102 by 102)" \
    test $((A101 + A102)) = 20
((nodes == 1)) || check "... and both CTs answer" test "$A101" -gt 0 -a "$A102" -gt 0
sleep 2.2  # ipvsadm's counters are updated every 2 s
stats=$(ip netns exec dir ipvsadm -L -n --stats --exact)
printf '%s\n' "$stats" | sed 's/^/#   /'
inpkts=$(awk -v v="$vip:80" '$2 == v {print $4}' <<<"$stats")
outpkts=$(awk -v v="$vip:80" '$2 == v {print $5}' <<<"$stats")
check "the director saw the requests (InPkts $inpkts)" test "${inpkts:-0}" -gt 0
check "the replies bypassed the director (OutPkts $outpkts)" test "${outpkts:-1}" = 0

# A restart: the hook removes the leaked route, traffic flows, the backend is back.
run "$vz1" restart 101
check "vzctl restart 101" rc_is 0
if [[ $guard == nft ]]; then
    # nft drops at the egress hook, before any queue: the sender is told (docs/arp-guard.md).
    check "... its arpsend of the VIP was refused at the uplink (ENOBUFS)" \
        has "$ERR$OUT" "No buffer space available"
fi
flock /tmp/state1/workers/101.lock true
serve 1 101
run ip -n "$node1" route show $vip
check "after the restart no route of the VIP is left on node 1" expect 0 "" ""
# The server is up again within a second; the backend is back at its weight by then.
for _ in $(seq 20); do
    fetch 2
    ((A101 > 0)) && break
    sleep 0.5
done
check "after the restart CT 101 answers again" test "$A101" -gt 0
run ip netns exec dir ipvsadm -L -n
check "... registered at its full weight again (IPVS weight 100)" \
    grep -qE "198.51.100.101:80 +Tunnel +100 " <<<"$OUT"
((A101 > 0)) || { printf '%s\n' "$OUT" | sed 's/^/#   /'; tail -20 /tmp/state1/hook.log | sed 's/^/#   /'; }

if ((${LEAK_RUNS:-0} > 0)); then
    # The leak window on a real kernel: the VIP route's life from RTM_NEWROUTE to RTM_DELROUTE
    # (ip's timestamps as it reads each message) over LEAK_RUNS restarts.
    ip netns exec "$node1" ip -ts monitor route >"$TMPD/monitor.log" &
    mon=$!
    sleep 0.3  # the monitor subscribes before its first read; nothing to await from outside
    for ((i = 0; i < LEAK_RUNS; i++)); do
        timeout 120 "$vz1" restart 101 >/dev/null 2>&1 &&
            timeout 120 flock /tmp/state1/workers/101.lock true ||
            { echo "# leak run $i did not finish"; diag 1; break; }
    done
    sleep 0.2
    kill $mon; wait $mon 2>/dev/null
    window=$(route_lifetimes "$TMPD/monitor.log" $vip | percentiles)
    echo "# leak window on the real kernel over $LEAK_RUNS restarts: $window"
    check "each of the $LEAK_RUNS restarts' VIP routes was removed (${window%% *})" \
        has "$window" "n=$LEAK_RUNS "
    run ip -n "$node1" route show $vip
    check "... and none is left" expect 0 "" ""
    serve 1 101
fi

if [[ ${NEGATIVE:-0} == 1 ]]; then
    # Fault 2, rp_filter 1 on CT 102's tunl0 (the kernel takes max(all, iface)): the
    # decapsulated requests fail the reverse-path check. check must name it, the client's
    # fetches that IPVS gives CT 102 must fail, and provision must repair it.
    ip netns exec vm2-ct102 sysctl -qw net.ipv4.conf.tunl0.rp_filter=1
    run v2 check
    check "fault, rp_filter 1 in CT 102: check fails" test "$RC" != 0
    check "... naming rp_filter" has "$OUT" "rp_filter"
    fetch 10
    check "... CT 102 answers none of the client's fetches ($A101 by 101, $A102 by 102, $LOST lost)" \
        test "$A102" = 0 -a "$LOST" -gt 0 -a "$A101" -gt 0
    run v2 provision
    check "... provision repairs it" rc_is 0
    fetch 10
    check "... then both CTs answer again ($A101 by 101, $A102 by 102, $LOST lost)" \
        test "$A101" -gt 0 -a "$A102" -gt 0 -a "$LOST" = 0
fi

kill "${pids[@]}" 2>/dev/null
pids=()
claims=$(claims_since "$clean_from")
check "no ARP frame on the LAN claimed the VIP but the director's ($(($(wc -l <"$TMPD/arp.log") - clean_from)) frames)" \
    test -z "$claims"
[[ -z $claims ]] || printf '%s\n' "$claims" | head -5 | sed 's/^/#   /'
neigh=$(ip -n "$lan" neigh show $vip)
check "the router's neighbour entry for the VIP is the director's ($neigh)" has "$neigh" "$dir_mac"

echo "# in the VM: $(($(date +%s) - start)) s"
tap_summary
