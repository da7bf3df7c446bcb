#!/usr/bin/env bash
# Search over real documents (issue 7): the corpus PDFs (../shared/corpus/pdf,
# long texts: a book of 650,000 characters, papers, reports) uploaded by one
# user through the API, then GET /api/history/documents/search for a few words,
# a page of 20, against GET /api/history/documents (the same page, no search)
# in the same run: the ratio is what searching adds to listing. Once on SQLite
# and once on PostgreSQL (a throwaway cluster). The synthetic texts of
# bench/history.sh are 2 KB; here a hit's snippet comes from a long text.
# usage: bench/search_pdf.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build test bench
make -s build/mtag
RUNS=${1:-30}
CORPUS=../shared/corpus/pdf
# shellcheck source=bench/lib.sh
. bench/lib.sh
start_pg

for db in sqlite postgresql; do
    rm -rf "$WORK/data"
    if [ "$db" = sqlite ]; then
        start_mtag MTAG_RATE_REGISTER=1000
    else
        start_mtag MTAG_RATE_REGISTER=1000 MTAG_DATABASE_URL="$PG_URL"
    fi
    /usr/bin/python3 - "http://127.0.0.1:$MPORT" "$CORPUS" "$RUNS" "$db" <<'PY'
import os, statistics, sys, time
import requests
base, corpus, runs, db = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
auth = {"email": "bench@example.com", "password": "correct horse battery staple"}
requests.post(base + "/api/auth/register", json=auth, timeout=30)
tok = requests.post(base + "/api/auth/login", json=auth, timeout=30).json()["access_token"]
H = {"Authorization": "Bearer " + tok}
names = sorted(n for n in os.listdir(corpus) if n.endswith(".pdf"))
jobs = []
for i in range(0, len(names), 20):  # at most 20 files per upload
    files = [("files", (n, open(os.path.join(corpus, n), "rb").read(), "application/pdf"))
             for n in names[i:i + 20]]
    r = requests.post(base + "/api/process/upload", files=files, headers=H, timeout=600)
    assert r.status_code in (200, 202), r.text
    jobs.append(r.json()["job_id"])
deadline = time.time() + 600
for job in jobs:
    while time.time() < deadline:
        st = requests.get(f"{base}/api/process/batch-status/{job}", headers=H, timeout=30).json()
        if st["status"] in ("completed", "partial", "failed"):
            break
        time.sleep(0.5)
page = requests.get(base + "/api/history/documents", params={"limit": 100}, headers=H, timeout=30).json()
chars = 0
for d in page["documents"]:
    full = requests.get(f"{base}/api/history/documents/{d['id']}", headers=H, timeout=30).json()
    chars += len(full.get("extracted_text") or "")

def p50(path, params):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = requests.get(base + path, params=params, headers=H, timeout=30)
        t.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    return statistics.median(t), r.json()

print(f"\n### {db}: {page['total']} documents, {chars:,} characters of text, {runs} runs each\n")
print("| query | hits | search p50 ms | list p50 ms | search ÷ list |")
print("|---|---|---|---|---|")
for q in ["the", "law", "data", "free culture", "pdf"]:
    s, body = p50("/api/history/documents/search", {"query": q, "limit": 20})
    l, _ = p50("/api/history/documents", {"limit": 20})
    print(f"| {q} | {body['total']} | {s:.1f} | {l:.1f} | {s / l:.1f} |")
PY
    kill "$MTAG_PID"
    wait "$MTAG_PID" 2>/dev/null || true
done
