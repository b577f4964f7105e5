#!/usr/bin/env bash
# run-benchmarks.sh -- measures paxosd beside etcd on this machine, in one
# run, and writes docs/benchmarks.md and docs/bench-throughput.png:
#   1. throughput and latency at 1, 16 and 64 connections, 64-byte values,
#      fsync on: a 3-member etcd cluster through its HTTP gateway, then our
#      leader's /propose and a client node's /send (never both at once);
#      linearizable reads at 64 connections (etcd's range, a client
#      node's /read); CPU per write of every process, and a profile of the
#      leader, an acceptor and a client node under load (perf)
#   2. failover: kill -9 of the leader under a fixed load through a client
#   3. gossip: a killed node seen dead, a new node seen alive, by 10, 30
#      and 100 nodes (scripts/paxos-swarm.sh)
#   4. footprint: paxos-top polling 10 and 100 nodes; paxosd's memory idle
#      and through a long run under load
#
# Usage: tests/bench/run-benchmarks.sh [--quick] [--out DIR] [--no-install]
#   --quick       a short smoke version (a few minutes): short points, one
#                 failover, 10 gossiping nodes, short footprint runs; its
#                 report goes to the work directory unless --out is given
#   --out DIR     where benchmarks.md and bench-throughput.png go (default
#                 docs/ of the source tree)
#   --no-install  skip scripts/install-deps.sh (the tools must be there)
#
# Environment:
#   PAXOS_BENCH_BUILD_DIR  the build (default SRC/build; configured and
#                          built here when needed)
#   PAXOS_BENCH_WORK_DIR   data, logs and raw results (default
#                          BUILD_DIR/bench); fsync is measured on its disk
#
# Everything listens on 127.0.0.1 only: the paxosd cluster at port offset
# 900 (3901..6902), etcd on 23791..23793 (peers 23801..23803), the gossip
# swarm from 17001. Every run is bounded in time and stops by itself.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROG="run-benchmarks.sh"

HOST=127.0.0.1
PORT_OFFSET=900
ETCD_CLIENT_PORT=23791
ETCD_PEER_PORT=23801
SWARM_PORT=17001
CONNECTIONS=(1 16 64)
READ_CONNECTIONS=64
VALUE_SIZE=64
# A point is run again (at most POINT_TRIES times, the quietest kept) when
# processes other than the ones measured used more than this many cores.
OTHER_CORES_MAX=0.25
POINT_TRIES=3
FAILOVER_RATE=1000
FAILOVER_CONNECTIONS=800
SOAK_RATE=1000

QUICK=no
INSTALL=yes
OUT_DIR=""

BUILD_DIR=""
WORK=""
RESULTS=""              # one JSON object per line, "kind" first
BENCH=""
WATCH=""
PAXOSD=""
PAXOS_TOP=""
SYSTEM=""               # the system under test: etcd or paxosd
SYS_NAMES=()            # and its processes
SYS_PIDS=()
TMUX_SOCKET=paxos-bench-$$

# etcd_start and etcd_leader_port, on ETCD_CLIENT_PORT and ETCD_PEER_PORT.
# shellcheck source=tests/bench/etcd.sh
. "$SRC_DIR/tests/bench/etcd.sh"

# ---------------------------------------------------------------- helpers

say() {
    printf '%s: %s\n' "$PROG" "$*"
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

now_ms() {
    date +%s%3N
}

load1() {
    cut -d' ' -f1 /proc/loadavg
}

# Appends one result line: record KIND JSON_OBJECT.
record() {
    jq -c --arg kind "$1" '{kind: $kind} + .' <<<"$2" >>"$RESULTS"
}

# CPU ticks (user + system) a process has used; 0 when it is gone.
proc_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' ||
        printf '0\n'
}

proc_status_kib() {
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null
}

# "machine BUSY_TICKS", then "NAME TICKS" for each process under test.
cpu_sample() {
    local i
    awk '/^cpu / { print "machine", $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
    for i in "${!SYS_NAMES[@]}"; do
        printf '%s %s\n' "${SYS_NAMES[$i]}" "$(proc_ticks "${SYS_PIDS[$i]}")"
    done
}

port_busy() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds.
wait_for() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    shift
    until "$@"; do
        (( $(now_ms) < deadline )) || return 1
        sleep 0.2
    done
}

# ------------------------------------------------------------ setup

