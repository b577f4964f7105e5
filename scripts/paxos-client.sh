#!/usr/bin/env bash
# paxos-client.sh -- the guide's command-line client for the Paxos cluster
# on Kubernetes (namespace paxos, deployed by deploy-paxos-k8s.sh).
#
# Usage: ./paxos-client.sh [--json] [--nodeport] COMMAND [VALUE]
#   write VALUE         write VALUE through a client node; answered once the
#                       value is chosen, with its slot in the log
#   direct-write VALUE  send VALUE straight to a proposer (/propose)
#   read                a linearizable read of the log, through the client
#   responses           the outcomes of the client node's writes
#   status              the pods, the leader, and one line per node
#   members             the acceptor set: the configuration in force, what
#                       is coming, and every acceptor's standing (a voter,
#                       waiting to be admitted, not a voter, unreachable)
#   member-add NAME     make acceptor NAME a voter (a spare such as
#                       acceptor4, or an acceptor whose data was lost)
#   member-remove NAME  take acceptor NAME out of the voters
#   member-replace OLD NEW  acceptor NEW votes in place of OLD
#   open                open the client's page in the browser
#                       (minikube service CLIENT-external -n paxos)
#   help                this text
#
# Options:
#   --json              print the nodes' JSON answers as they are
#   --nodeport          reach the nodes at their NodePort services on
#                       `minikube ip` (default: kubectl exec ... curl
#                       inside the node's pod, which works with any driver)
#
# Environment:
#   CLIENT=client2          the client node (default client1)
#   PROPOSER=proposer2      the proposer of direct-write and the member
#                           commands (default proposer1; it forwards a
#                           change to the leader)
#   PAXOS_NAMESPACE         the namespace (default paxos)
#   PAXOS_ACCESS            exec (default) or nodeport, as --nodeport
#   PAXOS_TIMEOUT           seconds a request may take (default 30); also
#                           how long direct-write and the member commands
#                           wait for a leader while none is elected
#   PAXOS_CLIENT_TOKEN      sent as "Authorization: Bearer TOKEN" (for
#                           nodes started with a CLIENT_TOKEN)
#
# Examples (the guide's):
#   ./paxos-client.sh write "novo valor"
#   CLIENT=client2 ./paxos-client.sh write "valor do client2"
#   PROPOSER=proposer2 ./paxos-client.sh direct-write "direto para proposer2"
#   ./paxos-client.sh read
#   ./paxos-client.sh member-add acceptor4     (after kubectl apply -k k8s/spare-acceptors/)
#   ./paxos-client.sh member-replace acceptor2 acceptor5
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
# shellcheck source=scripts/common.sh
. "$SCRIPT_DIR/common.sh"
NS=${PAXOS_NAMESPACE:-paxos}
CLIENT=${CLIENT:-client1}
PROPOSER=${PROPOSER:-proposer1}
ACCESS=${PAXOS_ACCESS:-exec}
TIMEOUT=${PAXOS_TIMEOUT:-30}
TOKEN=${PAXOS_CLIENT_TOKEN:-}
JSON=no

# The guide's nodes (common.sh).
NODES=("${GUIDE_NODES[@]}")

HTTP_CODE=""
HTTP_BODY=""
NODE_IP=""

# ---------------------------------------------------------------- helpers

name_of_id() {
    local entry name role id port
    for entry in "${NODES[@]}"; do
        read -r name role id port <<<"$entry"
        [[ "$id" == "$1" ]] && { printf '%s\n' "$name"; return 0; }
    done
    printf 'node %s\n' "$1"
}

# check_node NAME ROLE: NAME must be a node of the guide with that role.
check_node() {
    local role
    role=$(guide_field "$1" role) ||
        die "unknown node '$1' (the guide's nodes: proposer1..3, acceptor1..3, learner1..2, client1..2)"
    [[ "$role" == "$2" ]] || die "$1 is a $role, not a $2"
}

