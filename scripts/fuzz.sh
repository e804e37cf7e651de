#!/usr/bin/env bash
# Runs every fuzz target of the libFuzzer build for SECONDS each, starting from the seed corpus in
# Tests/Fuzz/Corpus. New inputs go to a scratch corpus, never into the repository; a crash, a leak,
# an ASan report or an input slower than 10 s fails the run and leaves its input under
# .build-fuzz/artifacts/TARGET/. Prints one FUZZ: line per target.
#   scripts/fuzz.sh SECONDS [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(envelope fernet keys aws-json http fixtures policy sigv4)
binary=.build-fuzz/debug/sealbox-fuzz
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Swift's own crash backtracer would race ASan's report.
export SWIFT_BACKTRACE=enable=no
failed=0
for target in "${targets[@]}"; do
    artifacts=.build-fuzz/artifacts/$target
    mkdir -p "$scratch/$target" "$artifacts"
    log="$scratch/$target.log"
    status=0
    "$binary" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$scratch/$target" "Tests/Fuzz/Corpus/$target" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    # A run that stops before libFuzzer prints coverage (a crash or leak in the seeds) must still report.
    coverage=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
    echo "FUZZ: target=$target seconds=$seconds executions=${runs:-0} per_second=${speed:-0} coverage=${coverage:-0} status=$status"
    if [ "$status" != 0 ]; then
        failed=1
        grep -E 'ERROR|Precondition|Fatal error|deadly signal|Test unit written' "$log" | head -20 || true
        tail -40 "$log"
    fi
done
exit $failed
