#!/bin/sh
# shellcheck shell=bash
# run.sh -- builds paxosd's libFuzzer harnesses (tests/fuzz/fuzz_*.c) with
# clang straight from the sources (no configure needed) and runs each:
# first its regression inputs (corpus/NAME/crash-* and regression-*), one
# by one, then a bounded fuzzing run on a scratch copy of corpus/NAME, so
# the tree is never modified. Prints per harness the executions and
# libFuzzer's final coverage (cov: edges, ft: features), then
# "N passed, N failed".
#
#   sh tests/fuzz/run.sh [--seconds N] [--only NAME,...] [BUILD_DIR]
#
#   --seconds N   fuzzing time per harness (default $PAXOS_FUZZ_SECONDS, else
#                 60); 0 runs the regression inputs and the seed corpus only
#   --only LIST   the harnesses to run (codec,gossip,wal,config,status,auth)
#   BUILD_DIR     where the binaries, the scratch corpora and any crash
#                 inputs go; kept afterwards. Default: a temporary directory,
#                 removed when every harness passed.
#
# Run by `make check` as `sh run.sh` with PAXOS_SRCDIR set; the fuzzers run
# under nice, beside the timing-sensitive cluster tests.
# Exit status: 0 pass, 1 fail, 77 skip (PAXOS_SKIP_FUZZ=1, or clang or its
# libFuzzer runtime missing: scripts/install-deps.sh installs them).
#
# Environment: PAXOS_SRCDIR (default: two levels above), PAXOS_FUZZ_SECONDS,
# PAXOS_SKIP_FUZZ=1 (skip), CLANG (default clang).

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=${PAXOS_SRCDIR:-$(cd "$HERE/../.." && pwd)}
FUZZ_DIR="$SRC_DIR/tests/fuzz"
CLANG=${CLANG:-clang}
SECONDS_EACH=${PAXOS_FUZZ_SECONDS:-60}
HARNESSES=(codec gossip wal config status auth)
# The project's sources the harnesses need (linked from one archive), and
# the tests' temporary directories.
SOURCES=(common/array.c common/ballot.c common/jsonread.c common/log.c
         node/config.c node/core/cluster.c node/core/gossip_msg.c
         node/core/membership.c node/core/msg.c node/core/voters.c
         node/net/auth.c node/net/codec.c node/net/jsonwrite.c
         node/store/wal.c tui/model.c
         tests/lib/tmpdir.c)
SAN_FLAGS=("-fsanitize=address,undefined" -fno-sanitize-recover=undefined
           -fno-omit-frame-pointer)
CFLAGS=(-std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wpointer-arith
        -Wcast-align -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes
        -Wformat=2 -Wundef -Wvla -Wno-unused-parameter
        -I"$SRC_DIR/common" -I"$SRC_DIR/node" -I"$SRC_DIR/tui"
        -I"$SRC_DIR/tests/lib")
BUILD=""
TEMP_BUILD=no
PASSED=0
FAILED=0

# The comment block at the top of this file, after the shellcheck line.
usage() {
    awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"
}

skip() {
    printf 'SKIP: %s\n' "$*"
    exit 77
}

die() {
    printf 'run.sh: error: %s\n' "$*" >&2
    exit 1
}

