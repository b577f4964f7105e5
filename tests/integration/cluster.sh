#!/bin/sh
# shellcheck shell=bash disable=SC2317  # functions called indirectly (wait_until)
# cluster.sh -- the ten-node integration test: what a user of the guide's
# cluster would notice. Starts the guide's topology on 127.0.0.1 (the
# guide's ports) with scripts/paxos-local.sh, fsync on, and checks:
#   a. one leader (proposer1 on a fresh start), the others follow it
#   b. a write comes back exactly once from both learners and both clients
#   c. bad input gets 400/404/405/413 with an "error" field
#   d. 200 concurrent writes, all acknowledged, same log on both learners
#   e. kill -9 of the leader under load: failover, no acknowledged write lost
#   f. kill -9 of an acceptor: its promise and log survive the restart
#   g. kill -9 of a client node: after its restart its writes carry new
#      sequence numbers, past every one it used
# and prints the measured throughput and failover time.
#
# Run by `make check` as `sh cluster.sh` with PAXOSD and PAXOS_SRCDIR set;
# by hand: PAXOSD=$PWD/build/paxosd sh tests/integration/cluster.sh
# Exit status: 0 pass, 1 fail, 77 skip (curl or jq missing).

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -u -o pipefail

# shellcheck source=tests/integration/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

TAG=$$
SEQ_WRITES=100
CONC_WORKERS=8
CONC_PER_WORKER=25
FAILOVER_WORKERS=4

# Numbers printed at the end.
SEQ_RATE="-"
SEQ_LATENCY="-"
CONC_RATE="-"
FAILOVER_LEADER_MS="-"
FAILOVER_WRITE_MS="-"
FSYNC="fsync on"

# ------------------------------------------------------------ helpers

