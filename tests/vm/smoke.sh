#!/usr/bin/env bash
# Inside the VM (tests/vm/vm): vzlvs on a real kernel -- real ipip, real nft netdev egress,
# modprobe as on a node -- against the OpenVZ stand-in: bootstrap, provision, check, and a
# container restart whose mount hook guards the VIP and removes the route vzctl adds.
# One TAP line per assertion, then "N passed, N failed". (The full LVS-TUN run with a
# director, a client and both guard backends is issue 12's VM test, still to come.)
set -uo pipefail
src=${VZLVS_SOURCE_DIR:?run by tests/vm/vm}
source "$src/tests/openvz/tap.sh"
TMPD=$(mktemp -d)
vzlvs=${VZLVS_BUILD_DIR:?}/vzlvs
start=$(date +%s)

eval "$("$src/tests/openvz/mknode" -p vm /tmp/node)"
"$VZCTL" create 101 --ipadd 198.51.100.101 >/dev/null && "$VZCTL" start 101 >/dev/null
check "a stand-in node with a running CT 101" sh -c "'$VZCTL' status 101 | grep -q running"
cat >/tmp/vzlvs.conf <<CONF
[node]
name = vmnode
vzctl = $VZCTL
vz_conf_dir = $VZ_STANDIN_ROOT/etc/vz/conf
state_dir = /tmp/state
sysctl_dir = $VZ_STANDIN_ROOT/etc/sysctl.d
modules_load_dir = $VZ_STANDIN_ROOT/etc/modules-load.d
sysconfig_modules_dir = $VZ_STANDIN_ROOT/etc/sysconfig/modules
restart = auto
[service web]
vip = 192.0.2.10
port = 80
[container 101]
services = web
CONF
v() { ip netns exec "$VZ_STANDIN_NODE_NS" "$vzlvs" -c /tmp/vzlvs.conf "$@"; }
failed_steps() { python3 -c 'import json,sys; print(" ".join(o["name"] for o in json.load(sys.stdin)["outcomes"] if o["status"] == "failed"))'; }

run v --json bootstrap
check "bootstrap: exit 0 (ipip loaded by modprobe, nft guard)" rc_is 0
check "bootstrap: the ipip module is loaded" grep -qw ipip /proc/modules
run v --json provision
check "provision: exit 0" rc_is 0
check "provision: no step failed" test -z "$(failed_steps <<<"$OUT")"
flock /tmp/state/workers/101.lock true 2>/dev/null
run v --json check
check "check: exit 0, every step holds on a real kernel" rc_is 0
has "$OUT" '"name": "tunl0 is an ipip device"' >/dev/null
run ip -n "vm-ct101" -d link show tunl0
check "the CT's tunl0 is a real ipip device" has "$OUT" "ipip"
run ip -n "vm-ct101" -4 addr show dev tunl0
check "... carrying the VIP" has "$OUT" "192.0.2.10/32"

run "$VZCTL" restart 101
check "vzctl restart 101" rc_is 0
check "... its arpsend of the VIP was dropped at the uplink (ENOBUFS)" has "$ERR$OUT" "No buffer space available"
run flock /tmp/state/workers/101.lock true
check "the mount hook's worker finished" rc_is 0
check "... having removed the VIP route vzctl added" grep -q "VIP routes removed as vzctl added them" /tmp/state/hook.log
run ip -n "$VZ_STANDIN_NODE_NS" route show 192.0.2.10
check "no route of the VIP is left on the node" expect 0 "" ""
run v --json check
check "check after the restart: exit 0" rc_is 0

echo "# in the VM: $(($(date +%s) - start)) s"
"$src/tests/openvz/rmnode" "$VZ_STANDIN_ROOT" >/dev/null 2>&1
tap_summary
