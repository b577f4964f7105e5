#!/usr/bin/env bash
# compaction.sh -- a long log in bounded memory:
#   a. acceptors forget the slots both learners have applied (minus a
#      margin), and say so on /status; while a learner is down they forget
#      nothing more
#   b. a learner that lost its data directory, far behind what the
#      acceptors still hold, copies the log from the other learner: both
#      then serve the same log
#   c. a learner restarted on its data directory serves its whole log at
#      once, from disk
#   d. writes go on and reach both learners exactly once
#   e. the acceptors' write-ahead files were compacted (at 1 MiB of growth
#      here), and an acceptor restarted on its compacted file keeps its
#      promise and what it forgot
#
# Runs beside the other tests: its ports are the guide's plus 300.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail
export PAXOS_PORT_OFFSET=300
export WAL_COMPACT_BYTES=1048576
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH="$(dirname "$PAXOSD")/tests/bench/paxos-bench"
[[ -x "$BENCH" ]] || t_skip "no $BENCH (make check builds it)"

values_count() {
    t_field "$1" .values_count
}

# same_log A B: both learners' /get-values list the same values.
same_log() {
    local a b
    a=$(t_json "$1" /get-values | jq -c '[.values[] | [.slot, .value, .client_id, .seq]]') &&
    b=$(t_json "$2" /get-values | jq -c '[.values[] | [.slot, .value, .client_id, .seq]]') &&
    [[ -n "$a" && "$a" == "$b" ]]
}

trimmed_past() {
    local t
    t=$(t_field acceptor1 .trimmed)
    [[ "$t" =~ ^[0-9]+$ ]] && (( t > $1 ))
}

t_init
t_require_free_ports
t_cluster_up
wait_until 10 t_has_leader || t_abort "a leader is elected"
leader=$(t_leader)

# burst: writes straight to the leader for a few seconds; prints how many
# were acknowledged.
burst() {
    "$BENCH" --url "$(t_url "$leader" /propose)" -c 16 -d "$(t_secs 4)" --json \
        >"$T_TMP/bench.out" 2>&1 || true
    tail -n 1 "$T_TMP/bench.out" | jq -r .writes 2>/dev/null || echo 0
}

t_say "# a. a long run of writes straight to $leader"
writes=$(burst)
if [[ "$writes" =~ ^[0-9]+$ ]] && (( writes > 6000 )); then
    t_pass "$writes writes acknowledged"
else
    t_abort "more than 6000 writes acknowledged" "$(tail -n 3 "$T_TMP/bench.out")"
fi
# Each learner asks the acceptors at least every 5 s; they forget up to
# 4096 slots below what both have.
if wait_until 15 trimmed_past $(( writes - 4096 - 1000 )); then
    t_pass "acceptor1 forgot the slots both learners applied, but for a margin (trimmed $(t_field acceptor1 .trimmed))"
else
    t_fail "acceptor1 forgets the slots both learners applied" \
        "trimmed=$(t_field acceptor1 .trimmed) writes=$writes"
fi
accepted=$(t_field acceptor1 '.accepted | length')
t_expect "acceptor1's /status still lists its last accepted slots" "$accepted" 10

t_say "# learner2 down, another run of writes"
kill -KILL "$(t_pid learner2)"
wait_until 10 t_port_closed learner2 || t_abort "learner2 is gone after kill -9"
trimmed=$(t_field acceptor1 .trimmed)
more=$(burst)
sleep "$(t_secs 6)"         # learner1 asks again meanwhile
# They keep what learner2 lacks, up to 65536 slots below what learner1
# holds (ACCEPTOR_KEEP_AHEAD_SLOTS): past that, learner2 copies from
# learner1.
applied1=$(t_field learner1 .applied)
window=$(( applied1 > 65536 ? applied1 - 65536 : 0 ))
keep_from=$(( window > trimmed ? window : trimmed ))
now_trimmed=$(t_field acceptor1 .trimmed)
if [[ "$now_trimmed" =~ ^[0-9]+$ ]] && (( now_trimmed <= keep_from )); then
    t_pass "while learner2 is down ($more more writes), the acceptors forget nothing more but what is 65536 slots behind learner1 (trimmed $trimmed -> $now_trimmed, learner1 at $applied1)"
