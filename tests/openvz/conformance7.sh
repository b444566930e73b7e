#!/usr/bin/env bash
# Conformance suite for the OpenVZ 7 mode of the stand-in (mknode --openvz 7) against vzctl 7
# on libvzctl 7 (branch vz7-u22; docs/openvz.md cites the source of each behaviour).
# Prints "ok N - name" / "not ok N - name" and a last line "N passed, N failed".
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=""
cleanup() {
  [[ -n $ROOT ]] && "$here/rmnode" "$ROOT"
  [[ -n ${TMPD-} ]] && rm -rf "$TMPD"
}
trap cleanup EXIT
TMPD=$(mktemp -d)

# shellcheck source=tap.sh
. "$here/tap.sh"

if ((EUID != 0)); then echo "1..0 # skip: needs root"; echo "0 passed, 0 failed"; exit 0; fi

envtxt=$("$here/mknode" -p "vz7c$$" --openvz 7) || { nok "mknode --openvz 7"; echo "$pass passed, $fail failed"; exit 1; }
eval "$envtxt"
ROOT=$VZ_STANDIN_ROOT
V=$VZCTL
NODE="ip netns exec $VZ_STANDIN_NODE_NS"
C=$ROOT/etc/vz/conf
P=$ROOT/vz/private/101

run "$V" --version
check "--version: vzctl v.7 (vzctl src/vz.c Version)" test "$OUT" == "vzctl v.7.0.254"
DIAG=$($NODE cat /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/default/rp_filter /proc/sys/net/ipv4/conf/eth0/rp_filter | tr '\n' ' ')
check "CentOS 7 node defaults: rp_filter 1 for all, default and the devices" test "$DIAG" == "1 1 1 "
run "$V" status 101
check "status: VEID prefix (vzctl src/vzctl.c Show)" test "$OUT" == "VEID 101 deleted unmounted down"

# ---- create, config link, names ---------------------------------------------------------
run "$V" create 101 --ipadd 10.0.0.5 --name web1
check "create with a name" rc_is 0
DIAG=$(readlink "$C/101.conf"); check "CTID.conf is a link to \$VE_PRIVATE/ve.conf" test "$DIAG" == "$P/ve.conf"
DIAG=$(readlink "$ROOT/etc/vz/names/web1"); check "/etc/vz/names/web1 links to the config" test "$DIAG" == "$P/ve.conf"
check "IP_ADDRESS written with a trailing space" grep -qx 'IP_ADDRESS="10.0.0.5 "' "$P/ve.conf"
run "$V" status web1
check "a name resolves to its ID (lib/vz.c vzctl2_get_envid_by_name)" test "$OUT" == "VEID 101 exist unmounted down"
run "$V" status nosuch-name
check "an unknown name: Invalid ctid, exit 21" rc_is 21
printf 'ONBOOT="no"\nONBOOT="yes"\n' >>"$P/ve.conf"
run "$V" set 101 --ipadd 10.0.0.6/24 --save
check "stopped CT: set changes the config" rc_is 0
check "masks are written dotted" grep -qx 'IP_ADDRESS="10.0.0.5 10.0.0.6/255.255.255.0 "' "$P/ve.conf"
DIAG=$(readlink "$C/101.conf"); check "save keeps the link (writes the real path)" test "$DIAG" == "$P/ve.conf"
run "$V" set 101 --ipdel 10.0.0.6 --save
check "ipdel on a stopped CT" grep -qx 'IP_ADDRESS="10.0.0.5 "' "$P/ve.conf"

# ---- action scripts in $VE_PRIVATE/scripts ----------------------------------------------
ORDER=$TMPD/order
for s in premount mount umount postumount; do
  printf '#!/bin/bash\necho %s >>%s\necho %s-says >&1\n' "$s" "$ORDER" "$s" >"$P/scripts/$s"; chmod +x "$P/scripts/$s"
