# shellcheck shell=bash
# lib.sh -- helpers for paxosd's integration tests (sourced by bash, after
# tests/lib/prologue.sh: the checks and their report, and wait_until).
#
# A test calls t_init, which makes a temporary run directory and sets a
# trap that always stops every process the test started (the nodes, found
# by their pid files and by the run directory in their command line, and
# the background workers it registered with t_bg). The cluster itself is
# run by scripts/paxos-local.sh with PAXOS_RUN_DIR pointing there.
#
# Environment:
#   PAXOSD            the paxosd binary (required)
#   PAXOS_SRCDIR      the source tree (default: two levels above this file)
#   PAXOS_TEST_SLOW   1: multiply every timeout (sanitizer builds); set by
#                     itself when paxosd is linked with AddressSanitizer
#   PAXOS_TEST_KEEP   1: keep the temporary directory even on success
#   PAXOS_PORT_OFFSET added to every guide port (set by the test itself)

T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${PAXOS_SRCDIR:=$(cd "$T_LIB_DIR/../.." && pwd)}"
T_LOCAL="$PAXOS_SRCDIR/scripts/paxos-local.sh"
T_HOST=127.0.0.1

T_TMP=""
T_RUN=""
T_BG_PIDS=()

# The guide's nodes and ports, and the spare acceptors (as in
# scripts/common.sh).
declare -A T_PORT=(
    [proposer1]=3001 [proposer2]=3002 [proposer3]=3003
    [acceptor1]=4001 [acceptor2]=4002 [acceptor3]=4003
    [learner1]=5001 [learner2]=5002
    [client1]=6001 [client2]=6002
    [acceptor4]=4004 [acceptor5]=4005
)
declare -A T_ID=(
    [proposer1]=1 [proposer2]=2 [proposer3]=3
    [acceptor1]=4 [acceptor2]=5 [acceptor3]=6
    [learner1]=7 [learner2]=8
    [client1]=9 [client2]=10
    [acceptor4]=11 [acceptor5]=12
)
T_NODES=(proposer1 proposer2 proposer3 acceptor1 acceptor2 acceptor3
         learner1 learner2 client1 client2)
# A test that runs beside another sets PAXOS_PORT_OFFSET before sourcing
# this file; paxos-local.sh adds the same offset.
export PAXOS_PORT_OFFSET=${PAXOS_PORT_OFFSET:-0}
for _name in "${!T_PORT[@]}"; do
    T_PORT[$_name]=$(( T_PORT[$_name] + PAXOS_PORT_OFFSET ))
done
unset _name
T_PROPOSERS=(proposer1 proposer2 proposer3)

# ------------------------------------------------------------ setup

# Checks the tools and the binary, makes the temporary run directory and
# installs the cleanup trap.
t_init() {
    local tool
    for tool in curl jq; do
        command -v "$tool" >/dev/null 2>&1 ||
            t_skip "$tool is not installed (scripts/install-deps.sh installs it)"
    done
    if [[ -z "${PAXOSD:-}" ]]; then
        for PAXOSD in "$PAXOS_SRCDIR/build/paxosd" "$PAXOS_SRCDIR/paxosd"; do
            [[ -x "$PAXOSD" ]] && break
        done
    fi
    if [[ ! -f "$PAXOSD" || ! -x "$PAXOSD" ]]; then
        t_say "FAIL - PAXOSD=$PAXOSD is not an executable file"
        t_say "0 passed, 1 failed"
        exit 1
    fi
    export PAXOSD
    if [[ "${PAXOS_TEST_SLOW:-0}" != 0 ]] ||
       [[ "$(ldd "$PAXOSD" 2>/dev/null || true)" == *libasan* ]]; then
        T_SCALE=4
    fi
    [[ -f "$T_LOCAL" ]] || t_abort "scripts/paxos-local.sh found" "no $T_LOCAL"
    T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/paxos-test.XXXXXX") ||
        t_abort "temporary directory created"
    T_RUN="$T_TMP/run"
    export PAXOS_RUN_DIR="$T_RUN"
    trap t_cleanup EXIT
    trap 't_say "interrupted"; exit 1' INT TERM
    t_say "# paxosd: $PAXOSD"
    t_say "# run dir: $T_RUN (timeouts x$T_SCALE)"
}

