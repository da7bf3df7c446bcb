#!/usr/bin/python3
"""Extraction speed on the public corpus, every tool in one run (issue 4):
mtag's extractor in helper processes (on both cores, and on one), the same
MuPDF code in-process (the cost of isolation), pdftotext (poppler) per file,
and PyPDF2 (what the seed used) in one process. CPU time counts children.
usage: bench/extract.py BENCH_EXTRACT_BIN MTAG_BIN CORPUS_DIR"""
import glob
import json
import os
import resource
import subprocess
import sys
import time

tool, mtag, corpus = sys.argv[1:4]
files = sorted(glob.glob(os.path.join(corpus, "*.pdf")))  # tricky/ is left out on purpose


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_tool(args):
    out = subprocess.run([tool, *args, *files], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def pdftotext():
    c0, t0, failed = children_cpu(), time.monotonic(), []
    for f in files:
        r = subprocess.run(["pdftotext", "-q", f, "-"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            failed.append(os.path.basename(f))
    return {"wall_s": time.monotonic() - t0, "cpu_s": children_cpu() - c0, "failed": failed}


PYPDF2 = r'''
import sys, time, resource, json, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.CRITICAL)
from PyPDF2 import PdfReader
t0 = time.monotonic(); failed = []
for f in sys.argv[1:]:
    try:
        for p in PdfReader(f).pages:
            p.extract_text()
    except Exception as e:
        failed.append(f.rsplit("/", 1)[-1])
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": time.monotonic() - t0, "cpu_s": r.ru_utime + r.ru_stime, "failed": failed}))
'''


def pypdf2():
    out = subprocess.run(["/usr/bin/python3", "-c", PYPDF2, *files], capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


results = {
    "mtag sandbox, 2 helpers": run_tool(["sandbox", "2", mtag]),
    "mtag sandbox, 1 helper": run_tool(["sandbox", "1", mtag]),
    "mtag in-process": run_tool(["inproc"]),
    "pdftotext per file": pdftotext(),
    "PyPDF2 one process": pypdf2(),
}
pages = results["mtag in-process"]["pages"]
print(f"\nextraction of {len(files)} PDFs ({pages} pages by MuPDF's count), "
      f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}")
print(f"{'tool':26} {'wall s':>8} {'CPU s':>8} {'pages/s wall':>13} {'pages/s CPU':>12}  failed")
for name, r in results.items():
    failed = r.get("failures") or r.get("failed") or []
    names = ", ".join(sorted(os.path.basename(x["file"]) if isinstance(x, dict) else x for x in failed))
    print(f"{name:26} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {pages / r['wall_s']:13.0f} "
          f"{pages / r['cpu_s']:12.0f}  {len(failed)} {names}")
sb2, sb1, inproc = results["mtag sandbox, 2 helpers"], results["mtag sandbox, 1 helper"], results["mtag in-process"]
pt, py = results["pdftotext per file"], results["PyPDF2 one process"]
checks = [
    ("CPU/page: pdftotext / mtag (sandbox)", pt["cpu_s"] / sb1["cpu_s"], 2.0),
    ("CPU/page: PyPDF2 / mtag (sandbox)", py["cpu_s"] / sb1["cpu_s"], 8.0),
    ("CPU/page: in-process / sandbox (isolation cost)", inproc["cpu_s"] / sb1["cpu_s"], 0.85),
    ("wall: PyPDF2 / mtag sandbox on 2 cores", py["wall_s"] / sb2["wall_s"], 15.0),
]
for label, ratio, target in checks:
    print(f"{label:48} {ratio:6.2f} (target >= {target}) {'ok' if ratio >= target else 'MISSED'}")
mtag_failed = {os.path.basename(x["file"]) for x in sb2["failures"]}
read_by_pdftotext = mtag_failed - set(pt["failed"])
print("documents pdftotext reads but mtag fails:", ", ".join(sorted(read_by_pdftotext)) or "none")
