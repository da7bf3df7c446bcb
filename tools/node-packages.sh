#!/usr/bin/env bash
# Install the test tools' npm packages (package.json / package-lock.json at the top:
# s3rver and aws4 for the S3 server, playwright-core for the browser tests) with
# `npm ci` when one is missing or the lock file is newer than the install.
# Prints nothing when they are in place; npm's log goes to $TMPDIR on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

stamp=node_modules/.package-lock.json
stale=0
[ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] || stale=1
for pkg in $(/usr/bin/python3 -c 'import json; print(" ".join(json.load(open("package.json"))["devDependencies"]))'); do
    [ -f "node_modules/$pkg/package.json" ] || stale=1
done
[ "$stale" = 1 ] || exit 0

log=$(mktemp "${TMPDIR:-/tmp}/mtag-npm.XXXXXX")
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "node-packages: npm ci failed (log in $log)" >&2
    exit 1
fi
rm -f "$log"
