#!/usr/bin/env bash
# learner-down.sh -- the learner-down soak: with learner2 killed, writes at
# a fixed rate through client1 for a long time, the memory of every node
# sampled; then learner2 starts again and must catch up to the same log as
# learner1. Prints, per node, the resident memory at the start, the middle
# and the end of the load, and the growth per write over the second half
# (the acceptors' target: under 8 bytes per write); then how long learner2
# took to catch up and whether both logs are the same.
#
# Usage: tests/bench/learner-down.sh [--seconds N] [--rate R] [--out FILE]
#   --seconds  how long the load runs (default 600)
#   --rate     writes per second through client1 (default 1000)
#   --out      also write the report, as Markdown, to FILE
#
# Environment:
#   PAXOS_BENCH_BUILD_DIR  the build with paxosd and tests/bench/paxos-bench
#                          (default SRC/build)
#   PAXOS_BENCH_WORK_DIR   data, logs and samples (default a new directory
#                          under /tmp, removed at the end unless the run
#                          failed)
# The cluster runs on 127.0.0.1 at port offset 1900 (4901..7902), fsync on.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROG=learner-down.sh
HOST=127.0.0.1
PORT_OFFSET=1900
SECONDS_LOAD=600
RATE=1000
SAMPLE_S=10
VALUE_SIZE=64
OUT=""

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage() {
    awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) SECONDS_LOAD=${2:?}; shift 2 ;;
        --rate) RATE=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ "$SECONDS_LOAD" =~ ^[0-9]+$ && $SECONDS_LOAD -ge $((2 * SAMPLE_S)) ]] ||
    die "--seconds wants a whole number of at least $((2 * SAMPLE_S))"
[[ "$RATE" =~ ^[1-9][0-9]*$ ]] || die "--rate wants a positive whole number"

BUILD_DIR=${PAXOS_BENCH_BUILD_DIR:-$SRC_DIR/build}
PAXOSD=$BUILD_DIR/paxosd
BENCH=$BUILD_DIR/tests/bench/paxos-bench
[[ -x "$PAXOSD" && -x "$BENCH" ]] ||
    die "no paxosd or tests/bench/paxos-bench in $BUILD_DIR (build with make check TESTS=)"
for tool in curl jq awk sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
WORK=${PAXOS_BENCH_WORK_DIR:-$(mktemp -d /tmp/paxos-learner-down.XXXXXX)}
mkdir -p "$WORK"
SAMPLES=$WORK/rss.txt
KEEP_WORK=yes

paxos_local() {
    PAXOS_RUN_DIR="$WORK/run" PAXOS_PORT_OFFSET=$PORT_OFFSET PAXOSD="$PAXOSD" \
        bash "$SRC_DIR/scripts/paxos-local.sh" "$@"
}

url() {
    printf 'http://%s:%s%s\n' "$HOST" "$(( $1 + PORT_OFFSET ))" "$2"
}