else
    t_fail "while learner2 is down, the acceptors forget nothing above slot $keep_from" \
        "trimmed $trimmed -> $now_trimmed, learner1 applied $applied1"
fi

t_say "# b. learner2 comes back with an empty data directory"
rm -rf "$T_RUN/data/learner2"
t_local restart learner2 >"$T_TMP/restart.out" 2>&1 ||
    t_abort "learner2 restarts" "$(cat "$T_TMP/restart.out")"
count1=$(values_count learner1)
# shellcheck disable=SC2016  # eval expands it at each try
if wait_until 30 eval '[[ "$(values_count learner2)" == "$count1" ]]'; then
    t_pass "learner2 caught up to learner1's $count1 values"
else
    t_fail "learner2 catches up to learner1's $count1 values" \
        "learner2 has $(values_count learner2)"
fi
copies=$(t_field learner2 .copies)
if [[ "$copies" =~ ^[0-9]+$ ]] && (( copies > 0 )); then
    t_pass "learner2 copied $copies pages from learner1 (the acceptors had forgotten them)"
else
    t_fail "learner2 copied from learner1" "copies=$copies"
fi
if same_log learner1 learner2; then
    t_pass "both learners serve the same log"
else
    t_fail "both learners serve the same log"
fi

t_say "# c. learner1 restarts on its data directory"
kill -KILL "$(t_pid learner1)"
wait_until 10 t_port_closed learner1 || t_abort "learner1 is gone after kill -9"
t_local restart learner1 >"$T_TMP/restart.out" 2>&1 ||
    t_abort "learner1 restarts" "$(cat "$T_TMP/restart.out")"
t_expect "learner1 serves its $count1 values at once, from disk" \
    "$(values_count learner1)" "$count1"
t_expect "learner1 did not need to copy anything" "$(t_field learner1 .copies)" 0

t_say "# d. writes go on"
t_send client1 "after-compaction-$$"
t_expect "a write through client1 is chosen" "$HTTP_CODE" 200
for learner in learner1 learner2; do
    t_expect "$learner holds it exactly once" \
        "$(t_count_value "$(t_values "$learner" "$(jq -r .slot <<<"$HTTP_BODY")")" "after-compaction-$$")" 1
done
if same_log learner1 learner2; then
    t_pass "both learners still serve the same log"
else
    t_fail "both learners still serve the same log"
fi
t_say "# e. the acceptors' write-ahead files"
compactions=$(t_field acceptor1 .wal_compactions)
wal_bytes=$(t_field acceptor1 .wal_bytes)
if [[ "$compactions" =~ ^[0-9]+$ ]] && (( compactions > 0 )); then
    t_pass "acceptor1 compacted its write-ahead file $compactions times (now $wal_bytes bytes)"
else
    t_fail "acceptor1 compacted its write-ahead file" "compactions=$compactions bytes=$wal_bytes"
fi
before=$(t_field acceptor1 '"\(.promised.round).\(.promised.node) \(.trimmed)"')
kill -KILL "$(t_pid acceptor1)"
wait_until 10 t_port_closed acceptor1 || t_abort "acceptor1 is gone after kill -9"
t_local restart acceptor1 >"$T_TMP/restart.out" 2>&1 ||
    t_abort "acceptor1 restarts" "$(cat "$T_TMP/restart.out")"
after=$(t_field acceptor1 '"\(.promised.round).\(.promised.node) \(.trimmed)"')
t_expect "acceptor1 restarted on its compacted file keeps its promise and what it forgot" \
    "$after" "$before"
t_send client2 "after-acceptor-restart-$$"
t_expect "a write through client2 is chosen after acceptor1 restarted" "$HTTP_CODE" 200
t_finish
