#!/usr/bin/env bash
# GET /health on mtag against nginx serving the same JSON bytes as a static
# file, in one run, with the same wrk load (2 threads, 64 connections, 10 s).
# Prints requests/s, p50 and p99 for both and mtag's RSS idle and under load,
# then the ratios the targets are stated in (bench/RESULTS.md).
# usage: bench/http_health.sh [DURATION_S]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build bench
make -s build/mtag

DUR=${1:-10}
# shellcheck source=bench/lib.sh
. bench/lib.sh
NPORT=$(tools/free-port.sh)
start_mtag
mkdir -p "$WORK/www"
curl -fs "http://127.0.0.1:$MPORT/health" -o "$WORK/www/health.json"
chmod -R a+rX "$WORK/www"

start_nginx "$NPORT" "    server {
        listen 127.0.0.1:$NPORT;
        location = /health { default_type application/json; alias $WORK/www/health.json; }
    }"
cmp <(curl -fs "http://127.0.0.1:$NPORT/health") <(curl -fs "http://127.0.0.1:$MPORT/health") >/dev/null ||
    echo "note: bodies differ only in volatile fields" >&2

run_wrk() { wrk -t2 -c64 -d"${DUR}s" --latency "$1" >"$2"; }

IDLE_RSS=$(rss_kb "$MTAG_PID")
# Warm-up, then the measured runs, nginx first then mtag; RSS sampled during mtag's run.
wrk -t2 -c64 -d2s "http://127.0.0.1:$MPORT/health" >/dev/null
wrk -t2 -c64 -d2s "http://127.0.0.1:$NPORT/health" >/dev/null
run_wrk "http://127.0.0.1:$NPORT/health" "$WORK/nginx.txt"
( while kill -0 "$MTAG_PID" 2>/dev/null; do rss_kb "$MTAG_PID"; sleep 0.2; done ) >"$WORK/rss.txt" &
SAMPLER=$!
run_wrk "http://127.0.0.1:$MPORT/health" "$WORK/mtag.txt"
kill "$SAMPLER" 2>/dev/null || true
MAX_RSS=$(sort -n "$WORK/rss.txt" | tail -1)

M_RPS=$(field_rps "$WORK/mtag.txt"); N_RPS=$(field_rps "$WORK/nginx.txt")
M_P50=$(p_ms "$WORK/mtag.txt" 50%); N_P50=$(p_ms "$WORK/nginx.txt" 50%)
M_P99=$(p_ms "$WORK/mtag.txt" 99%); N_P99=$(p_ms "$WORK/nginx.txt" 99%)
M_ERR=$(grep -E 'Non-2xx|Socket errors' "$WORK/mtag.txt" || true)

printf '\nGET /health, wrk -t2 -c64 -d%ss, %s\n' "$DUR" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-8s %12s %10s %10s\n' server req/s p50_ms p99_ms
printf '%-8s %12s %10s %10s\n' nginx "$N_RPS" "$N_P50" "$N_P99"
printf '%-8s %12s %10s %10s\n' mtag "$M_RPS" "$M_P50" "$M_P99"
[ -z "$M_ERR" ] || echo "mtag errors: $M_ERR"
awk -v m="$M_RPS" -v n="$N_RPS" -v mp="$M_P99" -v np="$N_P99" -v idle="$IDLE_RSS" -v load="$MAX_RSS" 'BEGIN {
    printf "ratio req/s mtag/nginx: %.2f (target >= 0.50) %s\n", m / n, (m / n >= 0.5 ? "ok" : "MISSED")
    printf "ratio p99 mtag/nginx:   %.2f (target <= 2.00) %s\n", mp / np, (mp / np <= 2 ? "ok" : "MISSED")
    printf "mtag RSS idle %.1f MB, under load %.1f MB (target <= 20 MB) %s\n", idle / 1024, load / 1024, (load / 1024 <= 20 ? "ok" : "MISSED")
}'
