#!/usr/bin/env bash
# The web UI's dashboard in headless Chromium (bench/web.mjs), served by mtag
# and, side by side, by nginx serving the same files as static files (gzip on,
# ETag, the assets cached for a year as mtag does) with /api/ and /health
# proxied to the same mtag: what the browser downloads cold and warm, and how
# long until the dashboard is drawn. The difference is the server's share.
#   bench/web.sh [RUNS]     (default 15 visits of each, alternating)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-15}
tools/install-deps.sh build run test bench
tools/node-packages.sh
make -s build/mtag
. bench/lib.sh

start_mtag MTAG_RATE_LOGIN=100000 MTAG_RATE_LOGIN_ACCOUNT=100000 MTAG_FETCH_ALLOW_PRIVATE=1
M=http://127.0.0.1:$MPORT
EMAIL=bench@example.org PASSWORD='bench password 1'
curl -fs -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"full_name\":\"Bench User\"}" "$M/api/auth/register"
TOKEN=$(curl -fs -H 'Content-Type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" \
    "$M/api/auth/login" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# A dashboard with something on it: a few documents of the corpus.
serve_corpus_csv ../shared/corpus/pdf 8
for f in tracemonkey.pdf TAMReview.pdf pdkids.pdf 160F-2019.pdf; do
    curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"url\":\"http://127.0.0.1:$HPORT/$f\"}" "$M/api/process/process-single"
done

# nginx's copy: the page mtag answers, and web/ under the same /assets/<version>/ path.
STATIC=$WORK/static
mkdir -p "$STATIC"
curl -fs "$M/dashboard" -o "$STATIC/index.html"
VERSION=$(grep -o '/assets/[0-9a-f]*/' "$STATIC/index.html" | head -1)
mkdir -p "$STATIC$VERSION"
cp -r web/. "$STATIC$VERSION"
chmod -R a+rX "$WORK"
NPORT=$(tools/free-port.sh)
start_nginx "$NPORT" "    include /etc/nginx/mime.types;
    gzip on; gzip_comp_level 9; gzip_vary on;
    gzip_types text/css application/javascript text/javascript image/svg+xml;
    server {
        listen 127.0.0.1:$NPORT;
        root $STATIC;
        location /assets/ { add_header Cache-Control \"public, max-age=31536000, immutable\"; }
        location /api/ { proxy_pass http://127.0.0.1:$MPORT; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
        location = /health { proxy_pass http://127.0.0.1:$MPORT; }
        location / { add_header Cache-Control no-cache; try_files \$uri /index.html; }
    }"
cmp -s "$STATIC/index.html" <(curl -fs "http://127.0.0.1:$NPORT/dashboard") || { echo "nginx serves another page" >&2; exit 1; }

echo "== the dashboard in headless Chromium: mtag against nginx (same files, API proxied to mtag)"
node bench/web.mjs "$M" "http://127.0.0.1:$NPORT" "$EMAIL" "$PASSWORD" "$RUNS"
