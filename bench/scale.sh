#!/usr/bin/env bash
# Scale-out (issue 9): the 1,000-document batch of bench/batch.sh (the corpus
# PDFs repeated under different URLs, served from loopback) through one
# `mtag serve --role api` and 1, 2 and 3 `--role worker` processes (each
# MTAG_WORKERS=1), all on one throwaway PostgreSQL cluster and one S3 bucket on
# loopback (tools/pg-cluster.sh, tools/s3-server.sh, as `make test` runs them).
# Timed: submit -> last document done, through the api node. Also the p99 of
# mtag_claim_duration_seconds (one claim transaction, lock waits included),
# estimated from the histogram buckets scraped from every worker's /metrics.
# usage: bench/scale.sh [N_DOCUMENTS] [MAX_WORKER_PROCESSES]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build test bench
make -s build/mtag
N=${1:-1000}
MAXP=${2:-3}
CORPUS=${MTAG_CORPUS:-../shared/corpus/pdf}
# shellcheck source=bench/lib.sh
. bench/lib.sh
# The database and the S3 server live in $WORK (chmod 755: postgres can reach it);
# stop them before lib.sh removes it.
scale_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for f in "$WORK"/run*/*/pid; do if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi; done
    tools/s3-server.sh stop "$WORK/s3" >/dev/null 2>&1 || true
    bench_cleanup
}
trap scale_cleanup EXIT

start_pg
S3_ENDPOINT=$(tools/s3-server.sh start "$WORK/s3" "$(tools/free-port.sh)")
PSQL=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)/psql
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

serve_corpus_csv "$CORPUS" "$N"

# start_node NAME ROLE [ENV=VALUE ...]: one node of the cluster in $WORK/NAME (its own
# data dir, log, port and pid files). The cluster's env comes from $NODE_ENV.
start_node() {
    local name=$1 role=$2 port pid
    shift 2
    port=$(tools/free-port.sh)
    mkdir -p "$WORK/$name/data"
    env "${NODE_ENV[@]}" MTAG_DATA_DIR="$WORK/$name/data" MTAG_LISTEN="127.0.0.1:$port" "$@" \
        build/mtag serve --role "$role" >/dev/null 2>"$WORK/$name/mtag.log" &
    pid=$!
    PIDS+=("$pid")
    echo "$pid" >"$WORK/$name/pid"
    echo "$port" >"$WORK/$name/port"
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null && return 0
        sleep 0.1
    done
    echo "mtag ($name, --role $role) did not start:" >&2
    cat "$WORK/$name/mtag.log" >&2
    return 1
}

# run P: api + P worker processes on a fresh database and bucket; writes
# "seconds status completed failed" to $WORK/run$P/result, next to the nodes' logs and scrapes.
run() {
    local p=$1 db bucket aport job status t0 i pid
    db=mtag_scale_$p
    "$PSQL" "$PG_URL" -q -c "CREATE DATABASE $db" >/dev/null
    bucket=mtag-scale-$p-$RANDOM
    NODE_ENV=(MTAG_LOG_LEVEL=warn MTAG_FETCH_ALLOW_PRIVATE=1 MTAG_MAX_PENDING_DOCUMENTS=100000
        MTAG_DATABASE_URL="${PG_URL%/*}/$db" MTAG_SECRET_KEY="$SECRET"
        MTAG_STORAGE_URL="s3://$bucket?endpoint=$S3_ENDPOINT&region=us-east-1&path_style=1"
        MTAG_S3_ACCESS_KEY=S3RVER MTAG_S3_SECRET_KEY=S3RVER)
    rm -rf "$WORK/run$p"
    mkdir -p "$WORK/run$p"
    start_node "run$p/api" api
    aport=$(cat "$WORK/run$p/api/port")
    for i in $(seq "$p"); do
        start_node "run$p/w$i" worker MTAG_WORKERS=1 MTAG_NODE_ID="worker-$i"
    done
    t0=$(date +%s.%N)
    job=$(curl -fs "http://127.0.0.1:$aport/api/process/process-batch" -H 'Content-Type: application/json' \
        -d "{\"spreadsheet_url\":\"http://127.0.0.1:$HPORT/batch.csv\",\"url_column\":\"url\"}" |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
    while :; do
        status=$(curl -fs "http://127.0.0.1:$aport/api/process/batch-status/$job?limit=1" |
            /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["completed"], d["failed"])')
        case $status in completed*|partial*|failed*) break ;; esac
        sleep 0.2
    done
    echo "$(echo "$(date +%s.%N) - $t0" | bc) $status" >"$WORK/run$p/result"
    # The corpus fails 76 of 1,000 by itself (bench/RESULTS.md); more means something broke.
    if [ "$(echo "$status" | awk '{print $3 * 10}')" -gt "$N" ]; then
        echo "run with $p worker processes: $status; from the logs:" >&2
        grep -h -i -E 'level=(warn|error)|fail' "$WORK/run$p"/*/mtag.log | head -n 8 >&2
    fi
    for i in $(seq "$p"); do
        curl -fs "http://127.0.0.1:$(cat "$WORK/run$p/w$i/port")/metrics" >"$WORK/run$p/w$i.metrics"
    done
    for d in "$WORK/run$p"/*/; do
        pid=$(cat "$d/pid")
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

# claim_p99 P: "p99_ms samples" from the run's worker scrapes.
claim_p99() {
    /usr/bin/python3 - "$WORK/run$1" <<'PY'
import glob, os, re, sys
d = sys.argv[1]
cum = {}
for f in glob.glob(os.path.join(d, "*.metrics")):
    for m in re.finditer(r'^mtag_claim_duration_seconds_bucket\{le="([^"]+)"\} (\S+)$', open(f, errors="replace").read(), re.M):
        le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
        cum[le] = cum.get(le, 0) + float(m.group(2))
total = cum.get(float("inf"), 0)
if not total:
    print("nan 0")
    sys.exit()
# histogram_quantile: linear inside the bucket holding the rank.
rank, lo, below = 0.99 * total, 0.0, 0.0
for le in sorted(cum):
    if cum[le] >= rank:
        q = lo if le == float("inf") else lo + (le - lo) * (rank - below) / max(cum[le] - below, 1e-9)
        break
    lo, below = le, cum[le]
print(f"{q * 1000:.2f} {int(total)}")
PY
}

RES=()
for p in $(seq "$MAXP"); do
    run "$p"
    RES+=("$(cat "$WORK/run$p/result") $(claim_p99 "$p")")
done
/usr/bin/python3 - "$N" "$(nproc)" "${RES[@]}" <<'PY'
import sys
n, cores = int(sys.argv[1]), sys.argv[2]
rows = [r.split() for r in sys.argv[3:]]
print(f"\nbatch of {n} corpus PDFs from loopback; 1 api + P worker processes (MTAG_WORKERS=1 each)"
      f" on PostgreSQL + S3; {cores} cores")
print(f"{'processes':>9} {'seconds':>8} {'docs/s':>8} {'ratio':>6} {'claim p99 ms':>13}  notes")
base = None
for p, r in enumerate(rows, 1):
    secs = float(r[0])
    rate = n / secs
    base = base or rate
    p99, samples = r[-2], r[-1]
    print(f"{p:>9} {secs:8.1f} {rate:8.1f} {rate / base:6.2f} {float(p99):13.2f}  "
          f"{' '.join(r[1:-2])}; p99 from {samples} claim calls")
PY
