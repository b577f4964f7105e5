# shellcheck shell=bash
# nemesis.sh -- the fault suite's nemesis (sourced by faults.sh, after
# netns.sh). For a given time it alternates a quiet spell (1-4 s) and a
# fault held for 2-8 s, then heals it; one fault at a time, or two kinds
# at once one time in three. The kinds:
#   kill       kill -9 a node, then start it again (an acceptor keeps its
#              write-ahead file: the same data directory)
#   pause      SIGSTOP a node, then SIGCONT
#   partition  iptables inside the namespaces: the leader cut off from
#              every other node; a minority (one acceptor, a few others)
#              cut off from the majority; a ring where each node reaches
#              only its two neighbours on each side; or one-way, a node
#              that cannot open connections to some others while they
#              still reach it
#   loss       1-3 nodes drop 10-40 % of the packets they receive
#              (iptables -m statistic --mode random)
#   wipe       kill -9 a voting acceptor, empty its data directory and
#              start it again: it comes back under a new member identity
#              and does not vote; healing admits it again (POST /voters
#              {"add":NAME}), as an operator would
#   replace    kill -9 a voting acceptor for good and put a spare one
#              (an acceptor outside the acceptor set) in its place (POST
#              /voters {"replace":OLD,"with":SPARE}); healing empties the
#              old one's data directory and starts it as a spare
#   learner    kill -9 a learner and keep it down for a long time (20-60 s,
#              through the faults that follow; kill and pause do not pick
#              it, a partition or loss that does changes nothing); it
#              starts again on its data directory and catches up, from the
#              acceptors or by copying the other learner's log. One learner
#              at a time.
# The nodes are the caller's: F_NODES names them, and it defines f_kill
# (kill -9), f_pause, f_resume, f_start (again, on the same data), f_alive
# and f_clear_network (no nemesis rule left) -- netns.sh for the fault
# suite's processes, tests/container/podman.sh for containers (kill and
# pause only). partition and loss also use f_in (a command on a node's
# host), wipe and replace f_voters, f_change and $T_RUN/data.
# Every choice comes from bash's RANDOM, seeded by faults.sh: the same seed
# gives the same schedule (what a fault hits can still depend on the
# cluster, e.g. which proposer leads). Functions that choose at random set
# globals instead of printing, because a $(...) subshell would not advance
# the parent's RANDOM.
#
# Each event is printed ("# [12.3 s] ...") and kept in $N_LOG. A node that
# exits while the nemesis did not kill it has crashed: it is named in
# N_CRASHED (and started again, so that the run goes on).

# shellcheck disable=SC2034  # read by faults.sh
N_KINDS=(kill pause partition loss wipe replace learner)
N_FAULTS=()
N_LOG=/dev/null
N_START_MS=0
N_CRASHED=()
N_PICKED=()                 # set by n_pick
declare -A N_COUNT=()       # faults injected, by kind (and partition mode)
declare -A N_DOWN=()        # nodes the nemesis killed, until healed
declare -A N_PAUSED=()
declare -A N_WIPED=()       # acceptors to admit again when healed
declare -A N_RETIRED=()     # acceptors replaced, to start as spares
declare -A N_LONG=()        # learner kept down -> when to start it, in ms

n_log() {
    local line
    line=$(printf '[%6.1f s] %s' "$(( $(t_now_ms) - N_START_MS ))e-3" "$*")
    printf '# %s\n' "$line"
    printf '%s\n' "$line" >>"$N_LOG"
}

n_count() {
    N_COUNT[$1]=$(( ${N_COUNT[$1]:-0} + 1 ))
}

