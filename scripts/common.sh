# shellcheck shell=bash
# common.sh -- what the project's scripts share: one-line messages, the
# usage text taken from a script's own top comment, and a command check.
# Sourced by a script after it sets PROG (its name, for messages).

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
