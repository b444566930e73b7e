# Sourced: the VIP route's lifetimes from an `ip -ts monitor route` log, and their percentiles.
# Used by tests/bench/hook_bench.sh (the stand-in) and tests/vm/lvs_tun.sh (a real kernel).

# route_lifetimes LOG VIP: one line per RTM_NEWROUTE → RTM_DELROUTE pair of VIP's route via
# venet0, in ms, from ip's timestamps of the two messages.
route_lifetimes() {
    awk -v vip="$2" '
        function ts(s) { gsub(/[\[\]]/, "", s); split(s, a, "T"); split(a[2], t, ":");
                         return (t[1] * 3600 + t[2] * 60 + t[3]) * 1000 }
        $0 ~ " " vip " dev venet0" {
            if ($2 == "Deleted") { if (added != "") { printf "%.3f\n", ts($1) - added; added = "" } }
            else added = ts($1)
        }' "$1"
}

# percentiles < numbers: "n=N min=… p50=… p99=… max=… ms" (nothing for no input).
percentiles() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "n=%d min=%.2f p50=%.2f p99=%.2f max=%.2f ms\n",
        NR, v[1], v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)], v[NR] }'
}