# Registers a background process (started with &) to stop at cleanup.
t_bg() {
    T_BG_PIDS+=("$1")
}

# The pids of processes whose command line names this test's run dir.
t_run_dir_pids() {
    local dir cmdline
    [[ -n "$T_RUN" && -d /proc ]] || return 0
    for dir in /proc/[0-9]*; do
        cmdline=$( { tr '\0' ' ' <"$dir/cmdline"; } 2>/dev/null) || continue
        if [[ "$cmdline" == *"--data-dir $T_RUN/data/"* ]]; then
            printf '%s\n' "${dir#/proc/}"
        fi
    done
}

# Stops everything the test started; keeps the directory on failure.
t_cleanup() {
    local status=$? pid left
    trap - EXIT INT TERM
    for pid in "${T_BG_PIDS[@]+"${T_BG_PIDS[@]}"}"; do
        # A worker's curl first (by parent pid), then the worker.
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
    done
    if [[ -n "$T_RUN" ]]; then
        t_local down >/dev/null 2>&1 || true
        # Nodes whose pid file is gone (killed and not restarted, or a
        # failed start): found by their data directory in this run dir.
        left=$(t_run_dir_pids)
        if [[ -n "$left" ]]; then
            # shellcheck disable=SC2086
            kill -KILL $left 2>/dev/null || true
        fi
    fi
    for pid in "${T_BG_PIDS[@]+"${T_BG_PIDS[@]}"}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    t_exit "$status" "$T_TMP"
}

