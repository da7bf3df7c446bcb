#!/usr/bin/env bash
# Processing through the API (issue 5), one mtag (release build, SQLite + local storage):
#   1. upload of a 50 MB PDF (one page, a 50 MB image, little text): throughput and
#      mtag's RSS growth while it streams (target: < 16 MB, proving streaming);
#   2. process-single of a corpus PDF served from loopback, 20 times: latency p50
#      against the extraction of the same file alone (bench_extract, helper process).
# usage: bench/process.sh [CORPUS_PDF]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build bench
make -s build/mtag build/bench_extract
PDF=${1:-../shared/corpus/pdf/tracemonkey.pdf}
# shellcheck source=bench/lib.sh
. bench/lib.sh
start_mtag MTAG_FETCH_ALLOW_PRIVATE=1 MTAG_RATE_REGISTER=1000
BASE="http://127.0.0.1:$MPORT"

/usr/bin/python3 - "$WORK/big.pdf" <<'PY'
import os, sys
img = os.urandom(50 * 1024 * 1024 // 3 * 3)
w = int((len(img) // 3) ** 0.5); h = len(img) // 3 // w; img = img[: w * h * 3]
content = b"BT /F1 12 Tf 72 720 Td (A large scanned page) Tj ET q 500 0 0 500 50 100 cm /Im1 Do Q"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> /Font << /F1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (w, h, len(img)) + img + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = bytearray(b"%PDF-1.4\n"); offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out)); out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
out += b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "wb").write(out)
PY

IDLE=$(rss_kb "$MTAG_PID")
( while kill -0 "$MTAG_PID" 2>/dev/null; do rss_kb "$MTAG_PID"; sleep 0.05; done ) >"$WORK/rss.txt" &
SAMPLER=$!
T0=$(date +%s.%N)
CODE=$(curl -s -o "$WORK/up.json" -w '%{http_code}' -F "files=@$WORK/big.pdf;type=application/pdf" "$BASE/api/process/upload")
T1=$(date +%s.%N)
sleep 0.3
kill "$SAMPLER" 2>/dev/null || true
PEAK=$(sort -n "$WORK/rss.txt" | tail -1)
SIZE=$(stat -c %s "$WORK/big.pdf")

cp "$PDF" "$WORK/doc.pdf"
( cd "$WORK" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 0 >"$WORK/http.log" 2>&1 ) &
PIDS+=($!)
for _ in $(seq 50); do HPORT=$(grep -o 'port [0-9]*' "$WORK/http.log" | grep -o '[0-9]*' || true); [ -n "$HPORT" ] && break; sleep 0.1; done
for i in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
        -d "{\"url\":\"http://127.0.0.1:$HPORT/doc.pdf?n=$i\"}" "$BASE/api/process/process-single"
done >"$WORK/lat.txt"
EXTRACT=$(for i in 1 2 3 4 5; do build/bench_extract sandbox 1 build/mtag "$WORK/doc.pdf"; done |
    /usr/bin/python3 -c 'import json,sys; w=sorted(json.loads(l)["wall_s"] for l in sys.stdin); print(w[len(w)//2])')

/usr/bin/python3 - "$CODE" "$SIZE" "$T0" "$T1" "$IDLE" "$PEAK" "$WORK/lat.txt" "$EXTRACT" "$PDF" <<'PY'
import statistics, sys
code, size, t0, t1, idle, peak, lat, extract, pdf = sys.argv[1:]
secs = float(t1) - float(t0); growth = (int(peak) - int(idle)) / 1024
print(f"upload of {int(size) / 1e6:.1f} MB PDF: HTTP {code}, {secs:.2f} s including processing, "
      f"{int(size) / 1e6 / secs:.0f} MB/s")
print(f"mtag RSS idle {int(idle) / 1024:.1f} MB, peak {int(peak) / 1024:.1f} MB, growth {growth:.1f} MB "
      f"(target < 16 MB) {'ok' if growth < 16 else 'MISSED'}")
l = sorted(float(x) * 1000 for x in open(lat))
e = float(extract) * 1000
print(f"process-single of {pdf.rsplit('/', 1)[-1]}: p50 {statistics.median(l):.1f} ms, p90 {l[int(len(l) * 0.9) - 1]:.1f} ms; "
      f"extraction alone (helper) {e:.1f} ms; service overhead at p50 {statistics.median(l) - e:.1f} ms")
PY
