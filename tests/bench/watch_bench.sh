#!/usr/bin/env bash
# Benchmark: `vzlvs watch` over a fake node of N containers (tests/bench/mkfleet): how long a
# full pass takes, what one unrelated route notification costs it in CPU, and its memory
# across passes. Each binary given runs on the same fleet, side by side.
#
#   tests/bench/watch_bench.sh [-o 4|7] [-n "10 100 1000"] [-e EVENTS] [-p PASSES] VZLVS [BASELINE...]
#
# (root.) The first pass is timed from the watch's start to its "pass 1 done" line (-v), the
# same way for every binary (config reading and the netlink subscription are in it; they are
# small). EVENTS (default 50) unrelated `ip route add` (one /32 each, outside every VIP) are
# made while the watch waits; its CPU time (/proc/PID/schedstat) before and 1 s after,
# divided by EVENTS, is the cost of one. PASSES (default 5) passes at a 1 s interval give the
# resident memory after the first and after the last. Nothing is asserted: the figures go to
# docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
openvz=4 sizes="10 100 1000" events=50 passes=5
while getopts "o:n:e:p:" opt; do
    case $opt in
        o) openvz=$OPTARG ;;
        n) sizes=$OPTARG ;;
        e) events=$OPTARG ;;
        p) passes=$OPTARG ;;
        *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
(($#)) || { sed -n '2,13p' "$0"; exit 2; }
root="" wpid=""
cleanup() {
    [[ -n $wpid ]] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
    [[ -n $root && -d $root ]] && "$here/rmfleet" "$root"
    true  # under set -e a trap ending on a false test would make the exit status 1
}
trap cleanup EXIT

# CPU time of the watch's (single) thread in ms, at ns resolution (/proc/PID/schedstat).
cpu_ms() { awk '{ printf "%.6f\n", $1 / 1e6 }' "/proc/$1/schedstat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# wait_for LOG TEXT: until the watch's log has a line with TEXT (it logs as it goes; looked
# at every 10 ms, for up to 10 minutes).
wait_for() {
    local i
    for ((i = 0; i < 60000; i++)); do
        grep -q -- "$2" "$1" && return 0
        sleep 0.01
    done
    echo "watch_bench: no \"$2\" in $1" >&2
    return 1
}
# The watch's pid under `ip netns exec` (which execs it: the same process).
start_watch() { # BIN CONF LOG INTERVAL
    ip netns exec "$FLEET_NODE_NS" "$1" -v -c "$2" watch --interval "$4" >"$3" 2>&1 &
    wpid=$!
}
stop_watch() {
    kill "$wpid" 2>/dev/null
    wait "$wpid" 2>/dev/null || true
    wpid=""
}
printf '%-6s %-5s %-32s %12s %14s %12s %12s\n' openvz N binary pass_ms cpu_us/event rss1_kb rss_last_kb
for n in $sizes; do
    root=$(mktemp -d /tmp/vzlvs-fleet.XXXXXX)
    eval "$("$here/mkfleet" --openvz "$openvz" "$n" "$root")"
    ip netns exec "$FLEET_NODE_NS" "$1" -q -c "$FLEET_CONF" bootstrap >/dev/null 2>&1 || true
    ip netns exec "$FLEET_NODE_NS" "$1" -q -c "$FLEET_CONF" provision >/dev/null 2>&1 || true
    grep -v '^runtime_root = ' "$FLEET_CONF" >"$FLEET_CONF.old"
    for bin in "$@"; do
        conf=$FLEET_CONF
        "$bin" -q -c "$conf" config >/dev/null 2>&1 || conf=$FLEET_CONF.old
        log=$root/watch.log
        # A long interval: one pass, then only notifications.
        t0=$(date +%s%N)
        start_watch "$bin" "$conf" "$log" 1h
        wait_for "$log" "pass 1 done"
        p1=$((($(date +%s%N) - t0) / 1000000))
        wait_for "$log" "subscribed to route"
        before=$(cpu_ms "$wpid")
        for ((i = 0; i < events; i++)); do
            echo "route add 203.0.$((i / 250)).$((i % 250 + 1))/32 dev eth0"
        done | ip -n "$FLEET_NODE_NS" -batch -
        # The last one handled: its notification was read once the watch is idle again.
        sleep 1
        after=$(cpu_ms "$wpid")
        per=$(awk -v a="$before" -v b="$after" -v n="$events" 'BEGIN { printf "%.0f", (b - a) * 1000 / n }')
        for ((i = 0; i < events; i++)); do
            echo "route del 203.0.$((i / 250)).$((i % 250 + 1))/32 dev eth0"
        done | ip -n "$FLEET_NODE_NS" -batch -
        stop_watch
        # Memory over several passes, 1 s apart.
        start_watch "$bin" "$conf" "$log.mem" 1s
        wait_for "$log.mem" "pass 1 done"
        r1=$(rss_kb "$wpid")
        wait_for "$log.mem" "pass $passes done"
        rl=$(rss_kb "$wpid")
        stop_watch
        printf '%-6s %-5s %-32s %12s %14s %12s %12s\n' "$openvz" "$n" "$bin" "$p1" "$per" "$r1" "$rl"
    done
    "$here/rmfleet" "$root"
    root=""
done