parse_args() {
    local only=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --seconds) [[ $# -ge 2 ]] || die "--seconds needs a value"
                       SECONDS_EACH=$2; shift 2 ;;
            --seconds=*) SECONDS_EACH=${1#--seconds=}; shift ;;
            --only) [[ $# -ge 2 ]] || die "--only needs a value"
                    only=$2; shift 2 ;;
            --only=*) only=${1#--only=}; shift ;;
            -h|--help) usage; exit 0 ;;
            -*) die "unknown option '$1' (try --help)" ;;
            *) [[ -z "$BUILD" ]] || die "more than one build directory"
               BUILD=$1; shift ;;
        esac
    done
    [[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || die "--seconds wants a whole number, not '$SECONDS_EACH'"
    if [[ -n "$only" ]]; then
        local name
        IFS=, read -r -a HARNESSES <<<"$only"
        for name in "${HARNESSES[@]}"; do
            [[ -f "$FUZZ_DIR/fuzz_$name.c" ]] || die "no harness '$name'"
        done
    fi
}

# Exits 77 unless clang can link a libFuzzer binary with the sanitizers.
check_toolchain() {
    [[ "${PAXOS_SKIP_FUZZ:-0}" != 1 ]] ||
        skip "PAXOS_SKIP_FUZZ=1 (scripts/test.sh fuzzes in its first stage only)"
    command -v "$CLANG" >/dev/null 2>&1 ||
        skip "$CLANG not found (scripts/install-deps.sh installs clang)"
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\n%s\n' \
        'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' \
        >"$BUILD/probe.c"
    "$CLANG" -fsanitize=fuzzer "${SAN_FLAGS[@]}" "$BUILD/probe.c" -o "$BUILD/probe" \
        >"$BUILD/probe.log" 2>&1 ||
        skip "$CLANG cannot link -fsanitize=fuzzer: libFuzzer's runtime" \
             "(libclang_rt.fuzzer) is missing; Debian: libclang-rt-dev" \
             "(scripts/install-deps.sh installs it)"
    pkg-config --exists json-c libcrypto || die "pkg-config finds no json-c or libcrypto"
}

build() {
    local src obj objs=() dep_cflags dep_libs name
    read -r -a dep_cflags <<<"$(pkg-config --cflags json-c libcrypto)"
    read -r -a dep_libs <<<"$(pkg-config --libs json-c libcrypto)"
    mkdir -p "$BUILD/obj"
    printf 'building the harnesses in %s\n' "$BUILD"
    for src in "${SOURCES[@]}"; do
        obj="$BUILD/obj/$(basename "$src" .c).o"
        "$CLANG" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link "${SAN_FLAGS[@]}" \
            "${dep_cflags[@]}" -c "$SRC_DIR/$src" -o "$obj"
        objs+=("$obj")
    done
    rm -f "$BUILD/libfuzzsrc.a"
    ar rcs "$BUILD/libfuzzsrc.a" "${objs[@]}"
    for name in "${HARNESSES[@]}"; do
        "$CLANG" "${CFLAGS[@]}" -fsanitize=fuzzer "${SAN_FLAGS[@]}" \
            "${dep_cflags[@]}" "$FUZZ_DIR/fuzz_$name.c" "$BUILD/libfuzzsrc.a" \
            "${dep_libs[@]}" -lm \
            -o "$BUILD/fuzz_$name"
    done
}

# The dictionary option for a harness, if it has one.
dict_for() {
    case "$1" in
        codec|gossip|status) printf '%s\n' "-dict=$FUZZ_DIR/json.dict" ;;
        config) printf '%s\n' "-dict=$FUZZ_DIR/config.dict" ;;
    esac
}

# Prints the last log lines (the sanitizer's report) and counts a failure.
report_failure() {
    local name=$1 why=$2 log=$3
    printf 'FAIL %s: %s (log: %s)\n' "$name" "$why" "$log"
    tail -n 40 "$log" | sed 's/^/    /'
    FAILED=$((FAILED + 1))
}

run_harness() {
    local name=$1 bin="$BUILD/fuzz_$1" seeds="$FUZZ_DIR/corpus/$1"
    local work="$BUILD/run/$1" regressions=() opts=() dict stats execs cov ft
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/tmp"
    cp "$seeds"/* "$work/corpus/"
    shopt -s nullglob
    regressions=("$seeds"/crash-* "$seeds"/regression-*)
    shopt -u nullglob
    opts=(-timeout=10 -rss_limit_mb=2048 "-artifact_prefix=$work/")
    dict=$(dict_for "$name")
    [[ -z "$dict" ]] || opts+=("$dict")

    if [[ ${#regressions[@]} -gt 0 ]] &&
       ! TMPDIR="$work/tmp" nice -n 10 "$bin" "${opts[@]}" "${regressions[@]}" \
            </dev/null >"$work/regressions.log" 2>&1; then
        report_failure "$name" "a regression input fails again" "$work/regressions.log"
        return
    fi
    if [[ "$SECONDS_EACH" -eq 0 ]]; then
        opts+=(-runs=0)
    else
        opts+=("-max_total_time=$SECONDS_EACH")
    fi
    if ! TMPDIR="$work/tmp" nice -n 10 "$bin" "${opts[@]}" -print_final_stats=1 \
            "$work/corpus" </dev/null >"$work/fuzz.log" 2>&1; then
        report_failure "$name" "crashed; inputs: $work/crash-* (or leak-*, timeout-*)" \
            "$work/fuzz.log"
        return
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
    stats=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$work/fuzz.log" | tail -n 1 || true)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$stats")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
    printf 'ok   %-7s %d regression inputs, %s executions in %s s, cov: %s, ft: %s, corpus: %d inputs\n' \
        "$name" "${#regressions[@]}" "${execs:-?}" "$SECONDS_EACH" "${cov:-?}" "${ft:-?}" \
        "$(find "$work/corpus" -type f | wc -l)"
    PASSED=$((PASSED + 1))
}

cleanup() {
    if [[ "$TEMP_BUILD" == yes && $FAILED -eq 0 ]]; then
        rm -rf "$BUILD"
    fi
}

main() {
    local name
    parse_args "$@"
    if [[ -z "$BUILD" ]]; then
        BUILD=$(mktemp -d "${TMPDIR:-/tmp}/paxos-fuzz.XXXXXX")
        TEMP_BUILD=yes
        trap cleanup EXIT
    fi
    mkdir -p "$BUILD"
    BUILD=$(cd "$BUILD" && pwd)
    check_toolchain
    build
    for name in "${HARNESSES[@]}"; do
        run_harness "$name"
    done
    if [[ $FAILED -gt 0 ]]; then
        printf 'crash inputs and logs are kept in %s\n' "$BUILD/run"
    fi
    printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
    [[ $FAILED -eq 0 ]]
}

main "$@"
