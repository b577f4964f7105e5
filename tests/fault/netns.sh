# shellcheck shell=bash
# netns.sh -- the fault suite's network hosts (sourced by faults.sh, after
# tests/integration/lib.sh). Each node of the guide's ten-node cluster,
# and the two spare acceptors the nemesis brings into the acceptor set,
# runs in a network namespace of its own, with its own address on a
# bridge that lives in one more namespace (the "switch"), so that nothing
# is added to the machine's own network; one more host, the tester, runs
# the workload and the hostile client. Every namespace gets a hosts file
# (/etc/netns/NS/hosts, which `ip netns exec` mounts on /etc/hosts) and a
# resolv.conf that resolve the cluster's DNS names as Kubernetes does:
# proposer1.paxos.svc.cluster.local, proposer1.paxos, proposer1. The nodes
# are configured like the Kubernetes pods, by environment, and SEED_NODES
# names them by those DNS names. Their settings are the manifests': every
# key of k8s/01-configmap.yaml (SEED_NODES by short names, the peer port
# offset, the heartbeat, election and gossip timings), the spare
# acceptors' SEED_NODES from k8s/spare-acceptors/, and a cluster secret
# that signs every peer message, as deploy-paxos-k8s.sh makes one.
#
# Every namespace is named with the prefix $F_PREFIX ("pxf", the run's
# pid, "-"); f_teardown removes them all (with their veths, bridge and
# iptables rules), their /etc/netns entries and every process inside
# them. A run also removes what a run killed too hard to clean up left.
#
# Each node's namespace has two iptables chains for the nemesis,
# NEMESIS_IN (from INPUT) and NEMESIS_OUT (from OUTPUT), empty while the
# network is healthy.

F_SUBNET=10.77.0
F_DOMAIN=paxos.svc.cluster.local
F_PREFIX="pxf$$-"
F_SWITCH="${F_PREFIX}switch"
F_TESTER=tester
F_NODES=("${T_NODES[@]}" acceptor4 acceptor5)
F_MADE_NETNS_DIR=no
F_ENV=()                    # KEY=VALUE: the ConfigMap's, and the secret
F_SPARE_SEEDS=""            # the spare acceptors' SEED_NODES
F_PEER_OFFSET=0             # the ConfigMap's PEER_PORT_OFFSET
F_SECRET=""                 # the cluster secret (in F_ENV too)
declare -A F_PID=()         # node name -> pid of its paxosd

f_ns() {
    printf '%s%s\n' "$F_PREFIX" "$1"
}

f_role() {
    printf '%s\n' "${1%%[0-9]*}"
}

# A host's address: 10.77.0.(10 + id) for a node, .100 for the tester.
f_addr() {
    if [[ "$1" == "$F_TESTER" ]]; then
        printf '%s.100\n' "$F_SUBNET"
    else
        printf '%s.%d\n' "$F_SUBNET" $((10 + T_ID[$1]))
    fi
}

f_fqdn() {
    printf '%s.%s\n' "$1" "$F_DOMAIN"
}

