#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. install what the build and the tests need (tools/install-deps.sh)
#   2. the layer check
#   3. build mtag and the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer
#   4. start a throwaway PostgreSQL cluster and an S3 server on free loopback ports
#   5. the C unit tests (the store suite on SQLite and on PostgreSQL)
#   6. the black-box API suite (pytest), once on SQLite and once on PostgreSQL
#   7. the browser tests (Node's test runner, playwright-core driving Debian's chromium),
#      once on SQLite and local storage, once on PostgreSQL and S3
# Both are stopped on exit, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh build run test
tools/node-packages.sh
tools/check-layers.sh

SAN=address,undefined
make -j"$(nproc)" SANITIZER=$SAN build/san/mtag units

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# postgres must be able to reach the cluster directory: not under a 0700 mktemp dir.
PGDIR=/tmp/mtag-pg-test.$$
S3DIR=/tmp/mtag-s3-test.$$
cleanup() {
    tools/pg-cluster.sh stop "$PGDIR" >/dev/null 2>&1 || true
    tools/s3-server.sh stop "$S3DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
PGPORT=$(tools/free-port.sh)
MTAG_TEST_PG_URL=$(tools/pg-cluster.sh start "$PGDIR" "$PGPORT")
export MTAG_TEST_PG_URL MTAG_TEST_PG_DIR=$PGDIR MTAG_TEST_REQUIRE_PG=1
# An S3 server on loopback (s3rver behind our SigV4-verifying proxy).
S3PORT=$(tools/free-port.sh)
MTAG_TEST_S3_ENDPOINT=$(tools/s3-server.sh start "$S3DIR" "$S3PORT")
export MTAG_TEST_S3_ENDPOINT MTAG_TEST_S3_DIR=$S3DIR MTAG_TEST_REQUIRE_S3=1
# The public PDF corpus (read-only, beside the checkout): swept by test_extract.
export MTAG_TEST_CORPUS=${MTAG_TEST_CORPUS:-../shared/corpus/pdf}

passed=0 failed=0 status=0
for t in build/san/tests/test_*; do
    [ -x "$t" ] || continue
    # A passing program's own log lines are noise; a failing one's are the story.
    # A hung test program must fail the run, not hold CI until its limit.
    if out=$(timeout -k 10 600 "$t" 2>&1); then :; else
        rc=$?
        status=1
        printf '%s\n' "$out" | tail -60
        [ "$rc" -ne 124 ] || echo "FAIL $t: no result after 600 s"
    fi
    line=$(printf '%s\n' "$out" | grep -E '^test_[a-z0-9_]*: [0-9]+ passed, [0-9]+ failed$' | tail -1 || true)
    if [ -z "$line" ]; then
        echo "FAIL $t: no result line (crashed?)"
        failed=$((failed + 1)); status=1; continue
    fi
    echo "$line"
    p=${line#*: }; p=${p%% passed*}
    f=${line#*passed, }; f=${f%% failed*}
    passed=$((passed + p)); failed=$((failed + f))
done
echo "unit: $passed passed, $failed failed"

export MTAG_TEST_BIN=$PWD/build/san/mtag
for db in sqlite postgresql; do
    echo "== API suite on $db"
    if ! MTAG_TEST_DB=$db timeout -k 10 1800 /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api; then
        status=1
    fi
done

# Each browser test saves its screenshots under build/test-output/web-<db>/.
rm -rf build/test-output
for db in sqlite postgresql; do
    echo "== browser tests on $db"
    if ! MTAG_TEST_DB=$db MTAG_TEST_OUT=$PWD/build/test-output/web-$db \
        timeout -k 10 900 node --test --test-concurrency=2 --test-reporter=spec tests/web/; then
        status=1
    fi
done
exit $status