# The last lines of every node's log, for a failed run.
t_dump_logs() {
    local log
    [[ -n "$T_RUN" && -d "$T_RUN/logs" ]] || return 0
    for log in "$T_RUN"/logs/*.log; do
        [[ -f "$log" ]] || continue
        t_say "# ---- last lines of $(basename "$log")"
        tail -n 25 "$log" | sed 's/^/# /'
    done
}

# Runs scripts/paxos-local.sh with this test's run dir and binary.
t_local() {
    PAXOS_RUN_DIR="$T_RUN" PAXOSD="$PAXOSD" \
        PAXOS_UP_TIMEOUT=$(t_secs 15) PAXOS_STOP_TIMEOUT=$(t_secs 5) \
        bash "$T_LOCAL" "$@"
}

# True when something listens on PORT (of T_HOST).
t_listening() {
    (exec 3<>"/dev/tcp/$T_HOST/$1") 2>/dev/null
}

# The guide's ports another process listens on, one "PORT (NAME)" a line.
t_busy_ports() {
    local name
    for name in "${T_NODES[@]}"; do
        if t_listening "${T_PORT[$name]}"; then
            printf '%s (%s)\n' "${T_PORT[$name]}" "$name"
        fi
    done
}

# Fails the test clearly when a guide port is taken by another process.
t_require_free_ports() {
    local busy=()
    mapfile -t busy < <(t_busy_ports)
    if [[ ${#busy[@]} -gt 0 ]]; then
        t_abort "the guide's ports are free" \
            "already in use by another process: ${busy[*]}
(a cluster from scripts/run.sh or paxos-local.sh up? stop it with scripts/paxos-local.sh down)"
    fi
    t_pass "the guide's ports are free"
}

# Starts the ten nodes; aborts the test when they do not come up.
t_cluster_up() {
    local out
    if ! out=$(t_local up 2>&1); then
        t_abort "ten-node cluster started (paxos-local.sh up)" "$out"
    fi
    printf '%s\n' "$out" | sed 's/^/# /'
}

# True when nothing listens on NODE's port any more.
t_port_closed() {
    ! t_listening "${T_PORT[$1]}"
}

# The pid of a running node, from its pid file.
t_pid() {
    local file="$T_RUN/pids/$1.pid"
    [[ -f "$file" ]] && cat "$file"
}

# ------------------------------------------------------------ HTTP

t_url() {
    printf 'http://%s:%s%s\n' "$T_HOST" "${T_PORT[$1]}" "$2"
}

# t_http METHOD NODE PATH [BODY | @FILE]: sets HTTP_CODE and HTTP_BODY.
# HTTP_CODE is 000 when there was no answer.
t_http() {
    local method=$1 node=$2 path=$3 body=${4-} out="$T_TMP/http.$BASHPID"
    local args=(-s -o "$out" -w '%{http_code}' -X "$method"
                -m "$(t_secs 20)" -H 'Content-Type: application/json')
    if [[ $# -ge 4 ]]; then
        if [[ "$body" == @* ]]; then
            args+=(--data-binary "$body")
        else
            args+=(--data-binary @-)
        fi
    fi
    if [[ $# -ge 4 && "$body" != @* ]]; then
        HTTP_CODE=$(printf '%s' "$body" | curl "${args[@]}" "$(t_url "$node" "$path")") ||
            true
    else
        HTTP_CODE=$(curl "${args[@]}" "$(t_url "$node" "$path")") || true
    fi
    HTTP_CODE=${HTTP_CODE:-000}
    # shellcheck disable=SC2034  # read by the tests
    HTTP_BODY=$(cat "$out" 2>/dev/null || true)
    rm -f "$out"
}

# t_signed_post NODE PATH BODY [TIME_MS]: POSTs like a peer would, signed
# with the run dir's cluster secret (by openssl), to the node's peer port
# (its port + T_PEER_OFFSET, the test's --peer-port-offset); sets
# HTTP_CODE, HTTP_BODY and SIGNATURE (the header's value, to send it again).
t_signed_post() {
    local t=${4:-$(( $(date +%s%N) / 1000000 ))} nonce sig out="$T_TMP/signed.$BASHPID"
    nonce=$(openssl rand -hex 8)
    sig=$(printf 'POST\n%s\n%s\n%s\n%s' "$2" "$t" "$nonce" "$3" |
          openssl dgst -sha256 -hmac "$(cat "$T_RUN/cluster.secret")" | awk '{ print $NF }')
    SIGNATURE="t=$t,n=$nonce,sig=$sig"
    HTTP_CODE=$(curl -s -o "$out" -w '%{http_code}' -m "$(t_secs 5)" \
        -H "X-Paxos-Signature: $SIGNATURE" --data-binary "$3" \
        "http://$T_HOST:$(( T_PORT[$1] + ${T_PEER_OFFSET:-0} ))$2") || true
    # shellcheck disable=SC2034  # read by the tests
    HTTP_BODY=$(cat "$out" 2>/dev/null || true)
    rm -f "$out"
}

# t_json NODE PATH: GETs PATH and prints the body (nothing on failure).
t_json() {
    curl -fsS -m "$(t_secs 5)" "$(t_url "$1" "$2")" 2>/dev/null
}

# t_field NODE JQ_FILTER: a field of NODE's /status.
t_field() {
    t_json "$1" /status | jq -r "$2" 2>/dev/null
}

# JSON string for a shell string (no quoting issues with any value).
t_jstr() {
    jq -Rn --arg v "$1" '$v'
}

# Prints the names of the proposers that report is_leader.
t_leaders() {
    local name
    for name in "${T_PROPOSERS[@]}"; do
        if [[ "$(t_field "$name" .is_leader)" == true ]]; then
            printf '%s\n' "$name"
        fi
    done
}

# Prints the one proposer that leads; fails when none or several do.
t_leader() {
    local leaders
    leaders=$(t_leaders)
    [[ -n "$leaders" && $(printf '%s\n' "$leaders" | wc -l) -eq 1 ]] || return 1
    printf '%s\n' "$leaders"
}

t_has_leader() {
    t_leader >/dev/null
}

# t_leader_knows ACCEPTOR: the leader's GET /voters lists ACCEPTOR (a spare
# started later: the proposers learn of it by gossip, and only then can
# they add it).
t_leader_knows() {
    local leader
    leader=$(t_leader) || return 1
    t_json "$leader" /voters |
        jq -e --arg n "$1" 'any(.acceptors[]; .name == $n and .member != null)' >/dev/null 2>&1
}

# The name of a node id.
t_name_of() {
    local name
    for name in "${T_NODES[@]}"; do
        if [[ "${T_ID[$name]}" == "$1" ]]; then
            printf '%s\n' "$name"
            return 0
        fi
    done
    return 1
}

# t_send CLIENT VALUE: POST /send; sets HTTP_CODE/HTTP_BODY.
t_send() {
    t_http POST "$1" /send "{\"value\":$(t_jstr "$2")}"
}

# t_values LEARNER [WAIT_FOR]: the learner's /get-values JSON.
t_values() {
    t_json "$1" "/get-values${2:+?wait_for=$2}"
}

# t_count_value JSON VALUE: how many entries of a /get-values answer carry
# VALUE.
t_count_value() {
    jq --arg v "$2" '[.values[] | select(.value == $v)] | length' <<<"$1" 2>/dev/null
}

# ------------------------------------------------------------ writers

# t_writer CLIENT PREFIX OUT STOPFILE [COUNT]: writes PREFIX-1, PREFIX-2...
# through CLIENT's /send, one at a time, until COUNT writes are done or
# STOPFILE exists. Each write appends "value code start_ms end_ms slot" to
# OUT (slot "-" when the write was not acknowledged).
t_writer() {
    local client=$1 prefix=$2 out=$3 stop=$4 count=${5:-0} i=0 value code
    local start end slot body="$T_TMP/writer.$BASHPID" url max_time reply
    url=$(t_url "$client" /send)
    max_time=$(t_secs 30)
    while [[ $count -eq 0 || $i -lt $count ]]; do
        [[ -e "$stop" ]] && break
        i=$((i + 1))
        value="$prefix-$i"
        start=$(t_now_ms)
        code=$(curl -s -o "$body" -w '%{http_code}' -m "$max_time" \
            -X POST -H 'Content-Type: application/json' \
            --data-binary "{\"value\":\"$value\"}" "$url") || true
        end=$(t_now_ms)
        slot=-
        if [[ "$code" == 200 ]]; then
            reply=$(<"$body")
            [[ "$reply" =~ \"slot\":([0-9]+) ]] && slot=${BASH_REMATCH[1]}
        fi
        printf '%s %s %s %s %s\n' "$value" "${code:-000}" "$start" "$end" \
            "$slot" >>"$out"
    done
    rm -f "$body"
}

# t_batch OUT PARALLEL PREFIX COUNT CLIENT...: writes PREFIX-1..PREFIX-COUNT
# through the CLIENTs in turn with a single curl process (PARALLEL requests
# at a time, connections kept alive), so that the time measured is the
# cluster's and not the cost of starting a process per write. Appends
# "value code - - slot" lines to OUT (as t_writer does, without times);
# sets T_BATCH_MS (wall time of the requests) and T_BATCH_LATENCY (mean
# time of an acknowledged request, ms).
t_batch() {
    local out=$1 parallel=$2 prefix=$3 count=$4 i client dir cfg start
    local par_flags=()
    shift 4
    local clients=("$@")
    dir="$T_TMP/batch-$prefix"
    cfg="$dir.cfg"
    mkdir -p "$dir"
    : >"$cfg"
    for ((i = 1; i <= count; i++)); do
        client=${clients[$(( (i - 1) % ${#clients[@]} ))]}
        # "next" only between requests: a trailing one makes curl abort
        # the transfers still running ("no URL specified").
        [[ $i -gt 1 ]] && printf 'next\n' >>"$cfg"
        printf '%s\n' \
            "url = \"$(t_url "$client" /send)\"" \
            "data = \"{\\\"value\\\":\\\"$prefix-$i\\\"}\"" \
            "header = \"Content-Type: application/json\"" \
            "output = \"$dir/$prefix-$i\"" \
            "max-time = $(t_secs 30)" \
            "write-out = \"%{http_code} %{time_total} %{filename_effective}\\n\"" \
            >>"$cfg"
    done
    [[ $parallel -gt 1 ]] && par_flags=(-Z --parallel-max "$parallel")
    start=$(t_now_ms)
    curl -s "${par_flags[@]+"${par_flags[@]}"}" -K "$cfg" >"$dir.wout" 2>"$dir.err" || true
    T_BATCH_MS=$(( $(t_now_ms) - start ))
    (( T_BATCH_MS > 0 )) || T_BATCH_MS=1
    # shellcheck disable=SC2034  # read by the tests
    T_BATCH_LATENCY=$(awk '$1 == 200 { s += $2; n++ } END { if (n) printf "%.1f", s * 1000 / n; else print "-" }' "$dir.wout")
    # "file slot" of the acknowledged writes, then joined with the codes.
    awk '$1 == 200 { print $3 }' "$dir.wout" | xargs -r jq -r '"\(input_filename) \(.slot // "-")"' \
        >"$dir.slots" 2>/dev/null || true
    awk 'FNR == NR { slot[$1] = $2; next }
         { n = split($3, p, "/"); v = p[n]
           print v, ($1 == "" ? "000" : $1), "-", "-", ($1 == 200 && ($3 in slot) ? slot[$3] : "-") }' \
        "$dir.slots" "$dir.wout" >>"$out"
    # Requests curl did not even report (it stopped early) count as failed.
    i=$(wc -l <"$dir.wout")
    if (( i < count )); then
        printf 'curl reported %d of %d requests: %s\n' "$i" "$count" "$(head -c 300 "$dir.err")" >&2
    fi
    rm -rf "$dir"
}

# t_learner_log LEARNER MAX_SLOT OUT: writes "slot value" lines of the
# learner's log up to MAX_SLOT (no-ops left out) to OUT, waiting for the
# learner to apply MAX_SLOT first. Fails when it does not answer.
t_learner_log() {
    local json
    json=$(t_values "$1" "$2") || return 1
    jq -r --argjson max "$2" \
        '.values[] | select(.slot <= $max and .value != null) |
         "\(.slot) \(.value)"' <<<"$json" >"$3"
}

# t_acked_values FILE...: the "value slot" of every acknowledged write.
t_acked() {
    cat "$@" 2>/dev/null | awk '$2 == 200 { print $1, $5 }'
}

# t_exactly_once ACKED LOG: prints a report and fails unless every value in
# ACKED ("value slot" lines) appears exactly once in LOG ("slot value"
# lines), at the slot its acknowledgement named, and no value appears
# twice in LOG.
t_exactly_once() {
    awk '
        FNR == NR { seen[$2]++; slot_of[$2] = $1; next }
        { acked++
          if (!($1 in seen)) { missing++; if (missing <= 5) print "missing: " $1 }
          else if (seen[$1] > 1) { dup++; if (dup <= 5) print "duplicated: " $1 }
          else if ($2 != "-" && slot_of[$1] != $2) {
              moved++; if (moved <= 5) print "slot mismatch: " $1 " acked at " $2 " logged at " slot_of[$1] } }
        END {
          for (v in seen) if (seen[v] > 1) extra++
          if (extra) print extra " value(s) appear more than once in the log"
          exit (missing || dup || moved || extra) ? 1 : 0 }
    ' "$2" "$1"
}

# t_grep_sanitizers: fails (printing the reports) when a node's log has a
# sanitizer report.
t_grep_sanitizers() {
    local pattern='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'
    local hits=()
    mapfile -t hits < <(grep -l -E "$pattern" "$T_RUN"/logs/*.log 2>/dev/null)
    [[ ${#hits[@]} -eq 0 ]] && return 0
    grep -H -A 12 -E "$pattern" "${hits[@]}" | head -n 80
    return 1
}
