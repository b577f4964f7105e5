#!/usr/bin/env bash
# hostile.sh -- the fault suite's hostile client. In rounds, for --time
# seconds, it sends to every route of every node: garbage bytes, an empty
# body, truncated, deeply nested, oversized and wrongly-typed JSON (every
# field of a valid message given a value of the wrong type, one at a
# time), JSON that is not an object, invalid UTF-8, bad query strings,
# wrong methods and unknown routes; and raw bytes that are not HTTP (or
# are broken HTTP framing) to every node's port. Every answer must be a
# 4xx, or none at all (the node closed the connection, or a node the
# nemesis paused or cut off did not answer in time). faults.sh runs it in
# the tester's network namespace while the workload runs.
#
# Usage: hostile.sh --time SECONDS --dir DIR [--peer-port-offset N
#                   --peer-routes "ROUTE..." [--secret-file FILE]]
#                   NAME:ROLE:HOST:PORT...
# The peer routes go to the node's port + N (its peer port), as the nodes
# send them to each other, and the raw bytes to both ports. With the
# cluster secret, the requests to peer routes are signed (afresh each
# round), so that the malformed messages reach the nodes' decoders as a
# faulty peer's would, not only the signature check.
# (and, for its own use: --raw HOST PORT FILE, one raw exchange that
# prints the answer's status line or "closed"; --raw-node DIR HOST PORT,
# every raw payload to one node)
# Writes DIR/results, one "CODE METHOD URL PAYLOAD" line per request (CODE
# 000: no answer; RAW lines carry the status line), prints one summary
# line and exits 1 when some answer was not a 4xx.
set -euo pipefail

PROG=hostile.sh
PAUSE_S=2           # between rounds
MAX_TIME_S=3        # per request (a paused node does not answer)
PARALLEL=16         # requests at once to one node
BIG=$((2 * 1024 * 1024))        # over paxosd's default --max-body (1 MiB)
HUGE_VALUE=$((900 * 1024))      # under --max-body, over --max-value (64 KiB)
DEPTH=20000
PEER_OFFSET=0       # --peer-port-offset
PEER_ROUTES=""      # --peer-routes: the routes served on the peer port
SECRET_FILE=""      # --secret-file: signs the peer requests

declare -A POST_ROUTES=(
    [proposer]="/propose /read-index /heartbeat /gossip"
    [acceptor]="/prepare /accept /gossip"
    [learner]="/chosen /gossip"
    [client]="/send /notify /gossip"
)
declare -A GET_ROUTES=(
    [proposer]="/health /status /view-logs /metrics /gossip/nodes"
    [acceptor]="/health /status /view-logs /metrics /gossip/nodes /accepted"
    [learner]="/health /status /view-logs /metrics /gossip/nodes /get-values /learned"
    [client]="/health /status /view-logs /metrics /gossip/nodes /read /get-responses"
)
# Query parameters a GET route reads, each given values it must refuse.
declare -A QUERY_PARAMS=(
    [/accepted]="from limit learner"
    [/get-values]="wait_for from limit last"
    [/read]="from limit last"
    [/learned]="from"
)
BAD_NUMBERS=(x -1 "" 1.5 1e3 99999999999999999999999 "1%00")
ENTRY='{"slot":1,"value":"hostile","client_id":"hostile","seq":1}'
BALLOT='{"round":1,"node":1}'
# A valid message for each POST route: the hostile payloads are made from it.
declare -A TEMPLATE=(
    [/send]='{"value":"hostile"}'
    [/propose]='{"value":"hostile","client_id":"hostile","seq":1}'
    [/read-index]='{}'
    [/heartbeat]="{\"from\":1,\"ballot\":$BALLOT,\"commit\":0}"
    [/prepare]="{\"from\":1,\"ballot\":$BALLOT,\"from_slot\":1}"
    [/accept]="{\"from\":1,\"ballot\":$BALLOT,\"commit\":0,\"entries\":[$ENTRY]}"
    [/chosen]="{\"from\":4,\"ballot\":$BALLOT,\"commit\":0,\"entries\":[$ENTRY]}"
    [/notify]='{"from":7,"applied":[[1,1]]}'
    [/gossip]='{"type":"ping","from":{"id":1,"name":"proposer1","role":"proposer","host":"proposer1","port":3001,"state":"alive","incarnation":1},"probe":1,"members":[]}'
)

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 2
}

