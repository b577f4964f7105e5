#!/usr/bin/env bash
# reconfig.sh -- an acceptor that lost its disk never votes, and the
# acceptor set changes while writes go on:
#   a. acceptor1 is killed, its data directory emptied, and it comes back
#      under a new member identity: it does not vote, and says so (/status,
#      /metrics, its log, GET /voters)
#   b. with acceptor2 down too, no write is acknowledged: acceptor3 alone
#      is no quorum
#   c. once acceptor2 is back, writes go through again within seconds
#   d. acceptor1, re-admitted (POST /voters {"add":"acceptor1"}), votes
#   e. on a fresh cluster, while the fault suite's workload writes and
#      reads, the set grows from 3 to 5 acceptors (the spares acceptor4
#      and acceptor5), shrinks back to 3, and an acceptor wiped meanwhile
#      is replaced; the fault suite's checker then finds nothing lost,
#      duplicated or stale
#
# Runs beside the other tests: its ports are the guide's plus 700.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail
export PAXOS_PORT_OFFSET=700
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/lib/history.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/history.sh"

FAULT_BIN=$(dirname "$PAXOSD")/tests/fault
[[ -x "$FAULT_BIN/workload" && -x "$FAULT_BIN/checker" ]] ||
    t_skip "no workload or checker in $FAULT_BIN (make check builds them)"

admission() {
    t_field "$1" .admission
}

# admitted_as NAME STATE: NAME's /status admission is STATE.
admitted_as() {
    [[ "$(admission "$1")" == "$2" ]]
}

# refused CODE BODY: POST /voters BODY is answered CODE.
refused() {
    t_http POST proposer2 /voters "$2"
    [[ "$HTTP_CODE" == "$1" ]]
}

# change BODY: POST /voters through proposer2 (it forwards to the leader);
# true when the change is in force.
CHANGE_TIMES=()
change() {
    local start
    start=$(t_now_ms)
    t_http POST proposer2 /voters "$1"
    CHANGE_TIMES+=("$1 $(( $(t_now_ms) - start )) ms")
    [[ "$HTTP_CODE" == 200 ]] && [[ "$(jq -r .status <<<"$HTTP_BODY")" == changed ]]
}

# voters: the voters' names in force, as the leader's GET /voters says.
voters() {
    t_json proposer1 /voters | jq -r '[.voters[].name] | sort | join(" ")'
}

# wipe NAME: kill -9, empty the data directory, start it again.
wipe() {
    t_local kill "$1" >/dev/null
    rm -rf "${T_RUN:?}/data/$1"
    mkdir -p "$T_RUN/data/$1"
    t_local restart "$1" >/dev/null
}

# acked_within SECONDS: a write through client1 is acknowledged within
# SECONDS (one at a time, retried); prints how long it took, in ms.
acked_within() {
    local start deadline
    start=$(t_now_ms)
    deadline=$(( start + $1 * 1000 ))
    while (( $(t_now_ms) < deadline )); do
        t_send client1 "after-$start"
        if [[ "$HTTP_CODE" == 200 ]]; then
            printf '%s\n' $(( $(t_now_ms) - start ))
            return 0
        fi
        sleep 0.2
    done
    return 1
}

t_init
t_require_free_ports
t_cluster_up
wait_until 10 t_has_leader || t_abort "a leader is elected"
for i in 1 2 3 4 5; do
    t_send client1 "before-$i"
done
t_expect "five writes through client1 are acknowledged" "$HTTP_CODE" 200

t_say "# a. acceptor1 loses its disk"
old_member=$(t_field acceptor1 .member)
wipe acceptor1
t_check "acceptor1 comes back under a new member identity" \
    test "$(t_field acceptor1 .member)" != "$old_member"
if wait_until 10 admitted_as acceptor1 waiting; then
    t_pass "acceptor1 does not vote: /status admission is \"waiting\""
else
    t_fail "acceptor1 does not vote: /status admission is \"waiting\"" \
        "admission: $(admission acceptor1)"
fi
t_check "its /metrics say paxos_acceptor_voting 0" \
    grep -q '^paxos_acceptor_voting 0$' <(t_json acceptor1 /metrics)
t_check "its log says why and what to do" \
    grep -q 'not voting: .*paxos-client.sh member-add acceptor1' \
    "$T_RUN/logs/acceptor1.log"
