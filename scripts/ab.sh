#!/usr/bin/env bash
# Compares the daemon CPU per request of two sealboxd binaries, interleaved, so that a slow moment
# of a shared machine hits both alike. Each run starts a fresh daemon, loads it with
# `sealbox-bench run` at 32 connections, and reads the daemon's utime+stime from /proc over 3 s
# in the middle of the run.
#
#   scripts/ab.sh OLD_SEALBOXD NEW_SEALBOXD [WORKLOAD] [PAIRS]
#   scripts/ab.sh /tmp/sealboxd-main .build/release/sealboxd redeem 4
#
# WORKLOAD is one of sealbox-bench run's (redeem, secret-redeem, decrypt, get-parameter, extension-get,
# secrets-get); default
# redeem. PAIRS defaults to 3. Prints each run and the medians.
set -euo pipefail
old=$1 new=$2 workload=${3:-redeem} pairs=${4:-3}
bench=${BENCH:-$(dirname "$0")/../.build/release/sealbox-bench}
tick=$(getconf CLK_TCK)

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

one() {
    local binary=$1 dir pid load before after rate
    dir=$(mktemp -d)
    mkdir -m 700 "$dir/data"
    "$binary" --data-dir "$dir/data" --listen none --socket "$dir/s.sock" >"$dir/out" 2>&1 &
    pid=$!
    for _ in $(seq 100); do [ -S "$dir/s.sock" ] && break; sleep 0.05; done
    "$bench" run --socket "$dir/s.sock" --workload "$workload" --connections 32 --duration 5 >"$dir/load" 2>&1 &
    load=$!
    sleep 2.5
    before=$(cpu "$pid")
    sleep 3
    after=$(cpu "$pid")
    wait "$load"
    rate=$(grep -o 'req/s=[0-9]*' "$dir/load" | cut -d= -f2)
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
    awk -v d="$((after - before))" -v t="$tick" -v r="$rate" 'BEGIN { printf "%.1f %d\n", d / t * 1e6 / (r * 3), r }'
}

results=()
for _ in $(seq "$pairs"); do
    for side in old new; do
        binary=$old
        [ "$side" = new ] && binary=$new
        read -r micros rate < <(one "$binary")
        echo "$side $workload: $micros µs of daemon CPU per request, $rate req/s"
        results+=("$side $micros")
    done
done
for side in old new; do
    printf '%s\n' "${results[@]}" | awk -v s="$side" '$1 == s { print $2 }' | sort -n |
        awk -v s="$side" '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
            printf "median %s: %.1f µs per request\n", s, m }'
done
