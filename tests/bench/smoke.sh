#!/bin/sh
# shellcheck shell=bash disable=SC2317  # functions called indirectly (t_check)
# smoke.sh -- the benchmark tools, briefly, with no timing asserted (CI
# runs this; tests/bench/run-benchmarks.sh measures): starts the ten-node
# cluster at port offset 950, runs paxos-bench for 2 s at 4 connections
# against the leader's /propose and a client's /send and checks that
# writes were acknowledged, none failed and the JSON total parses; checks
# that gossip-watch sees every node alive; does the same bench against a
# 3-member etcd cluster when etcd-server is installed.
#
# Run by `make check` with PAXOSD and PAXOS_SRCDIR set; the bench tools
# are taken from the build directory beside PAXOSD. Exit status: 0 pass,
# 1 fail, 77 skip (the cluster cannot start here: a tool is missing or
# its ports are taken).

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail
export PAXOS_PORT_OFFSET=950
ETCD_CLIENT_PORT=23794          # and the next two; peers from 23804
ETCD_PEER_PORT=23804

# shellcheck source=tests/integration/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../integration" && pwd)/lib.sh"
# shellcheck source=tests/bench/etcd.sh
. "$(dirname "${BASH_SOURCE[0]}")/etcd.sh"

# json_true JSON FILTER: the filter holds for the JSON text.
json_true() {
    jq -e "$2" >/dev/null 2>&1 <<<"$1"
}

# bench_ok LABEL URL [BENCH_ARGS...]: 2 s at 4 connections; passes when the
# JSON total parses, writes were acknowledged and none failed or went
# unknown.
bench_ok() {
    local label=$1 url=$2 out total
    shift 2
    out="$T_TMP/bench-$label.out"
    if ! "$BENCH" --json -c 4 -d 2 -l "$label" --url "$url" "$@" >"$out" 2>&1; then
        t_fail "$label: paxos-bench exits 0" "$(tail -n 5 "$out")"
        return
    fi
    total=$(tail -n 1 "$out")
    t_say "# $total"
    if ! json_true "$total" 'has("writes_per_s") and has("p99_ms")'; then
        t_fail "$label: the total is JSON" "$total"
        return
    fi
    t_pass "$label: the total is JSON"
    t_check "$label: writes acknowledged" json_true "$total" '.writes > 0'
    t_check "$label: no write failed or unknown" \
        json_true "$total" '.failed == 0 and .unknown == 0'
}

phase_etcd() {
    local i pid port
    if ! command -v etcd >/dev/null 2>&1; then
        t_say "# etcd-server is not installed: etcd skipped"
        return
    fi
    for ((i = 0; i < 3; i++)); do
        if t_listening $((ETCD_CLIENT_PORT + i)) ||
           t_listening $((ETCD_PEER_PORT + i)); then
            t_say "# etcd's ports are taken: etcd skipped"
            return
        fi
    done
    etcd_start "$T_TMP/etcd" paxos-smoke
    for pid in "${ETCD_PIDS[@]}"; do
        t_bg "$pid"
    done
    if ! wait_until 30 etcd_leader_port >/dev/null; then
        t_fail "a 3-member etcd cluster elects a leader" \
            "$(tail -n 5 "$T_TMP/etcd/e1.log")"
        return
    fi
    t_pass "a 3-member etcd cluster elects a leader"
    port=$(etcd_leader_port)
    bench_ok etcd "http://$T_HOST:$port/v3/kv/put" --etcd
}

t_init
BENCH=${PAXOS_BENCH:-$(dirname "$PAXOSD")/tests/bench/paxos-bench}
WATCH=${PAXOS_GOSSIP_WATCH:-$(dirname "$PAXOSD")/tests/bench/gossip-watch}
for tool in "$BENCH" "$WATCH"; do
    [[ -x "$tool" ]] || t_abort "$(basename "$tool") is built" "no executable $tool"
done
mapfile -t busy < <(t_busy_ports)
[[ ${#busy[@]} -eq 0 ]] || t_skip "port ${busy[0]} is taken by another process"
t_cluster_up
wait_until 10 t_has_leader || t_abort "the cluster has a leader"
leader=$(t_leader)
bench_ok propose "$(t_url "$leader" /propose)"
bench_ok send "$(t_url client1 /send)"
ports=()
for name in "${T_NODES[@]}"; do
    ports+=("${T_PORT[$name]}")
done
t_check "gossip-watch: every node sees the ten alive" \
    "$WATCH" --alive 10 --timeout-s "$(t_secs 10)" "${ports[@]}"
phase_etcd
t_finish
