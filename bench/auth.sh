#!/usr/bin/env bash
# The cost of authentication, in one run against one mtag (SQLite):
#   1. GET /api/auth/me with a valid token (JWT check + the session query)
#      against GET /health: target me >= 0.5 x health requests/s.
#   2. POST /api/auth/login (argon2id) with 2 and with 64 connections, and
#      during the 64-connection storm a light /health probe (1 thread, 4
#      connections): target health p99 < 50 ms while logins saturate the CPU.
# usage: bench/auth.sh [DURATION_S]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh build bench
make -s build/mtag

DUR=${1:-10}
# shellcheck source=bench/lib.sh
. bench/lib.sh
start_mtag MTAG_RATE_LOGIN=100000 MTAG_RATE_LOGIN_ACCOUNT=100000 MTAG_RATE_REGISTER=1000
BASE="http://127.0.0.1:$MPORT"
TOKEN=$(curl -fs "$BASE/api/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.org","password":"bench password 1"}' |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

cat >"$WORK/login.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.org","password":"bench password 1"}'
wrk.headers["Content-Type"] = "application/json"
LUA

wrk -t2 -c64 -d2s "$BASE/health" >/dev/null
wrk -t2 -c64 -d"${DUR}s" --latency "$BASE/health" >"$WORK/health.txt"
wrk -t2 -c64 -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" "$BASE/api/auth/me" >"$WORK/me.txt"
wrk -t2 -c2 -d"${DUR}s" --latency -s "$WORK/login.lua" "$BASE/api/auth/login" >"$WORK/login2.txt"
wrk -t1 -c4 -d"$((DUR - 2))s" --latency "$BASE/health" >"$WORK/probe.txt" &
PROBE=$!
sleep 1
wrk -t2 -c64 -d"${DUR}s" --latency -s "$WORK/login.lua" "$BASE/api/auth/login" >"$WORK/login64.txt"
wait "$PROBE"

for f in health me login2 login64 probe; do
    if grep -qE 'Non-2xx|Socket errors' "$WORK/$f.txt"; then
        echo "$f: $(grep -E 'Non-2xx|Socket errors' "$WORK/$f.txt" | tr -s ' ')"
    fi
done
printf '\nauth costs, %s, wrk %ss runs\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$DUR"
printf '%-34s %10s %9s %9s\n' run req/s p50_ms p99_ms
row() { printf '%-34s %10s %9s %9s\n' "$1" "$(field_rps "$WORK/$2.txt")" "$(p_ms "$WORK/$2.txt" 50%)" "$(p_ms "$WORK/$2.txt" 99%)"; }
row "GET /health (-c64)" health
row "GET /api/auth/me (-c64)" me
row "POST /api/auth/login (-c2)" login2
row "POST /api/auth/login (-c64)" login64
row "GET /health probe during login -c64" probe
awk -v h="$(field_rps "$WORK/health.txt")" -v m="$(field_rps "$WORK/me.txt")" -v p="$(p_ms "$WORK/probe.txt" 99%)" 'BEGIN {
    printf "ratio req/s me/health: %.2f (target >= 0.50) %s\n", m / h, (m / h >= 0.5 ? "ok" : "MISSED")
    printf "/health p99 during the login storm: %.1f ms (target < 50 ms) %s\n", p, (p < 50 ? "ok" : "MISSED")
}'
