#!/usr/bin/env bash
# Conformance suite for the OpenVZ stand-in (tests/openvz/vzctl) against vzctl.md.
# Prints "ok N - name" / "not ok N - name" and a last line "N passed, N failed".
# Needs root, bash, coreutils, iproute2; nft (ARP capture) and arping are optional (skip).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT="" sleeper=""
cleanup() {
  [[ -n $sleeper ]] && kill "$sleeper" 2>/dev/null
  [[ -n $ROOT ]] && "$here/rmnode" "$ROOT"
  [[ -n ${TMPD-} ]] && rm -rf "$TMPD"
}
trap cleanup EXIT
TMPD=$(mktemp -d)

# shellcheck source=tap.sh
. "$here/tap.sh"

if ((EUID != 0)); then echo "1..0 # skip: needs root"; echo "0 passed, 0 failed"; exit 0; fi

# ---- node ------------------------------------------------------------------------------
envtxt=$("$here/mknode" -p "vzc$$") || { nok "mknode"; echo "$pass passed, $fail failed"; exit 1; }
eval "$envtxt"
ROOT=$VZ_STANDIN_ROOT
V=$VZCTL
NODE="ip netns exec $VZ_STANDIN_NODE_NS"
LAN="ip netns exec $VZ_STANDIN_LAN_NS"
C=$ROOT/etc/vz/conf
check "mknode: layout and namespaces" test -f "$ROOT/etc/vz/vz.conf" -a -d "$ROOT/vz/lock" -a -e "/run/netns/$VZ_STANDIN_NODE_NS" -a -x "$ROOT/bin/vzlist"
DIAG=$($NODE ip -o link show venet0); check "node venet0 is NOARP and up" grep -q 'NOARP,UP' <<<"$DIAG"

run "$VZLIST" -a -H -o ctid,status,ip
check "vzlist with no CT: exit 1, Container(s) not found" expect 1 "" "Container(s) not found"
run "$V" status 101
check "status of a missing CT" expect 0 "CTID 101 deleted unmounted down" ""

# ---- create ----------------------------------------------------------------------------
run "$V" create 101 --ipadd 10.0.0.5
check "create prints like vzctl" expect 0 "Creating container private area (debian-7.0-x86_64)
Performing postcreate actions
CT configuration saved to $C/101.conf
Container private area was created" ""
check "create writes IP_ADDRESS and paths" grep -qx 'IP_ADDRESS="10.0.0.5"' "$C/101.conf"
run "$V" status 101
check "status after create" expect 0 "CTID 101 exist unmounted down" ""
run "$VZLIST" -a -H -o ctid,status,ip
check "vzlist -a -H -o ctid,status,ip (stopped)" expect 0 "       101 stopped   10.0.0.5" ""

# ---- action scripts --------------------------------------------------------------------
ORDER=$TMPD/order
for s in vps.premount 101.premount vps.mount 101.mount 101.umount vps.umount 101.postumount vps.postumount; do
  printf '#!/bin/bash\necho %s >>%s\n' "$s" "$ORDER" >"$C/$s"; chmod +x "$C/$s"
done
printf '#!/bin/bash\necho 101.mount >>%s\nenv | sort >%s\n' "$ORDER" "$TMPD/env" >"$C/101.mount"
printf 'echo 101.start >>%s\nenv | sort >%s\npwd >>%s\nip -o link show venet0 >%s\n' "$ORDER" "$TMPD/startenv" "$TMPD/startenv" "$TMPD/startnet" >"$C/101.start"
printf 'echo 101.stop >>%s\n' "$ORDER" >"$C/101.stop"

# ARP capture on the lan side of the node's uplink (nft netdev ingress counter)
have_nft=0
if command -v nft >/dev/null && command -v arping >/dev/null; then
  if printf 'table netdev cap {\n chain in {\n type filter hook ingress device "n0" priority 0;\n arp saddr ip 10.0.0.5 counter\n }\n}\n' | $LAN nft -f - 2>/dev/null; then
    have_nft=1
  fi
