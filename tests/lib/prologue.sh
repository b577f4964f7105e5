# shellcheck shell=bash
# prologue.sh -- what every shell test sources first, by a path from its
# own: . "$(dirname "$0")/../lib/prologue.sh"
#
#   - Automake runs the tests with sh, and they are written for bash: under
#     another shell this file runs the test again with bash (exit 77, a
#     skip, without bash), so everything after the line that sources it
#     runs under bash;
#   - checks: each prints one line ("ok   - ..." or "FAIL - ..."); t_finish
#     prints "N passed, N failed" and returns the exit status (0 pass, 1
#     fail), t_skip exits 77, t_abort ends a test whose remaining checks
#     need what failed;
#   - the end of a test's EXIT trap (t_exit): a test that stopped before
#     t_finish fails, and its temporary directory is kept when it failed;
#   - time: t_now_ms, and wait_until, whose timeouts are multiplied by
#     T_SCALE (1 here; tests/integration/lib.sh raises it for sanitizer
#     builds).
#
# A test with logs to show when it fails defines t_dump_logs after
# sourcing this file.
#
# Environment: PAXOS_TEST_KEEP=1 keeps the temporary directory even on
# success.

if [ -z "${BASH_VERSION:-}" ]; then
    if ! command -v bash >/dev/null 2>&1; then
        echo "SKIP: bash not found"
        exit 77
    fi
    exec bash "$0" "$@"
fi

T_PASS=0
T_FAIL=0
T_FINISHED=no
T_SCALE=1

# ------------------------------------------------------------ reporting

t_say() {
    printf '%s\n' "$*"
}

t_pass() {
    T_PASS=$((T_PASS + 1))
    printf 'ok   - %s\n' "$1"
}

# t_fail DESCRIPTION [DETAIL]
t_fail() {
    T_FAIL=$((T_FAIL + 1))
    printf 'FAIL - %s\n' "$1"
    if [[ -n "${2:-}" ]]; then
        printf '%s\n' "$2" | head -n 20 | sed 's/^/       /'
    fi
}

# t_check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
t_check() {
    local desc=$1
    shift
    if "$@"; then
        t_pass "$desc"
    else
        t_fail "$desc"
    fi
}

# t_expect DESCRIPTION ACTUAL EXPECTED: passes when the strings are equal.
t_expect() {
    if [[ "$2" == "$3" ]]; then
        t_pass "$1"
    else
        t_fail "$1" "expected '$3', got '$2'"
    fi
}

# Ends the test at once (setup failed): counts a failure, then finishes.
t_abort() {
    t_fail "$1" "${2:-}"
    t_say "aborting: the remaining checks need what failed above"
    t_finish
    exit 1
}

# Ends the test as skipped (exit 77), also from within its run.
t_skip() {
    t_say "SKIP: $*"
    T_FINISHED=yes
    exit 77
}

# What the test's processes logged, shown when it fails: nothing unless
# the test defines it again.
t_dump_logs() {
    :
}

# Prints the summary line and returns 0 when nothing failed.
t_finish() {
    T_FINISHED=yes
    if [[ $T_FAIL -gt 0 ]]; then
        t_dump_logs
    fi
    printf '%d passed, %d failed\n' "$T_PASS" "$T_FAIL"
    [[ $T_FAIL -eq 0 ]]
}

# t_exit STATUS [DIR]: the end of a test's EXIT trap, once what it started
# is stopped. A test that stopped before t_finish or t_skip counts one
# more failure and fails; DIR, the test's temporary directory, is removed
# when the test passed or was skipped and kept otherwise. Exits.
t_exit() {
    local status=$1 dir=${2:-}
    if [[ "$T_FINISHED" == no ]]; then
        t_say "# the test stopped early (exit status $status)"
        t_dump_logs
        t_say "$T_PASS passed, $((T_FAIL + 1)) failed"
        status=1
    fi
    if [[ -n "$dir" ]]; then
        if [[ $status -ne 1 && "${PAXOS_TEST_KEEP:-0}" == 0 ]]; then
            rm -rf "$dir"
        else
            t_say "# kept $dir"
        fi
    fi
    exit "$status"
}

# ------------------------------------------------------------ time

t_now_ms() {
    local t
    t=$(date +%s%N)
    printf '%s\n' $((t / 1000000))
}

# Seconds (integer) scaled for slow builds.
t_secs() {
    printf '%s\n' $(( $1 * T_SCALE ))
}

# wait_until TIMEOUT_SECONDS COMMAND...: runs COMMAND every 0.1 s until it
# succeeds (returns 0) or the time is up (returns 1). TIMEOUT is scaled.
wait_until() {
    local deadline
    deadline=$(( $(t_now_ms) + $1 * T_SCALE * 1000 ))
    shift
    while :; do
        if "$@"; then
            return 0
        fi
        if (( $(t_now_ms) >= deadline )); then
            return 1
        fi
        sleep 0.1
    done
}