# ballot_ge "R.N" "R.N": first ballot >= second.
ballot_ge() {
    local r1=${1%%.*} n1=${1##*.} r2=${2%%.*} n2=${2##*.}
    (( r1 > r2 || (r1 == r2 && n1 >= n2) ))
}

# Every proposer but LEADER reports state follower and LEADER's id.
followers_follow() {
    local leader=$1 name
    for name in "${T_PROPOSERS[@]}"; do
        [[ "$name" == "$leader" ]] && continue
        [[ "$(t_field "$name" '"\(.state) \(.leader)"')" == "follower ${T_ID[$leader]}" ]] ||
            return 1
    done
}

# error_reply: "CODE TYPE" of the last t_http answer's "error" field.
error_reply() {
    printf '%s %s\n' "$HTTP_CODE" \
        "$(jq -r '.error | type' <<<"$HTTP_BODY" 2>/dev/null || printf 'no-json')"
}

# All writer files' lines, acknowledged or not.
count_lines() {
    cat "$@" 2>/dev/null | wc -l | tr -d ' '
}

count_acked() {
    t_acked "$@" | wc -l | tr -d ' '
}

max_acked_slot() {
    t_acked "$@" | awk '$2 ~ /^[0-9]+$/ && $2 > m { m = $2 } END { print m + 0 }'
}

# The end time of the first write started at or after $1 and acknowledged.
first_ack_after() {
    local since=$1
    shift
    cat "$@" 2>/dev/null |
        awk -v t="$since" '$2 == 200 && $3 >= t { if (!m || $4 < m) m = $4 }
                           END { if (m) print m; else exit 1 }'
}

has_first_ack_after() {
    first_ack_after "$@" >/dev/null
}

at_least_acked() {
    local n=$1
    shift
    [[ $(count_acked "$@") -ge $n ]]
}

# Both learners report the same "applied", at least $1.
learners_settled() {
    local a1 a2
    a1=$(t_field learner1 .applied)
    a2=$(t_field learner2 .applied)
    [[ "$a1" =~ ^[0-9]+$ && "$a1" == "$a2" && $a1 -ge $1 ]]
}

# Checks that both learners hold the same log up to the highest slot any
# acknowledged write got, and that every acknowledged write of the given
# files is in it exactly once, at its slot. $1 names the phase.
check_no_write_lost() {
    local phase=$1 max applied report
    shift
    max=$(max_acked_slot "$@")
    if ! wait_until 20 learners_settled "$max"; then
        t_fail "$phase: both learners apply the same log (at least slot $max)" \
            "learner1 applied $(t_field learner1 .applied), learner2 $(t_field learner2 .applied)"
        return
    fi
    sleep 0.3
    if ! wait_until 10 learners_settled "$max"; then
        t_fail "$phase: both learners settle on the same applied index"
        return
    fi
    applied=$(t_field learner1 .applied)
    t_pass "$phase: both learners applied up to the same slot ($applied)"
    if ! t_learner_log learner1 "$applied" "$T_TMP/log1" ||
       ! t_learner_log learner2 "$applied" "$T_TMP/log2"; then
        t_fail "$phase: both learners answer /get-values"
        return
    fi
    if cmp -s "$T_TMP/log1" "$T_TMP/log2"; then
        t_pass "$phase: learner1 and learner2 hold the same values in the same slots ($(count_lines "$T_TMP/log1") values)"
    else
        t_fail "$phase: learner1 and learner2 hold the same values in the same slots" \
            "$(diff "$T_TMP/log1" "$T_TMP/log2" | head -n 10)"
    fi
    t_acked "$@" >"$T_TMP/acked"
    if report=$(t_exactly_once "$T_TMP/acked" "$T_TMP/log1"); then
        t_pass "$phase: every acknowledged write ($(count_lines "$T_TMP/acked")) is in the log exactly once, at its slot"
    else
        t_fail "$phase: every acknowledged write is in the log exactly once, at its slot" "$report"
    fi
}

# ------------------------------------------------------------ a. start

phase_start() {
    local name healthy=0 mismatched="" leaders n
    t_say "# a. ten nodes, one leader"
    t_require_free_ports
    t_cluster_up
    for name in "${T_NODES[@]}"; do
        t_json "$name" /health >/dev/null && healthy=$((healthy + 1))
        [[ "$(t_field "$name" '"\(.name) \(.id)"')" == "$name ${T_ID[$name]}" ]] ||
            mismatched+=" $name"
    done
    t_expect "all ten nodes answer GET /health" "$healthy" 10
    t_expect "every node's /status gives its guide name and id" "${mismatched:-none}" none
    [[ "$(t_field acceptor1 .fsync)" == false ]] && FSYNC="fsync off"
    leaders=$(t_leaders)
    n=$(printf '%s' "$leaders" | grep -c . || true)
    t_expect "exactly one proposer reports is_leader" "$n" 1
    t_expect "on a fresh start the leader is proposer1" "$leaders" proposer1
    if wait_until 5 followers_follow proposer1; then
        t_pass "proposer2 and proposer3 are followers of proposer1"
    else
        t_fail "proposer2 and proposer3 are followers of proposer1" \
            "$(for name in proposer2 proposer3; do
                   printf '%s: %s\n' "$name" "$(t_field "$name" '"\(.state) leader=\(.leader)"')"
               done)"
    fi
}

# ------------------------------------------------------------ b. one write

