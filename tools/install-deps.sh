#!/usr/bin/env bash
# Install the missing Debian 12 packages for the given profiles.
# Usage: tools/install-deps.sh [build|run|test|bench|eval ...]   (default: build run)
# Prints nothing and does nothing when everything is installed (make runs it often).
set -euo pipefail

# Package lists: add new dependencies here.
BUILD_PKGS=(gcc make pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev
            libcurl4-openssl-dev libssl-dev nettle-dev libargon2-dev libcrypt-dev
            libmupdf-dev libmujs-dev libgumbo-dev libopenjp2-7-dev libjbig2dec0-dev libharfbuzz-dev
            libfreetype-dev libjpeg-dev zlib1g-dev libxml2-dev libzip-dev libexpat1-dev
            libexttextcat-dev libexttextcat-data libstemmer-dev libcsv-dev libunistring-dev)
RUN_PKGS=(ca-certificates)   # runtime libraries come with the -dev packages
TEST_PKGS=(postgresql python3-pytest python3-requests python3-yaml systemd chromium)
EVAL_PKGS=(python3-nltk)
BENCH_PKGS=(wrk nginx-light poppler-utils python3-pypdf2 bc)

usage() { echo "usage: $0 [build|run|test|bench|eval ...]" >&2; exit 2; }

profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(build run)

wanted=()
for p in "${profiles[@]}"; do
    case $p in
    build) wanted+=("${BUILD_PKGS[@]}") ;;
    run)   wanted+=("${RUN_PKGS[@]}") ;;
    test)  wanted+=("${TEST_PKGS[@]}")
           # The S3 test server and the browser tests are Node: Debian's when the machine has none.
           command -v node >/dev/null && command -v npm >/dev/null || wanted+=(nodejs npm) ;;
    bench) wanted+=("${BENCH_PKGS[@]}") ;;
    eval)  wanted+=("${EVAL_PKGS[@]}") ;;
    *)     usage ;;
    esac
done

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ] && [[ " ${missing[*]} " != *" $pkg "* ]]; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -gt 0 ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "missing packages: ${missing[*]}" >&2
    echo "run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "installing: ${missing[*]}" >&2
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