done
printf '#!/bin/bash\necho mount >>%s\nenv | sort >%s\necho mount-says\n' "$ORDER" "$TMPD/env" >"$P/scripts/mount"
printf 'echo start >>%s\n' "$ORDER" >"$P/scripts/start"
printf 'echo stop >>%s\nip route list 10.0.0.5 >%s\n' "$ORDER" "$TMPD/stoproute" >"$P/scripts/stop"
printf '#!/bin/bash\necho umount >>%s\nip route list 10.0.0.5 >%s\n' "$ORDER" "$TMPD/umountroute" >"$P/scripts/umount"
: >"$C/101.mount"; chmod +x "$C/101.mount"   # the 4.x place: never run on layout 5
run "$V" start web1
check "start by name" rc_is 0
DIAG=$(cat "$ORDER"); check "premount, mount, start from \$VE_PRIVATE/scripts (lib/util.c get_action_script_path)" test "$DIAG" == "premount
mount
start"
check "host script output goes to vzctl's stderr" has "$ERR" "mount-says"
hasnt "$OUT" "mount-says"; check "... not its stdout" hasnt "$OUT" "mount-says"
DIAG=$(cat "$TMPD/env"); check "host script env: HOME PATH SHELL VEID VE_CONFFILE (lib/exec.c)" test "$(grep -v '^_=\|^SHLVL=\|^PWD=' "$TMPD/env")" == "HOME=/
PATH=/usr/local/sbin:/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin:
SHELL=/bin/bash
VEID=101
VE_CONFFILE=$C/101.conf"
run "$V" status 101
check "status running" test "$OUT" == "VEID 101 exist mounted running"
DIAG=$($NODE ip route list 10.0.0.5); check "vz-net_add: route to venet0 (ip route replace)" has "$DIAG" "10.0.0.5 dev venet0"
DIAG=$($NODE ip neigh show proxy); check "vz-net_add: proxy entry on eth0" has "$DIAG" "10.0.0.5 dev eth0"

# ---- set on a running CT ----------------------------------------------------------------
run "$V" set 101 --features ipip:on --ipadd 10.0.0.7 --save
check "features on a running CT: exit 32 (lib/env.c check_setmode)" rc_is 32
check "... says so" has "$ERR" "Unable to set features for the running Container"
DIAG=$($NODE ip route list 10.0.0.7); check "... and applies nothing of the command, --ipadd included" test -z "$DIAG"
check "... yet saves with --save" grep -q 'FEATURES="ipip:on"' "$P/ve.conf"
check "... the --ipadd too" grep -q '10.0.0.7' "$P/ve.conf"
run "$V" set 101 --ipdel 10.0.0.7 --save
printf 'FEATURES="nfs:on"\n' >>"$P/ve.conf"
run "$V" set 101 --features ipip:on --setmode restart
check "--setmode restart needs --save: exit 20" rc_is 20
: >"$ORDER"
run "$V" set 101 --features ipip:on --setmode restart --save
check "--setmode restart --save: exit 0" rc_is 0
DIAG=$(grep '^FEATURES=' "$P/ve.conf"); check "FEATURES replaced by the command's list, every line (lib/config.c vzctl2_conf_save)" test "$DIAG" == 'FEATURES="ipip:on"
FEATURES="ipip:on"'
DIAG=$(cat "$ORDER"); check "--setmode restart restarts the CT (stop, umount, premount, mount, start)" has "$DIAG" "stop
umount
postumount
premount
mount
start"
DIAG=$(ip netns exec "$VZ_STANDIN_NS-ct101" ip -o link show tunl0 2>&1); check "the restarted CT has tunl0" has "$DIAG" "tunl0"
DIAG=$(cat "$TMPD/umountroute"); check "stop: the route is still there when the umount script runs (vz-stop after)" has "$DIAG" "10.0.0.5 dev venet0"
DIAG=$($NODE ip route list 10.0.0.5); check "after the restart the route is back" has "$DIAG" "10.0.0.5 dev venet0"
run "$V" set 101 --ipadd 10.0.0.5 --save
DIAG=$(grep -c '^' "$ROOT/calls.log"); check "re-adding an IP the CT has: ok, no flap" rc_is 0
run "$V" set 101 --ipadd 10.0.0.8,10.0.0.9 --save
check "a comma list is accepted (lib/net.c)" rc_is 0
DIAG=$($NODE ip route list 10.0.0.9); check "... and applied" has "$DIAG" "10.0.0.9 dev venet0"
run "$V" set 101 --ipdel 10.0.0.8 --ipdel 10.0.0.9 --save

# ---- duplicates, locks --------------------------------------------------------------------
run "$V" create 102
run "$V" start 102
run "$V" set 102 --ipadd 10.0.0.5 --save
check "an IP of another CT: exit 78 (lib/cgroup.c)" rc_is 78
check "... 'Unable to add ip X: Address already in use'" has "$ERR" "Unable to add ip 10.0.0.5: Address already in use"
exec {lk}>"$P/.lck"; flock "$lk"
( sleep 1; flock -u "$lk" ) &
t0=$(date +%s%N)
run "$V" set 101 --ipadd 10.0.0.11 --save
t1=$(date +%s%N)
check "a flock on \$VE_PRIVATE/.lck is waited for, not refused" test "$RC" == 0 -a $(( (t1 - t0) / 1000000 )) -ge 500
exec {lk}>&-
run "$V" set 101 --ipdel 10.0.0.11 --save

# ---- stop ---------------------------------------------------------------------------------
run "$V" stop 101
check "stop" rc_is 0
DIAG=$($NODE ip route list 10.0.0.5); check "stop: vz-stop removes the route" test -z "$DIAG"
run "$V" stop 102

tap_summary