phase_one_write() {
    local value="hello-$TAG" direct="direct-$TAG" slot dslot name json
    t_say "# b. a write through client1 and a direct write to a follower"
    t_send client1 "$value"
    t_expect "client1 POST /send answers 200" "$HTTP_CODE" 200
    slot=$(jq -r '.slot' <<<"$HTTP_BODY" 2>/dev/null)
    t_expect "the answer says chosen, with the value and client1's id" \
        "$(jq -r '"\(.status) \(.value) \(.client_id) \(.slot | type)"' <<<"$HTTP_BODY" 2>/dev/null)" \
        "chosen $value 9 number"
    [[ "$slot" =~ ^[0-9]+$ ]] || t_abort "the write got a slot" "$HTTP_BODY"
    for name in learner1 learner2; do
        json=$(t_values "$name" "$slot")
        t_expect "$name /get-values holds the value exactly once" \
            "$(t_count_value "$json" "$value")" 1
    done
    for name in client1 client2; do
        t_http GET "$name" /read
        t_expect "$name GET /read returns the value exactly once" \
            "$HTTP_CODE $(t_count_value "$HTTP_BODY" "$value")" "200 1"
    done
    t_http GET client1 "/read?last=1"
    t_expect "GET /read?last=1 returns just the newest value" \
        "$HTTP_CODE $(jq -r '[.values[].value] | join(",")' <<<"$HTTP_BODY" 2>/dev/null)" \
        "200 $value"
    t_http GET client1 "/read?last=1&from=1"
    t_expect "GET /read with both last and from is refused with 400" "$HTTP_CODE" 400
    t_expect "client1 /get-responses lists the write as chosen at its slot" \
        "$(t_json client1 /get-responses |
           jq -r --arg v "$value" '[.responses[] | select(.value == $v) |
                                    "\(.status) \(.slot)"] | join(",")')" \
        "chosen $slot"

    t_http POST proposer2 /propose "{\"value\":\"$direct\"}"
    dslot=$(jq -r '.slot' <<<"$HTTP_BODY" 2>/dev/null)
    t_expect "POST /propose to proposer2 (a follower) is forwarded and chosen" \
        "$HTTP_CODE $(jq -r '"\(.value) from=\(.from)"' <<<"$HTTP_BODY" 2>/dev/null)" \
        "200 $direct from=1"
    if [[ "$dslot" =~ ^[0-9]+$ ]]; then
        t_expect "the direct write is in learner1's log exactly once" \
            "$(t_count_value "$(t_values learner1 "$dslot")" "$direct")" 1
    else
        t_fail "the direct write got a slot" "$HTTP_BODY"
    fi
    local retry="{\"value\":\"retry-$TAG\",\"client_id\":\"tester\",\"seq\":7}" first
    t_http POST proposer1 /propose "$retry"
    first="$HTTP_CODE $(jq -r '"\(.slot) \(.value)"' <<<"$HTTP_BODY" 2>/dev/null)"
    t_http POST proposer1 /propose "$retry"
    t_expect "the same write sent again after it was chosen gets the same slot and value" \
        "$HTTP_CODE $(jq -r '"\(.slot) \(.value)"' <<<"$HTTP_BODY" 2>/dev/null)" "$first"
    t_http POST proposer1 /propose "{\"value\":\"no-writer-$TAG\",\"seq\":5}"
    t_expect "a write with a seq but no client_id gets an identity and is chosen" \
        "$HTTP_CODE $(jq -r .value <<<"$HTTP_BODY" 2>/dev/null)" "200 no-writer-$TAG"
}

# ------------------------------------------------------------ metrics

# metric NODE NAME: the value of an unlabelled sample in NODE's /metrics.
metric() {
    curl -fsS -m "$(t_secs 5)" "$(t_url "$1" /metrics)" 2>/dev/null |
        awk -v name="$2" '$1 == name { print $2 }'
}

phase_metrics() {
    local name text
    t_say "# /metrics"
    for name in "${T_NODES[@]}"; do
        text=$(curl -fsS -m "$(t_secs 5)" "$(t_url "$name" /metrics)" 2>/dev/null) || true
        if ! grep -q "^paxos_node_info{id=\"${T_ID[$name]}\",name=\"$name\"" <<<"$text"; then
            t_fail "$name /metrics names the node"
            return
        fi
    done
    t_pass "every node's /metrics names it, in the Prometheus text format"
    t_expect "the leader's /metrics says it leads" "$(metric proposer1 paxos_is_leader)" 1
    t_expect "client1 counts its acknowledged writes" \
        "$(( $(metric client1 paxos_writes_acknowledged_total) >= 1 ))" 1
    t_expect "learner1's applied index matches its /status" \
        "$(metric learner1 paxos_applied_index)" "$(t_field learner1 .applied)"
    t_expect "an acceptor counts the stale ballots it refused" \
        "$(curl -fsS "$(t_url acceptor1 /metrics)" | grep -c '^paxos_rejections_total{reason="stale_ballot"}')" 1
    t_expect "requests are counted by route and status code" \
        "$(curl -fsS "$(t_url client1 /metrics)" |
           grep -c '^paxos_http_requests_total{route="/send",code="200"}')" 1
}