# ------------------------------------------------------------ payloads

# repeat N STRING: STRING N times.
repeat() {
    local out
    printf -v out '%*s' "$1" ''
    printf '%s' "${out// /$2}"
}

# Payloads every POST route gets, in DIR/common/.
make_common_payloads() {
    local d=$1/common
    mkdir -p "$d"
    head -c 4096 /dev/urandom >"$d/garbage"
    : >"$d/empty"
    printf 'hello, paxos' >"$d/not-json"
    printf '[]' >"$d/array"
    printf '"text"' >"$d/string"
    printf '7' >"$d/number"
    printf 'null' >"$d/null"
    printf '{"value":"\xff\xfe\xfd"}' >"$d/invalid-utf8"
    printf '{"value":"x"} {"value":"y"}' >"$d/trailing-data"
    { repeat "$DEPTH" '['; repeat "$DEPTH" ']'; } >"$d/nested-arrays"
    { repeat "$DEPTH" '{"a":'; printf '1'; repeat "$DEPTH" '}'; } >"$d/nested-objects"
    { printf '{"value":"'; head -c "$BIG" /dev/zero | tr '\0' a; printf '"}'; } >"$d/over-max-body"
}

# The template of a route with each field, one at a time, given values of
# a type it does not have (client_id may be a string or a number).
wrong_types() {
    jq -c '
        def wrong:
            if type == "string" then [7, [], true, {}]
            elif type == "number" then ["7", -1, 1.5, [], true]
            elif type == "array" then ["x", {}, 7]
            elif type == "object" then ["x", [], 7]
            else ["x"] end;
        . as $t
        | [paths | select(length <= 3)] | .[] as $p
        | ($t | getpath($p) | wrong | .[]) as $r
        | if $p[-1] == "client_id" and ($r | type) == "number" then empty
          else $t | setpath($p; $r) end' <<<"$1"
}

