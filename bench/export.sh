#!/usr/bin/env bash
# The export of issue 7 (GET /api/history/export) at 1,000, 10,000 and
# 100,000 documents of one user, on SQLite and on PostgreSQL (a throwaway cluster):
# the server's peak memory, the time to the first byte and to the last, the
# size, and whether the file parses back to as many documents.
#
# Each database is seeded by build/seed_history (bulk, SEED_USERS=1: one user
# owns every document; ~2 KB texts); mtag serve is started on it and the user
# logs in. Before each export the server's peak RSS is reset
# (/proc/PID/clear_refs); after it VmHWM is read. "Constant memory" means
# the peak over the idle RSS stops growing with the documents: the ratio
# column compares the biggest run with the 10,000 one side by side. Then
# 1,000 documents of 512 KB texts (SEED_TEXT_KB, through the store API),
# against the 1,000 of 2 KB: a text is read alone, so the peak must not
# follow the texts' size either.
# usage: bench/export.sh [BIG_DOCS]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build test bench
make -s build/mtag build/seed_history
# shellcheck source=bench/lib.sh
. bench/lib.sh
BIG=${1:-100000}
SIZES=(1000 10000 "$BIG")
OUT="$WORK/results.jsonl"
: >"$OUT"
start_pg
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# measure DRIVER DOCS [TEXT_KB]: seed, serve, export three ways, append JSON lines to OUT.
measure() {
    local drv=$1 n=$2 kb=${3:-0} url base token rss0 f q w hwm rows
    if [ "$drv" = sqlite ]; then
        url="sqlite://$WORK/e$n.db"
    else
        psql -qX "$PG_BASE/mtag_test" -c "CREATE DATABASE e$n"
        url="$PG_BASE/e$n"
    fi
    echo "== $drv, $n documents (texts: $([ "$kb" = 0 ] && echo 2 || echo "$kb") KB): seeding" >&2
    if [ "$kb" = 0 ]; then
        SEED_USERS=1 build/seed_history seed "$url" "$n" bulk 2 >"$WORK/seed.json"
    else
        SEED_USERS=1 SEED_TEXT_KB=$kb build/seed_history seed "$url" "$n" api 1 >"$WORK/seed.json"
    fi
    [ "$drv" = postgresql ] && psql -qX "$url" -c "VACUUM ANALYZE"
    start_mtag MTAG_DATABASE_URL="$url"
    base="http://127.0.0.1:$MPORT"
    token=$(curl -fs "$base/api/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"bench-user-000@example.com","password":"bench password 1"}' |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    # One small export first: the first request's allocations are not the export's.
    curl -fs -o /dev/null -H "Authorization: Bearer $token" "$base/api/history/stats"
    rss0=$(rss_kb "$MTAG_PID")
    for f in csv json json_text; do
        q="format=${f%_text}"
        [ "$f" = json_text ] && q="$q&include_text=1"
        echo 5 >"/proc/$MTAG_PID/clear_refs" # VmHWM := VmRSS
        w=$(curl -fs -o "$WORK/export.out" -H "Authorization: Bearer $token" \
            -w '%{time_starttransfer} %{time_total} %{size_download}' "$base/api/history/export?$q")
        hwm=$(hwm_kb "$MTAG_PID")
        rows=$(/usr/bin/python3 - "$WORK/export.out" "${f%_text}" <<'PY'
import csv, json, sys
path, fmt = sys.argv[1], sys.argv[2]
with open(path, newline="", encoding="utf-8") as fh:
    print(len(json.load(fh)) if fmt == "json" else sum(1 for _ in csv.DictReader(fh)))
PY
)
        read -r ttfb total size <<<"$w"
        printf '{"db":"%s","docs":%d,"text_kb":%d,"format":"%s","rss0_kb":%d,"hwm_kb":%d,"ttfb_s":%s,"total_s":%s,"bytes":%d,"rows":%d}\n' \
            "$drv" "$n" "$kb" "$f" "$rss0" "$hwm" "$ttfb" "$total" "$size" "$rows" | tee -a "$OUT"
        rm -f "$WORK/export.out"
    done
    kill "$MTAG_PID"
    wait "$MTAG_PID" 2>/dev/null || true
    if [ "$drv" = sqlite ]; then
        rm -f "$WORK/e$n.db" "$WORK/e$n.db-wal" "$WORK/e$n.db-shm"
    else
        psql -qX "$PG_BASE/mtag_test" -c "DROP DATABASE e$n WITH (FORCE)"
    fi
}

for drv in sqlite postgresql; do
    for n in "${SIZES[@]}"; do measure "$drv" "$n"; done
    measure "$drv" 1000 512
done

/usr/bin/python3 - "$OUT" "${SIZES[@]}" <<'PY'
import json, sys
rows = {(r["db"], r["docs"], r["format"]): r for r in map(json.loads, open(sys.argv[1])) if not r["text_kb"]}
long = {(r["db"], r["format"]): r for r in map(json.loads, open(sys.argv[1])) if r["text_kb"]}
sizes = [int(a) for a in sys.argv[2:]]
mid, big = sizes[-2], sizes[-1]
bad = [k for k, r in list(rows.items()) + list(long.items()) if r["rows"] != r["docs"]]
peaks = " / ".join(f"{n:,}" for n in sizes)
print(f"\n| database | format | peak over idle RSS, MB: {peaks} docs | ratio {big:,} ÷ {mid:,} | "
      f"first byte, s: {mid:,} / {big:,} | last byte, s: {mid:,} / {big:,} | size, MB at {big:,} |")
print("|---|---|---|---|---|---|---|")
for d in ("sqlite", "postgresql"):
    for f in ("csv", "json", "json_text"):
        r = [rows.get((d, n, f)) for n in sizes]
        if not all(r):
            continue
        g = [max(x["hwm_kb"] - x["rss0_kb"], 1) / 1024 for x in r]
        a, b = r[-2], r[-1]
        name = {"csv": "CSV", "json": "JSON", "json_text": "JSON with text"}[f]
        print(f"| {d} | {name} | {' / '.join(f'{x:.1f}' for x in g)} | {g[-1] / g[-2]:.2f} "
              f"| {a['ttfb_s']:.3f} / {b['ttfb_s']:.2f} | {a['total_s']:.3f} / {b['total_s']:.2f} "
              f"| {b['bytes'] / 1e6:.1f} |")
print(f"\n| database | format | peak over idle RSS, MB: 1,000 docs of 2 KB / of 512 KB | ratio "
      f"| last byte, s: 2 KB / 512 KB | size, MB |")
print("|---|---|---|---|---|---|")
for d in ("sqlite", "postgresql"):
    for f in ("csv", "json", "json_text"):
        a, b = rows.get((d, sizes[0], f)), long.get((d, f))
        if not a or not b:
            continue
        ga, gb = (max(x["hwm_kb"] - x["rss0_kb"], 1) / 1024 for x in (a, b))
        name = {"csv": "CSV", "json": "JSON", "json_text": "JSON with text"}[f]
        print(f"| {d} | {name} | {ga:.1f} / {gb:.1f} | {gb / ga:.2f} | {a['total_s']:.3f} / {b['total_s']:.2f} "
              f"| {b['bytes'] / 1e6:.1f} |")
if bad:
    print("rows parsed back differ from the documents seeded:", bad)
    sys.exit(1)
print("\nEvery export parsed back to exactly the documents seeded.")
PY
