#!/usr/bin/env bash
# gossip.sh -- gossip membership on the ten-node cluster, for real: every
# node sees every other alive; a node killed with -9 is marked dead by every
# live node within the bound its settings imply, and alive again everywhere
# once restarted; a node nobody knew is found once one node lists it; bad
# gossip is refused and changes nothing. Prints the measured times.
#
# Runs beside cluster.sh: its ports are the guide's plus 100.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail
export PAXOS_PORT_OFFSET=100
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROBE_MS=200
PROBE_TIMEOUT_MS=100
GOSSIP_MS=100
SUSPICION_MULT=2
# Peer routes on their own ports (PORT + 20000), as in Kubernetes.
T_PEER_OFFSET=20000
GOSSIP_FLAGS=(--probe-interval-ms "$PROBE_MS" --probe-timeout-ms "$PROBE_TIMEOUT_MS"
              --gossip-interval-ms "$GOSSIP_MS" --suspicion-mult "$SUSPICION_MULT"
              --push-pull-interval-ms 2000 --peer-port-offset "$T_PEER_OFFSET")
export PAXOSD_FLAGS="${GOSSIP_FLAGS[*]}"

# member_state OBSERVER ID: the state OBSERVER's /gossip/nodes gives ID.
member_state() {
    t_json "$1" /gossip/nodes |
        jq -r --argjson id "$2" '(.members[] | select(.id == $id) | .state) // "absent"' \
            2>/dev/null
}

# all_see ID STATE [NAME...]: every named node (default: every node but
# ID's own) sees member ID in STATE.
all_see() {
    local id=$1 want=$2 name
    shift 2
    for name in "$@"; do
        [[ "$(member_state "$name" "$id")" == "$want" ]] || return 1
    done
}

others_of() {
    local name
    for name in "${T_NODES[@]}"; do
        [[ "$name" == "$1" ]] || printf '%s\n' "$name"
    done
}

t_init
t_require_free_ports
t_cluster_up

# Everyone knows everyone.
everyone_alive() {
    local name
    for name in "${T_NODES[@]}"; do
        t_json "$name" /gossip/nodes |
            jq -e '.member_counts.alive == 10 and .member_counts.dead == 0' \
                >/dev/null 2>&1 || return 1
    done
}
t_check "every node sees all ten members alive" wait_until 10 everyone_alive
t_check "the leader hint reaches a client" \
    wait_until 5 bash -c "curl -fsS -m 2 '$(t_url client1 /status)' | jq -e '.leader_hint.id >= 1' >/dev/null"

# The bound the settings imply for a killed member to be dead everywhere:
# a probe round over the other members, the probe itself, the suspicion
# timeout (mult x max(1, log10 N) x probe interval), and a few gossip
# rounds for the word to spread.
N=10
SUSPICION_MS=$(( SUSPICION_MULT * PROBE_MS ))
DEAD_BOUND_MS=$(( (N - 1) * PROBE_MS + PROBE_MS + SUSPICION_MS + 10 * GOSSIP_MS ))
JOIN_BOUND_MS=$(( 2000 ))

victim=acceptor3
mapfile -t observers < <(others_of "$victim")
kill -9 "$(t_pid "$victim")"
start=$(t_now_ms)
if wait_until 10 all_see "${T_ID[$victim]}" dead "${observers[@]}"; then
    dead_ms=$(( $(t_now_ms) - start ))
    t_say "# $victim dead everywhere after $dead_ms ms (bound $DEAD_BOUND_MS ms x$T_SCALE)"
    t_expect "every live node marks the killed $victim dead within the bound" \
        "$(( dead_ms <= DEAD_BOUND_MS * T_SCALE ))" 1
else
    t_fail "every live node marks the killed $victim dead" "not within 10 s"
    dead_ms=-1
fi

t_local restart "$victim" >/dev/null
start=$(t_now_ms)
if wait_until 10 all_see "${T_ID[$victim]}" alive "${observers[@]}"; then
    alive_ms=$(( $(t_now_ms) - start ))
    t_say "# $victim alive everywhere $alive_ms ms after its restart (bound $JOIN_BOUND_MS ms x$T_SCALE)"
    t_expect "the restarted $victim is alive everywhere again within the bound" \
        "$(( alive_ms <= JOIN_BOUND_MS * T_SCALE ))" 1
else
    t_fail "the restarted $victim is alive everywhere again" "not within 10 s"
fi
t_check "the restarted $victim sees the others alive" \
    wait_until 5 all_see "${T_ID[proposer1]}" alive "$victim"

# A node that nobody lists, then one that lists it.
lonely_port=$(( T_PORT[client2] + 10 ))
finder_port=$(( T_PORT[client2] + 11 ))
"$PAXOSD" --role acceptor --id 21 --name acceptor21 --port "$lonely_port" \
    --bind 127.0.0.1 --data-dir "$T_RUN/data/acceptor21" "${GOSSIP_FLAGS[@]}" \
    --cluster-secret-file "$T_RUN/cluster.secret" \
    >"$T_RUN/logs/acceptor21.log" 2>&1 &
t_bg $!
"$PAXOSD" --role acceptor --id 22 --name acceptor22 --port "$finder_port" \
    --bind 127.0.0.1 --data-dir "$T_RUN/data/acceptor22" "${GOSSIP_FLAGS[@]}" \
    --cluster-secret-file "$T_RUN/cluster.secret" \
    --seeds "21:acceptor:127.0.0.1:$lonely_port,1:proposer:127.0.0.1:${T_PORT[proposer1]}" \
    >"$T_RUN/logs/acceptor22.log" 2>&1 &
