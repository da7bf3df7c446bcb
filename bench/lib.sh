# Shared by the benchmark scripts: a work dir cleaned on exit, mtag started on
# a free port, and wrk output parsing. Source it after `cd` to the repo root.

WORK=$(mktemp -d /tmp/mtag-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
bench_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${PG_DIR:-}" ]; then tools/pg-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap bench_cleanup EXIT

# start_pg: a throwaway PostgreSQL cluster in $WORK/pg (stopped on exit); sets
# PG_DIR, PG_URL (its database mtag_test) and PG_BASE (the URL without it).
start_pg() {
    PG_DIR="$WORK/pg"
    PG_URL=$(tools/pg-cluster.sh start "$PG_DIR" "$(tools/free-port.sh)")
    PG_BASE=${PG_URL%/*}
}

# start_mtag [ENV=VALUE ...]: serve on the embedded default; sets MPORT and MTAG_PID.
# MTAG_BIN (default build/mtag): the binary, e.g. an older build to compare with.
start_mtag() {
    MPORT=$(tools/free-port.sh)
    env MTAG_LOG_LEVEL=warn MTAG_DATA_DIR="$WORK/data" MTAG_LISTEN="127.0.0.1:$MPORT" "$@" \
        "${MTAG_BIN:-build/mtag}" serve 2>"$WORK/mtag.log" &
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

# serve_corpus_csv DIR N: the PDFs of DIR served from loopback by a plain HTTP
# server (port in HPORT), and $WORK/www/batch.csv listing N of them under
# different URLs (column "url"), served too.
serve_corpus_csv() {
    mkdir -p "$WORK/www"
    cp "$1"/*.pdf "$WORK/www/"
    ( cd "$WORK/www" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 0 >"$WORK/http.log" 2>&1 ) &
    PIDS+=($!)
    for _ in $(seq 50); do HPORT=$(grep -o 'port [0-9]*' "$WORK/http.log" | grep -o '[0-9]*' || true); [ -n "$HPORT" ] && break; sleep 0.1; done
    /usr/bin/python3 - "$WORK/www" "$HPORT" "$2" >"$WORK/www/batch.csv" <<'PY'
import os, sys
files = sorted(f for f in os.listdir(sys.argv[1]) if f.endswith(".pdf"))
print("url")
for i in range(int(sys.argv[3])):
    print(f"http://127.0.0.1:{sys.argv[2]}/{files[i % len(files)]}?copy={i}")
PY
}

# start_nginx PORT HTTP_BLOCK: nginx in $WORK (pid, logs, temp files there) with
# HTTP_BLOCK inside its http {} (the server blocks); waits until PORT answers.
start_nginx() {
    mkdir -p "$WORK/tmp"
    cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
$2
}
NGINX
    nginx -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' &
    PIDS+=($!)
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done
    echo "nginx did not start:" >&2
    cat "$WORK/nginx-error.log" >&2
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
