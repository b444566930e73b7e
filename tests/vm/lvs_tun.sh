#!/usr/bin/env bash
# Inside the VM (tests/vm/vm): a real LVS-TUN path end to end, on one stand-in node.
#   LAN (the stand-in's lan namespace, bridge br0): the client/router at 198.51.100.1, the
#   director at 198.51.100.5 holding the VIP 198.51.100.10 on-link (an alias, as in the
#   field article), the node's eth0 at 198.51.100.2. CT 101 (198.51.100.101) serves HTTP.
#   The director is test-director applying registrations to IPVS (ipvsadm, tunnel mode).
# vzlvs bootstrap and provision from a config file; the client's fetches of the VIP must be
# answered by the CT, with IPVS OutPkts 0 (replies bypass the director), and no frame on the
# LAN may claim the VIP for anyone but the director (an ARP capture of the whole run).
# GUARD=tc repeats it with nft unusable for vzlvs, so the tc guard runs (tests/vm/lvs_tun_tc.sh).
set -uo pipefail
src=${VZLVS_SOURCE_DIR:?run by tests/vm/vm}
build=${VZLVS_BUILD_DIR:?}
source "$src/tests/openvz/tap.sh"
TMPD=$(mktemp -d)
vzlvs=$build/vzlvs
vip=198.51.100.10
start=$(date +%s)

eval "$("$src/tests/openvz/mknode" -p vm /tmp/node)"
lan=$VZ_STANDIN_LAN_NS node=$VZ_STANDIN_NODE_NS
# The director on the LAN bridge.
ip netns add dir
ip -n "$lan" link add d0 type veth peer name eth0 netns dir
ip -n "$lan" link set d0 master br0 up
ip -n dir link set lo up && ip -n dir link set eth0 up
ip -n dir addr add 198.51.100.5/24 dev eth0
ip -n dir addr add $vip/24 dev eth0   # secondary: the VIP on-link
modprobe ip_vs
# Everything ARP on the LAN, from before the first vzlvs command to the end.
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
arp_pid=$!
dir_mac=$(ip netns exec dir cat /sys/class/net/eth0/address)
ip netns exec dir "$build/tests/test-director" --listen 198.51.100.5:4672 \
    --ipvsadm /usr/sbin/ipvsadm >"$TMPD/director.log" 2>&1 &
dir_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$TMPD/director.log" && break; sleep 0.1; done
check "the director listens" grep -q "listening on" "$TMPD/director.log"

"$VZCTL" create 101 --ipadd 198.51.100.101 >/dev/null && "$VZCTL" start 101 >/dev/null
mkdir -p "$TMPD/www" && echo "ct101" >"$TMPD/www/index.html"
ip netns exec vm-ct101 python3 -m http.server 80 --directory "$TMPD/www" >/dev/null 2>&1 &
web_pid=$!

{ "$src/tests/openvz/node-conf" "$VZ_STANDIN_ROOT" vmnode /tmp/state; cat <<CONF
restart = auto
uplinks = eth0
[director]
url = http://198.51.100.5:4672
drain = 1s
[service web]
vip = $vip
port = 80
check = none
[container 101]
services = web
CONF
} >/tmp/vzlvs.conf
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [[ ${GUARD:-nft} == tc ]]; then
    # nft unusable for vzlvs: first in its PATH, an nft that fails as on a kernel without
    # netdev egress.
    mkdir -p /tmp/nonft
    printf '#!/bin/sh\necho "Error: Could not process rule: Operation not supported" >&2\nexit 1\n' \
        >/tmp/nonft/nft
    chmod 755 /tmp/nonft/nft
    path=/tmp/nonft:$path