parse_args() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --quick) QUICK=yes ;;
            --no-install) INSTALL=no ;;
            --out) [[ $# -ge 2 ]] || die "--out needs a directory"; OUT_DIR=$2; shift ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument '$1'" ;;
        esac
        shift
    done
    if [[ "$QUICK" == yes ]]; then
        WARMUP=1 DURATION=3 FAILOVER_RUNS=1 GOSSIP_SIZES=(10)
        TOP_SECONDS=10 SOAK_SECONDS=30 SOAK_SAMPLE=5 PROFILE_SECONDS=2
    else
        WARMUP=2 DURATION=10 FAILOVER_RUNS=5 GOSSIP_SIZES=(10 30 100)
        TOP_SECONDS=30 SOAK_SECONDS=600 SOAK_SAMPLE=10 PROFILE_SECONDS=5
    fi
}

install_tools() {
    [[ "$INSTALL" == yes ]] || return 0
    PAXOS_EXTRA_PACKAGES="etcd-server gnuplot-nox linux-perf" \
        bash "$SRC_DIR/scripts/install-deps.sh"
}

build() {
    BUILD_DIR=${PAXOS_BENCH_BUILD_DIR:-$SRC_DIR/build}
    mkdir -p "$BUILD_DIR"
    if [[ ! -f "$BUILD_DIR/Makefile" ]]; then
        [[ -x "$SRC_DIR/configure" ]] || (cd "$SRC_DIR" && autoreconf -fi)
        say "configuring $BUILD_DIR"
        (cd "$BUILD_DIR" && "$SRC_DIR/configure" -q)
    fi
    say "building paxosd, paxos-top and the bench tools in $BUILD_DIR"
    make -C "$BUILD_DIR" -s -j"$(nproc)" paxosd paxos-top \
        tests/bench/paxos-bench tests/bench/gossip-watch ||
        die "build failed (tests/bench/paxos-bench and gossip-watch come from Makefile.am)"
    PAXOSD=$BUILD_DIR/paxosd
    PAXOS_TOP=$BUILD_DIR/paxos-top
    BENCH=$BUILD_DIR/tests/bench/paxos-bench
    WATCH=$BUILD_DIR/tests/bench/gossip-watch
}

prepare_work_dir() {
    WORK=${PAXOS_BENCH_WORK_DIR:-$BUILD_DIR/bench}
    mkdir -p "$WORK"
    WORK=$(cd "$WORK" && pwd)
    rm -rf "$WORK/run" "$WORK/etcd" "$WORK/swarm" "$WORK/raw"
    mkdir -p "$WORK/raw"
    RESULTS=$WORK/results.jsonl
    : >"$RESULTS"
    if [[ -z "$OUT_DIR" ]]; then
        OUT_DIR=$SRC_DIR/docs
        [[ "$QUICK" == no ]] || OUT_DIR=$WORK
    fi
    mkdir -p "$OUT_DIR"
}

check_ports() {
    local port busy=()
    for port in $((3001 + PORT_OFFSET)) $((4001 + PORT_OFFSET)) \
                $((5001 + PORT_OFFSET)) $((6001 + PORT_OFFSET)) \
                "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$SWARM_PORT"; do
        port_busy "$port" && busy+=("$port")
    done
    [[ ${#busy[@]} -eq 0 ]] || die "port(s) in use by another process: ${busy[*]}"
}

# Stops what this script started: its background jobs (load generators,
# watchers, etcd, a swarm's extra node), the cluster, the swarm.
cleanup() {
    local jobs_left=()
    trap - EXIT INT TERM
    tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
    mapfile -t jobs_left < <(jobs -p)
    if [[ ${#jobs_left[@]} -gt 0 ]]; then
        kill -TERM "${jobs_left[@]}" 2>/dev/null || true
    fi
    if [[ -n "$WORK" ]]; then
        paxos_local down >/dev/null 2>&1 || true
        swarm down >/dev/null 2>&1 || true
    fi
    wait 2>/dev/null || true
}

# ------------------------------------------------------------ machine

# The latency of one 4 KiB write followed by fdatasync, on the work disk.
fsync_latency_ms() {
    local file=$WORK/fsync-probe start end
    start=$(date +%s%N)
    dd if=/dev/zero of="$file" bs=4k count=500 oflag=dsync status=none
    end=$(date +%s%N)
    rm -f "$file"
    awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 500 / 1e6 }'
}

record_machine() {
    local disk
    disk=$(findmnt -n -o SOURCE,FSTYPE -T "$WORK" | awk '{ print $1 " (" $2 ")" }')
    say "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    record machine "$(jq -n \
        --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -n1)" \
        --arg cores "$(nproc)" \
        --arg mem "$(free -h | awk '/^Mem:/ { print $2 }')" \
        --arg kernel "$(uname -srm)" \
        --arg disk "$disk" \
        --arg fsync "$(fsync_latency_ms)" \
        --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
        --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
        --arg paxosd "$("$PAXOSD" --version 2>&1 | head -n1)" \
        --arg etcd "$(etcd --version 2>/dev/null | head -n1)" \
        --arg curl "$(pkg-config --modversion libcurl 2>/dev/null || echo '?')" \
        --arg mhd "$(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?')" \
        --arg jsonc "$(pkg-config --modversion json-c 2>/dev/null || echo '?')" \
        --arg quick "$QUICK" \
        '$ARGS.named')"
}

# ------------------------------------------------------------ paxosd

paxos_local() {
    PAXOS_RUN_DIR="$WORK/run" PAXOS_PORT_OFFSET=$PORT_OFFSET PAXOSD="$PAXOSD" \
        bash "$SRC_DIR/scripts/paxos-local.sh" "$@"
}

paxos_url() {
    printf 'http://%s:%s%s\n' "$HOST" "$(( $1 + PORT_OFFSET ))" "$2"
}

node_pid() {
    cat "$WORK/run/pids/$1.pid"
}

# The proposer that reports is_leader.
paxos_leader() {
    local name port
    for name in proposer1 proposer2 proposer3; do
        port=$(( 3000 + ${name#proposer} + PORT_OFFSET ))
        if curl -fsS -m 1 "http://$HOST:$port/status" 2>/dev/null |
                jq -e '.is_leader' >/dev/null 2>&1; then
            printf '%s\n' "$name"
            return 0
        fi
    done
    return 1
}

# A fresh ten-node cluster, fsync on; its processes become the system
# under test.
paxos_up() {
    local file name
    paxos_local down --wipe >/dev/null 2>&1 || true
    paxos_local up >"$WORK/raw/paxos-up.txt" 2>&1 ||
        die "the paxosd cluster did not start: $(tail -n 5 "$WORK/raw/paxos-up.txt")"
    SYSTEM=paxosd SYS_NAMES=() SYS_PIDS=()
    for file in "$WORK"/run/pids/*.pid; do
        name=$(basename "$file" .pid)
        SYS_NAMES+=("$name")
        SYS_PIDS+=("$(cat "$file")")
    done
}

# "ROUTE COUNT" lines: the HTTP requests all the nodes answered, by route,
# and "chosen COUNT": the slots the leader chose.
paxos_counts() {
    local line
    while IFS= read -r line; do
        curl -fsS -m 2 "http://${line#*=}/metrics" 2>/dev/null || true
    done <"$WORK/run/endpoints" |
        awk '/^paxos_http_requests_total\{/ && match($0, /route="[^"]*"/) {
                 n[substr($0, RSTART + 7, RLENGTH - 8)] += $NF }
             /^paxos_chosen_total / { chosen += $NF }
             END { for (r in n) print r, n[r]; print "chosen", chosen + 0 }'
}

paxos_down() {
    paxos_local down --wipe >/dev/null 2>&1 || true
    SYSTEM="" SYS_NAMES=() SYS_PIDS=()
}

# ------------------------------------------------------------ etcd

etcd_up() {
    SYSTEM=etcd
    etcd_start "$WORK/etcd" paxos-bench
    SYS_NAMES=(e1 e2 e3)
    SYS_PIDS=("${ETCD_PIDS[@]}")
    wait_for 30 etcd_leader_port >/dev/null ||
        die "etcd did not elect a leader (logs in $WORK/etcd)"
}

etcd_down() {
    local pid
    for pid in "${ETCD_PIDS[@]+"${ETCD_PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${ETCD_PIDS[@]+"${ETCD_PIDS[@]}"}"; do
        wait "$pid" 2>/dev/null || true
    done
    ETCD_PIDS=() SYSTEM="" SYS_NAMES=() SYS_PIDS=()
    rm -rf "$WORK/etcd"
}

# ------------------------------------------------------------ throughput

# one_point OUT CONNECTIONS BENCH_ARGS...: a warm-up, then DURATION
# measured seconds; writes OUT (a JSON object: the bench's total, the CPU
# each process under test used while measured, the cores other processes
# used meanwhile, the load average).
one_point() {
    local out=$1 conns=$2 pid bench_ticks seconds
    shift 2
    "$BENCH" -c "$conns" -w "$WARMUP" -d "$DURATION" -s "$VALUE_SIZE" --json "$@" \
        >"$out.lines" 2>"$out.err" &
    pid=$!
    [[ "$SYSTEM" != paxosd ]] || paxos_counts >"$out.count0"
    sleep "$WARMUP"
    cpu_sample >"$out.cpu0"
    bench_ticks=$(proc_ticks "$pid")
    wait "$pid" || true
    cpu_sample >"$out.cpu1"
    # HTTP requests per chosen slot, by route (warm-up included on both sides).
    printf '{}\n' >"$out.msgs"
    if [[ "$SYSTEM" == paxosd ]]; then
        join -a 2 -e 0 -o 0,1.2,2.2 <(sort "$out.count0") <(paxos_counts | sort) |
            awk '{ d[$1] = $3 - $2 }
                 END { printf "{\"requests_per_write\":{"
                       n = 0
                       for (r in d) if (r != "chosen" && d[r] > 0 && d["chosen"] > 0)
                           printf "%s\"%s\":%.3f", (n++ ? "," : ""), r, d[r] / d["chosen"]
                       printf "}}\n" }' >"$out.msgs"
    fi
    tail -n 1 "$out.lines" | jq -e 'has("writes")' >/dev/null 2>&1 ||
        die "paxos-bench gave no total ($out.err: $(head -c 300 "$out.err"))"
    seconds=$(tail -n 1 "$out.lines" | jq '.seconds')
    # Per process: CPU seconds while measured; the bench's own after the
    # warm-up is its total less what it had used by then.
    join <(sort "$out.cpu0") <(sort "$out.cpu1") |
        awk -v bench="$(tail -n 1 "$out.lines" | jq '.cpu_s')" -v b0="$bench_ticks" \
            -v s="$seconds" -v hz="$(getconf CLK_TCK)" '
            $1 == "machine" { busy = $3 - $2; next }
            { cpu[$1] = ($3 - $2) / hz; ours += $3 - $2 }
            END {
                mine = bench - b0 / hz
                printf "{\"process_cpu_s\":{"
                n = 0
                for (k in cpu) printf "%s\"%s\":%.2f", (n++ ? "," : ""), k, cpu[k]
                other = (busy - ours) / hz / s - mine / s
                printf "},\"bench_cpu_s\":%.2f,\"other_cores\":%.2f}\n", mine, other < 0 ? 0 : other
            }' >"$out.cpu"
    jq -c -s --arg load "$(load1)" '.[0] + .[1] + .[2] + {load1: ($load | tonumber)}' \
        <(tail -n 1 "$out.lines") "$out.cpu" "$out.msgs" >"$out"
    rm -f "$out".cpu* "$out".count0 "$out.msgs"
}

# measure KIND SYSTEM PATH CONNECTIONS BENCH_ARGS...: one point, run again
# while other processes took more than OTHER_CORES_MAX; records the
# quietest as KIND (throughput: writes; reads: paxos-bench --read).
measure() {
    local kind=$1 system=$2 path=$3 conns=$4 try best="" out other best_other=999
    shift 4
    for ((try = 1; try <= POINT_TRIES; try++)); do
        out=$WORK/raw/point-$system-${path//\//_}-$conns-$try.json
        one_point "$out" "$conns" -l "$system$path" "$@"
        other=$(jq '.other_cores' "$out")
        say "  $system $path c=$conns: $(jq -r '"\(.writes_per_s) writes/s, p99 \(.p99_ms) ms, other processes \(.other_cores) cores, load \(.load1)"' "$out")"
        if awk -v o="$other" -v b="$best_other" 'BEGIN { exit !(o < b) }'; then
            best=$out best_other=$other
        fi
        awk -v o="$other" -v m="$OTHER_CORES_MAX" 'BEGIN { exit !(o <= m) }' && break
    done
    record "$kind" "$(jq -c --arg system "$system" --arg path "$path" \
        --argjson tries "$((try > POINT_TRIES ? POINT_TRIES : try))" \
        '{system: $system, path: $path, tries: $tries} + .' "$best")"
}

# profile NAME PID: where a process spends its time for PROFILE_SECONDS
# (perf, sampling the CPU clock, with call graphs).
profile() {
    local name=$1 pid=$2 data=$WORK/raw/perf-$1.data
    perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -o "$data" \
        -p "$pid" -- sleep "$PROFILE_SECONDS" >/dev/null 2>&1 || return 0
    # (awk reads all its input: a head would end perf with SIGPIPE.)
    perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null |
        awk '/%/ && n++ < 8' >"$WORK/raw/profile-$name-dso.txt"
    perf report -i "$data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
        awk '/%/ && n++ < 15' >"$WORK/raw/profile-$name-self.txt"
    perf report -i "$data" --children --sort sym --stdio -g none 2>/dev/null |
        awk '/%/ && !/0x0000/' >"$WORK/raw/profile-$name-incl.txt"
    record profile "$(jq -n --arg name "$name" \
        --rawfile dso "$WORK/raw/profile-$name-dso.txt" \
        --rawfile self "$WORK/raw/profile-$name-self.txt" \
        --rawfile incl "$WORK/raw/profile-$name-incl.txt" '$ARGS.named')"
}

# profile_under_load URL NAME...: profiles the named nodes, one after the
# other, while 64 connections write to URL.
profile_under_load() {
    local url=$1 name pid
    shift
    command -v perf >/dev/null 2>&1 || { say "perf is missing: no profile"; return 0; }
    "$BENCH" -c 64 -d $(( (PROFILE_SECONDS + 1) * $# + 1 )) -s "$VALUE_SIZE" \
        --url "$url" >/dev/null 2>&1 &
    pid=$!
    sleep 1
    for name in "$@"; do
        say "  profiling $name"
        profile "$name" "$(node_pid "$name")"
    done
    wait "$pid" || true
}

# At each connection count: a fresh etcd cluster, then a fresh paxosd
# cluster, one after the other, so that both meet the same machine.
run_throughput() {
    local c port
    say "throughput: etcd (3 members, HTTP gateway) then paxosd (leader with 3 acceptors), fsync on"
    for c in "${CONNECTIONS[@]}"; do
        etcd_up
        port=$(etcd_leader_port)
        measure throughput etcd /v3/kv/put "$c" --etcd --url "http://$HOST:$port/v3/kv/put"
        [[ $c -ne $READ_CONNECTIONS ]] ||
            measure reads etcd /v3/kv/range "$c" --etcd --read --url "http://$HOST:$port/v3/kv/range"
        etcd_down
        paxos_up
        measure throughput paxosd /propose "$c" --url "$(paxos_url 3001 /propose)"
        measure throughput paxosd /send "$c" --url "$(paxos_url 6001 /send)"
        [[ $c -ne $READ_CONNECTIONS ]] ||
            measure reads paxosd /read "$c" --read --url "$(paxos_url 6001 '/read?last=1')"
        paxos_down
    done
    paxos_up
    profile_under_load "$(paxos_url 3001 /propose)" proposer1 acceptor1
    profile_under_load "$(paxos_url 6001 /send)" client1
    paxos_down
}

# ------------------------------------------------------------ failover

# The figures of one failover from the bench's request log: the first write
# a new leader acknowledged after the kill, and what failed meanwhile.
failover_figures() {
    local log=$1 kill_ms=$2 old=$3
    awk -v k="$kill_ms" -v old="$old" '
        $3 == 200 && $4 != old && $4 != "-" && $2 > k && (!first || $2 < first) {
            first = $2; leader = $4 }
        $1 <= k && $2 > k { inflight++; if ($2 - k > wait) wait = $2 - k }
        $3 == 504 || $3 == 0 { unknown++ }
        $3 != 200 && $3 != 504 && $3 != 0 { failed++ }
        { n++ }
        END {
            printf "{\"requests\":%d,\"first_ack_ms\":%s,\"new_leader\":\"%s\",", n,
                first ? sprintf("%.0f", first - k) : "null", leader
            printf "\"failed\":%d,\"unknown\":%d,\"in_flight\":%d,\"longest_wait_ms\":%.0f}\n",
                failed, unknown, inflight, wait }' "$log"
}

run_failover() {
    local run leader pid kill_ms log bench
    say "failover: kill -9 of the leader under $FAILOVER_RATE writes/s through client1"
    paxos_up
    for ((run = 1; run <= FAILOVER_RUNS; run++)); do
        leader=$(paxos_leader) || die "no leader before failover run $run"
        log=$WORK/raw/failover-$run.log
        "$BENCH" -c "$FAILOVER_CONNECTIONS" -r "$FAILOVER_RATE" -d 10 -s "$VALUE_SIZE" \
            --json --log "$log" --url "$(paxos_url 6001 /send)" \
            >"$WORK/raw/failover-$run.out" 2>&1 &
        bench=$!
        sleep 3
        pid=$(node_pid "$leader")
        kill_ms=$(now_ms)
        kill -KILL "$pid"
        wait "$bench" || true
        record failover "$(failover_figures "$log" "$kill_ms" "$leader" |
            jq -c --argjson run "$run" --arg killed "$leader" '{run: $run, killed: $killed} + .')"
        say "  run $run: $(tail -n 1 "$RESULTS" | jq -r '"killed \(.killed), first ack by \(.new_leader) after \(.first_ack_ms) ms, \(.failed) failed, \(.unknown) unknown"')"
        paxos_local restart "$leader" >/dev/null
        wait_for 10 paxos_leader >/dev/null || die "no leader after restarting $leader"
    done
    paxos_down
}

# ------------------------------------------------------------ footprint

# "CPU_PERCENT PEAK_RSS_KIB ANON_KIB PSS_KIB" of PID over SECONDS.
proc_cost() {
    local pid=$1 seconds=$2 t0 t1 pss
    t0=$(proc_ticks "$pid")
    sleep "$seconds"
    t1=$(proc_ticks "$pid")
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo null)
    printf '%s %s %s %s\n' \
        "$(awk -v t=$((t1 - t0)) -v s="$seconds" -v hz="$(getconf CLK_TCK)" \
            'BEGIN { printf "%.2f", t / hz / s * 100 }')" \
        "$(proc_status_kib "$pid" VmHWM)" "$(proc_status_kib "$pid" RssAnon)" "${pss:-null}"
}

# top_cost NODES RUN_DIR: paxos-top polling every second, as --monitor and
# as the dashboard in a terminal (tmux); the first poll is left out.
top_cost() {
    local nodes=$1 dir=$2 pid cpu hwm anon pss
    "$PAXOS_TOP" --run-dir "$dir" --monitor --interval 1 --duration $((TOP_SECONDS + 5)) \
        >/dev/null 2>&1 &
    pid=$!
    sleep 2
    read -r cpu hwm anon pss <<<"$(proc_cost "$pid" "$TOP_SECONDS")"
    wait "$pid" || true
    record top "$(jq -n --argjson nodes "$nodes" --arg mode monitor --argjson cpu_pct "$cpu" \
        --argjson hwm_kib "$hwm" --argjson anon_kib "$anon" --argjson pss_kib "$pss" '$ARGS.named')"
    if command -v tmux >/dev/null 2>&1; then
        tmux -L "$TMUX_SOCKET" new-session -d -s top -x 160 -y 50 \
            "exec $(printf '%q ' "$PAXOS_TOP" --run-dir "$dir" --interval 1)"
        pid=$(tmux -L "$TMUX_SOCKET" display-message -p -t top '#{pane_pid}')
        sleep 2
        read -r cpu hwm anon pss <<<"$(proc_cost "$pid" "$TOP_SECONDS")"
        tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
        record top "$(jq -n --argjson nodes "$nodes" --arg mode dashboard --argjson cpu_pct "$cpu" \
            --argjson hwm_kib "$hwm" --argjson anon_kib "$anon" --argjson pss_kib "$pss" '$ARGS.named')"
    fi
    say "  paxos-top, $nodes nodes: $(jq -sr '[.[] | select(.kind == "top" and .nodes == '"$nodes"') | "\(.mode) \(.cpu_pct)% cpu, \(.hwm_kib) KiB max RSS"] | join("; ")' "$RESULTS")"
}

# One "t name rss_kib" line per node.
rss_sample() {
    local t=$1 i
    for i in "${!SYS_NAMES[@]}"; do
        printf '%s %s %s\n' "$t" "${SYS_NAMES[$i]}" "$(proc_status_kib "${SYS_PIDS[$i]}" VmRSS)"
    done
}

run_footprint() {
    local pid t samples=$WORK/raw/rss.txt
    say "footprint: paxos-top on the ten-node cluster, paxosd memory"
    paxos_up
    top_cost 10 "$WORK/run"
    sleep 5
    rss_sample idle >"$samples"
    say "  $SOAK_RATE writes/s through client1 for $SOAK_SECONDS s, memory every $SOAK_SAMPLE s"
    "$BENCH" -c 64 -r "$SOAK_RATE" -d "$SOAK_SECONDS" -s "$VALUE_SIZE" --json \
        --url "$(paxos_url 6001 /send)" >"$WORK/raw/soak.out" 2>&1 &
    pid=$!
    for ((t = SOAK_SAMPLE; t <= SOAK_SECONDS; t += SOAK_SAMPLE)); do
        sleep "$SOAK_SAMPLE"
        rss_sample "$t" >>"$samples"
    done
    wait "$pid" || true
    sleep 5
    rss_sample after >>"$samples"
    awk -v mid=$(( SOAK_SECONDS / 2 / SOAK_SAMPLE * SOAK_SAMPLE )) \
        '{ rss[$2, $1] = $3; names[$2] = 1 }
         $1 ~ /^[0-9]+$/ { if (!($2 in first)) first[$2] = $3; last[$2] = $3
                           if ($3 > max[$2]) max[$2] = $3 }
         END { for (n in names)
                 printf "{\"node\":\"%s\",\"idle_kib\":%d,\"first_kib\":%d,\"mid_kib\":%d,\"last_kib\":%d,\"max_kib\":%d,\"after_kib\":%d}\n",
                        n, rss[n, "idle"], first[n], rss[n, mid], last[n], max[n], rss[n, "after"] }' \
        "$samples" | sort | while read -r line; do record rss "$line"; done
    record soak "$(tail -n 1 "$WORK/raw/soak.out" | jq -c --argjson sample "$SOAK_SAMPLE" '. + {sample_s: $sample}')"
    paxos_down
}

# ------------------------------------------------------------ gossip

swarm() {
    PAXOS_SWARM_DIR="$WORK/swarm" PAXOS_SWARM_PORT=$SWARM_PORT PAXOSD="$PAXOSD" \
        bash "$SRC_DIR/scripts/paxos-swarm.sh" "$@"
}

# watch_gossip OUT SINCE_MS CONDITION... -- PORT...: gossip-watch, its
# JSON to OUT.
watch_gossip() {
    local out=$1 since=$2
    shift 2
    "$WATCH" --since-ms "$since" --timeout-s 60 "$@" >"$out" 2>/dev/null || true
}

# gossip_size N: converge, kill one node, start a new one; with 100 nodes,
# also what paxos-top costs polling them.
gossip_size() {
    local n=$1 start killed=$(( $1 / 2 )) new=$(( $1 + 1 )) t0 p pid watcher suspicion
    local ports=() others=() dir=$WORK/raw
    start=$(now_ms)
    swarm up "$n" >/dev/null
    for ((p = 1; p <= n; p++)); do
        ports+=("$((SWARM_PORT + p - 1))")
        [[ $p -eq $killed ]] || others+=("$((SWARM_PORT + p - 1))")
    done
    watch_gossip "$dir/gossip-$n-converge.json" "$start" --alive "$n" "${ports[@]}"
    suspicion=$(curl -fsS -m 2 "http://$HOST:$SWARM_PORT/gossip/nodes" | jq '.suspicion_timeout_ms')
    sleep 3
    t0=$(now_ms)
    kill -KILL "$(cat "$WORK/swarm/pids/node$killed.pid")" 2>/dev/null ||
        die "node$killed of the swarm is not running before its kill (its log: $WORK/swarm/logs/node$killed.log)"
    watch_gossip "$dir/gossip-$n-suspect.json" "$t0" \
        --member $((1000 + killed)) --state suspect "${others[@]}" &
    watcher=$!
    watch_gossip "$dir/gossip-$n-dead.json" "$t0" \
        --member $((1000 + killed)) --state dead "${others[@]}"
    wait "$watcher"
    t0=$(now_ms)
    "$PAXOSD" --role acceptor --id $((1000 + new)) --name "node$new" \
        --port $((SWARM_PORT + new - 1)) --bind "$HOST" --no-fsync --log-level warn \
        --seeds "1001:acceptor:$HOST:$SWARM_PORT" --data-dir "$WORK/swarm/data/node$new" \
        >"$WORK/swarm/logs/node$new.log" 2>&1 &
    pid=$!
    watch_gossip "$dir/gossip-$n-join.json" "$t0" \
        --member $((1000 + new)) --state alive "${others[@]}" &
    watcher=$!
    watch_gossip "$dir/gossip-$n-newsees.json" "$t0" --alive "$n" $((SWARM_PORT + new - 1))
    wait "$watcher"
    record gossip "$(jq -n --argjson nodes "$n" --argjson suspicion_ms "$suspicion" \
        --slurpfile converge "$dir/gossip-$n-converge.json" \
        --slurpfile suspect "$dir/gossip-$n-suspect.json" \
        --slurpfile dead "$dir/gossip-$n-dead.json" \
        --slurpfile join "$dir/gossip-$n-join.json" \
        --slurpfile newsees "$dir/gossip-$n-newsees.json" \
        '{nodes: $nodes, suspicion_ms: $suspicion_ms, converge: $converge[0],
          suspect: $suspect[0], dead: $dead[0], join: $join[0], new_sees_all: $newsees[0]}')"
    say "  $n nodes: $(tail -n 1 "$RESULTS" |
        jq -r '"dead seen by all after \(.dead.all_ms) ms, join seen by all after \(.join.all_ms) ms"')"
    if [[ $n -eq 100 ]]; then
        for ((p = 1; p <= new; p++)); do
            [[ $p -eq $killed ]] || printf 'node%d=%s:%d\n' "$p" "$HOST" $((SWARM_PORT + p - 1))
        done >"$WORK/swarm/endpoints"
        top_cost 100 "$WORK/swarm"
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    swarm down >/dev/null
}

run_gossip() {
    local n
    say "gossip: default settings, ${GOSSIP_SIZES[*]} nodes"
    for n in "${GOSSIP_SIZES[@]}"; do
        gossip_size "$n"
    done
}

# ------------------------------------------------------------ report

# q [JQ_OPTIONS...] <<'JQ': runs the jq filter read from stdin over every
# recorded result (as one array), printing raw strings.
q() {
    local filter
    filter=$(cat)
    jq -r -s "$@" "$filter" "$RESULTS"
}

plot() {
    local data=$WORK/raw/plot.dat png=$OUT_DIR/bench-throughput.png
    q >"$data" <<'JQ'
[.[] | select(.kind == "throughput")] as $t
| ($t | map(.connections) | unique)[] as $c
| [$c] + [(["etcd", "/v3/kv/put"], ["paxosd", "/propose"], ["paxosd", "/send"]) as [$s, $p]
          | ($t[] | select(.system == $s and .path == $p and .connections == $c)
                  | .writes_per_s, .p99_ms)]
| @tsv
JQ
    command -v gnuplot >/dev/null 2>&1 || { say "gnuplot is missing: no plot"; return 0; }
    gnuplot <<GNUPLOT || say "gnuplot failed: no plot"
set terminal pngcairo size 1100,480 font "sans,10"
set output "$png"
set multiplot layout 1,2 title "Writes with fsync, $VALUE_SIZE-byte values, 3 acceptors vs 3 etcd members, loopback, $(nproc) cores"
set logscale x 2
set xtics ("1" 1, "16" 16, "64" 64)
set xrange [0.8:80]
set xlabel "connections"
set grid
set key top left
set ylabel "writes/s (higher is better)"
set yrange [0:*]
plot "$data" using 1:2 with linespoints lw 2 pt 7 title "etcd, HTTP gateway", \
     "$data" using 1:4 with linespoints lw 2 pt 5 title "paxosd leader /propose", \
     "$data" using 1:6 with linespoints lw 2 pt 9 title "paxosd client node /send"
set ylabel "p99 latency, ms (lower is better)"
plot "$data" using 1:3 with linespoints lw 2 pt 7 title "etcd, HTTP gateway", \
     "$data" using 1:5 with linespoints lw 2 pt 5 title "paxosd leader /propose", \
     "$data" using 1:7 with linespoints lw 2 pt 9 title "paxosd client node /send"
unset multiplot
GNUPLOT
}

report_machine() {
    q <<'JQ'
.[] | select(.kind == "machine")
| "Generated by `tests/bench/run-benchmarks.sh\(if .quick == "yes" then " --quick" else "" end)`"
  + " on \(.date): every figure below comes from that one run, on this machine."
  + " Run the script again to refresh them; do not edit this file by hand.\n",
  "## Machine\n",
  "| | |",
  "|---|---|",
  "| CPU | \(.cpu), \(.cores) cores |",
  "| memory | \(.mem) |",
  "| kernel | \(.kernel) |",
  "| disk (data directories) | \(.disk); a 4 KiB write with fdatasync takes \(.fsync) ms (dd oflag=dsync, 500 writes) |",
  "| load average at the start | \(.load) |",
  "| software | \(.paxosd); \(.etcd); libcurl \(.curl), libmicrohttpd \(.mhd), json-c \(.jsonc) |",
  ""
JQ
}

report_throughput() {
    q --argjson max "$OTHER_CORES_MAX" --argjson tries "$POINT_TRIES" <<'JQ'
def pt($s; $p; $c):
  first(.[] | select(.kind == "throughput" and .system == $s and .path == $p
                     and .connections == $c));
def lat: "\(.p50_ms) / \(.p99_ms)";
# Ratios to 2 decimals, rounded towards missing the target: writes/s down,
# latencies up.
def ratio($a; $b; f):
  if $a != null and $b > 0 then ($a / $b * 100 | f / 100 | tostring) + "×" else "-" end;
def more($a; $b): ratio($a; $b; floor);
def less($a; $b): ratio($a; $b; ceil);
def us($w): if $w > 0 then (. * 1e6 / $w | round) else "-" end;
. as $all
| ([.[] | select(.kind == "throughput") | .connections] | unique) as $cs
| first(.[] | select(.kind == "throughput")) as $any
| "## Throughput and latency\n",
  "Closed loop: each connection sends its next write when the last one is answered;"
  + " \($any.warmup_s) s of warm-up, then \($any.seconds | round) s measured per point;"
  + " 64-byte values; fsync on for both systems; everything on loopback. At each connection"
  + " count a fresh etcd cluster is measured and stopped, then a fresh paxosd cluster: the"
  + " two never run at the same time, and meet about the same machine. etcd: 3 members,"
  + " writes to the leader through its HTTP"
  + " gateway (`POST /v3/kv/put`, base64 key and value). paxosd: the ten-node cluster of"
  + " `scripts/paxos-local.sh` (3 proposers, 3 acceptors, 2 learners, 2 clients, peer"
  + " messages signed), writes straight to the leader's `/propose`, and through a client"
  + " node's `/send` (one more hop: the client gives the write an identity and sends the"
  + " writes of each loop turn to the leader together, in one `POST /writes`). Latencies"
  + " are p50 / p99 in ms; ratios are paxosd over etcd.\n",
  "| connections | etcd writes/s | etcd p50 / p99 | /propose writes/s | /propose p50 / p99 | /propose ÷ etcd: writes/s, p99 | /send writes/s | /send p50 / p99 | /send ÷ etcd: writes/s, p99 |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ($cs[] as $c
   | ($all | pt("etcd"; "/v3/kv/put"; $c)) as $e
   | ($all | pt("paxosd"; "/propose"; $c)) as $p
   | ($all | pt("paxosd"; "/send"; $c)) as $s
   | "| \($c) | \($e.writes_per_s) | \($e | lat) | \($p.writes_per_s) | \($p | lat) | "
     + "\(more($p.writes_per_s; $e.writes_per_s)), \(less($p.p99_ms; $e.p99_ms)) | "
     + "\($s.writes_per_s) | \($s | lat) | "
     + "\(more($s.writes_per_s; $e.writes_per_s)), \(less($s.p99_ms; $e.p99_ms)) |"),
  "",
  (["/propose", "/send"][] as $path
   | ($all | pt("etcd"; "/v3/kv/put"; 64)) as $e
   | ($all | pt("paxosd"; $path; 64)) as $p
   | ($all | pt("etcd"; "/v3/kv/put"; 16)) as $e16
   | ($all | pt("paxosd"; $path; 16)) as $p16
   | select($e != null and $p != null)
   | "**Targets for `\($path)`** against etcd: at 64 connections writes/s "
     + "\(more($p.writes_per_s; $e.writes_per_s)) etcd's (target at least 2×: "
     + "\(if $p.writes_per_s >= 2 * $e.writes_per_s then "met" else "missed" end)), p99 "
     + "\(less($p.p99_ms; $e.p99_ms)) etcd's (target at most 0.5×: "
     + "\(if $p.p99_ms <= 0.5 * $e.p99_ms then "met" else "missed" end))"
     + (if $e16 != null and $p16 != null then
          "; at 16 connections writes/s \(more($p16.writes_per_s; $e16.writes_per_s)) etcd's"
          + " (target at least 1.5×: "
          + "\(if $p16.writes_per_s >= 1.5 * $e16.writes_per_s then "met" else "missed" end))"
        else "" end) + ".\n"),
  "![writes/s and p99 latency against connections](bench-throughput.png)\n",
  "### Conditions and CPU per write\n",
  "The machine is shared. For each point: how many cores processes other than the system"
  + " under test and the load generator used while it was measured (from `/proc/stat` and"
  + " each process's `/proc/PID/stat`), and the load average after it. A point is run again,"
  + " up to \($tries) times, while others used more than \($max) cores; the quietest run is"
  + " kept. CPU per write: the CPU time of all the processes of the system under test, and"
  + " of the load generator, over the writes acknowledged, in microseconds. On a shared"
  + " machine writes/s depends on what else runs, CPU per write much less: it is the"
  + " steadier figure to compare what each system spends on a write (on 2 cores, when the"
  + " system is CPU-bound, writes/s is about the cores it gets over its CPU per write).\n",
  "| system | path | connections | runs | other processes (cores) | load | failed + unknown | system CPU µs/write | load generator µs/write |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  (.[] | select(.kind == "throughput")
   | .writes as $w
   | "| \(.system) | `\(.path)` | \(.connections) | \(.tries) | \(.other_cores) | \(.load1) | "
     + "\(.failed + .unknown) | \([.process_cpu_s[]] | add | us($w)) | \(.bench_cpu_s | us($w)) |"),
  "",
  "Messages behind each write: the HTTP requests all ten paxosd nodes answered during"
  + " the point (warm-up included), by route, over the slots the leader chose meanwhile."
  + " Each ACCEPT goes to 3 acceptors, and the leader announces the chosen slots to both"
  + " learners (`/chosen`), so writes per ACCEPT batch is 3 over the `/accept` figure.\n",
  "| path | connections | writes per ACCEPT batch | requests per write, all routes | by route |",
  "|---|---:|---:|---:|---|",
  (.[] | select(.kind == "throughput" and .requests_per_write != null)
   | .requests_per_write as $r
   | "| `\(.path)` | \(.connections) | "
     + "\(if $r["/accept"] then (3 / $r["/accept"] * 10 | round / 10) else "-" end) | "
     + "\([$r[]] | add * 100 | round / 100) | "
     + ([$r | to_entries[] | select(.value >= 0.01) | "\(.key) \(.value * 100 | round / 100)"]
        | join(", ")) + " |"),
  "",
  "CPU per write by process at 64 connections (µs of CPU per acknowledged write; processes"
  + " under 1% of the total left out):\n",
  (.[] | select(.kind == "throughput" and .connections == 64)
   | .writes as $w
   | ([.process_cpu_s[]] | add) as $total
   | "- \(.system) `\(.path)`: "
     + ([.process_cpu_s | to_entries[] | select(.value > $total / 100) | "\(.key) \(.value | us($w))"]
        | join(", "))),
  ""
JQ
}

report_reads() {
    q <<'JQ'
def pt($s; $p):
  first(.[] | select(.kind == "reads" and .system == $s and .path == $p));
def ratio($a; $b; f):
  if $a != null and $b > 0 then ($a / $b * 100 | f / 100 | tostring) + "×" else "-" end;
def us($w): if $w > 0 then (. * 1e6 / $w | round) else "-" end;
(pt("etcd"; "/v3/kv/range")) as $e
| (pt("paxosd"; "/read")) as $r
| select($e != null and $r != null)
| "## Linearizable reads\n",
  "Closed loop at \($r.connections) connections, measured as the writes above, each system"
  + " fresh. etcd: `POST /v3/kv/range` of one key on the leader, linearizable (its"
  + " default: the leader confirms it still leads through a read index). paxosd: a client"
  + " node's `GET /read?last=1`: the client asks the leader for a read index (the leader"
  + " confirms with a quorum of acceptors that it still leads; reads that arrive meanwhile"
  + " share the next confirmation), then a learner for its last value once it applied that"
  + " index.\n",
  "| system | path | reads/s | p50 / p99 ms | ÷ etcd: reads/s, p99 | CPU µs/read |",
  "|---|---|---:|---:|---:|---:|",
  ([$e, $r][]
   | .writes as $w
   | "| \(.system) | `\(.path)` | \(.writes_per_s) | \(.p50_ms) / \(.p99_ms) | "
     + "\(if .system == "etcd" then "-" else
          "\(ratio(.writes_per_s; $e.writes_per_s; floor)), \(ratio(.p99_ms; $e.p99_ms; ceil))" end) | "
     + "\([.process_cpu_s[]] | add | us($w)) |"),
  ""
JQ
}

# shellcheck disable=SC2016  # $name in the filters is jq's
report_profile() {
    local name pattern
    [[ -n "$(q <<<'.[] | select(.kind == "profile") | .name')" ]] || return 0
    # The main paths of paxosd, for the inclusive shares.
    pattern='MHD_run|on_socket_ready|on_timeout|proposer_drain|proposer_on_propose'
    pattern+='|proposer_on_sent_answer|acceptor_on_accept|acceptor_flush_role'
    pattern+='|client_drain|client_on_written|writes_on_post|peer_request|msg_encode|msg_decode'
    pattern+='|json_tokener_parse_ex|auth_sign|auth_check|wal_sync|fdatasync'
    pattern+='|__libc_sendmsg|__libc_send|__libc_recv|epoll_wait|__GI_epoll_ctl'
    pattern+='|__memset_avx512_unaligned_erms'
    printf '## Where the time goes in paxosd\n\n'
    cat <<TEXT
The path of a write, every hop an HTTP/1.1 request with a JSON body on a kept-alive
loopback connection, every peer message signed (HMAC-SHA256): the load generator's
\`POST /propose\` to the leader; the leader puts the writes that arrived in one
loop turn into one ACCEPT to each of the 3 acceptors; each acceptor appends them to
its write-ahead file, calls fdatasync once per loop turn and answers; the leader
answers the write once 2 acceptors accepted it, and announces the slots chosen in
that loop turn to both learners in one message each (\`/chosen\`). Through a
client node (\`/send\`) there is one more hop (the client sends the writes of
each loop turn to the leader together, as one \`POST /writes\` answered once all
are chosen) and the learners tell the client what they applied (\`/notify\`). The CPU per write by process and the
requests per write above show where the cost lands; the profiles below show what
each process does with it.

perf (sampling the CPU clock at 499 Hz with DWARF call graphs, $PROFILE_SECONDS s per
process) on the leader and on acceptor1 while 64 connections write to the leader's
\`/propose\`, and on client1 while 64 connections write to its \`/send\`. For each: the
share of samples by binary (the kernel's is the loopback TCP stack, epoll and
fdatasync), the functions that use the most CPU themselves, and the inclusive share of
the main paths (a function with everything it calls).

TEXT
    for name in $(q <<<'.[] | select(.kind == "profile") | .name'); do
        printf '### %s\n\n```\n' "$name"
        q --arg name "$name" <<<'.[] | select(.kind == "profile" and .name == $name) | .dso, .self' |
            sed '/^$/d'
        printf '\ninclusive:\n'
        q --arg name "$name" <<<'.[] | select(.kind == "profile" and .name == $name) | .incl' |
            grep -E "\] ($pattern)\$" | awk '!seen[$4]++' || true
        printf '```\n\n'
    done
    cat <<'TEXT'
### What the profiles showed

- **The client node's hop.** The client sends the writes that arrive in
  one loop turn to the leader together (`POST /writes`, one answer listing
  each write's slot). Forwarding each write as its own `/propose` (one
  request, one answer, one JSON parse and one HMAC per write on both ends)
  cost, on this machine, about 69 µs of the client's CPU and 58 µs of the
  leader's for each write. What the client still spends per write is its
  own HTTP exchange with the user (about half of it in the kernel: a
  `recv`, a `sendmsg`, and two `epoll_ctl` as libmicrohttpd suspends the
  request until the write is chosen and resumes it), then parsing JSON.
- **Connection reuse.** By default curl keeps at most 4 idle
  connections per request in flight: a leader with one or two requests
  out would close its connections to acceptors and learners as soon as
  they went idle and open new ones, about 36 a second under load (`strace
  -c`). Each node keeps up to 256 idle connections.
- **JSON written, not built.** Messages are written straight into one
  buffer, not built as a json-c tree (an object and its hash table per
  write) and then printed; the learners' `/notify` carries `[slot, seq]`
  pairs, not the values the client already has. Against trees and whole
  values, at a fixed 2000 writes/s through client1, this saves about 6 µs
  of the client's CPU per write and 11 µs of the leader's.
- **Linearizable reads.** The leader confirms it still leads with a round
  of messages to the acceptors. Every signature covers a nonce: without
  one, two identical rounds sent within one millisecond would carry the
  same signature, the acceptors would refuse the second as a replay, and
  its reads would wait 300 ms for the retry.
- **What is left** is spread out, with no single hot spot: the kernel's
  loopback TCP stack (about half of every process's samples: each hop is an
  HTTP request and its answer), then parsing JSON (json-c builds a tree
  with a hash table per object, and its malloc and free), then
  libmicrohttpd and libcurl. A parser that does not build trees, and fewer,
  larger messages are what would lower it further; paxosd's own functions
  are a few percent of the samples.

TEXT
}

report_failover() {
    q --argjson rate "$FAILOVER_RATE" --argjson conns "$FAILOVER_CONNECTIONS" <<'JQ'
[.[] | select(.kind == "failover")] as $f
| ($f | map(.first_ack_ms | select(. != null)) | sort) as $t
| "## Failover\n",
  "kill -9 of the leader while a fixed load of \($rate) writes/s goes through client1's"
  + " `/send` (\($conns) connections available, so that writes keep starting on time while"
  + " the leader is gone; the client node retries against the other proposers). Default"
  + " timeouts: heartbeat 100 ms, election timeout 300 ms (randomized in [300, 600) ms),"
  + " request timeout 10 s. *First ack* is the time from the kill to the first write that"
  + " a new leader acknowledged; *failed* are answers other than 200, *unknown* 504s and"
  + " timeouts; *in flight* are the writes started before the kill and answered after it,"
  + " and *longest wait* the longest any of them waited after the kill. The killed node is"
  + " restarted between runs.\n",
  "| run | killed | new leader | first ack (ms) | failed | unknown | in flight at the kill | longest wait (ms) |",
  "|---:|---|---|---:|---:|---:|---:|---:|",
  ($f[] | "| \(.run) | \(.killed) | \(.new_leader) | \(.first_ack_ms) | \(.failed) | \(.unknown) | \(.in_flight) | \(.longest_wait_ms) |"),
  "",
  if ($t | length) > 0 then
    "Time to the new leader's first acknowledged write over \($f | length) run(s): min"
    + " \($t[0]) ms, median \($t[($t | length) / 2 | floor]) ms, max \($t[-1]) ms (target"
    + " under 1000 ms: \(if $t[-1] < 1000 then "met" else "missed" end)); writes failed:"
    + " \($f | map(.failed) | add), unknown: \($f | map(.unknown) | add).\n"
  else "No run saw a new leader acknowledge a write.\n" end
JQ
}

report_gossip() {
    q <<'JQ'
def t: if . == null then "-" else "\(. / 1000 * 100 | round / 100) s" end;
def spread: "\(.first_ms | t) / \(.median_ms | t) / \(.all_ms | t)";
"## Gossip membership\n",
"`scripts/paxos-swarm.sh up N` starts N nodes on 127.0.0.1 that know only the first one."
+ " `gossip-watch` polls every node's `/gossip/nodes` every 100 ms, all in parallel from one"
+ " process, and notes when each node first reports the fact; times are first / median /"
+ " last node, from the event (the start, the kill -9, the new node's start); *all* is"
+ " empty when some node had not reported it after 60 s (a node may also hear *dead*"
+ " before it ever hears *suspect*). Default"
+ " settings: a probe every 1000 ms (timeout 500 ms, 3 indirect checks), gossip to 3 nodes"
+ " every 200 ms, suspicion timeout 4 × max(1, log10 N) × the probe interval, each update"
+ " retransmitted 4 × ceil(log10(N + 1)) times, a full push-pull sync every 30 s.\n",
"| nodes | fresh swarm: all see all alive | killed node: suspect (first / median) | killed node: dead (first / median / all) | suspicion timeout | new node: alive (first / median / all) | new node sees all alive |",
"|---:|---:|---:|---:|---:|---:|---:|",
(.[] | select(.kind == "gossip")
 | "| \(.nodes) | \(.converge.all_ms | t) | \(.suspect.first_ms | t) / \(.suspect.median_ms | t) | \(.dead | spread) | "
   + "\(.suspicion_ms | t) | \(.join | spread) | \(.new_sees_all.all_ms | t) |"),
"",
"What the settings imply: every node probes one random member a second, so a dead node is"
+ " probed by someone within about a second (each of the N - 1 others picks it with"
+ " probability 1/(N - 1) each second: it escapes them all about 37% of the time); 500 ms"
+ " later, once the indirect checks have failed too, it is suspected, and the suspicion"
+ " reaches everyone by gossip in a few 200 ms rounds (each round multiplies the nodes that"
+ " know by up to 4, so about log4 N rounds). Nobody declares it dead before its suspicion"
+ " timeout: 4 s at 10 nodes, 5.9 s at 30, 8 s at 100; so *dead* lands about 1.5 s + the"
+ " timeout + a few rounds after the kill, and grows with log N. A join waits for no"
+ " timeout: the seed learns of the new node from its first message and gossip spreads it"
+ " like any update, in about log4 N rounds; the new node learns the others from the seed's"
+ " answers and their gossip. An update is passed on a bounded number of times (4 ×"
+ " ceil(log10(N + 1)): 8 at 10 and 30 nodes, 12 at 100): a node that none of those"
+ " transmissions reached learns of the join only when the new node probes it or at the"
+ " next push-pull sync (every 30 s); that is the tail when *all* lies far beyond the median.\n",
([.[] | select(.kind == "gossip" and .nodes == 100)] | first // empty
 | "**Target**: a join seen by all 100 nodes in under 3 s: \(.join.all_ms | t) ("
   + "\(if .join.all_ms != null and .join.all_ms < 3000 then "met" else "missed" end)).\n")
JQ
}

report_footprint() {
    q --argjson seconds "$TOP_SECONDS" <<'JQ'
def mib: if . == null then "-" else (. / 1024 * 10 | round / 10 | tostring) end;
"## Footprint\n",
"### paxos-top\n",
"paxos-top polling every node's `/status` once a second, as `--monitor` (a table per poll,"
+ " to /dev/null) and as the dashboard in a terminal (tmux, 160×50), measured for"
+ " \($seconds) s after its first 2 s. Max RSS counts the shared libraries it touches"
+ " (json-c, ncurses, libc: its HTTP client is its own, so no TLS library is loaded);"
+ " anonymous RSS is what paxos-top itself allocates;"
+ " PSS divides each shared page among the processes that map it. Target at 10 nodes: under"
+ " 1% of a core and 10 MiB.\n",
"| nodes | mode | CPU (% of a core) | max RSS (MiB) | anonymous RSS (MiB) | PSS (MiB) |",
"|---:|---|---:|---:|---:|---:|",
(.[] | select(.kind == "top")
 | "| \(.nodes) | \(.mode) | \(.cpu_pct) | \(.hwm_kib | mib) | \(.anon_kib | mib) | \(.pss_kib | mib) |"),
"",
"### paxosd memory\n",
(first(.[] | select(.kind == "soak")) as $s
 | "Resident memory (VmRSS, MiB) of every node of the ten-node cluster: idle after start,"
   + " then every \($s.sample_s) s while \($s.rate) writes/s go through client1 for"
   + " \($s.seconds | round) s (\($s.writes) writes acknowledged, \($s.failed) failed,"
   + " \($s.unknown) unknown, p99 \($s.p99_ms) ms), and idle again 5 s after the load.\n"),
(first(.[] | select(.kind == "soak")) | .writes) as $w
| "Growth is the change in RSS over the writes acknowledged meanwhile: over the whole"
  + " run (from the first sample, so it includes the warm-up: a leader and the learners"
  + " remember the identities of the writes of the last two request timeouts, at least"
  + " 16384, in two generations that fill up in the first minute or so) and over its"
  + " second half, where a node whose memory does not grow with the log is flat.\n",
  "| node | idle | first sample under load | middle | last sample | max | idle after | growth, whole run (bytes per write) | growth, second half (bytes per write) |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  (.[] | select(.kind == "rss")
   | "| \(.node) | \(.idle_kib | mib) | \(.first_kib | mib) | \(.mid_kib | mib) | \(.last_kib | mib) | \(.max_kib | mib) | "
     + "\(.after_kib | mib) | \(if $w > 0 then ((.last_kib - .first_kib) * 1024 / $w | round) else "-" end) | "
     + "\(if $w > 0 then ((.last_kib - .mid_kib) * 1024 / ($w / 2) | round) else "-" end) |"),
  "",
  "Flat over the second half (under 10 bytes per write): \([.[] | select(.kind == "rss" and $w > 0
      and (.last_kib - .mid_kib) * 1024 / ($w / 2) < 10) | .node] | join(", ")). Growing:"
  + " \([.[] | select(.kind == "rss" and $w > 0 and (.last_kib - .mid_kib) * 1024 / ($w / 2) >= 10)
      | .node] | join(", ") | if . == "" then "none" else . end).\n"
JQ
}

report() {
    local md=$OUT_DIR/benchmarks.md
    plot
    {
        printf '# Benchmarks: paxosd beside etcd\n\n'
        report_machine
        report_throughput
        report_reads
        report_profile
        report_failover
        report_gossip
        report_footprint
        q <<<'.[] | select(.kind == "end") | "Load average at the end of the run: \(.load).\n"'
    } >"$md"
    say "wrote $md and $OUT_DIR/bench-throughput.png (raw results: $RESULTS)"
}

main() {
    parse_args "$@"
    install_tools
    for tool in curl jq etcd; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (drop --no-install)"
    done
    build
    prepare_work_dir
    check_ports
    trap cleanup EXIT
    trap 'say interrupted; exit 1' INT TERM
    record_machine
    run_throughput
    run_failover
    run_gossip
    run_footprint
    record end "$(jq -n --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '$ARGS.named')"
    report
}

main "$@"