# n_pick K ITEM...: K distinct items at random, in random order, in N_PICKED.
n_pick() {
    local k=$1 i j tmp
    shift
    N_PICKED=("$@")
    for ((i = ${#N_PICKED[@]} - 1; i > 0; i--)); do
        j=$((RANDOM % (i + 1)))
        tmp=${N_PICKED[i]}
        N_PICKED[i]=${N_PICKED[j]}
        N_PICKED[j]=$tmp
    done
    N_PICKED=("${N_PICKED[@]:0:k}")
}

# n_between MIN MAX: a random integer in [MIN, MAX], in REPLY.
n_between() {
    REPLY=$(( $1 + RANDOM % ($2 - $1 + 1) ))
}

# The nodes that are up and not paused.
n_running() {
    local name
    for name in "${F_NODES[@]}"; do
        [[ -z "${N_DOWN[$name]:-}" && -z "${N_PAUSED[$name]:-}" &&
           -z "${N_LONG[$name]:-}" ]] && printf '%s\n' "$name"
    done
}

n_kill() {
    local running
    mapfile -t running < <(n_running)
    [[ ${#running[@]} -gt 0 ]] || return 0
    n_pick 1 "${running[@]}"
    f_kill "${N_PICKED[0]}"
    N_DOWN[${N_PICKED[0]}]=1
    n_count kill
    n_log "kill -9 ${N_PICKED[0]}"
}

n_pause() {
    local running
    mapfile -t running < <(n_running)
    [[ ${#running[@]} -gt 0 ]] || return 0
    n_pick 1 "${running[@]}"
    f_pause "${N_PICKED[0]}"
    N_PAUSED[${N_PICKED[0]}]=1
    n_count pause
    n_log "pause ${N_PICKED[0]}"
}

# n_cut "A..." "B...": no packet between a node of A and a node of B (each
# side drops what comes from the other).
n_cut() {
    local -a side_a side_b rules
    local name other
    read -r -a side_a <<<"$1"
    read -r -a side_b <<<"$2"
    for name in "${side_a[@]}"; do
        rules=()
        for other in "${side_b[@]}"; do
            rules+=("-A NEMESIS_IN -s $(f_addr "$other") -j DROP")
        done
        f_iptables "$name" "${rules[@]}"
    done
    for name in "${side_b[@]}"; do
        rules=()
        for other in "${side_a[@]}"; do
            rules+=("-A NEMESIS_IN -s $(f_addr "$other") -j DROP")
        done
        f_iptables "$name" "${rules[@]}"
    done
}

# Every node but those given.
n_others() {
    local name skip
    for name in "${F_NODES[@]}"; do
        for skip in "$@"; do
            [[ "$name" == "$skip" ]] && continue 2
        done
        printf '%s\n' "$name"
    done
}

n_partition_leader() {
    local leader
    if ! leader=$(f_leader); then
        n_pick 1 "${T_PROPOSERS[@]}"
        leader=${N_PICKED[0]}
    fi
    n_cut "$leader" "$(n_others "$leader" | paste -sd ' ' -)"
    n_log "partition: the leader $leader cut off from every other node"
}

n_partition_halves() {
    local minority=() majority=() others
    n_pick 1 acceptor1 acceptor2 acceptor3
    minority=("${N_PICKED[0]}")
    mapfile -t others < <(n_others acceptor1 acceptor2 acceptor3)
    n_pick $(( ${#others[@]} / 2 )) "${others[@]}"
    minority+=("${N_PICKED[@]}")
    mapfile -t majority < <(n_others "${minority[@]}")
    n_cut "${minority[*]}" "${majority[*]}"
    n_log "partition: minority {${minority[*]}} | majority {${majority[*]}}"
}

# A random ring: a node reaches the two nodes on each side of it.
n_partition_ring() {
    local -a ring rules
    local n i j d
    n_pick ${#F_NODES[@]} "${F_NODES[@]}"
    ring=("${N_PICKED[@]}")
    n=${#ring[@]}
    for ((i = 0; i < n; i++)); do
        rules=()
        for ((j = 0; j < n; j++)); do
            d=$(( (i - j + n) % n ))
            (( d > n - d )) && d=$((n - d))
            (( d > 2 )) && rules+=("-A NEMESIS_IN -s $(f_addr "${ring[j]}") -j DROP")
        done
        f_iptables "${ring[i]}" "${rules[@]}"
    done
    n_log "partition: ring ${ring[*]} (each node reaches two neighbours on each side)"
}

# One node cannot open a connection to some others; they still reach it.
n_partition_one_way() {
    local from rules=() to others
    n_pick 1 "${F_NODES[@]}"
    from=${N_PICKED[0]}
    mapfile -t others < <(n_others "$from")
    n_between 1 3
    n_pick "$REPLY" "${others[@]}"
    for to in "${N_PICKED[@]}"; do
        rules+=("-A NEMESIS_OUT -p tcp --syn -d $(f_addr "$to") -j DROP")
    done
    f_iptables "$from" "${rules[@]}"
    n_log "partition: one-way, $from cannot connect to ${N_PICKED[*]} (they can connect to it)"
}

n_partition() {
    local mode
    n_pick 1 leader halves ring one_way
    mode=${N_PICKED[0]}
    "n_partition_$mode"
    n_count partition
    n_count "partition-${mode//_/-}"
}

n_loss() {
    local name percent
    n_between 1 3
    n_pick "$REPLY" "${F_NODES[@]}"
    n_between 10 40
    percent=$REPLY
    for name in "${N_PICKED[@]}"; do
        f_iptables "$name" "-A NEMESIS_IN -m statistic --mode random --probability 0.$percent -j DROP"
    done
    n_count loss
    n_log "loss: ${N_PICKED[*]} drop $percent % of the packets they receive"
}

n_learner() {
    local learners=() name
    [[ ${#N_LONG[@]} -eq 0 ]] || return 0
    for name in $(n_running); do
        [[ "$name" == learner* ]] && learners+=("$name")
    done
    [[ ${#learners[@]} -gt 0 ]] || return 0
    n_pick 1 "${learners[@]}"
    name=${N_PICKED[0]}
    f_kill "$name"
    n_between 20 60
    N_LONG[$name]=$(( $(t_now_ms) + REPLY * 1000 ))
    n_count learner
    n_log "learner down for long: kill -9 $name, for $REPLY s"
}

# A voting acceptor that runs, in N_PICKED (empty when none). None while
# a voter's data is lost (it waits to be admitted again): a second loss
# would leave no majority of the voters with their data, and the cluster
# would stop for good, as etcd does when a quorum's disks are lost.
n_pick_voter() {
    local voters=() name running=() lost
    N_PICKED=()
    lost=$(f_lost_voters) || return 0
    [[ -z "$lost" ]] || return 0
    mapfile -t voters < <(f_voters || true)
    for name in "${voters[@]}"; do
        [[ -z "${N_DOWN[$name]:-}" && -z "${N_PAUSED[$name]:-}" &&
           -z "${N_WIPED[$name]:-}" ]] && running+=("$name")
    done
    [[ ${#running[@]} -gt 0 ]] && n_pick 1 "${running[@]}"
    return 0
}

# n_empty NODE: its data directory, as a lost disk leaves it.
n_empty() {
    rm -rf "${T_RUN:?}/data/$1"
    mkdir -p "$T_RUN/data/$1"
}

n_wipe() {
    local name
    n_pick_voter
    [[ ${#N_PICKED[@]} -gt 0 ]] || return 0
    name=${N_PICKED[0]}
    f_kill "$name"
    while f_alive "$name"; do sleep 0.05; done
    n_empty "$name"
    f_start "$name"
    N_WIPED[$name]=1
    n_count wipe
    n_log "wipe $name: kill -9, data directory emptied, started again"
}

n_replace() {
    local old spare voters=() spares=() name
    n_pick_voter
    [[ ${#N_PICKED[@]} -gt 0 ]] || return 0
    old=${N_PICKED[0]}
    mapfile -t voters < <(f_voters || true)
    for name in "${F_NODES[@]}"; do
        [[ "$name" == acceptor* && " ${voters[*]} " != *" $name "* &&
           -z "${N_DOWN[$name]:-}" && -z "${N_PAUSED[$name]:-}" &&
           -z "${N_RETIRED[$name]:-}" ]] && spares+=("$name")
    done
    [[ ${#spares[@]} -gt 0 ]] || return 0
    n_pick 1 "${spares[@]}"
    spare=${N_PICKED[0]}
    f_kill "$old"
    N_DOWN[$old]=1
    n_count replace
    if f_change "{\"replace\":\"$old\",\"with\":\"$spare\"}" 8; then
        N_RETIRED[$old]=1
        n_log "replace: kill -9 $old for good, $spare votes in its place"
    else
        n_log "replace: kill -9 $old; putting $spare in its place failed (no quorum, or no leader), $old comes back"
    fi
}

# Admits the wiped acceptors again (their new member identities); one
# that cannot be admitted now (no quorum, no leader) is asked for again at
# the next heal, while it still waits.
n_admit_wiped() {
    local name
    for name in "${!N_WIPED[@]}"; do
        if f_change "{\"add\":\"$name\"}"; then
            n_log "admitted $name again, under its new member identity"
        elif f_lost_voters | grep -qx "$name"; then
            n_log "could not admit $name again yet: asked again at the next heal"
            continue
        else
            n_log "could not admit $name again: it stays a spare"
        fi
        unset "N_WIPED[$name]"
    done
}

# Notes nodes that exited on their own (and starts them again).
n_find_crashes() {
    local name
    for name in "${F_NODES[@]}"; do
        [[ -n "${N_DOWN[$name]:-}" || -n "${N_LONG[$name]:-}" ]] && continue
        if ! f_alive "$name"; then
            N_CRASHED+=("$name")
            n_log "CRASH: $name exited on its own (see its log)"
            f_start "$name"
        fi
    done
}

# n_heal due|all: heals everything: empties every nemesis chain, resumes
# paused nodes and starts killed ones again; a learner kept down for long
# only once its time is up ("due"), or at once ("all").
n_heal() {
    local name
    for name in "${F_NODES[@]}"; do
        f_clear_network "$name"
    done
    for name in "${!N_PAUSED[@]}"; do
        f_resume "$name"
    done
    n_find_crashes
    for name in "${!N_DOWN[@]}"; do
        [[ -n "${N_RETIRED[$name]:-}" ]] && n_empty "$name"
        f_start "$name"
    done
    N_PAUSED=()
    N_DOWN=()
    N_RETIRED=()
    for name in "${!N_LONG[@]}"; do
        if [[ "$1" == all ]] || (( $(t_now_ms) >= N_LONG[$name] )); then
            f_start "$name"
            unset "N_LONG[$name]"
            n_log "$name starts again after its long outage"
        fi
    done
    n_admit_wiped
    n_log "healed"
}

# n_run SECONDS: one fault after another until the time is up, each
# healed before the next.
n_run() {
    local end kinds kind
    end=$(( $(t_now_ms) + $1 * 1000 ))
    while :; do
        n_between 1 4
        sleep "$REPLY"
        n_find_crashes
        (( $(t_now_ms) < end )) || break
        kinds=1
        if [[ ${#N_FAULTS[@]} -gt 1 ]] && (( RANDOM % 3 == 0 )); then
            kinds=2
        fi
        n_pick "$kinds" "${N_FAULTS[@]}"
        for kind in "${N_PICKED[@]}"; do
            "n_$kind"
        done
        n_between 2 8
        sleep "$REPLY"
        n_heal due
    done
}
