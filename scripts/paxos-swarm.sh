#!/usr/bin/env bash
# paxos-swarm.sh -- many gossiping nodes on 127.0.0.1, to watch membership
# converge at scale (the consensus cluster is scripts/paxos-local.sh).
#
# Usage: scripts/paxos-swarm.sh up N | down | status
#   up N     start N nodes (acceptor role: it needs no other node), ids
#            1001.., ports 7001..; each knows only the first node and
#            finds the rest by gossip
#   down     stop them (TERM) and delete their data
#   status   per node: how many members it sees alive, suspect, dead
#
# Environment: PAXOS_SWARM_DIR (default ./run-swarm), PAXOSD (default
# ./paxosd, else build/paxosd), PAXOSD_FLAGS (extra flags, e.g. gossip
# timings), PAXOS_SWARM_PORT (first port, default 7001).
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${PAXOS_SWARM_DIR:-./run-swarm}
BASE=${PAXOS_SWARM_PORT:-7001}

die() {
    printf 'paxos-swarm.sh: %s\n' "$*" >&2
    exit 1
}

find_paxosd() {
    local candidate
    for candidate in "${PAXOSD:-}" ./paxosd "$SRC_DIR/paxosd" "$SRC_DIR/build/paxosd"; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return
        fi
    done
    die "no paxosd binary: build it first or set PAXOSD"
}

cmd_up() {
    local n=${1:-}
    [[ "$n" =~ ^[0-9]+$ && $n -ge 1 && $n -le 1000 ]] ||
        die "up takes a node count from 1 to 1000"
    [[ ! -d "$DIR/pids" ]] || [[ -z "$(ls -A "$DIR/pids")" ]] ||
        die "a swarm runs in $DIR already: run 'down' first"
    local bin flags=() i port seed
    bin=$(find_paxosd)
    read -r -a flags <<<"${PAXOSD_FLAGS:-}"
    mkdir -p "$DIR/pids" "$DIR/logs" "$DIR/data"
    seed="1001:acceptor:127.0.0.1:$BASE"
    for ((i = 1; i <= n; i++)); do
        port=$((BASE + i - 1))
        "$bin" --role acceptor --id $((1000 + i)) --name "node$i" --port "$port" \
            --bind 127.0.0.1 --no-fsync --log-level warn --seeds "$seed" \
            --data-dir "$DIR/data/node$i" "${flags[@]+"${flags[@]}"}" \
            >"$DIR/logs/node$i.log" 2>&1 &
        printf '%s\n' $! >"$DIR/pids/node$i.pid"
    done
    printf 'started %d nodes on ports %d..%d (%s)\n' "$n" "$BASE" "$((BASE + n - 1))" "$DIR"
}

cmd_down() {
    local file
    [[ -d "$DIR/pids" ]] || return 0
    for file in "$DIR"/pids/*.pid; do
        [[ -f "$file" ]] || continue
        kill -TERM "$(cat "$file")" 2>/dev/null || true
        rm -f "$file"
    done
    rm -rf "$DIR/data"
    printf 'stopped\n'
}

cmd_status() {
    local file name port
    [[ -d "$DIR/pids" ]] || die "no swarm in $DIR"
    for file in "$DIR"/pids/*.pid; do
        [[ -f "$file" ]] || continue
        name=$(basename "$file" .pid)
        port=$((BASE + ${name#node} - 1))
        printf '%-8s %s\n' "$name" "$(curl -fsS -m 1 "http://127.0.0.1:$port/gossip/nodes" |
            jq -r '.member_counts | "alive \(.alive) suspect \(.suspect) dead \(.dead)"' \
            2>/dev/null || echo down)"
    done
}

case "${1:-}" in
    up) cmd_up "${2:-}" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