# ------------------------------------------------------------ peer auth

phase_auth() {
    local before confirm='{"from":1,"ballot":{"round":0,"node":1},"commit":0,"entries":[],"configs":[{"epoch":1,"first_slot":1,"voters":[{"id":4,"name":"acceptor1","host":"127.0.0.1","port":4001,"member":"0000000000000000"}]}]}'
    local forged='{"from":1,"ballot":{"round":999,"node":3},"commit":0,"entries":[{"slot":1,"value":"forged","client_id":"x","seq":1}]}'
    t_say "# peer messages need the cluster secret"
    before=$(t_field acceptor1 '"\(.promised.round).\(.promised.node) \(.max_slot)"')
    t_http POST acceptor1 /accept "$forged"
    t_expect "an unsigned ACCEPT is refused with 401" "$(error_reply)" "401 string"
    t_http POST acceptor1 /prepare '{"from":3,"ballot":{"round":999,"node":3},"from_slot":1}'
    t_expect "an unsigned PREPARE is refused with 401" "$HTTP_CODE" 401
    t_http POST learner1 /chosen '{"from":1,"ballot":{"round":999,"node":1},"commit":0,"entries":[]}'
    t_expect "an unsigned announcement of chosen slots is refused with 401" "$HTTP_CODE" 401
    t_http POST client1 /gossip '{"type":"gossip"}'
    t_expect "unsigned gossip is refused with 401" "$HTTP_CODE" 401
    curl -s -o /dev/null -H 'X-Paxos-Signature: t=1,sig=00' --data-binary "$forged" \
        "$(t_url acceptor1 /accept)" || true
    t_expect "the refused messages changed nothing on acceptor1" \
        "$(t_field acceptor1 '"\(.promised.round).\(.promised.node) \(.max_slot)"')" "$before"
    t_signed_post acceptor1 /accept "$confirm"
    t_expect "a signed message from a peer is taken (a stale ballot: 409)" "$HTTP_CODE" 409
    HTTP_CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Paxos-Signature: $SIGNATURE" \
        --data-binary "$confirm" "$(t_url acceptor1 /accept)") || true
    t_expect "the same signed message sent again (a replay) is refused with 401" "$HTTP_CODE" 401
    t_signed_post acceptor1 /accept "$confirm" $(( $(date +%s%N) / 1000000 - 60000 ))
    t_expect "a signature a minute old is refused with 401" "$HTTP_CODE" 401
    t_http GET acceptor1 /status
    t_expect "user routes stay open without a client token" "$HTTP_CODE" 200
}

# ------------------------------------------------------------ c. bad input

phase_bad_input() {
    local big="$T_TMP/big.json" max_value
    t_say "# c. bad input"
    t_http POST client1 /send '{"value":'
    t_expect "malformed JSON to /send: 400 with an error" "$(error_reply)" "400 string"
    t_http POST proposer1 /propose '{"value": "x"'
    t_expect "malformed JSON to /propose: 400 with an error" "$(error_reply)" "400 string"
    t_http POST client1 /send '{}'
    t_expect "/send without a value: 400 with an error" "$(error_reply)" "400 string"
    t_http GET client1 /no-such-route
    t_expect "unknown route: 404 with an error" "$(error_reply)" "404 string"
    t_http GET client1 /send
    t_expect "GET on POST-only /send: 405 with an error" "$(error_reply)" "405 string"
    t_http POST learner1 /get-values '{}'
    t_expect "POST on GET-only /get-values: 405 with an error" "$(error_reply)" "405 string"
    # Default limits of paxosd: body 1 MiB, value 64 KiB.
    { printf '{"value":"'; head -c 1200000 /dev/zero | tr '\0' a; printf '"}'; } >"$big"
    t_http POST client1 /send "@$big"
    t_expect "a 1.2 MB body: 413 with an error" "$(error_reply)" "413 string"
    max_value=65536
    { printf '{"value":"'; head -c $((max_value + 1)) /dev/zero | tr '\0' b; printf '"}'; } >"$big"
    t_http POST client1 /send "@$big"
    t_expect "a value of max-value + 1 bytes: 400 with an error" "$(error_reply)" "400 string"
    { printf '{"value":"'; head -c "$max_value" /dev/zero | tr '\0' c; printf '"}'; } >"$big"
    t_http POST client1 /send "@$big"
    t_expect "a value of exactly max-value bytes is accepted" \
        "$HTTP_CODE $(jq -r '.status' <<<"$HTTP_BODY" 2>/dev/null)" "200 chosen"
    rm -f "$big"
    t_expect "the nodes still answer after bad input" \
        "$(t_field client1 .name) $(t_field learner1 .name)" "client1 learner1"
}

