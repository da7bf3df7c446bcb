#!/usr/bin/env bash
# `make run`: serve on the embedded default (SQLite and a local directory under
# ./mtag-data) after `make` has installed the packages and built build/mtag.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build run
exec build/mtag serve "$@"
