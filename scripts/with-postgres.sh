#!/usr/bin/env bash
# scripts/with-postgres.sh CMD [ARGS...]: runs CMD with SEALBOX_TEST_POSTGRES set to the URL of a
# throwaway PostgreSQL cluster (scripts/postgres-cluster.sh) in $SEALBOX_PG_DIR (default .build/pg),
# started afresh for it and stopped afterwards, whatever CMD's outcome; exits with CMD's status.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/postgres-cluster.sh"
dir=${SEALBOX_PG_DIR:-$here/../.build/pg}
[ $# -ge 1 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

# A cluster left by an interrupted run is stopped and thrown away: each run starts empty.
if [ -d "$dir/data" ]; then
    "$cluster" stop "$dir" || "$cluster" kill9 "$dir" || true
fi
rm -rf "$dir"
mkdir -p "$dir"
url=$("$cluster" start "$dir") || { echo "with-postgres: could not start PostgreSQL in $dir" >&2; exit 1; }
echo "with-postgres: PostgreSQL at $url" >&2

cleanup() {
    "$cluster" stop "$dir" || "$cluster" kill9 "$dir" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SEALBOX_TEST_POSTGRES=$url "$@"
status=$?
exit $status