# ------------------------------------------------------------ throughput

phase_sequential() {
    local file="$T_TMP/seq"
    t_say "# sequential writes"
    t_batch "$file" 1 "seq-$TAG" "$SEQ_WRITES" client1
    t_expect "$SEQ_WRITES sequential writes through client1 are all acknowledged" \
        "$(count_acked "$file")" "$SEQ_WRITES"
    SEQ_RATE=$(( SEQ_WRITES * 1000 / T_BATCH_MS ))
    SEQ_LATENCY=$T_BATCH_LATENCY
    t_say "# $SEQ_WRITES sequential writes in $T_BATCH_MS ms: $SEQ_RATE writes/s, mean latency $SEQ_LATENCY ms"
}

# ------------------------------------------------------------ d. concurrent

phase_concurrent() {
    local file="$T_TMP/conc" total acked n=$((CONC_WORKERS * CONC_PER_WORKER))
    t_say "# d. $n concurrent writes through client1 and client2"
    t_batch "$file" "$CONC_WORKERS" "conc-$TAG" "$n" client1 client2
    total=$(count_lines "$file")
    acked=$(count_acked "$file")
    t_expect "all $n concurrent writes ($CONC_WORKERS at a time) answered 200" "$acked/$total" "$n/$n"
    if [[ "$acked" != "$total" ]]; then
        t_say "# not acknowledged: $(awk '$2 != 200 { print $1 "=" $2 }' "$file" | head -n 10 | tr '\n' ' ')"
    fi
    CONC_RATE=$(( n * 1000 / T_BATCH_MS ))
    t_say "# $n concurrent writes in $T_BATCH_MS ms: $CONC_RATE writes/s, mean latency $T_BATCH_LATENCY ms"
    check_no_write_lost "concurrent" "$file" "$T_TMP/seq"
}

# ------------------------------------------------------------ e. failover

