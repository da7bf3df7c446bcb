#!/usr/bin/env bash
# Extraction speed on ../shared/corpus/pdf: mtag (helpers, in-process) vs pdftotext vs PyPDF2.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build bench
make -s build/mtag build/bench_extract
bench/extract.py build/bench_extract build/mtag "${MTAG_CORPUS:-../shared/corpus/pdf}"