t_bg $!
start=$(t_now_ms)
if wait_until 10 all_see 21 alive "${T_NODES[@]}"; then
    t_say "# a node nobody listed is alive everywhere $(( $(t_now_ms) - start )) ms after another listed it"
    t_pass "a node started with no seeds is found once another node lists it"
else
    t_fail "a node started with no seeds is found once another node lists it" \
        "learner1 sees it as $(member_state learner1 21)"
fi
lonely_sees() {
    curl -fsS -m 2 "http://127.0.0.1:$lonely_port/gossip/nodes" |
        jq -e '.member_counts.alive >= 12' >/dev/null 2>&1
}
if wait_until 10 lonely_sees; then
    t_pass "the node that had no seeds learns the whole cluster"
else
    t_fail "the node that had no seeds learns the whole cluster" \
        "it sees $(curl -fsS -m 2 "http://127.0.0.1:$lonely_port/gossip/nodes" | jq -c .member_counts)"
fi

# Bad gossip: refused with 401 unsigned, 400 signed, and nothing changes.
before=$(t_json learner1 /gossip/nodes | jq -c '[.members[] | {id, state, incarnation}]')
t_http POST learner1 /gossip '{"type":"gossip","from":{"id":1,"name":"proposer1","role":"proposer","host":"127.0.0.1","port":1,"state":"alive","incarnation":1},"members":[{"id":5,"name":"acceptor2","role":"acceptor","host":"127.0.0.1","port":4102,"state":"dead","incarnation":99999999999999}]}'
t_expect "gossip on the user port finds no route (404): peers use their own port" "$HTTP_CODE" 404
HTTP_CODE=$(curl -s -o /dev/null -w '%{http_code}' --data-binary '{"type":"gossip"}' \
    "http://$T_HOST:$(( T_PORT[learner1] + T_PEER_OFFSET ))/gossip") || true
t_expect "unsigned gossip (no cluster secret) on the peer port is refused with 401" "$HTTP_CODE" 401
t_signed_post learner1 /gossip '{"type":"ping"'
t_expect "malformed gossip is refused with 400" "$HTTP_CODE" 400
t_signed_post learner1 /gossip '{"type":"gossip","from":{"id":1,"name":"proposer1","role":"acceptor","host":"127.0.0.1","port":1,"state":"alive","incarnation":1},"members":[{"id":5,"name":"acceptor2","role":"acceptor","host":"127.0.0.1","port":4102,"state":"dead","incarnation":99999999999999}]}'
t_expect "gossip from a sender that contradicts its known role is refused with 400" "$HTTP_CODE" 400
t_signed_post learner1 /gossip '{"type":"ack","from":{"id":30,"name":"x","role":"client","host":"h","port":1,"state":"alive","incarnation":1},"probe":1}'
t_expect "an ack sent as a request is refused with 400" "$HTTP_CODE" 400
after=$(t_json learner1 /gossip/nodes | jq -c '[.members[] | {id, state, incarnation}]')
t_expect "refused gossip changed no member" "$after" "$before"

# A node declared dead while it runs refutes it.
inc=$(t_json learner2 /gossip/nodes | jq -r '.incarnation')
t_signed_post learner1 /gossip "{\"type\":\"gossip\",\"from\":{\"id\":9,\"name\":\"client1\",\"role\":\"client\",\"host\":\"127.0.0.1\",\"port\":${T_PORT[client1]},\"state\":\"alive\",\"incarnation\":1},\"members\":[{\"id\":8,\"name\":\"learner2\",\"role\":\"learner\",\"host\":\"127.0.0.1\",\"port\":${T_PORT[learner2]},\"state\":\"dead\",\"incarnation\":$inc}]}"
t_expect "a rumour that learner2 is dead is taken by learner1" "$HTTP_CODE" 200
refuted() {
    [[ "$(t_json learner2 /gossip/nodes | jq -r '.incarnation')" -gt "$inc" ]] &&
        all_see "${T_ID[learner2]}" alive learner1 proposer1
}
t_check "learner2 refutes its death with a higher incarnation, alive again" \
    wait_until 5 refuted

# A swarm (scripts/paxos-swarm.sh): more acceptors than one admission
# round first makes room for answer each node's questions.
SWARM_NODES=24
swarm() {
    PAXOS_SWARM_DIR="$T_RUN/data/swarm" PAXOS_SWARM_PORT=12001 \
        bash "$PAXOS_SRCDIR/scripts/paxos-swarm.sh" "$@"
}
swarm_converged() {
    [[ "$(swarm status | grep -c "alive $SWARM_NODES suspect 0 dead 0")" \
        == "$SWARM_NODES" ]]
}
swarm_all_running() {
    local file
    for file in "$T_RUN"/data/swarm/pids/*.pid; do
        kill -0 "$(cat "$file")" 2>/dev/null || return 1
    done
}
swarm up "$SWARM_NODES" >"$T_TMP/swarm.out" 2>&1 ||
    t_abort "a swarm of $SWARM_NODES nodes starts" "$(tail -n 3 "$T_TMP/swarm.out")"
t_check "every node of a $SWARM_NODES-node swarm sees all $SWARM_NODES alive" \
    wait_until 30 swarm_converged
sleep "$(t_secs 2)"             # a few more admission rounds
t_check "  ... and none of them crashed" swarm_all_running
t_check "  ... with no sanitizer report in their logs" \
    eval '! grep -l "Sanitizer" "$T_RUN"/data/swarm/logs/*.log'
swarm down >/dev/null 2>&1 || true

t_say "# measured: dead everywhere ${dead_ms} ms after kill -9 (probe ${PROBE_MS} ms, suspicion ${SUSPICION_MS} ms)"
t_finish
