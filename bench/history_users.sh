#!/usr/bin/env bash
# How search, lists and statistics grow with one user's library (issue 7):
# the measured user has ~100, ~1,000, ~10,000 and ~100,000 documents, on
# SQLite and on PostgreSQL (a throwaway cluster, fsync off). bench/history.sh
# compares 10,000 documents over 100 users with 1,000,000 over 100 users, that
# is a user of ~100 documents with one of ~10,000, two sizes on either side of
# the search's window of 1,000; this adds the steps between and one past, so
# that what grows with the library and what stays flat can be told apart.
#
# Each size is its own database, seeded in bulk by build/seed_history with
# SEED_USERS users (bench/seed_history.c: ~2 KB texts of Zipf-distributed
# words, 3-8 tags, 30 days): 10,000 / 100 users, 20,000 / 20, 200,000 / 20,
# 200,000 / 2. Then RUNS timed runs of each query for the user whose document
# count is closest to the mean (seed_history measure). Printed: p50 / p99 ms
# per size, and each step's p99 ratio (a tenfold library).
# usage: bench/history_users.sh        env: USERS_RUNS (100)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build test bench
make -s build/seed_history
# shellcheck source=bench/lib.sh
. bench/lib.sh
RUNS=${USERS_RUNS:-100}
OUT="$WORK/results.jsonl"
: >"$OUT"
start_pg

# measure_size DRIVER DOCS USERS: seed, then measure; JSON lines tagged into OUT.
measure_size() {
    local drv=$1 n=$2 users=$3 url name="u${2}x${3}"
    echo "== $drv, $n documents over $users users, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    if [ "$drv" = sqlite ]; then
        url="sqlite://$WORK/$name.db"
    else
        psql -qX "$PG_BASE/mtag_test" -c "CREATE DATABASE $name"
        url="$PG_BASE/$name"
    fi
    SEED_USERS=$users build/seed_history seed "$url" "$n" bulk 2 >"$WORK/seed.json"
    [ "$drv" = postgresql ] && psql -qX "$url" -c "VACUUM ANALYZE"
    build/seed_history measure "$url" "$RUNS" | sed "s/^{/{\"db\":\"$drv\",\"set\":\"$name\",/" >>"$OUT"
    if [ "$drv" = sqlite ]; then
        rm -f "$WORK/$name.db" "$WORK/$name.db-wal" "$WORK/$name.db-shm"
    else
        psql -qX "$PG_BASE/mtag_test" -c "DROP DATABASE $name WITH (FORCE)"
    fi
}

for drv in sqlite postgresql; do
    measure_size "$drv" 10000 100
    measure_size "$drv" 20000 20
    measure_size "$drv" 200000 20
    measure_size "$drv" 200000 2
done

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
info = {(r["db"], r["set"]): r for r in rows if "user_docs" in r}
meas = {(r["db"], r["set"], r["query"]): r for r in rows if "query" in r}
queries = ["search_rare", "search_common", "search_prefix", "search_common_tag", "list_tag",
           "jobs_list", "stats", "tag_counts", "stats_endpoint"]
for d in ("sqlite", "postgresql"):
    sets = sorted((s for (db, s) in info if db == d), key=lambda s: info[(d, s)]["user_docs"])
    if not sets:
        continue
    print(f"\n### {d}: p50 / p99 ms (hits) by the measured user's documents; p99 ratio of each tenfold step\n")
    print("| query | " + " | ".join(f"{info[(d, s)]['user_docs']:,}" for s in sets) + " | ratios |")
    print("|---|" + "---|" * len(sets) + "---|")
    for q in queries:
        cells, ratios = [], []
        for i, s in enumerate(sets):
            m = meas.get((d, s, q))
            cells.append(f"{m['p50_ms']:.2f} / {m['p99_ms']:.2f} ({m['hits']:,})" if m else "-")
            prev = meas.get((d, sets[i - 1], q)) if i else None
            if m and prev and prev["p99_ms"] > 0:
                ratios.append(f"{m['p99_ms'] / prev['p99_ms']:.1f}")
        print(f"| {q} | " + " | ".join(cells) + " | " + " / ".join(ratios) + " |")
PY
