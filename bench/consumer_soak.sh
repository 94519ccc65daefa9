#!/usr/bin/env bash
# Soak the websocket tests: run the consumer and rights-watch tests RUNS times in a row, each in
# a fresh pytest process (a new test database each time, as `make test` does), on SQLite and/or
# on PostgreSQL + Redis, and count the runs that passed. A test that fails once in twenty runs
# on a busy machine ("database table is locked", issue 15) shows up here, not in someone's CI.
#
#   bench/consumer_soak.sh [RUNS]                  # default 20, both backends
#   SOAK_BACKENDS=sqlite bench/consumer_soak.sh 5
#   SOAK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rz SOAK_REDIS_URL=redis://127.0.0.1:6379/7 \
#       SOAK_BACKENDS=postgres bench/consumer_soak.sh
#
# PostgreSQL takes SOAK_DATABASE_URL / SOAK_REDIS_URL, else DATABASE_URL / REDIS_URL; without
# them that backend is skipped (said so). The log of every failed run is kept in SOAK_LOG_DIR
# (default var/consumer-soak/). Exit status 1 when any run failed. About 1.5 minutes a run on
# SQLite and 3 on PostgreSQL on a quiet 2-core machine: 20 runs of both are about 1.5 hours.
set -uo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-20}"
BACKENDS="${SOAK_BACKENDS:-sqlite postgres}"
PYTEST="${PYTEST:-.venv/bin/pytest}"
LOG_DIR="${SOAK_LOG_DIR:-var/consumer-soak}"
PG_URL="${SOAK_DATABASE_URL:-${DATABASE_URL:-}}"
PG_REDIS="${SOAK_REDIS_URL:-${REDIS_URL:-}}"
TESTS=(tests/conversations/test_consumer*.py tests/conversations/test_rights_watch.py)
mkdir -p "$LOG_DIR"

failed_total=0
for backend in $BACKENDS; do
    case "$backend" in
        sqlite) env_args=(-u DATABASE_URL -u REDIS_URL) ;;
        postgres)
            if [ -z "$PG_URL" ] || [ -z "$PG_REDIS" ]; then
                echo "postgres: SKIPPED (set SOAK_DATABASE_URL and SOAK_REDIS_URL)"
                continue
            fi
            env_args=(DATABASE_URL="$PG_URL" REDIS_URL="$PG_REDIS") ;;
        *) echo "unknown backend '$backend' (sqlite, postgres)" >&2; exit 2 ;;
    esac
    passed=0
    started=$SECONDS
    for run in $(seq 1 "$RUNS"); do
        log="$LOG_DIR/$backend-run-$run.log"
        run_started=$SECONDS
        if env "${env_args[@]}" "$PYTEST" -q -p no:cacheprovider "${TESTS[@]}" >"$log" 2>&1; then
            passed=$((passed + 1))
            result="passed"
        else
            result="FAILED (log: $log)"
        fi
        echo "$backend run $run/$RUNS: $result in $((SECONDS - run_started)) s: $(tail -n 1 "$log")"
        [ "$result" = passed ] && rm -f "$log"
    done
    echo "$backend: $passed of $RUNS runs passed in $((SECONDS - started)) s"
    failed_total=$((failed_total + RUNS - passed))
done
[ "$failed_total" -eq 0 ]
