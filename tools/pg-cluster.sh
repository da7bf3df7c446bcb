#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (recipe: shared/LIBRARIES.md section 2).
#   tools/pg-cluster.sh start DIR PORT   create + start; prints the database URL (only stdout line)
#   tools/pg-cluster.sh pause DIR        stop the server, keep the data
#   tools/pg-cluster.sh resume DIR       start it again on the same port
#   tools/pg-cluster.sh stop DIR         stop and remove DIR; no error if already gone
# Logs go to DIR/*.log. The server listens on 127.0.0.1 only, its socket is in DIR.
set -euo pipefail

PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
DB=mtag_test

die() { echo "pg-cluster: $*" >&2; exit 1; }
usage() { die "usage: $0 start DIR PORT | pause DIR | resume DIR | stop DIR"; }

# initdb refuses to run as root: drop to user postgres then.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() { [ -d "$dir/data" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

# Start the server on the port stored in DIR/port; show the log tail on failure.
server_start() {
    local port
    port=$(cat "$dir/port")
    if ! as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >>"$dir/pg_ctl.log" 2>&1; then
        tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
        die "server did not start (logs in $dir)"
    fi
}

server_stop() {
    if running; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >>"$dir/pg_ctl.log" 2>&1
    fi
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
# The socket directory must be absolute: the server runs from its data directory.
[ ! -d "$dir" ] || dir=$(cd "$dir" && pwd)

case $cmd in
start)
    [ $# -eq 3 ] || usage
    port=$3
    [[ $port =~ ^[0-9]+$ ]] || die "bad port: $port"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # A Unix socket path is limited to 107 bytes.
    [ ${#dir} -le 90 ] || die "path too long for a socket directory: $dir"
    [ ! -e "$dir/data" ] || die "$dir/data already exists"
    echo "$port" >"$dir/port"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
    as_pg test -w "$dir" || die "user postgres cannot write $dir (check the parent directories' permissions)"
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N \
        >"$dir/initdb.log" 2>&1 || die "initdb failed, see $dir/initdb.log"
    server_start
    as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB" \
        >"$dir/createdb.log" 2>&1 || die "createdb failed, see $dir/createdb.log"
    echo "postgresql://postgres@127.0.0.1:$port/$DB"
    ;;
pause)
    [ -f "$dir/port" ] || die "no cluster in $dir"
    server_stop
    ;;
resume)
    [ -f "$dir/port" ] || die "no cluster in $dir"
    running || server_start
    ;;
stop)
    [ -d "$dir" ] || exit 0
    # Refuse to rm -rf a directory that is not one of ours (a typo in DIR).
    if [ ! -f "$dir/port" ] && [ -n "$(ls -A "$dir")" ]; then
        die "$dir is not a pg-cluster directory, not removing it"
    fi
    server_stop
    rm -rf "$dir"
    ;;
*)
    usage
    ;;
esac
