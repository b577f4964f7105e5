# shellcheck shell=bash
# history.sh -- the verdict on a history the fault suite's workload
# recorded (tests/fault/workload.c): the checker (tests/fault/checker.c)
# run on it and the learners' final logs, and one check per property a
# user relies on. Sourced after tests/lib/prologue.sh by the tests that
# run the workload (tests/fault/faults.sh, tests/integration/reconfig.sh).
#
#   h_check CHECKER HISTORY LOG...   runs the checker, prints its figures,
#                                    makes the checks; sets H_FIGURES
#   h_figure NAME                    a figure it printed ("lost", ...)

H_FIGURES=""

h_figure() {
    awk -v k="$1: " 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' \
        <<<"$H_FIGURES"
}

h_check() {
    local checker=$1 history=$2 status=0 logs=()
    shift 2
    for log in "$@"; do
        logs+=(--log "$log")
    done
    H_FIGURES=$("$checker" --history "$history" "${logs[@]}" 2>&1) || status=$?
    printf '%s\n' "$H_FIGURES" | grep -v '^VIOLATION' | sed 's/^/# /'
    printf '%s\n' "$H_FIGURES" | grep '^VIOLATION' | head -n 40 || true
    if [[ $status -gt 1 ]]; then
        t_fail "the checker reads the history and the logs" "$H_FIGURES"
        return
    fi
    t_expect "the checker finds the learners' logs identical" \
        "$(h_figure 'learners disagree')" 0
    t_expect "no acknowledged write is lost ($(h_figure acknowledged) acknowledged, $(h_figure unknown) unknown)" \
        "$(h_figure lost)" 0
    t_expect "every acknowledged write is at the slot its answer named" \
        "$(h_figure 'wrong slot')" 0
    t_expect "no value is in the log twice, and each was written by the workload" \
        "$(h_figure duplicated)/$(h_figure phantom)" 0/0
    t_expect "no write that surely failed is in the log ($(h_figure failed) failed)" \
        "$(h_figure 'failed but chosen')" 0
    t_expect "the log keeps real-time order (a write acknowledged before another began comes first)" \
        "$(h_figure reordered)" 0
    t_expect "every read ($(h_figure 'reads ok') ok) is a prefix of the log with every write acknowledged before it" \
        "$(h_figure 'divergent reads')/$(h_figure 'stale reads')/$(h_figure 'future reads')" 0/0/0
}
