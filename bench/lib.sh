# Shared by the benchmark scripts: a work dir cleaned on exit, mtag started on
# a free port, and wrk output parsing. Source it after `cd` to the repo root.

WORK=$(mktemp -d /tmp/mtag-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
bench_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap bench_cleanup EXIT

# start_mtag [ENV=VALUE ...]: serve on the embedded default; sets MPORT and MTAG_PID.
start_mtag() {
    MPORT=$(tools/free-port.sh)
    env MTAG_LOG_LEVEL=warn MTAG_DATA_DIR="$WORK/data" MTAG_LISTEN="127.0.0.1:$MPORT" "$@" \
        build/mtag serve 2>"$WORK/mtag.log" &
    MTAG_PID=$!
    PIDS+=("$MTAG_PID")
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$MPORT/health" >/dev/null && return 0
        sleep 0.1
    done
    echo "mtag did not start:" >&2
    cat "$WORK/mtag.log" >&2
    return 1
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# wrk --latency output: "Requests/sec:" and the rows of the latency distribution.
field_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
field_pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
# wrk prints 1.23ms / 456.00us / 1.20s; print milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
p_ms() { to_ms "$(field_pct "$1" "$2")"; }
