#!/usr/bin/env bash
# A batch of 1,000 documents (the corpus PDFs repeated under different URLs,
# served from loopback), end to end through the service (submit -> last
# document done) with MTAG_WORKERS=1 and =2, against the pipeline alone on
# the same URLs (`mtag batch`: download, extraction in helpers, language, tags;
# no server, no database) with the same number of workers. Target: the
# service reaches >= 80% of the pipeline's own rate with 2 workers.
# usage: bench/batch.sh [N_DOCUMENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build bench
make -s build/mtag
N=${1:-1000}
CORPUS=${MTAG_CORPUS:-../shared/corpus/pdf}
# shellcheck source=bench/lib.sh
. bench/lib.sh
serve_corpus_csv "$CORPUS" "$N"

service() { # $1 = workers; prints seconds and peak RSS in kB
    rm -rf "$WORK/data"
    start_mtag MTAG_FETCH_ALLOW_PRIVATE=1 MTAG_WORKERS="$1" MTAG_MAX_PENDING_DOCUMENTS=100000
    ( while kill -0 "$MTAG_PID" 2>/dev/null; do rss_kb "$MTAG_PID"; sleep 0.2; done ) >"$WORK/rss.txt" &
    local sampler=$! t0 job status
    t0=$(date +%s.%N)
    job=$(curl -fs "http://127.0.0.1:$MPORT/api/process/process-batch" -H 'Content-Type: application/json' \
        -d "{\"spreadsheet_url\":\"http://127.0.0.1:$HPORT/batch.csv\",\"url_column\":\"url\"}" |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
    while :; do
        status=$(curl -fs "http://127.0.0.1:$MPORT/api/process/batch-status/$job?limit=1" |
            /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["completed"], d["failed"])')
        case $status in completed*|partial*|failed*) break ;; esac
        sleep 0.2
    done
    echo "$(echo "$(date +%s.%N) - $t0" | bc) $(sort -n "$WORK/rss.txt" | tail -1) $status"
    kill "$sampler" "$MTAG_PID" 2>/dev/null || true
    wait "$MTAG_PID" 2>/dev/null || true
}
alone() { # $1 = workers; prints seconds
    local t0; t0=$(date +%s.%N)
    MTAG_FETCH_ALLOW_PRIVATE=1 build/mtag batch "$WORK/www/batch.csv" --column url --workers "$1" \
        --out "$WORK/alone.jsonl" 2>/dev/null || true
    echo "$(date +%s.%N) - $t0" | bc
}
S1=$(service 1); S2=$(service 2); A1=$(alone 1); A2=$(alone 2)
/usr/bin/python3 - "$N" "$S1" "$S2" "$A1" "$A2" <<'PY'
import sys
n = int(sys.argv[1])
s1, s2 = sys.argv[2].split(), sys.argv[3].split()
a1, a2 = float(sys.argv[4]), float(sys.argv[5])
print(f"\nbatch of {n} corpus PDFs from loopback")
print(f"{'run':34} {'seconds':>8} {'docs/s':>8}  notes")
print(f"{'service, MTAG_WORKERS=1':34} {float(s1[0]):8.1f} {n / float(s1[0]):8.1f}  peak RSS {int(s1[1]) / 1024:.1f} MB; {' '.join(s1[2:])}")
print(f"{'service, MTAG_WORKERS=2':34} {float(s2[0]):8.1f} {n / float(s2[0]):8.1f}  peak RSS {int(s2[1]) / 1024:.1f} MB; {' '.join(s2[2:])}")
print(f"{'pipeline alone (mtag batch), 1 worker':34} {a1:8.1f} {n / a1:8.1f}")
print(f"{'pipeline alone (mtag batch), 2 workers':34} {a2:8.1f} {n / a2:8.1f}")
r = a2 / float(s2[0])
print(f"service / pipeline with 2 workers: {r:.2f} (target >= 0.80) {'ok' if r >= 0.8 else 'MISSED'}")
PY