fi

# ---- start -----------------------------------------------------------------------------
run "$V" start 101
check "start prints like vzctl, exit 0" expect 0 "Starting container...
Container is mounted
Adding IP address(es): 10.0.0.5
Container start in progress..." ""
DIAG=$(cat "$ORDER"); check "start: premount/mount order global then per-CT, then CTID.start" \
  test "$DIAG" == "vps.premount
101.premount
vps.mount
101.mount
101.start"
# (PWD, SHLVL and _ are set by the dumping bash itself)
DIAG=$(cat "$TMPD/env"); check "host script env is exactly HOME TERM PATH VEID VE_CONFFILE" test "$(grep -v '^_=\|^SHLVL=\|^PWD=' "$TMPD/env")" == "HOME=/
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
TERM=linux
VEID=101
VE_CONFFILE=$C/101.conf"
DIAG=$(cat "$TMPD/startenv"); check "CTID.start runs in the CT via bash with HOME TERM PATH only, cwd /" \
  test "$(grep -v '^_=\|^SHLVL=\|^PWD=' "$TMPD/startenv")" == "HOME=/
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
TERM=linux
/"
check "CTID.start sees the CT's venet0" test -s "$TMPD/startnet"
run "$V" status 101
check "status running" expect 0 "CTID 101 exist mounted running" ""
DIAG=$($NODE ip route list table all 10.0.0.5); check "route 10.0.0.5 dev venet0 scope link on the node" grep -q '^10.0.0.5 dev venet0 scope link' <<<"$DIAG"
DIAG=$($NODE ip neigh show proxy); check "proxy ARP entry for 10.0.0.5 on eth0" grep -q '^10.0.0.5 dev eth0' <<<"$DIAG"
DIAG=$(cat "$ROOT/var/lib/vzctl/veip/101"); check "veip state file" test "$DIAG" == "10.0.0.5 "
DIAG=$($NODE timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.0.5/9' 2>&1)
check "node reaches the CT over venet0 and the reply comes back (RST)" has "$DIAG" "Connection refused"
$LAN ip route add 10.0.0.0/24 via 198.51.100.2   # the router knows the CT subnet
DIAG=$(ip netns exec "$VZ_STANDIN_NS-ct101" timeout 5 bash -c 'exec 3<>/dev/tcp/198.51.100.1/9' 2>&1)
check "CT reaches the LAN through the node (routed, not bridged)" has "$DIAG" "Connection refused"
CTNS="ip netns exec $VZ_STANDIN_NS-ct101"
$CTNS ip addr add 10.0.0.99/32 dev lo
$CTNS ip route add 198.51.100.1 dev venet0 src 10.0.0.99
DIAG=$($CTNS timeout 1 bash -c 'exec 3<>/dev/tcp/198.51.100.1/9' 2>&1)
check "venet drops packets from a CT whose source IP is not the CT's" test "$DIAG" != *"refused"*
$CTNS ip route del 198.51.100.1 dev venet0 src 10.0.0.99; $CTNS ip addr del 10.0.0.99/32 dev lo
if ((have_nft)); then
  DIAG=$($LAN nft list chain netdev cap in)
  check "unsolicited ARP for the CT IP leaves the node's eth0" grep -Eq 'packets [1-9]' <<<"$DIAG"
else
  skip "unsolicited ARP for the CT IP leaves the node's eth0" "nft or arping missing"
fi
check "/run/netns path of the CT" test -e "/run/netns/$VZ_STANDIN_NS-ct101"
run "$V" start 101
check "start of a running CT: 32" expect 32 "" "Container is already running"
run "$VZLIST" -a -H -o ctid,status,ip
check "vzlist running" expect 0 "       101 running   10.0.0.5" ""

# ---- exec ------------------------------------------------------------------------------
run "$V" exec 101 false
check "exec failure -> 8" expect 8 "" ""
run "$V" exec2 101 'exit 7'
check "exec2 passes the status through" expect 7 "" ""
run "$V" exec 101 echo a '' 'b  c'
check "exec joins args with spaces ('' for empty) for bash -c" expect 0 "a  b c" ""
run "$V" exec3 101 /bin/echo '$HOME'
check "exec3 runs argv without a shell" expect 0 '$HOME' ""
run "$V" exec2 101 'env | grep -v "^_=\|^SHLVL=\|^PWD=" | sort; pwd'
check "exec env is HOME TERM PATH, cwd /" expect 0 "HOME=/
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
TERM=linux
/" ""
run bash -c "echo 'echo from-stdin' | $V exec2 101 -"
check "exec - reads the script from stdin" expect 0 "from-stdin" ""
run $NODE "$V" exec2 101 true
check "vzctl works when called inside the node netns" expect 0 "" ""

# ---- locking ---------------------------------------------------------------------------
sleep 600 & sleeper=$!
printf '%s\n\n' "$sleeper" >"$ROOT/vz/lock/101.lck"
run "$V" set 101 --ipadd 10.0.0.7
check "held lock: exit 9 at once" test "$RC" == 9
check "held lock message" has "$ERR" "Container already locked"
run "$V" status 101
check "status takes no lock" expect 0 "CTID 101 exist mounted running" ""
run "$V" exec2 101 true
check "exec takes no lock" expect 0 "" ""
kill "$sleeper"; wait "$sleeper" 2>/dev/null; sleeper=""
run "$V" set 101 --features ipip:on --save
check "stale lock removed with a message" has "$OUT" "Removing stale lock file $ROOT/vz/lock/101.lck"
check "lock released after the command" test ! -e "$ROOT/vz/lock/101.lck"

# ---- set: features ---------------------------------------------------------------------
check "features on a running CT: exit 0" test "$RC" == 0
check "features on a running CT: warning" has "$ERR" "Unable to set features on a running container
WARNING: Some of the parameters could not be applied to a running container.
	Please consider using --setmode option"
check "features saved" grep -qx 'FEATURES="ipip:on"' "$C/101.conf"
run "$V" set 101 --features bogus:on --save
check "unknown feature: 21" expect 21 "" "Warning: Unknown feature: bogus"

# ---- set: IPs --------------------------------------------------------------------------
run "$V" set 101 --ipadd 10.0.0.6,10.0.0.7 --save
check "comma list rejected: 21" expect 21 "" "Bad parameter for --ipadd: 10.0.0.6,10.0.0.7"
run "$V" set 101 --ipadd "10.0.0.6 0.0.0.0" --save
check "ipadd on a running CT (space list, 0.0.0.0 ignored)" expect 0 "Adding IP address(es): 10.0.0.6
CT configuration saved to $C/101.conf" ""
check "IP_ADDRESS saved" grep -qx 'IP_ADDRESS="10.0.0.5 10.0.0.6"' "$C/101.conf"
DIAG=$($NODE ip route list table all 10.0.0.6); check "route for the added IP" grep -q '^10.0.0.6 dev venet0' <<<"$DIAG"
run "$V" set 101 --ipadd 10.0.0.6 --save
check "re-adding an IP deletes and adds it; no config change" expect 0 "Deleting IP address(es): 10.0.0.6
Adding IP address(es): 10.0.0.6
No changes in CT configuration, not saving" ""
run "$V" set 101 --ipdel 10.0.0.6 --save
check "ipdel on a running CT" expect 0 "Deleting IP address(es): 10.0.0.6
CT configuration saved to $C/101.conf" ""
DIAG=$($NODE ip route list table all 10.0.0.6); check "route gone after ipdel" test -z "$DIAG"
run "$V" set 101 --ipadd 10.0.0.8
check "ipadd without --save on a running CT warns" expect 0 "Adding IP address(es): 10.0.0.8
WARNING: Settings were not saved to config and will be lost after CT restart (use --save flag)" ""

# ---- second CT: duplicates -------------------------------------------------------------
run "$V" create 102 --ipadd 10.0.0.20
run "$V" set 102 --ipadd 10.0.0.21
check "stopped CT without --save: 31" expect 31 "WARNING: Settings were not saved to config (use --save flag)" "Unable to apply network parameters: container is not running"
run "$V" set 102 --ipadd 10.0.0.5 --save
check "stopped CT + --save: only the config changes" expect 0 "CT configuration saved to $C/102.conf" ""
DIAG=$($NODE ip route list table all 10.0.0.20); check "stopped CT + --save: no host route" test -z "$DIAG"
run "$V" start 102
check "start with an IP held by a running CT: 78" test "$RC" == 78
check "start duplicate message" has "$ERR" "Unable to add IP 10.0.0.5: Address already in use"
run "$V" status 102
check "failed start: CT killed and unmounted" expect 0 "CTID 102 exist unmounted down" ""
check "failed start: umount scripts ran" test "$(tail -n 2 "$ORDER" | tr '\n' ' ')" == "vps.umount vps.postumount "
DIAG=$($NODE ip route list table all 10.0.0.5); check "failed start leaves the other CT's route" grep -q '^10.0.0.5 dev venet0' <<<"$DIAG"
run "$V" set 102 --ipdel 10.0.0.5 --save
run "$V" start 102
check "start 102" test "$RC" == 0
cp "$C/102.conf" "$TMPD/102.before"
run "$V" set 102 --ipadd 10.0.0.5 --save
check "ipadd of an IP held by another running CT: 78" expect 78 "Adding IP address(es): 10.0.0.5" "Unable to add IP 10.0.0.5: Address already in use
Error: failed to apply some parameters, not saving configuration file!"
check "config untouched after 78" cmp -s "$C/102.conf" "$TMPD/102.before"
run "$V" stop 102

# ---- config save is an in-place edit ---------------------------------------------------
cat >"$C/103.conf" <<'EOF'
# leading comment
  ONBOOT="yes"
IP_ADDRESS="10.0.0.30"   
# between
IP_ADDRESS="10.0.0.31"
FEATURES="ipip:on"
FEATURES="ppp:on"
CUSTOM=value # kept
EOF
mkdir -p "$ROOT/vz/private/103"
run "$V" set 103 --features nfs:on --save
check "set --features on a stopped CT saves" expect 0 "CT configuration saved to $C/103.conf" ""
DIAG=$(cat "$C/103.conf"); check "first KEY= replaced in place, others kept byte-for-byte, features ordered" test "$DIAG" == '# leading comment
  ONBOOT="yes"
IP_ADDRESS="10.0.0.30"   
# between
IP_ADDRESS="10.0.0.31"
FEATURES="nfs:on ipip:on"
FEATURES="ppp:on"
CUSTOM=value # kept'
run "$V" set 103 --features nfs:on --save
check "unchanged save: No changes" expect 0 "No changes in CT configuration, not saving" ""
run "$VZLIST" -a -H -o ctid,status,ip
check "vzlist: IP_ADDRESS lines accumulate for stopped CTs" has "$OUT" "       103 stopped   10.0.0.30 10.0.0.31"
ln -s "$C/103.conf" "$C/104.conf"; mkdir -p "$ROOT/vz/private/104"
run "$V" set 104 --ipadd 10.0.0.40 --save
check "save follows symlinks (writes the target)" test -L "$C/104.conf" -a "$(grep -c 10.0.0.40 "$C/103.conf")" == 1
rm -f "$C/104.conf"; rm -rf "$ROOT/vz/private/104"

# ---- stop ------------------------------------------------------------------------------
: >"$ORDER"
run "$V" stop 101
check "stop prints like vzctl" expect 0 "Stopping container ...
Container was stopped
Container is unmounted" ""
DIAG=$(cat "$ORDER"); check "stop order: CTID.stop, umount per-CT then global, postumount" test "$DIAG" == "101.stop
101.umount
vps.umount
101.postumount
vps.postumount"
DIAG=$($NODE ip route list table all 10.0.0.5; $NODE ip neigh show proxy)
check "routes and proxy entries gone after stop" test -z "$DIAG"
check "CT netns gone after stop" test ! -e "/run/netns/$VZ_STANDIN_NS-ct101"
run "$V" stop 101
check "stop of a stopped CT: message, exit 0" expect 0 "" "Unable to stop: container is not running"
run "$V" exec 101 true
check "exec on a stopped CT: 8" test "$RC" == 8
run "$V" exec2 101 true
check "exec2 on a stopped CT: 31" expect 31 "" "Container is not running"

# ---- failing scripts -------------------------------------------------------------------
printf '#!/bin/bash\nexit 3\n' >"$C/101.mount"
: >"$ORDER"
run "$V" start 101
check "failing mount script: 79" test "$RC" == 79
check "failing mount script message" has "$ERR" "Error executing mount script $C/101.mount"
run "$V" status 101
check "failing mount script: unmounted" expect 0 "CTID 101 exist unmounted down" ""
DIAG=$(cat "$ORDER"); check "mount failure: umount scripts not run" test "$DIAG" == "vps.premount
101.premount
vps.mount"
printf 'echo not-a-script\n' >"$C/101.mount"; chmod +x "$C/101.mount"
run "$V" mount 101
check "script without #!: 79" test "$RC" == 79 -a "$OUT" != *not-a-script*
printf '#!/bin/bash\ntrue\n' >"$C/101.mount"; chmod -x "$C/101.mount"
run "$V" mount 101
check "non-executable script: 79" test "$RC" == 79
chmod +x "$C/101.mount"
run "$V" mount 101
check "mount" expect 0 "Container is mounted" ""
run "$V" mount 101
check "mount of a mounted CT: 0" expect 0 "" "Container is already mounted"
run "$V" umount 101
check "umount" expect 0 "Container is unmounted" ""
run "$V" umount 101
check "umount of an unmounted CT: 40" expect 40 "" "CT is not mounted"
printf 'exit 5\n' >"$C/101.start"
run "$V" start 101
check "failing CTID.start: 79" test "$RC" == 79
run "$V" status 101
check "failing CTID.start: killed and unmounted" expect 0 "CTID 101 exist unmounted down" ""
DIAG=$($NODE ip route list table all 10.0.0.5); check "failing CTID.start: no route left" test -z "$DIAG"
rm -f "$C/101.start"

# ---- restart, calls.log, destroy -------------------------------------------------------
run "$V" restart 101
check "restart of a stopped CT" has "$OUT" "Restarting container
Starting container..."
before=$(grep -c '^mutating' "$ROOT/calls.log")
"$V" status 101 >/dev/null; "$VZLIST" -a -H -o ctid,status,ip >/dev/null; "$V" exec2 101 true
after=$(grep -c '^mutating' "$ROOT/calls.log")
check "calls.log: status/vzlist/exec are not mutating" test "$before" == "$after"
DIAG=$(tail -n 3 "$ROOT/calls.log"); check "calls.log format: CLASS<TAB>tool<TAB>args" test "$DIAG" == "readonly	vzctl	status	101
readonly	vzlist	-a	-H	-o	ctid,status,ip
exec	vzctl	exec2	101	true"
run "$V" stop 101
run "$V" destroy 101
check "destroy" expect 0 "Destroying container private area: $ROOT/vz/private/101
Container private area was destroyed" ""
check "destroy renames configs and scripts to *.destroyed" test -f "$C/101.conf.destroyed" -a -f "$C/101.mount.destroyed" -a ! -e "$C/101.conf"
check "vzctl.log written" grep -q 'vzctl : CT 101 : Starting container...' "$ROOT/var/log/vzctl.log"

# ---- rmnode ----------------------------------------------------------------------------
"$V" start 102 >/dev/null 2>&1
"$here/rmnode" "$ROOT"
left=$(ip netns list | grep -c "^$VZ_STANDIN_NS-")
check "rmnode removes namespaces and ROOT" test "$left" == 0 -a ! -e "$ROOT"
"$here/rmnode" "$ROOT"; check "rmnode is idempotent" test $? == 0
ROOT=""

tap_summary
