#!/usr/bin/env bash
# paxos-local.sh -- runs the guide's ten-node Paxos cluster on 127.0.0.1 as
# plain processes (no containers).
#
# Usage: scripts/paxos-local.sh COMMAND [ARG]
#   up              start all ten nodes, wait for a leader, print the nodes
#   down [--wipe]   stop every node (TERM, then KILL); --wipe also deletes data
#   status          one line per node: name, role, address, up/down, state
#   logs [NAME]     follow NAME's log; without NAME, the last lines of all
#   kill NAME       kill -9 one node (to demonstrate a crash)
#   restart NAME    start one node again with the same settings; also
#                   starts the spare acceptors, acceptor4 and acceptor5
#                   (then admit one: c, then a in paxos-top, or
#                   curl -X POST HOST:3001/voters -d '{"add":"acceptor4"}')
#   help            this text
#
# Environment:
#   PAXOS_RUN_DIR   run directory (default ./run): data/NAME/, logs/NAME.log,
#                   pids/NAME.pid, endpoints ("name=127.0.0.1:port" lines),
#                   cluster.secret (signs peer messages; made at first start)
#   PAXOSD          the paxosd binary (default ./paxosd, else the build dir)
#   PAXOSD_FLAGS    extra paxosd flags for every node, e.g. "--no-fsync"
#   PAXOS_CLIENT_TOKEN  when set, the routes people use need it as a bearer
#                   token (kept in client.token beside the cluster secret)
#   PAXOS_PORT_OFFSET   added to every port (default 0: the guide's ports),
#                   to run a second cluster beside the first
#   PAXOS_UP_TIMEOUT    seconds `up`/`restart` wait for the nodes (default 15)
#   PAXOS_STOP_TIMEOUT  seconds `down` waits before KILL (default 5)
#   PAXOS_LEAVE_OUT     guide nodes left out of the cluster (never started,
#                   in no node's SEED_NODES), e.g. "learner2" for a cluster
#                   with one learner; `up` keeps it for the other commands
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(dirname "$SCRIPT_DIR")
PROG=$(basename "$0")
# shellcheck source=scripts/common.sh
. "$SCRIPT_DIR/common.sh"

HOST=127.0.0.1
PORT_OFFSET=${PAXOS_PORT_OFFSET:-0}
UP_TIMEOUT=${PAXOS_UP_TIMEOUT:-15}
STOP_TIMEOUT=${PAXOS_STOP_TIMEOUT:-5}

# The guide's nodes and the spare acceptors (common.sh).
NODES=("${GUIDE_NODES[@]}" "${SPARE_ACCEPTORS[@]}")

RUN_DIR=""          # absolute; set by init_run_dir
BIN=""              # absolute path of paxosd; set by find_paxosd
FLAGS=()            # PAXOSD_FLAGS, split into words

# ---------------------------------------------------------------- helpers

