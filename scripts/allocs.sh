#!/usr/bin/env bash
# Counts the daemon's malloc calls per request: a uprobe on libc's malloc, counted by `perf stat`
# over 2 s in the middle of a 4-connection `sealbox-bench run`, divided by the requests the daemon's
# own counter (/metrics) saw in the same window. Unlike CPU time it hardly moves from run to run,
# so it shows small changes on the hot path. Needs perf and root (to add the probe).
#
#   scripts/allocs.sh SEALBOXD [WORKLOAD]
#   scripts/allocs.sh .build/release/sealboxd redeem
set -euo pipefail
binary=$1 workload=${2:-redeem}
bench=${BENCH:-$(dirname "$0")/../.build/release/sealbox-bench}
libc=$(ldd "$binary" | awk '$1 ~ /^libc\.so/ { print $3 }')
perf probe -l 2>/dev/null | grep -q 'probe_libc:malloc' || perf probe -q -x "$libc" malloc

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -m 700 "$dir/data"
"$binary" --data-dir "$dir/data" --listen none --socket "$dir/s.sock" >"$dir/out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$dir/s.sock" ] && break; sleep 0.05; done
requests() {
    curl -s --unix-socket "$dir/s.sock" http://sealbox/metrics |
        awk '/^sealbox_requests_total/ { total += $2 } END { print total }'
}
"$bench" run --socket "$dir/s.sock" --workload "$workload" --connections 4 --duration 6 >"$dir/load" 2>&1 &
load=$!
sleep 2
before=$(requests)
perf stat -x, -e probe_libc:malloc -p "$pid" sleep 2 2>"$dir/stat"
after=$(requests)
wait "$load"
kill "$pid"
wait "$pid" 2>/dev/null || true
mallocs=$(awk -F, '/probe_libc:malloc/ { print $1 }' "$dir/stat")
# The two /metrics requests are in the window too; each costs about what a request does.
awk -v m="$mallocs" -v n="$((after - before))" -v w="$workload" \
    'BEGIN { printf "%s: %.1f mallocs per request (%d requests)\n", w, m / n, n }'
