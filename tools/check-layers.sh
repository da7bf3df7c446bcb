#!/usr/bin/env bash
# Layer check (DESIGN.md section 4): a module under src/ includes only its own headers and
# those of the modules listed for it. Includes are written relative to src/ ("base/log.h");
# a bare name ("store_int.h") is the same directory and always allowed. src/main.c may
# include anything. The drivers' headers (store/store_*.h, blob/blob_*.h) are private.
# Usage: tools/check-layers.sh [SRCDIR]   (default: src of this repository)
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-src}

declare -A allowed=(
    [base]=""
    [http]="base"
    [auth]="base store"
    [store]="base"
    [blob]="base"
    [pipeline]="base"
    [core]="base auth store blob pipeline"
    [api]="base http core"
    [cli]="base core http api pipeline"
)
private="store blob"   # modules whose <m>/<m>_*.h headers only they may include

errors=0
fail() { echo "$1"; errors=$((errors + 1)); }

files=0
if [ -d "$src" ]; then
    files=$(find "$src" -type f | wc -l)
    for d in "$src"/*/; do
        [ -d "$d" ] || continue
        m=$(basename "$d")
        [ -n "${allowed[$m]+set}" ] || fail "$src/$m/: unknown module '$m' (add it to tools/check-layers.sh)"
    done
fi

# grep prints FILE:LINE:TEXT for every quoted include.
while IFS=: read -r file line text; do
    inc=${text#*\"}
    inc=${inc%%\"*}
    rel=${file#"$src"/}
    mod=""
    [[ $rel != */* ]] || mod=${rel%%/*}       # "" for top-level files (main.c)
    [[ $inc == */* ]] || continue             # bare name: same directory
    target=${inc%%/*}
    if [[ $inc == ../* || $inc == */../* ]]; then
        fail "$file:$line: include '$inc' must be written relative to src/"
    elif [ -n "$mod" ] && [ "$target" != "$mod" ] && [[ " ${allowed[$mod]-} " != *" $target "* ]]; then
        fail "$file:$line: module '$mod' may not include '$target/...'"
    elif [ "$target" != "$mod" ] && [[ " $private " == *" $target "* ]] &&
         [[ ${inc#*/} == "${target}"_*.h ]]; then
        fail "$file:$line: '$inc' is private to module '$target'"
    fi
done < <([ ! -d "$src" ] || grep -rnIE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src" || true)

if [ "$errors" -gt 0 ]; then
    echo "layers: $errors violation(s)" >&2
    exit 1
fi
echo "layers ok ($files files)"
