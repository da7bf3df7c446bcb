#!/usr/bin/env bash
# All benchmarks; each prints its figures next to a reference run on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bench/http_health.sh "$@"
bench/auth.sh "$@"
bench/extract.sh
bench/process.sh
bench/batch.sh
bench/history.sh
bench/search_pdf.sh
bench/export.sh
bench/scale.sh
bench/web.sh