phase_failover() {
    local old new="" old_pid w client pids=() files=() stop="$T_TMP/failover.stop"
    local t_kill t_leader_ms="" first before after failed deadline name others=()
    t_say "# e. kill -9 of the leader during writes"
    old=$(t_leader) || t_abort "a leader before the failover" "$(t_leaders)"
    old_pid=$(t_pid "$old")
    for name in "${T_PROPOSERS[@]}"; do
        [[ "$name" == "$old" ]] || others+=("$(t_url "$name" /status)")
    done
    [[ -n "$old_pid" ]] || t_abort "the leader's pid is known"
    for w in $(seq "$FAILOVER_WORKERS"); do
        client=client$(( (w - 1) % 2 + 1 ))
        files+=("$T_TMP/fail.$w")
        t_writer "$client" "fail$w-$TAG" "$T_TMP/fail.$w" "$stop" &
        pids+=("$!")
        t_bg "$!"
    done
    wait_until 10 at_least_acked 20 "${files[@]}" ||
        t_fail "writes flow before the kill" "$(count_acked "${files[@]}") acknowledged"
    before=$(count_acked "${files[@]}")
    t_kill=$(t_now_ms)
    kill -KILL "$old_pid"
    t_say "# killed $old (pid $old_pid) with SIGKILL after $before acknowledged writes"
    # One curl for both other proposers per poll, to time the takeover
    # closely.
    deadline=$(( t_kill + $(t_secs 15) * 1000 ))
    while (( $(t_now_ms) < deadline )); do
        new=$(curl -s -m 1 "${others[@]}" 2>/dev/null |
              jq -r 'select(.is_leader == true) | .name' 2>/dev/null | head -n 1)
        if [[ -n "$new" ]]; then
            t_leader_ms=$(t_now_ms)
            break
        fi
        sleep 0.01
    done
    if [[ -n "$new" ]]; then
        FAILOVER_LEADER_MS=$(( t_leader_ms - t_kill ))
        t_pass "a new leader takes over: $new, $FAILOVER_LEADER_MS ms after the kill"
    else
        t_fail "a new leader takes over within $(t_secs 15) s"
    fi
    if wait_until 15 has_first_ack_after "$t_kill" "${files[@]}"; then
        first=$(first_ack_after "$t_kill" "${files[@]}")
        FAILOVER_WRITE_MS=$(( first - t_kill ))
        t_pass "writes are acknowledged again, the first $FAILOVER_WRITE_MS ms after the kill"
    else
        t_fail "writes are acknowledged again after the kill"
    fi
    sleep 2
    touch "$stop"
    wait "${pids[@]}"
    after=$(cat "${files[@]}" | awk -v t="$t_kill" '$2 == 200 && $3 >= t' | wc -l | tr -d ' ')
    failed=$(cat "${files[@]}" | awk '$2 != 200 { print $1 "=" $2 }')
    if [[ "$after" -gt 0 ]]; then
        t_pass "writes continue: $after acknowledged after the kill ($before before it)"
    else
        t_fail "writes continue after the kill"
    fi
    t_expect "no write fails during the failover (the client retries)" \
        "$(printf '%s' "$failed" | grep -c . || true)" 0
    [[ -z "$failed" ]] || t_say "# not acknowledged: $(printf '%s\n' "$failed" | head -n 10 | tr '\n' ' ')"
    check_no_write_lost "failover" "${files[@]}" "$T_TMP/conc" "$T_TMP/seq"

    [[ -n "$new" ]] || return 0
    t_say "# restarting $old"
    if t_local restart "$old" >"$T_TMP/restart.out" 2>&1; then
        t_pass "$old restarts (paxos-local.sh restart)"
    else
        t_fail "$old restarts (paxos-local.sh restart)" "$(cat "$T_TMP/restart.out")"
        return 0
    fi
    if wait_until 10 followers_follow "$new"; then
        t_pass "the restarted $old follows the new leader $new"
    else
        t_fail "the restarted $old follows the new leader $new" \
            "$old: $(t_field "$old" '"\(.state) leader=\(.leader)"')"
    fi
    t_expect "$new still leads once $old is back" "$(t_leader)" "$new"
    t_send client2 "after-restart-$TAG"
    t_expect "a write through client2 succeeds after $old rejoined" "$HTTP_CODE" 200
}

# ------------------------------------------------------------ f. acceptor