fi
v() { ip netns exec "$node" env PATH="$path" "$vzlvs" -c /tmp/vzlvs.conf "$@"; }
run v bootstrap
check "bootstrap: exit 0" rc_is 0
run v provision
check "provision: exit 0" rc_is 0
[[ $RC == 0 ]] || printf '%s\n' "$OUT" | sed 's/^/#   /'
flock /tmp/state/workers/101.lock true 2>/dev/null
run v check
check "check: exit 0" rc_is 0
[[ $RC == 0 ]] || printf '%s\n' "$OUT" | grep -v "^  ok" | sed 's/^/#   /'
check "check names the ${GUARD:-nft} guard" has "$OUT" "(${GUARD:-nft}"
run ip -n vm-ct101 -d link show tunl0
check "the CT's tunl0 is a real ipip device (so check's \"tunl0 is an ipip device\" held)" \
    has "$OUT" "ipip"

# The director applies the registration to IPVS as it answers it; wait for it, bounded.
for _ in $(seq 50); do
    ip netns exec dir ipvsadm -L -n | grep -q "198.51.100.101:80" && break
    sleep 0.2
done
ok_fetches=0
for i in $(seq 10); do
    body=$(ip netns exec "$lan" curl -s -m 5 "http://$vip/")
    [[ $body == ct101 ]] && ((ok_fetches++))
done
check "the client's 10 fetches of the VIP are answered by CT 101 ($ok_fetches)" test "$ok_fetches" = 10
sleep 2.2  # ipvsadm's counters are updated every 2 s
stats=$(ip netns exec dir ipvsadm -L -n --stats --exact)
printf '%s\n' "$stats" | sed 's/^/#   /'
inpkts=$(awk -v v="$vip:80" '$2 == v {print $4}' <<<"$stats")
outpkts=$(awk -v v="$vip:80" '$2 == v {print $5}' <<<"$stats")
check "the director saw the requests (InPkts $inpkts)" test "${inpkts:-0}" -gt 0
check "the replies bypassed the director (OutPkts $outpkts)" test "${outpkts:-1}" = 0

# A restart: the hook removes the leaked route, traffic flows, the backend is back.
run "$VZCTL" restart 101
check "vzctl restart 101" rc_is 0
if [[ ${GUARD:-nft} == nft ]]; then
    # nft drops at the egress hook, before any queue: the sender is told (docs/arp-guard.md).
    check "... its arpsend of the VIP was refused at the uplink (ENOBUFS)" \
        has "$ERR$OUT" "No buffer space available"
fi
flock /tmp/state/workers/101.lock true
ip netns exec vm-ct101 python3 -m http.server 80 --directory "$TMPD/www" >/dev/null 2>&1 &
web_pid2=$!
run ip -n "$node" route show $vip
check "after the restart no route of the VIP is left on the node" expect 0 "" ""
# The server is up again within a second; the backend is back at its weight by then.
body=""
for _ in $(seq 20); do
    body=$(ip netns exec "$lan" curl -s -m 2 "http://$vip/") && [[ $body == ct101 ]] && break
    sleep 0.5
done
check "after the restart the CT answers again" test "$body" = ct101
run ip netns exec dir ipvsadm -L -n
check "... registered at its full weight again (IPVS weight 100)" \
    grep -qE "198.51.100.101:80 +Tunnel +100 " <<<"$OUT"
[[ $body == ct101 ]] || { printf '%s\n' "$OUT" | sed 's/^/#   /'; tail -20 /tmp/state/hook.log | sed 's/^/#   /'; }

kill $arp_pid $dir_pid $web_pid $web_pid2 2>/dev/null
sleep 0.2
claims=$(awk -v v="$vip" -v d="$dir_mac" '($1 == 2 && $3 == v && $2 != d) || ($1 == 1 && $3 == v && $4 == v && $2 != d)' "$TMPD/arp.log")
check "no ARP frame on the LAN claimed the VIP but the director's ($(wc -l <"$TMPD/arp.log") frames)" test -z "$claims"
[[ -z $claims ]] || printf '%s\n' "$claims" | head -5 | sed 's/^/#   /'
neigh=$(ip -n "$lan" neigh show $vip)
check "the client's neighbour entry for the VIP is the director's ($neigh)" has "$neigh" "$dir_mac"

echo "# in the VM: $(($(date +%s) - start)) s"
tap_summary