cleanup() {
    paxos_local down >/dev/null 2>&1 || true
    if [[ "$KEEP_WORK" == yes ]]; then
        printf '%s: kept %s\n' "$PROG" "$WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

now_ms() {
    date +%s%3N
}

applied() {
    curl -fsS -m 2 "$(url "$1" /status)" 2>/dev/null | jq -r '.applied // 0'
}

# One "T NAME RSS_KIB" line per running node.
sample() {
    local file name
    for file in "$WORK"/run/pids/*.pid; do
        name=$(basename "$file" .pid)
        [[ "$name" == learner2 ]] && continue
        printf '%s %s %s\n' "$1" "$name" \
            "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$(cat "$file")/status" 2>/dev/null || echo 0)"
    done
}

# The whole applied log of the learner at PORT, one "slot value" line per
# write, hashed.
log_hash() {
    local from=1 page
    while :; do
        page=$(curl -fsS -m 30 "$(url "$1" "/get-values?from=$from&limit=20000")") || return 1
        jq -c '.values[] | [.slot, .value]' <<<"$page"
        [[ "$(jq -r .more <<<"$page")" == true ]] || break
        from=$(( $(jq -r '.values[-1].slot' <<<"$page") + 1 ))
    done | sha256sum | cut -d' ' -f1
}

printf '%s: ten nodes at port offset %s, learner2 killed, %s writes/s through client1 for %s s\n' \
    "$PROG" "$PORT_OFFSET" "$RATE" "$SECONDS_LOAD"
paxos_local down --wipe >/dev/null 2>&1 || true
paxos_local up >"$WORK/up.txt" 2>&1 || die "the cluster did not start: $(tail -n 5 "$WORK/up.txt")"
paxos_local kill learner2 >/dev/null
sleep 2
sample start >"$SAMPLES"
"$BENCH" -c 64 -r "$RATE" -d "$SECONDS_LOAD" -s "$VALUE_SIZE" --json \
    --url "$(url 6001 /send)" >"$WORK/bench.out" 2>&1 &
bench=$!
for ((t = SAMPLE_S; t <= SECONDS_LOAD; t += SAMPLE_S)); do
    sleep "$SAMPLE_S"
    sample "$t" >>"$SAMPLES"
done
wait "$bench" || die "paxos-bench failed: $(tail -n 3 "$WORK/bench.out")"
LOAD=$(tail -n 1 "$WORK/bench.out")
MID=$(( SECONDS_LOAD / 2 / SAMPLE_S * SAMPLE_S ))

start_ms=$(now_ms)
paxos_local restart learner2 >"$WORK/restart.txt" 2>&1 ||
    die "learner2 did not start again: $(tail -n 5 "$WORK/restart.txt")"
target=$(applied 5001)
until (( $(applied 5002) >= target )); do
    (( $(now_ms) - start_ms < 600000 )) || die "learner2 did not catch up in 600 s"
    sleep 0.2
done
CATCHUP_MS=$(( $(now_ms) - start_ms ))
HASH1=$(log_hash 5001)
HASH2=$(log_hash 5002)
COUNT=$(curl -fsS -m 5 "$(url 5001 /get-values?last=1)" | jq -r .count)

report() {
    printf '| node | RSS at start (KiB) | at %s s | at %s s | bytes/write, 2nd half |\n' "$MID" "$SECONDS_LOAD"
    printf '|---|---:|---:|---:|---:|\n'
    awk -v mid="$MID" -v end="$SECONDS_LOAD" -v rate="$RATE" '
        { rss[$2, $1] = $3; names[$2] = 1 }
        END {
            for (x in names) {
                per = (rss[x, end] - rss[x, mid]) * 1024 / ((end - mid) * rate)
                printf "| %s | %d | %d | %d | %.2f |\n", x, rss[x, "start"], rss[x, mid], rss[x, end], per
            }
        }' "$SAMPLES" | sort
    printf '\n'
    printf -- '- load: %s\n' "$(jq -r '"\(.writes) writes (\(.failed) failed, \(.unknown) unknown), \(.writes_per_s) writes/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms"' <<<"$LOAD" 2>/dev/null || printf '%s' "$LOAD")"
    printf -- '- learner2, started again after the load: caught up to slot %s in %s ms\n' "$target" "$CATCHUP_MS"
    if [[ "$HASH1" == "$HASH2" ]]; then
        printf -- '- learner1 and learner2 hold the same log: %s writes (sha256 %s)\n' "$COUNT" "${HASH1:0:16}"
    else
        printf -- '- the logs DIFFER: learner1 %s, learner2 %s\n' "${HASH1:0:16}" "${HASH2:0:16}"
    fi
}

REPORT=$(report)
printf '%s\n' "$REPORT"
[[ -z "$OUT" ]] || printf '%s\n' "$REPORT" >"$OUT"
[[ "$HASH1" == "$HASH2" ]] || exit 1
KEEP_WORK=no
