#!/usr/bin/env bash
# A throwaway S3 server for tests: s3rver behind tests/s3/verify-proxy.js, which checks
# every SigV4 signature with aws4 (s3rver checks none: shared/LIBRARIES.md section 3).
#   tools/s3-server.sh start DIR PORT   start both; prints the endpoint (only stdout line):
#                                       http://127.0.0.1:PORT (credentials S3RVER / S3RVER)
#   tools/s3-server.sh pause DIR        stop both, keep the data (a store outage)
#   tools/s3-server.sh resume DIR       start both again on the same ports and data
#   tools/s3-server.sh stop DIR         stop both and remove DIR; no error if already gone
# s3rver listens on a free loopback port of its own, the proxy on 127.0.0.1:PORT. s3rver
# also takes virtual-hosted requests for BUCKET.s3.localhost:PORT. The npm packages
# are installed by tools/node-packages.sh when missing or stale.
# Logs go to DIR/*.log; pids to DIR/*.pid.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "s3-server: $*" >&2; exit 1; }
usage() { die "usage: $0 start DIR PORT | pause DIR | resume DIR | stop DIR"; }

# True when DIR/NAME.pid names a live process of ours (its command line mentions what).
alive() {
    local pidfile=$dir/$1.pid what=$2 pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$what"
}

# Stop the process of DIR/NAME.pid (TERM, then KILL after 5 s) and remove the pid file.
kill_one() {
    local name=$1 what=$2 pid
    if alive "$name" "$what"; then
        pid=$(cat "$dir/$name.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do alive "$name" "$what" || break; sleep 0.1; done
        if alive "$name" "$what"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$dir/$name.pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Up to 60 s: node starts slowly on a loaded machine (15 s was not always enough).
wait_port() {
    local port=$1 name=$2
    for _ in $(seq 600); do
        port_open "$port" && return 0
        alive "$name" "$3" || break
        sleep 0.1
    done
    tail -n 20 "$dir/$name.log" >&2 2>/dev/null || true
    die "$name did not start on port $port (logs in $dir)"
}

servers_start() {
    local port up
    port=$(cat "$dir/port")
    up=$(cat "$dir/upstream_port")
    if ! alive s3rver s3rver.js; then
        # s3rver's continuation tokens use DES, a legacy cipher in Node 20's OpenSSL 3.
        (cd "$ROOT" && exec setsid node --openssl-legacy-provider \
            node_modules/s3rver/bin/s3rver.js -d "$dir/data" \
            -a 127.0.0.1 -p "$up" --service-endpoint localhost --silent \
            </dev/null >>"$dir/s3rver.log" 2>&1) &
        echo $! >"$dir/s3rver.pid"
    fi
    if ! alive proxy verify-proxy.js; then
        (cd "$ROOT" && exec setsid node tests/s3/verify-proxy.js "$port" "$up" \
            </dev/null >>"$dir/proxy.log" 2>&1) &
        echo $! >"$dir/proxy.pid"
    fi
    wait_port "$up" s3rver s3rver.js
    wait_port "$port" proxy verify-proxy.js
}

servers_stop() {
    kill_one proxy verify-proxy.js
    kill_one s3rver s3rver.js
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2

case $cmd in
start)
    [ $# -eq 3 ] || usage
    port=$3
    [[ $port =~ ^[0-9]+$ ]] || die "bad port: $port"
    command -v node >/dev/null || die "node is not installed"
    mkdir -p "$dir/data"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/port" ] && [ "$(cat "$dir/port")" != "$port" ]; then
        die "$dir already serves port $(cat "$dir/port")"
    fi
    "$ROOT/tools/node-packages.sh"
    echo "$port" >"$dir/port"
    [ -f "$dir/upstream_port" ] || "$ROOT/tools/free-port.sh" >"$dir/upstream_port"
    servers_start
    echo "http://127.0.0.1:$port"
    ;;
pause)
    [ -f "$dir/port" ] || die "no S3 server in $dir"
    servers_stop
    ;;
resume)
    [ -f "$dir/port" ] || die "no S3 server in $dir"
    dir=$(cd "$dir" && pwd)
    servers_start
    ;;
stop)
    [ -d "$dir" ] || exit 0
    # Refuse to rm -rf a directory that is not one of ours (a typo in DIR).
    if [ ! -f "$dir/port" ] && [ -n "$(ls -A "$dir")" ]; then
        die "$dir is not an s3-server directory, not removing it"
    fi
    servers_stop
    rm -rf "$dir"
    ;;
*)
    usage
    ;;
esac