# A JSON string for a shell string.
json_string() {
    local s=$1
    if have jq; then
        jq -Rn --arg v "$s" '$v'
        return
    fi
    local others=${s//[$'\n\r\t']/}
    if [[ "$others" =~ [[:cntrl:]] ]]; then
        die "the value has control characters: install jq to send it"
    fi
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    printf '"%s"\n' "$s"
}

# ---------------------------------------------------------------- cluster

require_kubectl() {
    have kubectl ||
        die "kubectl not found: install it with ./setup-kubernetes-wsl.sh (it installs kubectl and minikube)"
}

# Fails clearly when the cluster or the namespace is not there.
check_cluster() {
    local out
    require_kubectl
    if out=$(kubectl get namespace "$NS" -o name 2>&1); then
        return 0
    fi
    if grep -q -i 'not *found' <<<"$out" && ! grep -q -i 'connection\|unable\|refused' <<<"$out"; then
        die "namespace $NS does not exist: deploy the cluster with ./deploy-paxos-k8s.sh"
    fi
    # The last line, without klog's "E1127 10:07:48.760943 16715 file.go:1]".
    warn "kubectl: $(tail -n 1 <<<"$out" | sed 's/^[EWIF][0-9]\{4\} [^]]*\] //')"
    die "cannot reach the Kubernetes cluster: is minikube running? (minikube status; minikube start --driver=docker)"
}

# The name of a running pod of NAME (label app=NAME).
pod_of() {
    local pod
    pod=$(kubectl get pods -n "$NS" -l "app=$1" --field-selector=status.phase=Running \
        -o 'jsonpath={.items[0].metadata.name}' 2>/dev/null) || pod=""
    [[ -n "$pod" ]] ||
        die "no running pod of $1 in namespace $NS (kubectl get pods -n $NS -l app=$1)"
    printf '%s\n' "$pod"
}

node_ip() {
    if [[ -z "$NODE_IP" ]]; then
        have minikube || die "minikube not found: --nodeport needs it (or use the default kubectl exec)"
        NODE_IP=$(minikube ip 2>/dev/null) || NODE_IP=""
        [[ -n "$NODE_IP" ]] || die "minikube ip failed: is minikube running? (minikube status)"
    fi
    printf '%s\n' "$NODE_IP"
}

nodeport_of() {
    local port
    port=$(kubectl get service "$1-external" -n "$NS" -o 'jsonpath={.spec.ports[0].nodePort}' 2>/dev/null) ||
        port=""
    [[ -n "$port" ]] || die "no NodePort service $1-external in namespace $NS"
    printf '%s\n' "$port"
}

# http METHOD NAME PATH [BODY]: a request to node NAME; sets HTTP_CODE (000
# when there was no answer) and HTTP_BODY.
http() {
    local method=$1 name=$2 path=$3 port pod out url
    local curl_args=(-sS -m "$TIMEOUT" -w '\n%{http_code}' -X "$method")
    port=$(guide_field "$name" port)
    [[ -z "$TOKEN" ]] || curl_args+=(-H "Authorization: Bearer $TOKEN")
    if [[ $# -ge 4 ]]; then
        curl_args+=(-H 'Content-Type: application/json' --data-binary @-)
    fi
    if [[ "$ACCESS" == nodeport ]]; then
        have curl || die "curl not found (sudo apt-get install curl)"
        url="http://$(node_ip):$(nodeport_of "$name")$path"
        out=$(printf '%s' "${4-}" | curl "${curl_args[@]}" "$url" 2>&1) || true
    else
        pod=$(pod_of "$name")
        url="http://localhost:$port$path"
        if [[ $# -ge 4 ]]; then
            out=$(printf '%s' "$4" |
                kubectl exec -i -n "$NS" "$pod" -- curl "${curl_args[@]}" "$url" 2>&1) || true
        else
            out=$(kubectl exec -n "$NS" "$pod" -- curl "${curl_args[@]}" "$url" 2>&1) || true
        fi
    fi
    HTTP_CODE=${out##*$'\n'}
    if [[ ! "$HTTP_CODE" =~ ^[0-9]{3}$ ]]; then
        HTTP_CODE=000
        HTTP_BODY=$out
    else
        HTTP_BODY=${out%$'\n'*}
        [[ "$out" == *$'\n'* ]] || HTTP_BODY=""
    fi
}

# post_to_leader NAME PATH BODY: POST through proposer NAME, which forwards
# to the leader. While no leader is elected (503, nothing was started),
# asks again each second for up to $TIMEOUT seconds, as during an election.
post_to_leader() {
    local waited=0
    while :; do
        http POST "$@"
        [[ "$HTTP_CODE" == 503 && "$HTTP_BODY" == *"no leader elected yet"* &&
           $waited -lt $TIMEOUT ]] || return 0
        [[ $waited -gt 0 ]] || warn "no leader elected yet: waiting up to ${TIMEOUT} s"
        sleep 1
        waited=$(( waited + 1 ))
    done
}

# expect_ok WHAT [UNKNOWN]: dies with the node's error unless the last
# answer was a 200; UNKNOWN is what to say of an answer whose status is
# "unknown" (by default: of a write).
expect_ok() {
    local what=$1 msg
    local unknown=${2:-"the write may still be chosen later: check with read"}
    [[ "$HTTP_CODE" == 200 ]] && return 0
    if [[ "$JSON" == yes && "$HTTP_CODE" != 000 ]]; then
        printf '%s\n' "$HTTP_BODY"
        exit 1
    fi
    if [[ "$HTTP_CODE" == 000 ]]; then
        die "$what: no answer: $(head -n 3 <<<"$HTTP_BODY")"
    fi
    msg=$HTTP_BODY
    if have jq; then
        msg=$(jq -r '.error // . | tostring' <<<"$HTTP_BODY" 2>/dev/null || printf '%s' "$HTTP_BODY")
        if [[ "$(jq -r '.status // ""' <<<"$HTTP_BODY" 2>/dev/null)" == unknown ]]; then
            msg+=" ($unknown)"
        fi
    fi
    die "$what: HTTP $HTTP_CODE: $msg"
}

# show FILTER [JQ_ARGS...]: prints the answer, as it is with --json or
# without jq, else through FILTER (JQ_ARGS: --arg NAME VALUE...).
show() {
    local filter=$1
    shift
    if [[ "$JSON" == yes ]]; then
        printf '%s\n' "$HTTP_BODY"
    elif have jq; then
        jq -r "$@" "$filter" <<<"$HTTP_BODY"
    else
        printf '%s\n' "$HTTP_BODY"
        warn "install jq for a readable output (sudo apt-get install jq)"
    fi
}

# ---------------------------------------------------------------- commands

cmd_write() {
    [[ $# -eq 1 ]] || die "usage: $PROG write VALUE"
    check_node "$CLIENT" client
    check_cluster
    http POST "$CLIENT" /send "{\"value\":$(json_string "$1")}"
    expect_ok "write through $CLIENT"
    show '"chosen: slot \(.slot), value \(.value | @json) (client \(.client_id), seq \(.seq),"
          + " leader \(.leader // "?"), \(.latency_ms) ms, \(.attempts) attempt(s))"'
}

cmd_direct_write() {
    [[ $# -eq 1 ]] || die "usage: $PROG direct-write VALUE"
    check_node "$PROPOSER" proposer
    check_cluster
    post_to_leader "$PROPOSER" /propose "{\"value\":$(json_string "$1")}"
    expect_ok "direct write to $PROPOSER"
    local leader
    leader=$(name_of_id "$(jq -r '.from // "?"' <<<"$HTTP_BODY" 2>/dev/null || echo '?')")
    show '"chosen: slot \(.slot), value \(.value | @json) (sent to '"$PROPOSER"', chosen by '"$leader"'"
          + " at ballot \(.ballot.round).\(.ballot.node), client \(.client_id), seq \(.seq))"'
}

cmd_read() {
    [[ $# -eq 0 ]] || die "usage: $PROG read"
    check_node "$CLIENT" client
    check_cluster
    http GET "$CLIENT" /read
    expect_ok "read through $CLIENT"
    show '"read through '"$CLIENT"': \(.learner) applied \(.applied) slot(s), \(.count) value(s)"
          + " (read index \(.index))",
          (.values[] | "  slot \(.slot | tostring | (" " * (6 - length)) + .)  \(.value | @json)"
                       + "  (client \(.client_id // "-"))")'
}

cmd_responses() {
    [[ $# -eq 0 ]] || die "usage: $PROG responses"
    check_node "$CLIENT" client
    check_cluster
    http GET "$CLIENT" /get-responses
    expect_ok "responses of $CLIENT"
    show '"\(.client) (client id \(.client_id)): \(.responses | length) response(s), \(.pending) pending",
          (.responses[] | "  seq \(.seq)  " +
              (if .status == "chosen" then "chosen at slot \(.slot)" else "\(.status): \(.error // "?")" end)
              + "  \(.value | @json)  \(.latency_ms // "-") ms"
              + (if (.learned_by // []) | length > 0 then "  learned by \(.learned_by | join(","))" else "" end))'
}

# Every node's /status, fetched from inside the client's pod (one kubectl
# exec; the pod reaches the others by their Service names): "NAME<TAB>JSON"
# lines, JSON empty for a node that did not answer.
fetch_statuses() {
    local entry name role id port targets=() pod
    for entry in "${NODES[@]}"; do
        read -r name role id port <<<"$entry"
        targets+=("$name:$port")
    done
    if [[ "$ACCESS" == nodeport ]]; then
        for entry in "${targets[@]}"; do
            name=${entry%%:*}
            printf '%s\t%s\n' "$name" "$(curl -s -m 3 ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
                "http://$(node_ip):$(nodeport_of "$name")/status" 2>/dev/null | tr -d '\n')"
        done
        return 0
    fi
    pod=$(pod_of "$CLIENT")
    # shellcheck disable=SC2016  # expanded by the pod's shell
    kubectl exec -n "$NS" "$pod" -- sh -c '
        auth=$1
        shift
        for t in "$@"; do
            printf "%s\t" "${t%%:*}"
            if [ -n "$auth" ]; then
                curl -s -m 3 -H "$auth" "http://$t/status"
            else
                curl -s -m 3 "http://$t/status"
            fi | tr -d "\n"
            echo
        done' sh "${TOKEN:+Authorization: Bearer $TOKEN}" "${targets[@]}"
}

cmd_status() {
    local statuses
    [[ $# -eq 0 ]] || die "usage: $PROG status"
    check_node "$CLIENT" client
    check_cluster
    statuses=$(fetch_statuses) || die "could not ask the nodes through $CLIENT's pod"
    if [[ "$JSON" == yes ]]; then
        if have jq; then
            jq -R -s 'split("\n") | map(select(length > 0) | split("\t")
                      | {key: .[0], value: ((.[1] // "") as $j | try ($j | fromjson) catch null)})
                      | from_entries' <<<"$statuses"
        else
            printf '%s\n' "$statuses"
        fi
        return 0
    fi
    printf 'pods (kubectl get pods -n %s):\n' "$NS"
    kubectl get pods -n "$NS" 2>&1 | sed 's/^/  /'
    printf '\n'
    have jq || { printf '%s\n' "$statuses"; warn "install jq for a readable output"; return 0; }
    jq -R -r -s '
        split("\n") | map(select(length > 0) | split("\t")
            | {name: .[0], s: ((.[1] // "") as $j | try ($j | fromjson) catch null)}) as $nodes
        | ($nodes | map(select(.s.is_leader == true) | .name)) as $leaders
        | "leader: \(if ($leaders | length) == 0 then "none" else ($leaders | join(", ")) end)",
          "",
          "NODE       ROLE      STATE      DETAILS",
          ($nodes[] | .name as $n | .s as $s
           | if $s == null then "\($n | . + " " * (10 - length)) -         down       no answer"
             else
               ($s.role) as $r
               | (if $r == "proposer" then $s.state
                  else "up" end) as $state
               | (if $r == "proposer" then
                    "ballot \($s.ballot.round).\($s.ballot.node), leader \($s.leader_name // "-"), commit \($s.commit), chosen \($s.chosen)"
                  elif $r == "acceptor" then
                    "promised \($s.promised.round).\($s.promised.node), max_slot \($s.max_slot), commit \($s.commit)"
                  elif $r == "learner" then
                    "applied \($s.applied), \($s.values_count) value(s)"
                  else
                    "writes \($s.writes_ok) ok / \($s.writes_failed) failed, reads \($s.reads_ok), leader \($s.leader_name // "-")"
                  end) as $details
               | "\($n | . + " " * (10 - length)) \($r | . + " " * (9 - length)) \($state | . + " " * (10 - length)) \($details)"
             end)' <<<"$statuses"
}

cmd_members() {
    [[ $# -eq 0 ]] || die "usage: $PROG members"
    check_node "$PROPOSER" proposer
    check_cluster
    http GET "$PROPOSER" /voters
    expect_ok "members through $PROPOSER"
    # shellcheck disable=SC2016  # jq's variables
    show 'def names: [.voters[].name] | join(", ");
          def pad($w): tostring | . + " " * ([$w - length, 0] | max);
        (.voters | length) as $n
        | "configuration epoch \(.epoch), in force from slot \(.first_slot)"
          + " (leader \(if .leader_name == "" then "none" else .leader_name end))",
        "voters: \(names) (a quorum is \($n / 2 | floor + 1) of \($n))",
        (if (.coming | length) == 0 then "coming: nothing"
         else (.coming[] | "coming: epoch \(.epoch) from slot \(.first_slot): \(names)") end),
        (if .change_in_progress then "a change is in progress" else empty end),
        "",
        "\("NAME" | pad(11)) \("ID" | pad(4)) \("MEMBER" | pad(17)) \("ADDRESS" | pad(21)) STANDING",
        (.acceptors[] | "\(.name | pad(11)) \(.id | pad(4)) \(.member // "-" | pad(17))"
                        + " \(.address | pad(21)) \(.standing)"),
        (.acceptors[] | select(.standing | startswith("waiting"))
         | "", "\(.name) does not vote: admit it with ./paxos-client.sh member-add \(.name)")'
}

# change_body CHANGE NAME [NEW]: the body of POST /voters.
change_body() {
    local name
    for name in "${@:2}"; do
        [[ "$name" =~ ^[A-Za-z0-9._-]{1,31}$ ]] ||
            die "'$name' is not an acceptor name or id (such as acceptor4 or 11)"
    done
    case "$1" in
        add) printf '{"add":%s}' "$(json_string "$2")" ;;
        remove) printf '{"remove":%s}' "$(json_string "$2")" ;;
        replace) printf '{"replace":%s,"with":%s}' "$(json_string "$2")" "$(json_string "$3")" ;;
    esac
}

# cmd_member_change CHANGE NAME [NEW]: member-add, member-remove and
# member-replace; answered once the new configuration is in force.
cmd_member_change() {
    local change=$1 body what
    shift
    case "$change" in
        replace) [[ $# -eq 2 ]] || die "usage: $PROG member-replace OLD NEW" ;;
        *) [[ $# -eq 1 ]] || die "usage: $PROG member-$change NAME" ;;
    esac
    body=$(change_body "$change" "$@")
    what="member-$change $*"
    check_node "$PROPOSER" proposer
    check_cluster
    post_to_leader "$PROPOSER" /voters "$body"
    expect_ok "$what through $PROPOSER" \
        "leadership was lost during the change: it may still come into force; check with ./paxos-client.sh members"
    # shellcheck disable=SC2016  # jq's variables
    show '"\({add: "added \($old)", remove: "removed \($old)",
              replace: "replaced \($old) with \($new)"}[$change]):"
          + " configuration epoch \(.epoch) in force from slot \(.first_slot),"
          + " voters \([.voters[].name] | join(", "))"' \
        --arg change "$change" --arg old "$1" --arg new "${2:-}"
}

cmd_open() {
    [[ $# -eq 0 ]] || die "usage: $PROG open"
    check_node "$CLIENT" client
    have minikube ||
        die "minikube not found: install it with ./setup-kubernetes-wsl.sh; or open http://<node address>:<nodePort of $CLIENT-external>"
    check_cluster
    printf 'opening %s-external (minikube service %s-external -n %s)\n' "$CLIENT" "$CLIENT" "$NS"
    exec minikube service "$CLIENT-external" -n "$NS"
}

main() {
    local args=() cmd
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --json) JSON=yes ;;
            --nodeport) ACCESS=nodeport ;;
            -h|--help) usage; return 0 ;;
            --) shift; args+=("$@"); break ;;
            *) args+=("$1") ;;
        esac
        shift
    done
    [[ "$ACCESS" == exec || "$ACCESS" == nodeport ]] ||
        die "PAXOS_ACCESS must be exec or nodeport, not '$ACCESS'"
    [[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "PAXOS_TIMEOUT must be a number of seconds"
    if [[ ${#args[@]} -eq 0 ]]; then
        usage >&2
        exit 2
    fi
    cmd=${args[0]}
    args=("${args[@]:1}")
    case "$cmd" in
        write) cmd_write "${args[@]}" ;;
        direct-write) cmd_direct_write "${args[@]}" ;;
        read) cmd_read "${args[@]}" ;;
        responses) cmd_responses "${args[@]}" ;;
        status) cmd_status "${args[@]}" ;;
        members) cmd_members "${args[@]}" ;;
        member-add) cmd_member_change add "${args[@]}" ;;
        member-remove) cmd_member_change remove "${args[@]}" ;;
        member-replace) cmd_member_change replace "${args[@]}" ;;
        open) cmd_open "${args[@]}" ;;
        help) usage ;;
        *) warn "unknown command '$cmd'"; usage >&2; exit 2 ;;
    esac
}

main "$@"