t_check "GET /voters shows acceptor1 waiting under another member identity" \
    grep -q 'waiting: a voter under another member identity' \
    <(t_json proposer1 /voters | jq -r '.acceptors[] | select(.name == "acceptor1") | .standing')

t_say "# b. acceptor2 goes down too"
t_local kill acceptor2 >/dev/null
t_send client1 "with-one-voter"
t_check "no write is acknowledged with acceptor3 alone (got $HTTP_CODE)" \
    test "$HTTP_CODE" != 200
t_check "  ... and it is not in the log" \
    test "$(t_count_value "$(t_values learner1)" with-one-voter)" == 0

t_say "# c. acceptor2 comes back"
t_local restart acceptor2 >/dev/null
if took=$(acked_within 10); then
    t_pass "with acceptor2 back, a write is acknowledged (after $took ms)"
else
    t_fail "with acceptor2 back, a write is acknowledged within 10 s"
fi

t_say "# d. acceptor1 is admitted again"
t_check "POST /voters {\"add\":\"acceptor1\"} puts its new identity in force" \
    change '{"add":"acceptor1"}'
wait_until 10 admitted_as acceptor1 active || true
t_expect "acceptor1 votes again: admission \"active\"" "$(admission acceptor1)" active
before=$(t_field acceptor1 .max_slot)
t_send client1 after-readmission
t_check "  ... and accepts what comes next (max_slot $before -> $(t_field acceptor1 .max_slot))" \
    test "$(t_field acceptor1 .max_slot)" -gt "$before"

t_say "# e. grow to 5, shrink to 3, replace a wiped acceptor, under load"
# A fresh cluster: the checker counts every value the workload did not
# write as a phantom.
t_local down --wipe >/dev/null
t_cluster_up
wait_until 10 t_has_leader || t_abort "a leader is elected again"
t_local restart acceptor4 >/dev/null
t_local restart acceptor5 >/dev/null
HISTORY="$T_TMP/history.jsonl"
CHANGE_TIMES=()
"$FAULT_BIN/workload" --history "$HISTORY" \
    --client "client1=$(t_url client1 '')" --client "client2=$(t_url client2 '')" \
    --proposer "proposer1=$(t_url proposer1 '')" \
    --concurrency 8 --time "$(t_secs 12)" --seed 7 --timeout-ms 15000 \
    --settle "$(t_secs 60)" >"$T_TMP/workload.out" 2>"$T_TMP/workload.err" &
workload=$!
sleep 1
t_check "add acceptor4" change '{"add":"acceptor4"}'
t_check "add acceptor5" change '{"add":"acceptor5"}'
t_expect "five voters" "$(voters)" "acceptor1 acceptor2 acceptor3 acceptor4 acceptor5"
t_check "remove acceptor5" change '{"remove":"acceptor5"}'
wipe acceptor2
t_check "replace acceptor2, wiped, by acceptor5" \
    change '{"replace":"acceptor2","with":"acceptor5"}'
t_check "remove acceptor4" change '{"remove":"acceptor4"}'
t_expect "three voters, none of them the wiped one" "$(voters)" \
    "acceptor1 acceptor3 acceptor5"
t_check "a change that makes no sense is refused with 400 (remove a non-voter)" \
    refused 400 '{"remove":"acceptor4"}'
t_check "an unknown acceptor is refused with 400" \
    refused 400 '{"add":"acceptor9"}'
wait "$workload" || t_fail "the workload ran" "$(tail -n 5 "$T_TMP/workload.err")"
max_slot=$(jq -r .max_slot "$T_TMP/workload.out")
t_expect "after the changes, a write through each client node is acknowledged" \
    "$(jq -r .settled "$T_TMP/workload.out")" true
for learner in learner1 learner2; do
    t_values "$learner" "$max_slot" >"$T_TMP/$learner.json" ||
        t_fail "$learner serves its log up to slot $max_slot"
done
h_check "$FAULT_BIN/checker" "$HISTORY" "$T_TMP/learner1.json" \
    "$T_TMP/learner2.json"
t_say "# ops $(h_figure ops), acknowledged $(h_figure acknowledged), unknown $(h_figure unknown) in $(t_secs 12) s of workload"
for timing in "${CHANGE_TIMES[@]}"; do
    t_say "# under the workload, POST /voters $timing until in force"
done
t_check "no sanitizer report in any node's log" t_grep_sanitizers
t_finish