phase_acceptor() {
    local acc=acceptor1 pid p_before m_before p_after m_after out
    t_say "# f. kill -9 of an acceptor, restart with the same data dir"
    p_before=$(t_field "$acc" '"\(.promised.round).\(.promised.node)"')
    m_before=$(t_field "$acc" .max_slot)
    if [[ "$p_before" =~ ^[0-9]+\.[0-9]+$ && "$p_before" != 0.0 && "$m_before" =~ ^[0-9]+$ && $m_before -gt 0 ]]; then
        t_pass "$acc has promised ballot $p_before and accepted up to slot $m_before"
    else
        t_fail "$acc has a promise and accepted slots before the crash" \
            "promised=$p_before max_slot=$m_before"
        return 0
    fi
    pid=$(t_pid "$acc")
    kill -KILL "$pid"
    wait_until 5 t_port_closed "$acc" || t_fail "$acc is gone after kill -9"
    t_writer client1 "acc-down-$TAG" "$T_TMP/acc.down" "$T_TMP/never" 10
    t_expect "10 writes succeed with $acc down (2 of 3 acceptors)" \
        "$(count_acked "$T_TMP/acc.down")" 10
    if ! out=$(t_local restart "$acc" 2>&1); then
        t_fail "$acc restarts with the same data dir" "$out"
        return 0
    fi
    p_after=$(t_field "$acc" '"\(.promised.round).\(.promised.node)"')
    m_after=$(t_field "$acc" .max_slot)
    if [[ "$p_after" =~ ^[0-9]+\.[0-9]+$ ]] && ballot_ge "$p_after" "$p_before"; then
        t_pass "after the restart $acc's promised ballot survives ($p_before before, $p_after after)"
    else
        t_fail "after the restart $acc's promised ballot survives" \
            "before $p_before, after $p_after"
    fi
    if [[ "$m_after" =~ ^[0-9]+$ ]] && (( m_after >= m_before )); then
        t_pass "after the restart $acc's max_slot survives ($m_before before, $m_after after)"
    else
        t_fail "after the restart $acc's max_slot survives" \
            "before $m_before, after $m_after"
    fi
    t_writer client2 "acc-up-$TAG" "$T_TMP/acc.up" "$T_TMP/never" 10
    t_expect "10 writes succeed after $acc restarted" "$(count_acked "$T_TMP/acc.up")" 10
    check_no_write_lost "final" "$T_TMP"/fail.* "$T_TMP/conc" "$T_TMP/seq" \
        "$T_TMP/acc.down" "$T_TMP/acc.up"
}

# ------------------------------------------------------------ g. client

phase_client_restart() {
    local client=client1 seq_before seq_after out
    t_say "# g. kill -9 of a client node, restart with the same data dir"
    seq_before=$(t_json "$client" /get-responses | jq -r '[.responses[].seq] | max')
    kill -KILL "$(t_pid "$client")"
    wait_until 5 t_port_closed "$client" || t_fail "$client is gone after kill -9"
    if ! out=$(t_local restart "$client" 2>&1); then
        t_fail "$client restarts with the same data dir" "$out"
        return 0
    fi
    t_send "$client" "after-client-restart-$TAG"
    t_expect "a write through the restarted $client is chosen" \
        "$(jq -r .status <<<"$HTTP_BODY" 2>/dev/null)" chosen
    seq_after=$(jq -r .seq <<<"$HTTP_BODY" 2>/dev/null)
    if [[ "$seq_before" =~ ^[0-9]+$ && "$seq_after" =~ ^[0-9]+$ ]] &&
       (( seq_after > seq_before )); then
        t_pass "its sequence numbers go on past those used before ($seq_before, then $seq_after)"
    else
        t_fail "its sequence numbers go on past those used before" \
            "before $seq_before, after $seq_after"
    fi
}

# ------------------------------------------------------------ main

t_init
T_START=$(t_now_ms)
phase_start
phase_one_write
phase_metrics
phase_auth
phase_bad_input
phase_sequential
phase_concurrent
phase_failover
phase_acceptor
phase_client_restart

t_say "# stopping the cluster"
t_local down >/dev/null 2>&1 || t_fail "paxos-local.sh down stops the cluster"
if report=$(t_grep_sanitizers); then
    t_pass "no sanitizer report in any node's log"
else
    t_fail "no sanitizer report in any node's log" "$report"
fi
t_say "# measured ($FSYNC): sequential $SEQ_RATE writes/s (mean latency $SEQ_LATENCY ms)," \
    "concurrent $CONC_RATE writes/s, failover: new leader after $FAILOVER_LEADER_MS ms," \
    "first acknowledged write after $FAILOVER_WRITE_MS ms; test took $(( ($(t_now_ms) - T_START) / 1000 )) s"
t_finish
exit $?
