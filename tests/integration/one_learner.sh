#!/usr/bin/env bash
# one_learner.sh -- a cluster with a single learner (learner2 left out:
# PAXOS_LEAVE_OUT) goes on after the learner restarts:
#   a. writes through both client nodes are applied by learner1
#   b. a change of the acceptor set fills the slots before it comes into
#      force with no-ops: learner1's applied index runs past its last
#      stored write
#   c. killed (kill -9) and started again, learner1 resumes from that
#      applied index, read from its own disk (it has no other learner to
#      copy from), and serves the same log
#   d. writes after the restart are applied once each
#
# Runs beside the other tests: its ports are the guide's plus 400.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail
export PAXOS_PORT_OFFSET=400
export PAXOS_LEAVE_OUT=learner2
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The learner's /get-values as "slot value" lines.
log_lines() {
    t_values learner1 | jq -r '.values[] | "\(.slot) \(.value)"'
}

applied() {
    t_field learner1 .applied
}

applied_past() {
    local a
    a=$(applied)
    [[ "$a" =~ ^[0-9]+$ ]] && (( a > $1 ))
}

applied_at_least() {
    local a
    a=$(applied)
    [[ "$a" =~ ^[0-9]+$ ]] && (( a >= $1 ))
}

# writes_applied WHAT PREFIX CLIENT...: three rounds of one write through
# each CLIENT (PREFIX-CLIENT-N), every one acknowledged and then applied.
writes_applied() {
    local what=$1 prefix=$2 ok=0 n=0 i c last
    shift 2
    for i in 1 2 3; do
        for c in "$@"; do
            t_send "$c" "$prefix-$c-$i"
            n=$((n + 1))
            [[ "$HTTP_CODE" == 200 ]] && ok=$((ok + 1))
        done
    done
    last=$(jq -r .slot <<<"$HTTP_BODY")
    if [[ $ok -eq $n ]] && wait_until 10 applied_at_least "$last"; then
        t_pass "$what (slot $last)"
        LAST_SLOT=$last
    else
        t_fail "$what" "$ok of $n acknowledged, applied $(applied)"
    fi
}

LAST_SLOT=0             # the slot of the last write writes_applied made

t_init
t_require_free_ports
t_cluster_up
wait_until 10 t_has_leader || t_abort "a leader is elected"
if [[ -e "$T_RUN/pids/learner2.pid" ]] || t_listening "${T_PORT[learner2]}"; then
    t_fail "learner2 is left out" "it runs"
else
    t_pass "PAXOS_LEAVE_OUT=learner2: nine nodes, learner1 the only learner"
fi

t_say "# a. writes through both client nodes"
writes_applied "6 writes acknowledged and applied by learner1" one-learner client1 client2

t_say "# b. a change of the acceptor set: no-ops up to its first slot"
t_http POST proposer2 /voters '{"remove":"acceptor3"}'
first=$(jq -r '.first_slot // 0' <<<"$HTTP_BODY")
if [[ "$HTTP_CODE" == 200 && "$first" -gt $((LAST_SLOT + 1000)) ]] &&
   wait_until 10 applied_past $((first - 2)); then
    t_pass "acceptor3 removed; in force from slot $first, learner1 applied $(applied)"
else
    t_fail "acceptor3 removed, the gap filled" "HTTP $HTTP_CODE: $HTTP_BODY; applied $(applied)"
fi
before=$(applied)
stored=$(t_values learner1 | jq -r '.values[-1].slot')
if (( before - stored >= 1000 )); then
    t_pass "learner1's applied index $before is $((before - stored)) slots past its last stored write ($stored)"
else
    t_fail "learner1's applied index runs past its last stored write" "applied $before, last stored $stored"
fi
log_before=$(log_lines)

t_say "# c. kill -9 learner1 and start it again"
t_local kill learner1 >/dev/null
t_local restart learner1 >/dev/null || t_abort "learner1 starts again"
recovered=$(grep -o 'recovered [0-9]* applied writes (applied index [0-9]*)' \
    "$T_RUN/logs/learner1.log" | tail -n 1)
if [[ "$recovered" == *"(applied index $before)" ]]; then
    t_pass "learner1 resumes from its own disk at applied index $before: $recovered"
else
    t_fail "learner1 resumes at applied index $before" "log says: ${recovered:-nothing}"
fi
if [[ "$(log_lines)" == "$log_before" ]]; then
    t_pass "learner1 serves the same log after the restart ($(wc -l <<<"$log_before") values)"
else
    t_fail "learner1 serves the same log after the restart" "$(diff <(printf '%s\n' "$log_before") <(log_lines) | head)"
fi

t_say "# d. writes after the restart"
writes_applied "3 writes after the restart acknowledged and applied" after-restart client1
writes=$(t_values learner1 | jq -c '[.values[].value | select(type == "string" and (startswith("one-learner-") or startswith("after-restart-")))]')
if [[ "$(jq 'length' <<<"$writes")" == 9 && "$(jq 'unique | length' <<<"$writes")" == 9 ]]; then
    t_pass "learner1's log holds the 9 writes, each once"
else
    t_fail "learner1's log holds the 9 writes, each once" "$writes"
fi

t_finish
