#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions called indirectly (wait_until)
# faults.sh -- the fault suite: proves that nothing acknowledged is lost.
# The guide's ten nodes run on their own network hosts (tests/fault/
# netns.sh: one network namespace and address each, the Kubernetes DNS
# names in per-namespace hosts files), fsync on. While a workload of
# concurrent writes and reads records a history (workload.c, from a tester
# host on the same bridge) and a hostile client sends malformed input to
# every route of every node (hostile.sh), the nemesis kills, pauses,
# partitions, drops packets, wipes an acceptor's disk, replaces an
# acceptor and keeps a learner down for long (nemesis.sh; two spare
# acceptors run beside the ten). The nodes run with the Kubernetes
# manifests' settings: the ConfigMap's (peer port offset, timings), and a
# cluster secret that signs every peer message. Then every fault is healed
# and the suite checks, one line each:
#   - no node crashed, and every node answers /health
#   - the cluster writes again (one write through each client node)
#   - every hostile request got a 4xx or no answer
#   - the learners settle on the same log
#   - the checker (checker.c): no acknowledged write lost or at another
#     slot than its answer named, no value twice, no failed write chosen,
#     real-time order kept, every read a prefix of the log holding every
#     write acknowledged before it began
#   - no sanitizer report in any node's log
# and prints the figures: ops, acknowledged, unknown, lost, duplicated,
# reordered, stale reads, leader changes, longest unavailability. A
# failed run keeps the history, the final logs and the node logs, and
# prints where they are and how to check them again.
#
# Usage: tests/fault/faults.sh [--time SECONDS] [--seed N]
#            [--faults kill,pause,partition,loss,wipe,replace,learner]
#            [--concurrency N]
#   --time         how long the workload and the nemesis run (default 90:
#                  about two minutes in all, the size `make check` runs)
#   --seed         seeds the nemesis and the workload (default: from the
#                  clock, printed so that a run can be repeated)
#   --faults       the kinds of fault, comma-separated (default all seven;
#                  "none" for a run without faults)
#   --concurrency  operations the workload keeps running at once (default 8)
# The long run: tests/fault/faults.sh --time 600 --seed 42
#
# Needs root (network namespaces, iptables): exits 77 (skipped) with the
# reason otherwise. Everything it creates -- namespaces, veths, bridge,
# /etc/netns entries, iptables rules, processes -- is removed at the end,
# also on failure or Ctrl-C.
#
# Environment: PAXOSD and PAXOS_SRCDIR as for the integration tests (make
# check sets them); FAULT_BIN_DIR, where workload and checker are
# (default: tests/fault beside paxosd); PAXOS_TEST_KEEP=1 keeps the
# directory even on success.

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail

FAULT_DIR=$(cd "$(dirname "$0")" && pwd)
# The manifests' ports: SEED_NODES comes from k8s/01-configmap.yaml.
export PAXOS_PORT_OFFSET=0
# shellcheck source=tests/integration/lib.sh
. "$FAULT_DIR/../integration/lib.sh"
# shellcheck source=tests/fault/netns.sh
. "$FAULT_DIR/netns.sh"
# shellcheck source=tests/fault/nemesis.sh
. "$FAULT_DIR/nemesis.sh"
# shellcheck source=tests/lib/history.sh
. "$FAULT_DIR/../lib/history.sh"

TIME_S=90
SEED=$(( $(date +%s) % 100000 ))
FAULTS=kill,pause,partition,loss,wipe,replace,learner
CONCURRENCY=8
REQUEST_TIMEOUT_S=15        # the workload's, above paxosd's 10 s
HISTORY=""
WORKLOAD_STATUS=0
HOSTILE_STATUS=0
MAX_SLOT=0                  # the highest slot the workload saw acknowledged

usage() {
    awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"
}