# f_k8s_settings K8S_DIR: the nodes' environment, from the manifests
# (yq), and a new cluster secret. Fails with the reason.
f_k8s_settings() {
    local dir=$1 line
    F_ENV=()
    while IFS= read -r line; do
        F_ENV+=("$line")
    done < <(yq -r '.data | to_entries[] | "\(.key)=\(.value)"' "$dir/01-configmap.yaml")
    F_SPARE_SEEDS=$(yq -r 'select(.kind == "Deployment" and .metadata.name == "acceptor4")
        | .spec.template.spec.containers[0].env[] | select(.name == "SEED_NODES") | .value' \
        "$dir/spare-acceptors/01-acceptors.yaml")
    F_PEER_OFFSET=$(yq -r '.data.PEER_PORT_OFFSET' "$dir/01-configmap.yaml")
    if [[ ${#F_ENV[@]} -lt 5 || -z "$F_SPARE_SEEDS" || ! "$F_PEER_OFFSET" =~ ^[0-9]+$ ]]; then
        printf 'cannot read the settings of %s and %s\n' "$dir/01-configmap.yaml" \
            "$dir/spare-acceptors/01-acceptors.yaml"
        return 1
    fi
    F_SECRET=$(openssl rand -hex 32)
    F_ENV+=("CLUSTER_SECRET=$F_SECRET")
}

# Prints why network namespaces cannot be used here; fails when they can.
f_cannot_netns() {
    local probe="${F_PREFIX}probe" tool
    if [[ "$(id -u)" -ne 0 ]]; then
        printf 'needs root to create network namespaces (it runs as root in CI)\n'
        return 0
    fi
    for tool in ip iptables iptables-restore getent yq openssl; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            printf '%s is not installed (scripts/install-deps.sh installs it)\n' "$tool"
            return 0
        fi
    done
    if ! ip netns add "$probe" 2>/dev/null; then
        printf 'cannot create a network namespace (ip netns add failed)\n'
        return 0
    fi
    if ! ip netns exec "$probe" iptables -w -L INPUT >/dev/null 2>&1 ||
       ! ip netns exec "$probe" iptables -w -A INPUT -m statistic --mode random \
            --probability 0.5 -j DROP >/dev/null 2>&1; then
        ip netns del "$probe" 2>/dev/null || true
        printf 'iptables (with -m statistic) does not work inside a network namespace\n'
        return 0
    fi
    ip netns del "$probe"
    return 1
}

# The hosts file of every namespace: the cluster's names, as the cluster
# DNS of Kubernetes answers them, and the pod's own name.
f_write_resolver() {
    local host=$1 dir name
    dir=/etc/netns/$(f_ns "$host")
    mkdir -p "$dir"
    {
        printf '# %s: the fault suite host %s (tests/fault/netns.sh)\n' "$dir/hosts" "$host"
        printf '127.0.0.1\tlocalhost\n'
        printf '%s\t%s\n' "$(f_addr "$host")" "$host"
        for name in "${F_NODES[@]}"; do
            printf '%s\t%s %s.paxos.svc %s.paxos %s\n' "$(f_addr "$name")" \
                "$(f_fqdn "$name")" "$name" "$name" "$name"
        done
    } >"$dir/hosts"
    # Names outside the hosts file fail at once: no server at 127.0.0.1.
    printf 'search %s svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n' \
        "$F_DOMAIN" >"$dir/resolv.conf"
}

# One host: its namespace, a veth to the switch, its address, its
# resolver files and (for a node) the nemesis chains.
f_add_host() {
    local host=$1 ns
    ns=$(f_ns "$host")
    ip netns add "$ns"
    ip -n "$F_SWITCH" link add "v-$host" type veth peer name eth0 netns "$ns"
    ip -n "$F_SWITCH" link set "v-$host" master br0 up
    ip -n "$ns" addr add "$(f_addr "$host")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    f_write_resolver "$host"
    [[ "$host" == "$F_TESTER" ]] && return 0
    printf '*filter\n:NEMESIS_IN - [0:0]\n:NEMESIS_OUT - [0:0]\n-A INPUT -j NEMESIS_IN\n-A OUTPUT -j NEMESIS_OUT\nCOMMIT\n' |
        ip netns exec "$ns" iptables-restore -w --noflush
}

f_setup_network() {
    local host
    f_remove_stale
    if [[ ! -d /etc/netns ]]; then
        mkdir /etc/netns
        F_MADE_NETNS_DIR=yes
    fi
    ip netns add "$F_SWITCH"
    ip -n "$F_SWITCH" link add br0 type bridge
    ip -n "$F_SWITCH" link set br0 up
    for host in "${F_NODES[@]}" "$F_TESTER"; do
        f_add_host "$host"
    done
}

# f_remove_hosts PREFIX: kills every process in the namespaces named
# PREFIX..., then removes the namespaces (and with them the veths, the
# bridge and the iptables rules) and their /etc/netns entries.
f_remove_hosts() {
    local ns pids
    while read -r ns _; do
        [[ "$ns" == "$1"* ]] || continue
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        if [[ -n "$pids" ]]; then
            # shellcheck disable=SC2086  # one pid a word
            kill -CONT $pids 2>/dev/null || true
            # shellcheck disable=SC2086
            kill -KILL $pids 2>/dev/null || true
        fi
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "/etc/netns/$ns"
    done < <(ip netns list 2>/dev/null)
}

# Removes what an earlier run left behind when it was killed too hard to
# clean up (its namespaces name its pid, and that process is gone).
f_remove_stale() {
    local ns pid
    while read -r ns _; do
        [[ "$ns" =~ ^pxf([0-9]+)- ]] || continue
        pid=${BASH_REMATCH[1]}
        if ! kill -0 "$pid" 2>/dev/null; then
            f_remove_hosts "pxf$pid-"
        fi
    done < <(ip netns list 2>/dev/null)
}

f_teardown() {
    f_remove_hosts "$F_PREFIX"
    if [[ "$F_MADE_NETNS_DIR" == yes ]]; then
        rmdir /etc/netns 2>/dev/null || true
    fi
}

# f_in HOST COMMAND...: runs COMMAND on HOST (in its namespace).
f_in() {
    local ns
    ns=$(f_ns "$1")
    shift
    ip netns exec "$ns" "$@"
}

# f_iptables NODE RULE...: adds iptables rules (iptables-restore lines of
# the filter table) in NODE's namespace, at once.
f_iptables() {
    local node=$1
    shift
    printf '*filter\n%s\nCOMMIT\n' "$(printf '%s\n' "$@")" |
        f_in "$node" iptables-restore -w --noflush
}

# Starts NODE (again): its data directory and log are kept across starts.
f_start() {
    local name=$1 log="$T_RUN/logs/$1.log"
    mkdir -p "$T_RUN/data/$name" "$T_RUN/logs"
    printf '=== %s: starting %s ===\n' "$(date '+%F %T.%3N')" "$name" >>"$log"
    # Not through f_in: $! must be paxosd itself (ip netns exec and env
    # exec it), not a subshell.
    local seeds=()
    [[ "$name" == acceptor[45] ]] && seeds=("SEED_NODES=$F_SPARE_SEEDS")
    ip netns exec "$(f_ns "$name")" env "${F_ENV[@]}" ${seeds[@]+"${seeds[@]}"} \
        NODE_ROLE="$(f_role "$name")" NODE_ID="${T_ID[$name]}" \
        PORT="${T_PORT[$name]}" DATA_DIR="$T_RUN/data/$name" "$PAXOSD" \
        </dev/null >>"$log" 2>&1 &
    F_PID[$name]=$!
    disown "$!"     # bash would report every kill -9 of the nemesis
}

# The nemesis's operations on a node (nemesis.sh).
f_kill() {
    kill -KILL "${F_PID[$1]}" 2>/dev/null || true
}

f_pause() {
    kill -STOP "${F_PID[$1]}" 2>/dev/null || true
}

f_resume() {
    kill -CONT "${F_PID[$1]}" 2>/dev/null || true
}

# Empties NODE's nemesis chains.
f_clear_network() {
    printf '*filter\n-F NEMESIS_IN\n-F NEMESIS_OUT\nCOMMIT\n' |
        f_in "$1" iptables-restore -w --noflush
}

# True while NODE's process runs (a stopped one too; not a zombie).
f_alive() {
    local pid=${F_PID[$1]:-} stat
    [[ -n "$pid" ]] && stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat%% *}" != Z ]]
}

# f_get NODE PATH [SECONDS]: GET from NODE's own namespace (so that no
# fault of the network is in the way); the body on stdout, fails unless 200.
f_get() {
    f_in "$1" curl -fsS -m "${3:-2}" "http://127.0.0.1:${T_PORT[$1]}$2" 2>/dev/null
}

# f_voters: the acceptors the configuration in force names, one a line,
# as the leader says (nothing when there is no leader).
f_voters() {
    local leader
    leader=$(f_leader) || return 1
    f_get "$leader" /voters 2 | jq -r '.voters[].name'
}

# f_lost_voters: the voters in force whose data directory is new (they
# wait, under another member identity), one a line, as the leader says.
f_lost_voters() {
    local leader
    leader=$(f_leader) || return 1
    f_get "$leader" /voters 5 |
        jq -r '.acceptors[] | select(.standing | startswith("waiting: a voter")) | .name'
}

# f_change BODY: POST /voters from the tester (through proposer1, which
# forwards to the leader), tried again for up to SECONDS (default 15)
# while there is no leader; true once the change is in force.
f_change() {
    local deadline=$(( $(t_now_ms) + ${2:-15} * 1000 )) code
    while (( $(t_now_ms) < deadline )); do
        code=$(f_in "$F_TESTER" curl -s -o /dev/null -w '%{http_code}' -m 10 \
            -X POST --data-binary "$1" \
            "http://$(f_fqdn proposer1):${T_PORT[proposer1]}/voters") || true
        [[ "$code" == 200 ]] && return 0
        [[ "$code" == 400 ]] && return 1
        sleep 0.5
    done
    return 1
}

# The proposer that reports is_leader, or nothing.
f_leader() {
    local name
    for name in "${T_PROPOSERS[@]}"; do
        if f_get "$name" /status 1 | jq -e '.is_leader == true' >/dev/null 2>&1; then
            printf '%s\n' "$name"
            return 0
        fi
    done
    return 1
}

f_all_healthy() {
    local name
    for name in "${F_NODES[@]}"; do
        f_get "$name" /health 1 >/dev/null || return 1
    done
}

f_ready() {
    f_all_healthy && f_leader >/dev/null
}
