#!/usr/bin/env bash
# test.sh -- everything CI checks, in order:
#   1. dependencies (scripts/install-deps.sh)
#   2. build/       ../configure --enable-werror; make; make check
#   3. build/       make distcheck (the tarball builds and passes its tests)
#   4. build-asan/  ../configure --enable-sanitizers --enable-werror; make check
# Both builds are out of tree, so the source tree must not be configured in
# place (a leftover in-tree build is cleaned with `make distclean`).
# Prints automake's test summaries and, on a failure, the test-suite.log.
# Exits non-zero when any step fails. Needs no terminal.
#
# Environment: PAXOS_NO_DEPS=1 skips step 1; JOBS sets make's -j.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
LOG_DIR="$SRC_DIR/build/test-logs"
FAILED=()
STAGE_LOGS=()

step() {
    printf '\n==> %s\n' "$*"
}

fail_step() {
    printf 'test.sh: FAILED: %s\n' "$*" >&2
    FAILED+=("$*")
}

# Prints the test-suite.log files under DIR (what failed, and why).
show_test_logs() {
    local log
    while IFS= read -r log; do
        printf '\n---- %s ----\n' "$log"
        cat "$log"
    done < <(find "$1" -name test-suite.log 2>/dev/null)
}

# run_logged NAME COMMAND...: runs COMMAND, its output both shown and kept
# in build/test-logs/NAME.log (for the summary at the end).
run_logged() {
    local name=$1 log="$LOG_DIR/$1.log"
    shift
    STAGE_LOGS+=("$log")
    "$@" 2>&1 | tee "$log"
}

prepare_source() {
    cd "$SRC_DIR"
    step "autoreconf -fi"
    autoreconf -fi
    if [[ -f config.status ]]; then
        step "the source tree was configured in place: make distclean"
        make distclean >/dev/null 2>&1 || rm -f config.status config.h Makefile
    fi
    mkdir -p "$LOG_DIR"
    rm -f "$LOG_DIR"/*.log
}

# build_and_check DIR NAME CONFIGURE_FLAGS...: configures DIR out of tree,
# builds and runs make check. Returns non-zero on failure.
build_and_check() {
    local dir=$1 name=$2
    shift 2
    mkdir -p "$SRC_DIR/$dir"
    cd "$SRC_DIR/$dir"
    step "$dir: configure $*"
    if ! "$SRC_DIR/configure" -q "$@"; then
        fail_step "$dir: configure $* (see $dir/config.log)"
        return 1
    fi
    step "$dir: make -j$JOBS"
    if ! make -j"$JOBS"; then
        fail_step "$dir: build"
        return 1
    fi
    step "$dir: make check"
    if ! run_logged "$name" make -j"$JOBS" check; then
        show_test_logs "$SRC_DIR/$dir"
        fail_step "$dir: make check"
        return 1
    fi
}

distcheck() {
    cd "$SRC_DIR/build"
    step "build: make distcheck"
    if ! run_logged distcheck make -j"$JOBS" distcheck \
            DISTCHECK_CONFIGURE_FLAGS=--enable-werror; then
        show_test_logs "$SRC_DIR/build"
        fail_step "build: make distcheck"
        return 1
    fi
}

# Sums automake's "# PASS: N" style lines of the logged stages.
print_totals() {
    local pass=0 fail=0 skip=0 log n
    step "summary"
    for log in "${STAGE_LOGS[@]+"${STAGE_LOGS[@]}"}"; do
        [[ -f "$log" ]] || continue
        printf '%s:\n' "$(basename "$log" .log)"
        grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$log" | sed 's/^/  /' || true
        n=$(awk '/^# PASS:/ { s += $3 } END { print s + 0 }' "$log"); pass=$((pass + n))
        n=$(awk '/^# (FAIL|XPASS|ERROR):/ { s += $3 } END { print s + 0 }' "$log"); fail=$((fail + n))
        n=$(awk '/^# SKIP:/ { s += $3 } END { print s + 0 }' "$log"); skip=$((skip + n))
    done
    if [[ ${#FAILED[@]} -gt 0 ]]; then
        printf 'failed steps:\n'
        printf '  %s\n' "${FAILED[@]}"
        # A failed step with no failed test (a build error) still fails.
        [[ $fail -gt 0 ]] || fail=${#FAILED[@]}
    fi
    printf 'total: %d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
}

main() {
    if [[ "${PAXOS_NO_DEPS:-0}" != 1 ]]; then
        step "dependencies"
        bash "$SRC_DIR/scripts/install-deps.sh"
    fi
    prepare_source
    if build_and_check build check --enable-werror; then
        # The image test builds the image from the source once: the first
        # stage ran it; the tarball and the sanitizers change nothing there.
        # The fuzzers (tests/fuzz/run.sh) likewise run in the first stage only.
        PAXOS_SKIP_CONTAINER_TEST=1 PAXOS_SKIP_FUZZ=1 distcheck || true
    fi
    # Sanitizers make the nodes slower: the integration test waits longer.
    export PAXOS_TEST_SLOW=1 UBSAN_OPTIONS=print_stacktrace=1 PAXOS_SKIP_CONTAINER_TEST=1
    export PAXOS_SKIP_FUZZ=1
    build_and_check build-asan check-asan --enable-sanitizers --enable-werror || true
    unset PAXOS_TEST_SLOW UBSAN_OPTIONS PAXOS_SKIP_CONTAINER_TEST PAXOS_SKIP_FUZZ
    print_totals
    [[ ${#FAILED[@]} -eq 0 ]]
}

main "$@"
