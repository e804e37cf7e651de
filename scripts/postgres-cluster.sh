#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests of the PostgreSQL store.
#
#   scripts/postgres-cluster.sh start DIR    initdb (first time) and start; prints the URL
#   scripts/postgres-cluster.sh stop DIR     fast shutdown (no error if it is not running)
#   scripts/postgres-cluster.sh kill9 DIR    SIGKILL to the postmaster and all its children
#   scripts/postgres-cluster.sh restart DIR  start again on the same port and data
#   scripts/postgres-cluster.sh url DIR      the URL of a started cluster
#   scripts/postgres-cluster.sh bindir       the folder of the PostgreSQL binaries used
#
# The cluster has one superuser, `sealbox`, trusted on loopback TCP and on its Unix socket (in DIR/socket)
# and nowhere else: it listens on 127.0.0.1 only, on a free port chosen at initdb and kept in
# postgresql.conf. fsync and synchronous_commit are on, as in production. Database `sealbox` exists.
# PostgreSQL refuses to run as root: as root, DIR is given to the `postgres` user and the server
# runs as that user (runuser); DIR's parent folders must let it through.
set -euo pipefail

die() {
    echo "postgres-cluster: $*" >&2
    exit 1
}

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# The highest /usr/lib/postgresql/<version>/bin (Debian), else the folder of `initdb` on PATH.
find_bindir() {
    local best="" v
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] || continue
        v=$(basename "$(dirname "$d")")
        if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -1)" = "$v" ]; then
            best=$v
        fi
    done
    if [ -n "$best" ]; then
        echo "/usr/lib/postgresql/$best/bin"
        return
    fi
    local initdb
    initdb=$(command -v initdb || true)
    [ -n "$initdb" ] || die "no PostgreSQL server binaries: neither /usr/lib/postgresql/*/bin/initdb nor initdb on PATH
  (Debian/Ubuntu: apt-get install postgresql, or make deps)"
    dirname "$(readlink -f "$initdb")"
}

BIN=$(find_bindir)
for tool in initdb pg_ctl pg_isready psql; do
    [ -x "$BIN/$tool" ] || command -v "$tool" >/dev/null || die "$tool not found in $BIN nor on PATH"
done
tool() {
    if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; else command -v "$1"; fi
}

# Runs a server-side command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_of() {
    local p
    p=$(sed -n 's/^port = \([0-9]*\).*/\1/p' "$1/data/postgresql.conf" | tail -1)
    [ -n "$p" ] || die "no port in $1/data/postgresql.conf: is $1 a cluster made by this script?"
    echo "$p"
}

url_of() {
    echo "postgres://sealbox@127.0.0.1:$(port_of "$1")/sealbox?sslmode=disable"
}

# Alive and not a zombie: a killed postmaster waits for its (re)parent to reap it, yet is gone.
alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

running_pid() {
    local pidfile="$1/data/postmaster.pid" pid
    [ -f "$pidfile" ] || return 1
    pid=$(head -1 "$pidfile")
    [ -n "$pid" ] && alive "$pid" && echo "$pid"
}

init_cluster() {
    local dir=$1 port
    if [ "$(id -u)" = 0 ]; then
        getent passwd postgres >/dev/null || die "running as root, but there is no 'postgres' user to run the server as"
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" ||
            die "the postgres user cannot write $dir: every parent folder must be searchable by it (o+x)"
    fi
    as_owner "$(tool initdb)" -D "$dir/data" -U sealbox --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir/data"; }
    port=$(free_port)
    as_owner mkdir -p "$dir/socket"
    # The trust lines initdb wrote cover the Unix socket and loopback only; listening on 127.0.0.1 alone
    # keeps it so. The last `port =` line wins, and is the one port_of reads.
    as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# scripts/postgres-cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
fsync = on
synchronous_commit = on
max_connections = 200
logging_collector = off
EOF
}

wait_ready() {
    local dir=$1 port deadline
    port=$(port_of "$dir")
    deadline=$((SECONDS + 30))
    until "$(tool pg_isready)" -q -h 127.0.0.1 -p "$port" -U sealbox -d postgres; do
        if [ $SECONDS -ge $deadline ]; then
            tail -20 "$dir/server.log" >&2 || true
            die "PostgreSQL in $dir does not accept connections on 127.0.0.1:$port after 30 s"
        fi
        sleep 0.1
    done
}

start() {
    local dir=$1 port
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        init_cluster "$dir"
    fi
    port=$(port_of "$dir")
    if running_pid "$dir" >/dev/null; then
        die "the cluster in $dir is already running (pid $(running_pid "$dir")); stop it first"
    fi
    # After kill9 the postmaster may linger as a zombie until its parent reaps it, and PostgreSQL would
    # take its postmaster.pid and socket lock file for a live server's: the process is dead, so they go.
    rm -f "$dir/data/postmaster.pid" "$dir/socket/.s.PGSQL.$port.lock" "$dir/socket/.s.PGSQL.$port"
    # SO_REUSEADDR as PostgreSQL sets it: connections in TIME_WAIT from before a kill9 do not count.
    if ! python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
        die "port $port (of the cluster in $dir) is taken by another process"
    fi
    [ "$(id -u)" = 0 ] && { touch "$dir/server.log"; chown postgres: "$dir/server.log"; }
    # pg_ctl's notes (such as a stale postmaster.pid after kill9) are shown only if it fails.
    as_owner "$(tool pg_ctl)" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >"$dir/pg_ctl.out" 2>&1 ||
        {
            cat "$dir/pg_ctl.out" >&2
            tail -20 "$dir/server.log" >&2
            die "pg_ctl start failed for $dir (log: $dir/server.log)"
        }
    wait_ready "$dir"
    if [ "$("$(tool psql)" -h 127.0.0.1 -p "$port" -U sealbox -d postgres -XAtq \
        -c "SELECT 1 FROM pg_database WHERE datname = 'sealbox'")" != 1 ]; then
        "$(tool psql)" -h 127.0.0.1 -p "$port" -U sealbox -d postgres -Xq -v ON_ERROR_STOP=1 \
            -c "CREATE DATABASE sealbox" >/dev/null || die "could not create database sealbox"
    fi
    url_of "$dir"
}

stop() {
    local dir=$1
    [ -f "$dir/data/PG_VERSION" ] || return 0
    running_pid "$dir" >/dev/null || return 0
    as_owner "$(tool pg_ctl)" -D "$dir/data" -m fast -w -t 30 stop >/dev/null ||
        die "pg_ctl stop failed for $dir"
}

kill9() {
    local dir=$1 pid children
    pid=$(running_pid "$dir") || die "no running postmaster in $dir"
    children=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
    # The postmaster and its backends together, so that none is left holding the shared memory
    # a restart needs.
    # shellcheck disable=SC2086
    kill -9 "$pid" $children 2>/dev/null || true
    for p in "$pid" $children; do
        for _ in $(seq 200); do
            alive "$p" || break
            sleep 0.01
        done
        ! alive "$p" || die "process $p of the cluster in $dir survived SIGKILL"
    done
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
bindir)
    echo "$BIN"
    exit 0
    ;;
start | stop | kill9 | restart | url) ;;
*) usage ;;
esac
[ $# -eq 1 ] || usage
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
case "$cmd" in
start) start "$DIR" ;;
stop) stop "$DIR" ;;
kill9) kill9 "$DIR" ;;
restart)
    [ -f "$DIR/data/PG_VERSION" ] || die "no cluster in $DIR to restart"
    start "$DIR"
    ;;
url) url_of "$DIR" ;;
esac
