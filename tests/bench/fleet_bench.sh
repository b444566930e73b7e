#!/usr/bin/env bash
# Benchmark: a no-change `vzlvs check` and a second `vzlvs provision` over a fake node of N
# containers (tests/bench/mkfleet), timed, with the processes each run spawns counted
# (strace -f -e trace=execve). Each binary given runs on the same fleet, side by side.
#
#   tests/bench/fleet_bench.sh [-o 4|7] [-r RUNS] [-n "10 100 1000"] VZLVS [BASELINE...]
#
# (root.) VZLVS and each BASELINE are vzlvs binaries: this tree's build/vzlvs and, for
# instance, one built from an older commit by tests/bench/build_rev. Times are the median of
# RUNS runs (default 3), wall clock. Nothing is asserted: the figures go to docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
openvz=4 runs=3 sizes="10 100 1000"
while getopts "o:r:n:" opt; do
    case $opt in
        o) openvz=$OPTARG ;;
        r) runs=$OPTARG ;;
        n) sizes=$OPTARG ;;
        *) sed -n '2,10p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
(($#)) || { sed -n '2,10p' "$0"; exit 2; }
bins=("$@")
root=""
# Under set -e a trap that ends on a false test makes the exit status 1: it ends on true.
cleanup() {
    [[ -n $root && -d $root ]] && "$here/rmfleet" "$root"
    true
}
trap cleanup EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }

# seconds BIN ARGS...: one run's wall time in seconds; its output is dropped, its exit
# status too (the fleet's kernel has no ipip: check reports the ipip module as failed).
seconds() {
    local s e
    s=$(date +%s%N)
    ip netns exec "$FLEET_NODE_NS" "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    echo "$(((e - s) / 1000))" | awk '{ printf "%.6f\n", $1 / 1e6 }'
}
# spawns BIN ARGS...: the processes one run starts (execve calls, vzlvs's own left out).
spawns() {
    local log
    log=$(mktemp)
    strace -f -qq -e trace=execve -e signal=none -o "$log" \
        ip netns exec "$FLEET_NODE_NS" "$@" >/dev/null 2>&1 || true
    # ip netns exec itself and its exec of vzlvs are not vzlvs's children.
    grep -c 'execve(' "$log" | awk '{ print $1 - 2 }'
    rm -f "$log"
}

printf '%-6s %-5s %-10s %-32s %10s %8s\n' openvz N run binary seconds spawns
for n in $sizes; do
    root=$(mktemp -d /tmp/vzlvs-fleet.XXXXXX)
    eval "$("$here/mkfleet" --openvz "$openvz" "$n" "$root")"
    # Converge the fleet once (hooks written, guard in place) with the binary under test.
    ip netns exec "$FLEET_NODE_NS" "${bins[0]}" -q -c "$FLEET_CONF" bootstrap >/dev/null 2>&1 || true
    ip netns exec "$FLEET_NODE_NS" "${bins[0]}" -q -c "$FLEET_CONF" provision >/dev/null 2>&1 || true
    # A baseline older than runtime_root gets the fleet's configuration without it.
    grep -v '^runtime_root = ' "$FLEET_CONF" >"$FLEET_CONF.old"
    for cmd in check provision; do
        for bin in "${bins[@]}"; do
            conf=$FLEET_CONF
            "$bin" -q -c "$conf" config >/dev/null 2>&1 || conf=$FLEET_CONF.old
            t=$(for ((i = 0; i < runs; i++)); do seconds "$bin" -q -c "$conf" "$cmd"; done | median)
            c=$(spawns "$bin" -q -c "$conf" "$cmd")
            printf '%-6s %-5s %-10s %-32s %10s %8s\n' "$openvz" "$n" "$cmd" "$bin" "$t" "$c"
        done
    done
    "$here/rmfleet" "$root"
    root=""
done
