#!/usr/bin/env bash
# token.sh -- a cluster with a client token: the routes people use need
# it (Authorization: Bearer), /health and the page stay open, the nodes
# still work among themselves (they sign their calls), and paxos-top gets
# in with --token.
#
# Runs beside the other tests: its ports are the guide's plus 800.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail
export PAXOS_PORT_OFFSET=800
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOKEN=token-for-the-test-7c1f
export PAXOS_CLIENT_TOKEN=$TOKEN

# code METHOD NODE PATH [BODY] [TOKEN]: the HTTP status of one request.
code() {
    local args=(-s -o /dev/null -w '%{http_code}' -m "$(t_secs 10)" -X "$1")
    [[ -n "${4:-}" ]] && args+=(--data-binary "$4")
    [[ -n "${5:-}" ]] && args+=(-H "Authorization: Bearer $5")
    curl "${args[@]}" "$(t_url "$2" "$3")" || true
}

t_init
t_require_free_ports
t_cluster_up

t_expect "/send without the token is refused with 401" \
    "$(code POST client1 /send '{"value":"no-token"}')" 401
t_expect "/send with a wrong token is refused with 401" \
    "$(code POST client1 /send '{"value":"bad-token"}' wrong-token-1234)" 401
t_expect "/send with the token is chosen (the nodes pass it on, signed)" \
    "$(code POST client1 /send '{"value":"with-token"}' "$TOKEN")" 200
t_expect "/read with the token returns the log" "$(code GET client1 /read '' "$TOKEN")" 200
t_expect "/status without the token is refused with 401" "$(code GET learner1 /status)" 401
t_expect "/health stays open for probes" "$(code GET learner1 /health)" 200
t_expect "the client's page stays open (it asks for the token)" "$(code GET client1 /)" 200

if [[ -n "${PAXOS_TOP:-}" && -x "${PAXOS_TOP:-}" ]]; then
    if "$PAXOS_TOP" --run-dir "$T_RUN" --monitor --interval 0.5 --duration 2 \
            --token "$TOKEN" >"$T_TMP/top.out" 2>&1 &&
       grep -q "leader proposer" "$T_TMP/top.out"; then
        t_pass "paxos-top --token sees the leader"
    else
        t_fail "paxos-top --token sees the leader" "$(tail -n 5 "$T_TMP/top.out")"
    fi
    if PAXOS_CLIENT_TOKEN='' "$PAXOS_TOP" --run-dir "$T_RUN" --monitor \
            --interval 0.5 --duration 2 >"$T_TMP/top.out" 2>&1; then
        t_fail "paxos-top without the token exits non-zero (it sees no leader)"
    else
        t_pass "paxos-top without the token exits non-zero (it sees no leader)"
    fi
else
    t_say "# PAXOS_TOP not given: paxos-top's --token not checked"
fi
t_finish
