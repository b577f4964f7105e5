# shellcheck shell=bash
# etcd.sh -- a three-member etcd cluster on 127.0.0.1, measured beside
# paxosd (sourced by smoke.sh and run-benchmarks.sh). The script that
# sources it sets ETCD_CLIENT_PORT and ETCD_PEER_PORT: member eN (N from 1
# to 3) takes clients on ETCD_CLIENT_PORT + N - 1 and its peers on
# ETCD_PEER_PORT + N - 1.

ETCD_HOST=127.0.0.1
ETCD_PIDS=()            # the members' processes, e1 to e3

# etcd_start DIR TOKEN: starts the three members in the background, each
# with its data in DIR/eN and its log in DIR/eN.log; sets ETCD_PIDS.
etcd_start() {
    local dir=$1 token=$2 i cluster="" client peer
    mkdir -p "$dir"
    for i in 1 2 3; do
        peer="http://$ETCD_HOST:$((ETCD_PEER_PORT + i - 1))"
        cluster+="${cluster:+,}e$i=$peer"
    done
    ETCD_PIDS=()
    for i in 1 2 3; do
        client="http://$ETCD_HOST:$((ETCD_CLIENT_PORT + i - 1))"
        peer="http://$ETCD_HOST:$((ETCD_PEER_PORT + i - 1))"
        etcd --name "e$i" --data-dir "$dir/e$i" \
            --listen-client-urls "$client" --advertise-client-urls "$client" \
            --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
            --initial-cluster "$cluster" --initial-cluster-state new \
            --initial-cluster-token "$token" --log-level warn \
            >"$dir/e$i.log" 2>&1 &
        ETCD_PIDS+=("$!")
    done
}

# The client port of the member that reports itself the leader; fails
# while no member does.
etcd_leader_port() {
    local i port url status
    for i in 1 2 3; do
        port=$((ETCD_CLIENT_PORT + i - 1))
        url="http://$ETCD_HOST:$port/v3/maintenance/status"
        status=$(curl -fsS -m 1 -X POST -d '{}' "$url" 2>/dev/null) || continue
        if jq -e '.leader != null and .header.member_id == .leader' \
                <<<"$status" >/dev/null 2>&1; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    return 1
}
