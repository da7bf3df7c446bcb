#!/usr/bin/env bash
# History, search and statistics at 10,000 and 1,000,000 documents (issue 7),
# on SQLite and on PostgreSQL (a throwaway cluster, fsync off), in one run.
#
# Each database is seeded by build/seed_history (bench/seed_history.c: 100
# users, ~2 KB texts of Zipf-distributed dictionary words, 3-8 tags, 30 days):
#   10k: through the store API (store_job_submit + store_document_finish, the
#        production path, one transaction per call), 2 threads;
#   1M:  bulk, the production INSERT statements 200 jobs per transaction on
#        the driver's connection, 2 threads; the FTS5 / tsvector triggers run
#        as for any insert. Then 2,000 more documents through the API, to say
#        what the production path costs at that size.
# PostgreSQL gets VACUUM ANALYZE after seeding (what autovacuum does by itself).
# Then, for the user with the mean number of documents, RUNS timed runs of each
# query (seed_history measure): search for a rare word, a common word, a prefix,
# a common word with a tag filter; the list with a tag filter; the jobs list;
# stats; tag counts; the stats endpoint; and the seed's ILIKE on title and tags.
# Targets: p99 at 1M <= 4 x p99 at 10k for every query; search p50 at 1M < 20 ms.
#
# The run keeps to HISTORY_BUDGET_S (2400 s): the 1M seeding stops at its
# deadline and is measured at the size reached; PostgreSQL 1M is skipped when
# there is no time left. Each phase's figures are printed as they come.
# usage: bench/history.sh [BIG_DOCS]
#   env: HISTORY_SMALL (10000), HISTORY_RUNS (200), HISTORY_BUDGET_S (2400)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build test bench
make -s build/seed_history
# shellcheck source=bench/lib.sh
. bench/lib.sh
SMALL=${HISTORY_SMALL:-10000}
BIG=${1:-1000000}
RUNS=${HISTORY_RUNS:-200}
BUDGET=${HISTORY_BUDGET_S:-2400}
T0=$(date +%s)
OUT="$WORK/results.jsonl"
: >"$OUT"
start_pg

elapsed() { echo $(($(date +%s) - T0)); }
# record DRIVER SIZE PHASE: tag each JSON line of stdin, append it to OUT and show it.
record() {
    sed "s/^{/{\"db\":\"$1\",\"size\":$2,\"phase\":\"$3\",/" | tee -a "$OUT"
}

# phase DRIVER DOCS MODE SEED_DEADLINE(epoch s, 0 = none)
phase() {
    local drv=$1 n=$2 mode=$3 dl=$4 url t
    echo "== $drv, $n documents ($mode), at $(elapsed) s, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    if [ "$drv" = sqlite ]; then
        url="sqlite://$WORK/h$n.db"
    else
        psql -qX "$PG_BASE/mtag_test" -c "CREATE DATABASE h$n"
        url="$PG_BASE/h$n"
    fi
    SEED_DEADLINE=$([ "$dl" -gt 0 ] && echo "$dl" || echo "") \
        build/seed_history seed "$url" "$n" "$mode" 2 | record "$drv" "$n" seed
    if [ "$drv" = postgresql ]; then
        t=$(date +%s.%N)
        psql -qX "$url" -c "VACUUM ANALYZE"
        printf '{"vacuum_analyze_s":%.1f}\n' "$(echo "$(date +%s.%N) - $t" | bc)" | record "$drv" "$n" vacuum
    fi
    build/seed_history measure "$url" "$RUNS" | record "$drv" "$n" measure
    if [ "$n" = "$BIG" ]; then
        # The production path at this size: 2,000 more documents through the API.
        build/seed_history seed "$url" 2000 api 2 | record "$drv" "$n" api_at_size
        if [ "$drv" = sqlite ]; then
            rm -f "$WORK/h$n.db" "$WORK/h$n.db-wal" "$WORK/h$n.db-shm" # free the disk and the page cache
        else
            psql -qX "$PG_BASE/mtag_test" -c "DROP DATABASE h$n WITH (FORCE)"
        fi
    fi
}

phase sqlite "$SMALL" api 0
phase postgresql "$SMALL" api 0
# 1M SQLite: seeding must end by 45% of the budget; PostgreSQL's by budget - 300 s
# (VACUUM ANALYZE, the measurement).
phase sqlite "$BIG" bulk $((T0 + BUDGET * 45 / 100))
if [ "$(elapsed)" -lt $((BUDGET - 420)) ]; then
    phase postgresql "$BIG" bulk $((T0 + BUDGET - 300))