parse_args() {
    local kind known
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --time) TIME_S=${2:-}; shift $(( $# > 1 ? 2 : 1 )) ;;
            --seed) SEED=${2:-}; shift $(( $# > 1 ? 2 : 1 )) ;;
            --faults) FAULTS=${2:-}; shift $(( $# > 1 ? 2 : 1 )) ;;
            --concurrency) CONCURRENCY=${2:-}; shift $(( $# > 1 ? 2 : 1 )) ;;
            -h|--help) usage; exit 0 ;;
            *) printf 'faults.sh: unknown argument %s (try --help)\n' "$1" >&2; exit 2 ;;
        esac
    done
    [[ "$TIME_S" =~ ^[0-9]+$ && "$SEED" =~ ^[0-9]+$ && "$CONCURRENCY" =~ ^[1-9][0-9]*$ ]] || {
        printf 'faults.sh: --time, --seed and --concurrency take numbers\n' >&2
        exit 2
    }
    [[ "$FAULTS" == none ]] && return 0
    IFS=, read -r -a N_FAULTS <<<"$FAULTS"
    for kind in "${N_FAULTS[@]}"; do
        for known in "${N_KINDS[@]}"; do
            [[ "$kind" == "$known" ]] && continue 2
        done
        printf 'faults.sh: unknown fault "%s" (kinds: %s)\n' "$kind" "${N_KINDS[*]}" >&2
        exit 2
    done
}

# Tears the hosts down, then lets lib.sh finish (it keeps the directory
# when the run failed).
on_exit() {
    local status=$?
    set +e
    f_teardown
    (exit "$status")
    t_cleanup
}

find_tools() {
    local dir=${FAULT_BIN_DIR:-$(dirname "$PAXOSD")/tests/fault}
    WORKLOAD=$dir/workload
    CHECKER=$dir/checker
    [[ -x "$WORKLOAD" && -x "$CHECKER" ]] ||
        t_abort "the workload and the checker are built" \
            "not found in $dir: run make check (or set FAULT_BIN_DIR)"
}

# ------------------------------------------------------------ setup

# "NAME does not answer" for each node that does not answer /health.
unanswering_nodes() {
    local name
    for name in "${F_NODES[@]}"; do
        if ! f_get "$name" /health 1 >/dev/null; then
            printf '%s does not answer\n' "$name"
        fi
    done
}

setup() {
    local addr name
    f_k8s_settings "$PAXOS_SRCDIR/k8s" >"$T_TMP/settings.err" 2>&1 ||
        t_abort "the nodes' settings read from k8s/" "$(cat "$T_TMP/settings.err")"
    t_pass "the nodes run with k8s/01-configmap.yaml's settings (peer port offset $F_PEER_OFFSET, $(printf '%s\n' "${F_ENV[@]}" | grep -E '^(HEARTBEAT_MS|ELECTION_TIMEOUT_MS)=' | paste -sd ' ' -)) and a cluster secret"
    f_setup_network
    t_pass "$(( ${#F_NODES[@]} + 1 )) network hosts on a bridge ($F_SUBNET.0/24), each in its own namespace"
    addr=$(f_in client1 getent hosts "$(f_fqdn proposer1)" | awk '{ print $1 }')
    t_expect "on client1's host, $(f_fqdn proposer1) resolves to proposer1's address" \
        "$addr" "$(f_addr proposer1)"
    addr=$(f_in acceptor2 getent hosts learner2 | awk '{ print $1 }')
    t_expect "on acceptor2's host, the short name learner2 resolves too" \
        "$addr" "$(f_addr learner2)"
    for name in "${F_NODES[@]}"; do
        f_start "$name"
    done
    if wait_until 30 f_ready; then
        t_pass "the ten nodes answer /health and $(f_leader) leads"
    else
        t_abort "the ten nodes answer /health and a proposer leads" \
            "$(unanswering_nodes)"
    fi
}

# ------------------------------------------------------------ the run

# The workload's command line: client nodes by their short names, as a
# pod of the same Kubernetes namespace would; proposers by full name.
workload_args() {
    local name
    for name in client1 client2; do
        printf -- '--client\n%s=http://%s:%s\n' "$name" "$name" "${T_PORT[$name]}"
    done
    for name in "${T_PROPOSERS[@]}"; do
        printf -- '--proposer\n%s=http://%s:%s\n' "$name" "$(f_fqdn "$name")" "${T_PORT[$name]}"
    done
}

run() {
    local args workload_pid hostile_pid name nodes=() tester
    mapfile -t args < <(workload_args)
    for name in "${F_NODES[@]}"; do
        nodes+=("$name:$(f_role "$name"):$(f_fqdn "$name"):${T_PORT[$name]}")
    done
    tester=$(f_ns "$F_TESTER")
    t_say "# run: ${TIME_S} s, seed $SEED, faults ${FAULTS}, $CONCURRENCY operations at once"
    N_LOG="$T_TMP/nemesis.log"
    N_START_MS=$(t_now_ms)
    RANDOM=$SEED
    ip netns exec "$tester" "$WORKLOAD" --history "$HISTORY" "${args[@]}" \
        --concurrency "$CONCURRENCY" --time "$TIME_S" --seed "$SEED" \
        --timeout-ms $((REQUEST_TIMEOUT_S * 1000)) --settle "$(t_secs 60)" \
        >"$T_TMP/workload.out" 2>"$T_TMP/workload.err" &
    workload_pid=$!
    printf '%s' "$F_SECRET" >"$T_TMP/cluster.secret"
    ip netns exec "$tester" bash "$FAULT_DIR/hostile.sh" --time "$TIME_S" \
        --dir "$T_TMP/hostile" --peer-port-offset "$F_PEER_OFFSET" \
        --secret-file "$T_TMP/cluster.secret" \
        --peer-routes "$("$PAXOSD" --routes | awk '$4 == "peer" { print $3 }' | sort -u | paste -sd ' ' -)" \
        "${nodes[@]}" >"$T_TMP/hostile.out" 2>&1 &
    hostile_pid=$!
    if [[ ${#N_FAULTS[@]} -gt 0 ]]; then
        n_run "$TIME_S"
    else
        sleep "$TIME_S"
    fi
    n_heal all
    wait "$hostile_pid" && HOSTILE_STATUS=0 || HOSTILE_STATUS=$?
    wait "$workload_pid" && WORKLOAD_STATUS=0 || WORKLOAD_STATUS=$?
}

# ------------------------------------------------------------ checks

fault_summary() {
    local kind out=""
    for kind in $(printf '%s\n' "${!N_COUNT[@]}" | sort); do
        out+="${out:+, }$kind ${N_COUNT[$kind]}"
    done
    printf '%s\n' "${out:-none}"
}

check_nodes() {
    local total=0 kind
    for kind in "${N_FAULTS[@]}"; do
        total=$(( total + ${N_COUNT[$kind]:-0} ))
    done
    if [[ ${#N_FAULTS[@]} -eq 0 ]]; then
        t_pass "no fault injected (--faults none)"
    elif [[ $total -gt 0 ]]; then
        t_pass "the nemesis injected $total faults and healed them ($(fault_summary))"
    else
        t_fail "the nemesis injected faults" "none in $TIME_S s"
    fi
    n_find_crashes
    t_expect "no node crashed (only the nemesis stopped nodes)" \
        "${N_CRASHED[*]:-none}" none
    if wait_until 20 f_all_healthy; then
        t_pass "every node answers /health after the faults are healed"
    else
        t_fail "every node answers /health after the faults are healed" \
            "$(unanswering_nodes)"
    fi
}

check_workload() {
    local summary
    summary=$(cat "$T_TMP/workload.out")
    if [[ $WORKLOAD_STATUS -ne 0 ]] || ! jq -e . >/dev/null 2>&1 <<<"$summary"; then
        t_abort "the workload ran" "exit status $WORKLOAD_STATUS: $(tail -n 5 "$T_TMP/workload.err")"
    fi
    MAX_SLOT=$(jq -r .max_slot <<<"$summary")
    t_expect "after healing, a write through each client node is acknowledged" \
        "$(jq -r .settled <<<"$summary")" true
    t_expect "hostile input: every answer is a 4xx or none ($(tail -n 1 "$T_TMP/hostile.out"))" \
        "$HOSTILE_STATUS" 0
    if [[ $HOSTILE_STATUS -ne 0 ]]; then
        head -n 20 "$T_TMP/hostile/bad" 2>/dev/null | sed 's/^/#   /' || true
    fi
}

# Both learners report the same applied index, at least MAX_SLOT, twice
# in a row a second apart.
learners_settled() {
    local a1 a2 b1 b2
    a1=$(f_get learner1 /status | jq -r .applied) || return 1
    a2=$(f_get learner2 /status | jq -r .applied) || return 1
    [[ "$a1" =~ ^[0-9]+$ && "$a1" == "$a2" && $a1 -ge $MAX_SLOT ]] || return 1
    sleep 1
    b1=$(f_get learner1 /status | jq -r .applied) || return 1
    b2=$(f_get learner2 /status | jq -r .applied) || return 1
    [[ "$a1" == "$b1" && "$a2" == "$b2" ]]
}

# Both learners' /get-values, taken at the same applied index.
fetch_logs() {
    local name
    for name in learner1 learner2; do
        f_get "$name" /get-values 30 >"$T_TMP/$name.json" || return 1
    done
    [[ "$(jq .applied "$T_TMP/learner1.json")" == "$(jq .applied "$T_TMP/learner2.json")" ]]
}

check_history() {
    if wait_until 60 learners_settled; then
        t_pass "learner1 and learner2 settle on the same log, up to slot $MAX_SLOT at least"
    else
        t_fail "learner1 and learner2 settle on the same log, up to slot $MAX_SLOT at least" \
            "applied: learner1 $(f_get learner1 /status | jq -r .applied), learner2 $(f_get learner2 /status | jq -r .applied)"
    fi
    wait_until 10 fetch_logs || true
    h_check "$CHECKER" "$HISTORY" "$T_TMP/learner1.json" "$T_TMP/learner2.json"
}

report() {
    local report
    if report=$(t_grep_sanitizers); then
        t_pass "no sanitizer report in any node's log"
    else
        t_fail "no sanitizer report in any node's log" "$report"
    fi
    t_say "# figures (seed $SEED, $TIME_S s, faults $FAULTS): ops $(h_figure ops)," \
        "acknowledged $(h_figure acknowledged), unknown $(h_figure unknown)," \
        "lost $(h_figure lost), duplicated $(h_figure duplicated)," \
        "reordered $(h_figure reordered), stale reads $(h_figure 'stale reads')," \
        "leader changes $(h_figure 'leader changes')," \
        "longest unavailability $(h_figure 'longest unavailability')"
    if [[ $T_FAIL -gt 0 ]]; then
        t_say "# history kept for replay: $HISTORY (nemesis: $N_LOG, node logs: $T_RUN/logs)"
        t_say "# check it again: $CHECKER --history $HISTORY --log $T_TMP/learner1.json --log $T_TMP/learner2.json"
        t_say "# run the same schedule: $0 --time $TIME_S --seed $SEED --faults $FAULTS --concurrency $CONCURRENCY"
    fi
}

main() {
    local why
    parse_args "$@"
    if why=$(f_cannot_netns); then
        t_skip "$why"
    fi
    t_init
    trap on_exit EXIT
    find_tools
    HISTORY="$T_TMP/history.jsonl"
    setup
    run
    check_nodes
    check_workload
    check_history
    report
    t_finish
}

main "$@"
