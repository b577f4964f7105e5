# shellcheck shell=bash
# common.sh -- what the project's scripts share: the guide's topology (and
# two spare acceptors) and a node's place in it, one-line messages, the usage text taken from a
# script's own top comment, and a command check.
# Sourced by a script after it sets PROG (its name, for messages).

# The guide's ten nodes: name, role, id, port.
# shellcheck disable=SC2034  # used by the scripts that source this file
GUIDE_NODES=(
    "proposer1 proposer 1 3001"
    "proposer2 proposer 2 3002"
    "proposer3 proposer 3 3003"
    "acceptor1 acceptor 4 4001"
    "acceptor2 acceptor 5 4002"
    "acceptor3 acceptor 6 4003"
    "learner1 learner 7 5001"
    "learner2 learner 8 5002"
    "client1 client 9 6001"
    "client2 client 10 6002"
)

# Two more acceptors the cluster can take into its configuration
# (member-add); not started with the ten.
# shellcheck disable=SC2034  # used by the scripts that source this file
SPARE_ACCEPTORS=(
    "acceptor4 acceptor 11 4004"
    "acceptor5 acceptor 12 4005"
)

# guide_field NAME FIELD: the role, id or port (FIELD) of NAME, one of the
# guide's nodes or the spare acceptors; fails for any other name.
guide_field() {
    local entry name role id port
    for entry in "${GUIDE_NODES[@]}" "${SPARE_ACCEPTORS[@]}"; do
        read -r name role id port <<<"$entry"
        if [[ "$name" == "$1" ]]; then
            case "$2" in
                role) printf '%s\n' "$role" ;;
                id) printf '%s\n' "$id" ;;
                port) printf '%s\n' "$port" ;;
            esac
            return 0
        fi
    done
    return 1
}

say() {
    printf '%s\n' "$*"
}

warn() {
    printf '%s: %s\n' "$PROG" "$*" >&2
}

die() {
    warn "error: $*"
    exit 1
}

# The script's top comment, from its second line to the first code line.
usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

have() {
    command -v "$1" >/dev/null 2>&1
}