# The comment block at the top of this file.
usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 4 { sub(/^# ?/, ""); print }' "$0"
}

# Milliseconds since the epoch.
now_ms() {
    local t
    t=$(date +%s%N)
    printf '%s\n' $((t / 1000000))
}

# Resolves the run directory to an absolute path (created when $1 = create).
init_run_dir() {
    local dir=${PAXOS_RUN_DIR:-./run}
    if [[ "${1:-}" == create ]]; then
        mkdir -p "$dir/data" "$dir/logs" "$dir/pids" ||
            die "cannot create the run directory $dir"
    fi
    if [[ -d "$dir" ]]; then
        RUN_DIR=$(cd "$dir" && pwd)
    elif [[ "$dir" == /* ]]; then
        RUN_DIR=$dir
    else
        RUN_DIR="$PWD/${dir#./}"
    fi
    # The ports of the cluster living here, unless told otherwise.
    if [[ -z "${PAXOS_PORT_OFFSET:-}" && -f "$RUN_DIR/settings" ]]; then
        # shellcheck source=/dev/null
        PORT_OFFSET=$(. "$RUN_DIR/settings" && printf '%s' "${PAXOS_PORT_OFFSET:-0}")
    fi
    # The nodes it leaves out, unless told otherwise.
    if [[ -z "${PAXOS_LEAVE_OUT+set}" && -f "$RUN_DIR/settings" ]]; then
        # shellcheck source=/dev/null
        PAXOS_LEAVE_OUT=$(. "$RUN_DIR/settings" && printf '%s' "${PAXOS_LEAVE_OUT:-}")
    fi
    leave_out
}

# Finds paxosd: $PAXOSD, ./paxosd, or the build directories of the source.
find_paxosd() {
    local candidate
    if [[ -n "${PAXOSD:-}" ]]; then
        [[ -f "$PAXOSD" && -x "$PAXOSD" ]] ||
            die "PAXOSD=$PAXOSD is not an executable file"
        candidate=$PAXOSD
    else
        for candidate in ./paxosd "$SRC_DIR/build/paxosd" "$SRC_DIR/paxosd" ""; do
            [[ -n "$candidate" && -f "$candidate" && -x "$candidate" ]] && break
        done
        [[ -n "$candidate" ]] ||
            die "paxosd not found (looked for ./paxosd, $SRC_DIR/build/paxosd" \
                "and $SRC_DIR/paxosd): build it first (scripts/run.sh does)" \
                "or set PAXOSD=/path/to/paxosd"
    fi
    BIN="$(cd "$(dirname "$candidate")" && pwd)/$(basename "$candidate")"
}

# Takes the nodes named in PAXOS_LEAVE_OUT out of NODES.
leave_out() {
    local name entry kept=()
    for name in ${PAXOS_LEAVE_OUT:-}; do
        guide_field "$name" role >/dev/null 2>&1 ||
            die "PAXOS_LEAVE_OUT: '$name' is not one of the guide's nodes"
    done
    for entry in "${NODES[@]}"; do
        [[ " ${PAXOS_LEAVE_OUT:-} " == *" ${entry%% *} "* ]] || kept+=("$entry")
    done
    NODES=("${kept[@]}")
}

# Splits PAXOSD_FLAGS into FLAGS.
load_flags() {
    FLAGS=()
    if [[ -n "${PAXOSD_FLAGS:-}" ]]; then
        read -r -a FLAGS <<<"$PAXOSD_FLAGS"
    fi
}

# The settings `up` used, so that `restart` uses the same ones.
save_settings() {
    {
        printf 'PAXOSD=%q\n' "$BIN"
        printf 'PAXOSD_FLAGS=%q\n' "${PAXOSD_FLAGS:-}"
        printf 'PAXOS_PORT_OFFSET=%q\n' "$PORT_OFFSET"
        printf 'PAXOS_LEAVE_OUT=%q\n' "${PAXOS_LEAVE_OUT:-}"
    } >"$RUN_DIR/settings"
}

load_settings() {
    local file="$RUN_DIR/settings"
    if [[ -f "$file" ]]; then
        # shellcheck source=/dev/null
        PAXOSD=$(. "$file" && printf '%s' "$PAXOSD")
        # shellcheck source=/dev/null
        PAXOSD_FLAGS=$(. "$file" && printf '%s' "$PAXOSD_FLAGS")
    fi
    find_paxosd
    load_flags
}

# The guide's ten, and the spare acceptors started in this run dir once
# (they have a data directory).
all_names() {
    local entry name
    for entry in "${NODES[@]}"; do
        name=${entry%% *}
        if ! is_spare "$name" || [[ -d "$RUN_DIR/data/$name" ]]; then
            printf '%s\n' "$name"
        fi
    done
}

# node_field NAME FIELD: FIELD is role, id or port (with PORT_OFFSET, as
# this cluster listens); dies on an unknown name.
node_field() {
    local value
    value=$(guide_field "$1" "$2") ||
        die "unknown node '$1' (one of: $(all_names | paste -sd ' ' -))"
    [[ "$2" != port ]] || value=$((value + PORT_OFFSET))
    printf '%s\n' "$value"
}

# seed_list NAME: SEED_NODES for NAME: the guide's ten, and for a spare
# acceptor the spares too (the guide's nodes find them by gossip; names
# come from the rank among the seeds, so a spare lists them all).
seed_list() {
    local entry name role id port list=""
    for entry in "${NODES[@]}"; do
        read -r name role id port <<<"$entry"
        is_spare "$name" && ! is_spare "$1" && continue
        list+="${list:+,}$id:$role:$HOST:$((port + PORT_OFFSET))"
    done
    printf '%s\n' "$list"
}

is_spare() {
    local entry
    for entry in "${SPARE_ACCEPTORS[@]}"; do
        [[ "${entry%% *}" == "$1" ]] && return 0
    done
    return 1
}

pid_file() {
    printf '%s\n' "$RUN_DIR/pids/$1.pid"
}

log_file() {
    printf '%s\n' "$RUN_DIR/logs/$1.log"
}

# The pid of NAME when it runs (the process in its pid file is alive and is
# the paxosd of this run directory); nothing and status 1 otherwise.
node_pid() {
    local file pid cmdline
    file=$(pid_file "$1")
    [[ -f "$file" ]] || return 1
    pid=$(<"$file")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/cmdline" ]]; then
        # A zombie's cmdline is empty; a reused pid runs something else.
        cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
        [[ "$cmdline" == *"$RUN_DIR/data/$1 "* ]] || return 1
    fi
    printf '%s\n' "$pid"
}

node_alive() {
    node_pid "$1" >/dev/null
}

# True while pid is a live process (not gone, not a zombie). A process
# that is exiting has no cmdline yet still holds its sockets until it
# turns zombie, so only the state in /proc/PID/stat says it is gone.
pid_running() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    [[ -d "/proc/$1" ]] || return 0
    stat=$(<"/proc/$1/stat") 2>/dev/null || return 1
    stat=${stat##*) }
    [[ "${stat%% *}" != [ZX] ]]
}

# True when something accepts connections on 127.0.0.1:PORT.
port_busy() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# GET http://127.0.0.1:PORT/PATH, body on stdout; fails unless 200.
http_get() {
    local auth=()
    [[ -s "$RUN_DIR/client.token" ]] &&
        auth=(-H "Authorization: Bearer $(cat "$RUN_DIR/client.token")")
    curl -fsS -m "${3:-2}" ${auth[@]+"${auth[@]}"} "http://$HOST:$1$2" 2>/dev/null
}

node_healthy() {
    http_get "$(node_field "$1" port)" /health 1 >/dev/null
}

# The name of the proposer that reports is_leader, or nothing.
current_leader() {
    local name port
    for name in proposer1 proposer2 proposer3; do
        port=$(node_field "$name" port)
        if http_get "$port" /status 1 | jq -e '.is_leader == true' >/dev/null 2>&1; then
            printf '%s\n' "$name"
            return 0
        fi
    done
    return 1
}

write_endpoints() {
    local name tmp="$RUN_DIR/endpoints.tmp"
    : >"$tmp"
    while read -r name; do
        printf '%s=%s:%s\n' "$name" "$HOST" "$(node_field "$name" port)" >>"$tmp"
    done < <(all_names)
    mv "$tmp" "$RUN_DIR/endpoints"
}

# Starts NAME in the background; its pid goes to its pid file.
# The cluster secret that signs peer messages: made once per run dir,
# readable by its owner only. With PAXOS_CLIENT_TOKEN set, the routes
# people use need that token too (kept beside it, for restarts).
# Files are written aside and renamed: a node starting meanwhile never
# reads one half written.
ensure_secret() {
    local file="$RUN_DIR/cluster.secret" token="$RUN_DIR/client.token"
    if [[ -n "${PAXOS_CLIENT_TOKEN:-}" &&
          "$(cat "$token" 2>/dev/null)" != "$PAXOS_CLIENT_TOKEN" ]]; then
        (umask 077 && printf '%s' "$PAXOS_CLIENT_TOKEN" >"$token.new" &&
         mv -f "$token.new" "$token") || die "cannot write the client token"
    fi
    [[ -s "$file" ]] && return 0
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file.new" &&
     mv -f "$file.new" "$file") || die "cannot write the cluster secret $file"
}

start_node() {
    local name=$1 role id port log pid args
    role=$(node_field "$name" role)
    id=$(node_field "$name" id)
    port=$(node_field "$name" port)
    log=$(log_file "$name")
    if node_alive "$name"; then
        say "$name is already running (pid $(node_pid "$name"))"
        return 0
    fi
    if port_busy "$port"; then
        die "port $port ($name) is already in use by another process"
    fi
    mkdir -p "$RUN_DIR/data/$name" "$RUN_DIR/logs" "$RUN_DIR/pids"
    printf '=== %s: starting %s (%s%s) ===\n' "$(date '+%F %T')" "$name" \
        "$BIN" "${PAXOSD_FLAGS:+ $PAXOSD_FLAGS}" >>"$log"
    ensure_secret
    args=(--role "$role" --id "$id" --port "$port" --bind "$HOST"
          --seeds "$(seed_list "$name")" --data-dir "$RUN_DIR/data/$name"
          --cluster-secret-file "$RUN_DIR/cluster.secret"
          ${FLAGS[@]+"${FLAGS[@]}"})
    [[ -s "$RUN_DIR/client.token" ]] &&
        args+=(--client-token-file "$RUN_DIR/client.token")
    # setsid: the node has its own session, so a Ctrl-C in this terminal or
    # its closing does not reach it. The shell's child is not a process
    # group leader, so setsid does not fork and $! is the node's pid.
    if have setsid; then
        setsid "$BIN" "${args[@]}" </dev/null >>"$log" 2>&1 &
    else
        nohup "$BIN" "${args[@]}" </dev/null >>"$log" 2>&1 &
    fi
    pid=$!
    printf '%s\n' "$pid" >"$(pid_file "$name")"
}

# Stops NAME's process: TERM, then KILL after STOP_TIMEOUT seconds.
stop_pids() {
    local pid deadline left
    deadline=$(( $(now_ms) + STOP_TIMEOUT * 1000 ))
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    while :; do
        left=()
        for pid in "$@"; do
            if pid_running "$pid"; then
                left+=("$pid")
            fi
        done
        [[ ${#left[@]} -eq 0 ]] && return 0
        if (( $(now_ms) >= deadline )); then
            warn "still running after ${STOP_TIMEOUT}s, sending KILL to: ${left[*]}"
            kill -KILL "${left[@]}" 2>/dev/null || true
            sleep 0.2
            return 0
        fi
        sleep 0.1
    done
}

# Waits until pid is gone (after a KILL), at most 3 s.
wait_gone() {
    local _
    for _ in $(seq 30); do
        pid_running "$1" || return 0
        sleep 0.1
    done
    return 1
}

# Prints the last lines of NAME's log, indented, to stderr.
show_log_tail() {
    local log
    log=$(log_file "$1")
    if [[ -f "$log" ]]; then
        warn "last lines of $log:"
        tail -n "${2:-15}" "$log" | sed 's/^/    /' >&2
    fi
}

# Waits until every node in "$@" answers /health and, when need_leader is
# yes, a proposer reports is_leader. Prints a progress line.
wait_ready() {
    local need_leader=$1 deadline name healthy dead leader="" tty=no last=""
    local line started
    shift
    [[ -t 1 ]] && tty=yes
    started=$(now_ms)
    deadline=$(( started + UP_TIMEOUT * 1000 ))
    while :; do
        healthy=0
        dead=()
        for name in "$@"; do
            if node_healthy "$name"; then
                healthy=$((healthy + 1))
            elif ! node_alive "$name"; then
                dead+=("$name")
            fi
        done
        leader=""
        if [[ "$need_leader" == yes ]]; then
            leader=$(current_leader || true)
        fi
        line=$(printf 'waiting: %d/%d node(s) healthy' "$healthy" "$#")
        [[ "$need_leader" == yes ]] && line+=", leader: ${leader:-none}"
        line+=$(printf ' (%.1fs)' "$(( $(now_ms) - started ))e-3")
        if [[ "$tty" == yes ]]; then
            printf '\r%s ' "$line"
        elif [[ "${line%% (*}" != "$last" ]]; then
            say "$line"
            last=${line%% (*}
        fi
        if [[ ${#dead[@]} -gt 0 ]]; then
            [[ "$tty" == yes ]] && printf '\n'
            for name in "${dead[@]}"; do
                show_log_tail "$name"
            done
            die "node(s) exited: ${dead[*]} (logs in $RUN_DIR/logs)"
        fi
        if [[ $healthy -eq $# && ( "$need_leader" == no || -n "$leader" ) ]]; then
            [[ "$tty" == yes ]] && printf '\n'
            return 0
        fi
        if (( $(now_ms) >= deadline )); then
            [[ "$tty" == yes ]] && printf '\n'
            for name in "$@"; do
                node_healthy "$name" || warn "$name does not answer /health"
            done
            [[ -n "$leader" || "$need_leader" == no ]] ||
                warn "no proposer reports is_leader"
            return 1
        fi
        sleep 0.2
    done
}

# One line of details for a running node, from its /status.
node_details() {
    local role=$1 port=$2 json
    json=$(http_get "$port" /status 1) || { printf 'no answer'; return 0; }
    case "$role" in
        proposer)
            jq -r '"state=\(.state) leader=\(.leader_name // "-") " +
                   "ballot=\(.ballot.round).\(.ballot.node) commit=\(.commit)"' \
                <<<"$json" ;;
        acceptor)
            jq -r '"promised=\(.promised.round).\(.promised.node) " +
                   "max_slot=\(.max_slot) commit=\(.commit)"' <<<"$json" ;;
        learner)
            jq -r '"applied=\(.applied) count=\(.values_count)"' <<<"$json" ;;
        client)
            jq -r '"writes_ok=\(.writes_ok) writes_failed=\(.writes_failed) " +
                   "leader=\(.leader_name)"' <<<"$json" ;;
    esac
}

print_summary() {
    local name role port leader
    printf '%-10s %-9s %-16s %s\n' NAME ROLE ADDRESS PID
    while read -r name; do
        role=$(node_field "$name" role)
        port=$(node_field "$name" port)
        printf '%-10s %-9s %-16s %s\n' "$name" "$role" "$HOST:$port" \
            "$(node_pid "$name" || printf -- -)"
    done < <(all_names)
    leader=$(current_leader || true)
    say "leader: ${leader:-none}"
    say "run dir: $RUN_DIR (endpoints: $RUN_DIR/endpoints)"
}

# --------------------------------------------------------------- commands

cmd_up() {
    local name alive=0 busy=() port names=()
    have curl || die "curl is not installed (scripts/install-deps.sh)"
    have jq || die "jq is not installed (scripts/install-deps.sh)"
    init_run_dir create
    while read -r name; do
        node_alive "$name" && alive=$((alive + 1))
    done < <(all_names)
    mapfile -t names < <(all_names)
    if [[ $alive -eq ${#names[@]} ]]; then
        say "a cluster is already running in $RUN_DIR"
        print_summary
        return 0
    fi
    if [[ $alive -gt 0 ]]; then
        die "a cluster is partly running in $RUN_DIR ($alive of ${#names[@]}" \
            "nodes alive): run '$PROG down' first (or '$PROG restart NAME')"
    fi
    find_paxosd
    load_flags
    while read -r name; do
        port=$(node_field "$name" port)
        port_busy "$port" && busy+=("$port ($name)")
    done < <(all_names)
    [[ ${#busy[@]} -eq 0 ]] ||
        die "port(s) already in use by another process: ${busy[*]}"
    save_settings
    write_endpoints
    say "starting ${#names[@]} nodes ($BIN${PAXOSD_FLAGS:+ $PAXOSD_FLAGS}) in $RUN_DIR"
    # Proposers last: their first election finds the acceptors listening.
    while read -r name; do
        [[ "$(node_field "$name" role)" == proposer ]] || start_node "$name"
    done < <(all_names)
    while read -r name; do
        [[ "$(node_field "$name" role)" != proposer ]] || start_node "$name"
    done < <(all_names)
    if ! wait_ready yes "${names[@]}"; then
        die "the cluster is not ready after ${UP_TIMEOUT}s: see $RUN_DIR/logs," \
            "then run '$PROG down'"
    fi
    print_summary
}

cmd_down() {
    local name pid pids=() names=()
    case "${1:-}" in
        ""|--wipe) ;;
        *) die "down takes only --wipe" ;;
    esac
    init_run_dir
    if [[ -d "$RUN_DIR/pids" ]]; then
        while read -r name; do
            if pid=$(node_pid "$name"); then
                pids+=("$pid")
                names+=("$name")
            fi
        done < <(all_names)
    fi
    if [[ ${#pids[@]} -gt 0 ]]; then
        say "stopping ${#pids[@]} node(s): ${names[*]}"
        stop_pids "${pids[@]}"
    else
        say "no node is running in $RUN_DIR"
    fi
    rm -f "$RUN_DIR"/pids/*.pid 2>/dev/null || true
    if [[ "${1:-}" == --wipe && -d "$RUN_DIR/data" ]]; then
        rm -rf "$RUN_DIR/data"
        say "deleted $RUN_DIR/data"
    fi
}

cmd_status() {
    local name role port state details
    have curl || die "curl is not installed (scripts/install-deps.sh)"
    have jq || die "jq is not installed (scripts/install-deps.sh)"
    init_run_dir
    printf '%-10s %-9s %-16s %-5s %s\n' NAME ROLE ADDRESS STATE DETAILS
    while read -r name; do
        role=$(node_field "$name" role)
        port=$(node_field "$name" port)
        details=""
        if node_healthy "$name"; then
            state=up
            details=$(node_details "$role" "$port")
            node_alive "$name" || details+=" (not started by this run dir)"
        elif node_alive "$name"; then
            state=busy
            details="process $(node_pid "$name") runs but /health does not answer"
        else
            state=down
        fi
        printf '%-10s %-9s %-16s %-5s %s\n' "$name" "$role" "$HOST:$port" \
            "$state" "$details"
    done < <(all_names)
}

cmd_logs() {
    local name log
    init_run_dir
    if [[ -n "${1:-}" ]]; then
        node_field "$1" role >/dev/null
        log=$(log_file "$1")
        [[ -f "$log" ]] || die "no log for $1 yet ($log)"
        exec tail -n 50 -F "$log"
    fi
    while read -r name; do
        log=$(log_file "$name")
        [[ -f "$log" ]] || continue
        say "==> $name ($log) <=="
        tail -n 8 "$log"
    done < <(all_names)
}

cmd_kill() {
    local name=${1:-} pid
    [[ -n "$name" ]] || die "kill needs a node name"
    node_field "$name" role >/dev/null
    init_run_dir
    pid=$(node_pid "$name") || die "$name is not running"
    kill -KILL "$pid"
    wait_gone "$pid" || warn "$name (pid $pid) is still there after KILL"
    rm -f "$(pid_file "$name")"
    say "killed $name (pid $pid) with SIGKILL"
}

cmd_restart() {
    local name=${1:-} pid
    [[ -n "$name" ]] || die "restart needs a node name"
    node_field "$name" role >/dev/null
    have curl || die "curl is not installed (scripts/install-deps.sh)"
    have jq || die "jq is not installed (scripts/install-deps.sh)"
    init_run_dir create
    load_settings
    [[ " ${PAXOS_LEAVE_OUT:-} " != *" $name "* ]] ||
        die "$name is left out of this cluster (PAXOS_LEAVE_OUT)"
    if pid=$(node_pid "$name"); then
        say "stopping $name (pid $pid)"
        stop_pids "$pid"
    fi
    start_node "$name"
    write_endpoints
    wait_ready no "$name" ||
        die "$name does not answer /health after ${UP_TIMEOUT}s (see $(log_file "$name"))"
    say "restarted $name (pid $(node_pid "$name")) on $HOST:$(node_field "$name" port)"
}

main() {
    local cmd=${1:-help}
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        up) [[ $# -eq 0 ]] || die "up takes no argument"; cmd_up ;;
        down) cmd_down "$@" ;;
        status) cmd_status ;;
        logs) cmd_logs "$@" ;;
        kill) cmd_kill "$@" ;;
        restart) cmd_restart "$@" ;;
        help|-h|--help) usage ;;
        *) usage >&2; die "unknown command '$cmd'" ;;
    esac
}

main "$@"
