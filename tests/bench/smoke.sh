#!/usr/bin/env bash
# A tiny run of every benchmark in tests/bench/ (docs/benchmarks.md), so that they do not rot:
# each runs on a few containers and prints its figures. What is checked is what a benchmark
# must show to be read at all, and the counts it reports: a no-change run over the fleet
# spawns one process (nft) on vzctl 7 whatever N; on vzctl 4 at least one more per CT (the
# exec2, and what ct-net.sh runs inside the CT).
# No time is asserted.
#
#   tests/bench/smoke.sh BUILD_DIR      (root)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: smoke.sh BUILD_DIR}
fails=0
check() { # WHAT COMMAND...
    local what=$1
    shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
rows() { awk -v o="$2" '$1 == o && ($3 == "check" || $3 == "provision")' <<<"$1"; }

for o in 4 7; do
    out=$("$here/fleet_bench.sh" -o "$o" -r 1 -n "3 6" "$build/vzlvs" 2>&1)
    printf '%s\n' "$out"
    check "fleet_bench openvz $o: check and provision at N=3 and N=6" \
        test "$(rows "$out" "$o" | wc -l)" -eq 4
    # vzctl 7: nft only. vzctl 4 offers no way into a CT but vzctl exec2, at least one per CT.
    check "fleet_bench openvz $o: processes per no-change run: nft$( ((o == 4)) && echo ', an exec2 and more per CT')" \
        test -z "$(rows "$out" "$o" | awk -v o="$o" 'o == 4 ? $6 < $2 + 1 : $6 != 1')"
done
out=$("$here/watch_bench.sh" -o 7 -n 3 -e 5 -p 2 "$build/vzlvs" 2>&1)
printf '%s\n' "$out"
check "watch_bench: a pass, a cost per event, memory" \
    test "$(awk '$1 == 7 && $2 == 3 && NF == 7' <<<"$out" | wc -l)" -eq 1
out=$(ARTICLE=0 VZLVS="$build/vzlvs" "$here/hook_bench.sh" 2 2>&1)
printf '%s\n' "$out"
check "hook_bench: route lifetimes with p50/p99" grep -q "route lifetime: n=2 .* p99=" <<<"$out"
check "hook_bench: hook mount times" grep -q "hook mount returns after" <<<"$out"
out=$(VZLVS_BENCH_BACKENDS=20 "$build/tests/integration_tests" --gtest_also_run_disabled_tests \
    --gtest_filter='DirectorBench.DISABLED_RegisterN*' 2>&1)
printf '%s\n' "$out" | grep register
check "director bench: 20 backends against curl" grep -q "register 20 backends in one service" <<<"$out"
echo "$fails failed"
((fails == 0))