# Payloads made from one route's template, in DIR/ROUTE/.
make_route_payloads() {
    local d=$1/${2//\//} template=${TEMPLATE[$2]} i=0 line
    mkdir -p "$d"
    printf '%s' "${template:0:$(( ${#template} / 2 ))}" >"$d/truncated"
    while IFS= read -r line; do
        i=$((i + 1))
        printf '%s' "$line" >"$d/wrong-type-$i"
    done < <(wrong_types "$template")
    if [[ "$template" == *'"value":"hostile"'* ]]; then
        { printf '%s' "${template%%\"value\":\"hostile\"*}\"value\":\""
          head -c "$HUGE_VALUE" /dev/zero | tr '\0' v
          printf '"%s' "${template#*\"value\":\"hostile\"}"; } >"$d/huge-value"
    fi
}

# Raw payloads, in DIR/raw/.
make_raw_payloads() {
    local d=$1/raw
    mkdir -p "$d"
    head -c 1024 /dev/urandom >"$d/garbage"
    head -c 64 /dev/zero >"$d/nul-bytes"
    printf 'EHLO hostile.example\r\n' >"$d/smtp"
    printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' >"$d/tls-hello"
    printf 'GARBAGE\r\n\r\n' >"$d/no-method"
    printf 'GET /health\r\n\r\n' >"$d/no-version"
    printf 'POST /send HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' >"$d/negative-length"
    printf 'POST /send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' >"$d/bad-chunk"
    printf 'POST /send HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"va' >"$d/short-body"
    { printf 'GET /health HTTP/1.1\r\nX-Long: '; repeat 100000 a; printf '\r\n\r\n'; } >"$d/long-header"
}

# ------------------------------------------------------------ requests

# curl_entry URL METHOD PAYLOAD_FILE LABEL: one request of a curl config,
# after a "next" (the first one must go: a "next" before the first request
# or after the last makes curl fail every transfer).
curl_entry() {
    printf 'next\nurl = "%s"\nrequest = "%s"\n' "$1" "$2"
    [[ -n "$3" ]] && printf 'data-binary = "@%s"\nheader = "Content-Type: application/json"\n' "$3"
    printf 'output = "/dev/null"\nmax-time = %d\nconnect-timeout = 2\n' "$MAX_TIME_S"
    printf 'write-out = "%%{http_code} %s %%{url_effective} %s\\n"\n' "$2" "$4"
}

# base_url HOST PORT ROUTE: where ROUTE is served, the peer port for a
# peer route.
base_url() {
    if [[ " $PEER_ROUTES " == *" $3 "* ]]; then
        printf 'http://%s:%s\n' "$1" $(( $2 + PEER_OFFSET ))
    else
        printf 'http://%s:%s\n' "$1" "$2"
    fi
}

# node_config DIR ROLE HOST PORT: the curl config of every request to one
# node.
node_config() {
    local dir=$1 role=$2 base route file param value
    for route in ${POST_ROUTES[$role]}; do
        base=$(base_url "$3" "$4" "$route")
        for file in "$dir/common"/* "$dir/${route//\//}"/*; do
            curl_entry "$base$route" POST "$file" "${file#"$dir"/}"
        done
        curl_entry "$base$route" GET "" wrong-method
    done
    for route in ${GET_ROUTES[$role]}; do
        base=$(base_url "$3" "$4" "$route")
        curl_entry "$base$route" POST "$dir/common/garbage" wrong-method
        curl_entry "$base$route" DELETE "" wrong-method
        for param in ${QUERY_PARAMS[$route]-}; do
            for value in "${BAD_NUMBERS[@]}"; do
                curl_entry "$base$route?$param=$value" GET "" bad-query
            done
        done
    done
    curl_entry "http://$3:$4/no-such-route" GET "" unknown-route
    if [[ $PEER_OFFSET -gt 0 ]]; then
        curl_entry "http://$3:$(( $4 + PEER_OFFSET ))/no-such-route" GET "" unknown-route
        curl_entry "http://$3:$(( $4 + PEER_OFFSET ))/status" GET "" user-route-on-peer-port
    fi
}

# raw_exchange HOST PORT FILE: sends FILE over a new TCP connection and
# prints the first line of the answer ("closed" when there is none).
raw_exchange() {
    local line fd
    exec {fd}<>"/dev/tcp/$1/$2" || { printf 'refused\n'; return 0; }
    cat "$3" 1>&"$fd" 2>/dev/null || true
    if IFS= read -r -t 2 line <&"$fd"; then
        printf '%s\n' "${line%$'\r'}"
    else
        printf 'closed\n'
    fi
    exec {fd}>&-
}

# raw_node DIR HOST PORT: every raw payload to one node, one at a time.
raw_node() {
    local dir=$1 host=$2 port=$3 file answer
    for file in "$dir"/raw/*; do
        answer=$(timeout 10 bash "$0" --raw "$host" "$port" "$file" 2>/dev/null ||
                 printf 'closed')
        printf '%s RAW tcp://%s:%s %s\n' "${answer// /_}" "$host" "$port" \
            "${file#"$dir"/}"
    done
}

# sign_config CFG: CFG with a signature header (X-Paxos-Signature, as
# node/net/auth.h says) on every request to a peer route, made now.
sign_config() {
    python3 - "$1" "$SECRET_FILE" "$PEER_ROUTES" <<'PY'
import hashlib, hmac, os, re, sys, time
cfg, secret_file, routes = sys.argv[1], sys.argv[2], set(sys.argv[3].split())
key = open(secret_file, "rb").read().rstrip(b"\n")
nonce = int.from_bytes(os.urandom(7), "big")
now = int(time.time() * 1000)
blocks = open(cfg).read().split("next\n")
for i, block in enumerate(blocks):
    url = re.search(r'url = "http://[^/"]+(/[^?"]*)', block)
    method = re.search(r'request = "([A-Z]+)"', block)
    data = re.search(r'data-binary = "@([^"]+)"', block)
    if url and method and url.group(1) in routes:
        body = open(data.group(1), "rb").read() if data else b""
        nonce += 1
        n = "%016x" % nonce
        msg = ("%s\n%s\n%d\n%s\n" % (method.group(1), url.group(1), now, n)).encode() + body
        sig = hmac.new(key, msg, hashlib.sha256).hexdigest()
        block += 'header = "X-Paxos-Signature: t=%d,n=%s,sig=%s"\n' % (now, n, sig)
    sys.stdout.write(("next\n" if i else "") + block)
PY
}

# round DIR SECONDS NODE...: one round, every node at once, cut short
# after SECONDS; the results on stdout.
round() {
    local dir=$1 left=$2 node role host port i=0 pids=() cfg
    shift 2
    for node in "$@"; do
        IFS=: read -r _ role host port <<<"$node"
        i=$((i + 1))
        cfg=$dir/node$i.cfg
        if [[ -n "$SECRET_FILE" ]]; then
            sign_config "$cfg" >"$dir/node$i.signed.cfg"
            cfg=$dir/node$i.signed.cfg
        fi
        timeout "$left" curl -s -Z --parallel-max "$PARALLEL" -K "$cfg" \
            >"$dir/out$i.http" 2>/dev/null &
        pids+=("$!")
        timeout "$left" bash "$0" --raw-node "$dir/payloads" "$host" "$port" \
            >"$dir/out$i.raw" 2>/dev/null &
        pids+=("$!")
        if [[ $PEER_OFFSET -gt 0 ]]; then
            timeout "$left" bash "$0" --raw-node "$dir/payloads" "$host" $(( port + PEER_OFFSET )) \
                >"$dir/out$i.peer.raw" 2>/dev/null &
            pids+=("$!")
        fi
    done
    wait "${pids[@]}" || true
    # Whole lines only: the last one of a request cut short may be partial.
    awk '/^[^ ]+ [A-Z]+ [^ ]+ [^ ]+$/' "$dir"/out*.http "$dir"/out*.raw
}

# ------------------------------------------------------------ main

main() {
    local time_s="" dir="" deadline rounds=0 total bad route node role host port i=0
    case "${1:-}" in
        --raw)
            [[ $# -eq 4 ]] || die "--raw HOST PORT FILE"
            raw_exchange "$2" "$3" "$4"
            return 0 ;;
        --raw-node)
            [[ $# -eq 4 ]] || die "--raw-node DIR HOST PORT"
            raw_node "$2" "$3" "$4"
            return 0 ;;
    esac
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --time) time_s=${2:?}; shift 2 ;;
            --dir) dir=${2:?}; shift 2 ;;
            --peer-port-offset) PEER_OFFSET=${2:?}; shift 2 ;;
            --peer-routes) PEER_ROUTES=${2:?}; shift 2 ;;
            --secret-file) SECRET_FILE=${2:?}; shift 2 ;;
            --) shift; break ;;
            -*) die "unknown option $1" ;;
            *) break ;;
        esac
    done
    [[ "$time_s" =~ ^[0-9]+$ && -n "$dir" && $# -gt 0 && "$PEER_OFFSET" =~ ^[0-9]+$ ]] ||
        die "usage: $PROG --time SECONDS --dir DIR NAME:ROLE:HOST:PORT..."
    mkdir -p "$dir/payloads"
    make_common_payloads "$dir/payloads"
    make_raw_payloads "$dir/payloads"
    for route in "${!TEMPLATE[@]}"; do
        make_route_payloads "$dir/payloads" "$route"
    done
    for node in "$@"; do
        IFS=: read -r _ role host port <<<"$node"
        i=$((i + 1))
        node_config "$dir/payloads" "$role" "$host" "$port" | tail -n +2 >"$dir/node$i.cfg"
    done
    : >"$dir/results"
    deadline=$((SECONDS + time_s))
    while (( SECONDS < deadline )); do
        rounds=$((rounds + 1))
        round "$dir" $((deadline - SECONDS + 1)) "$@" >>"$dir/results"
        sleep "$PAUSE_S"
    done
    total=$(wc -l <"$dir/results")
    # A 4xx, no answer (000), or a raw exchange answered 4xx or not at all.
    bad=$(awk '!($1 ~ /^(4[0-9][0-9]|000|closed|refused|HTTP\/1\.[01]_4[0-9][0-9]_.*)$/)' \
          "$dir/results" | tee "$dir/bad" | wc -l)
    printf 'hostile: %d requests in %d rounds: %d answered 4xx, %d not answered, %d otherwise\n' \
        "$total" "$rounds" \
        "$(awk '$1 ~ /^(4|HTTP\/1\.[01]_4)/' "$dir/results" | wc -l)" \
        "$(awk '$1 ~ /^(000|closed|refused)$/' "$dir/results" | wc -l)" "$bad"
    [[ $bad -eq 0 ]]
}

main "$@"