else
    echo "== postgresql, $BIG documents: skipped, $(elapsed) s of $BUDGET s used" >&2
fi
echo "== done in $(elapsed) s" >&2

/usr/bin/python3 - "$OUT" "$SMALL" "$BIG" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
small, big = int(sys.argv[2]), int(sys.argv[3])
dbs = ["sqlite", "postgresql"]
seed = {(r["db"], r["size"], r["phase"]): r for r in rows if r["phase"] in ("seed", "api_at_size", "vacuum")}
meas = {(r["db"], r["size"], r["query"]): r for r in rows if r["phase"] == "measure" and "query" in r}
info = {(r["db"], r["size"]): r for r in rows if r["phase"] == "measure" and "user" in r}

print("\n### Seeding\n")
print("| database | documents | how | seconds | docs/s | DB size | user measured (docs) |")
print("|---|---|---|---|---|---|---|")
for d in dbs:
    for n in (small, big):
        s = seed.get((d, n, "seed"))
        if not s:
            continue
        i = info.get((d, n), {})
        how = "store API (submit + finish)" if s["mode"] == "api" else "bulk INSERTs, triggers on"
        early = f" (stopped early: planned {s['planned']:,})" if s.get("stopped_early") else ""
        print(f"| {d} | {s['docs']:,}{early} | {how}, {s['threads']} threads | {s['seconds']:.1f} | {s['docs_per_s']:,.0f} | {i.get('db_mb', 0):,.0f} MB | {i.get('user_docs', 0):,} |")
        a = seed.get((d, n, "api_at_size"))
        if a:
            print(f"| {d} | +{a['docs']:,} at {s['docs']:,} | store API (submit + finish), 2 threads | {a['seconds']:.1f} | {a['docs_per_s']:,.0f} | | |")
        v = seed.get((d, n, "vacuum"))
        if v:
            print(f"| {d} | {s['docs']:,} | VACUUM ANALYZE | {v['vacuum_analyze_s']:.1f} | | | |")
w = next((r for r in rows if r["phase"] == "seed"), {})
print(f"\nwords: common `{w.get('common')}`, rare `{w.get('rare')}`, prefix `{w.get('prefix')}`, tag `{w.get('tag')}`")

queries = ["search_rare", "search_common", "search_prefix", "search_common_tag", "list_tag",
           "jobs_list", "stats", "tag_counts", "stats_endpoint",
           "ilike_rare", "ilike_common", "ilike_prefix", "ilike_tag"]
for d in dbs:
    if not any(k[0] == d for k in meas):
        continue
    sizes = sorted({k[1] for k in meas if k[0] == d})
    nb = max(sizes)
    realbig = info.get((d, nb), {}).get("docs", nb)
    print(f"\n### {d}: p50 / p99 ms (hits = total matches for the user)\n")
    head = " | ".join(f"{info.get((d, n), {}).get('docs', n):,} docs: p50 / p99 (hits)" for n in sizes)
    print(f"| query | {head} | p99 ratio | target |")
    print("|---|" + "---|" * len(sizes) + "---|---|")
    for q in queries:
        cells, r = [], None
        for n in sizes:
            m = meas.get((d, n, q))
            cells.append(f"{m['p50_ms']:.2f} / {m['p99_ms']:.2f} ({m['hits']:,})" + (f" [{m['runs']} runs]" if m["runs"] < 200 else "") if m else "-")
        a, b = meas.get((d, small, q)), meas.get((d, nb, q))
        verdict = ""
        if a and b and nb != small:
            r = b["p99_ms"] / a["p99_ms"] if a["p99_ms"] > 0 else float("inf")
            ok = r <= 4
            if q.startswith("search"):
                ok = ok and b["p50_ms"] < 20
                verdict = ("ok" if ok else "MISSED") + f" (p50 {b['p50_ms']:.1f} ms)"
            elif q.startswith("ilike"):
                verdict = "(seed, for comparison)"
            else:
                verdict = "ok" if ok else "MISSED"
        print(f"| {q} | " + " | ".join(cells) + f" | {r:.1f} | {verdict} |" if r is not None else f"| {q} | " + " | ".join(cells) + " | - | |")
    print(f"\nsearch vs the seed's ILIKE (p50 ratio, search / ILIKE):")
    for n in sizes:
        parts = []
        for q in ("rare", "common", "prefix"):
            s, i = meas.get((d, n, "search_" + q)), meas.get((d, n, "ilike_" + q))
            if s and i:
                parts.append(f"{q} {s['p50_ms'] / i['p50_ms']:.1f}x")
        print(f"- {info.get((d, n), {}).get('docs', n):,} docs: " + ", ".join(parts))
PY
