#!/usr/bin/env bash
# checker.sh -- tests the fault suite's checker (checker.c) on hand-made
# histories: tests/fault/histories/valid/ is a correct history with the
# learners' logs, and every other directory there changes it (holding
# only the files it changes) so that exactly one kind of violation
# appears. Its file "expect" names that kind after a comment line: the
# checker must report that kind and no other, with exit status 1; PASS:
# no violation, exit status 0; unreadable: exit status 2.
#
# Run by `make check` with PAXOSD set (the checker is built beside it, in
# tests/fault/); by hand: CHECKER=build/tests/fault/checker
# tests/fault/checker.sh. Needs no root and no network.

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail

FAULT_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$FAULT_DIR/../integration/lib.sh"

CASES="$FAULT_DIR/histories"
CHECKER=${CHECKER:-${FAULT_BIN_DIR:-$(dirname "${PAXOSD:-$PAXOS_SRCDIR/build/paxosd}")/tests/fault}/checker}

# case_file CASE FILE: the case's own FILE, else the valid history's.
case_file() {
    if [[ -f "$CASES/$1/$2" ]]; then
        printf '%s\n' "$CASES/$1/$2"
    else
        printf '%s\n' "$CASES/valid/$2"
    fi
}

check_case() {
    local name=$1 expect about out status=0 kinds
    about=$(sed -n '1s/^# //p' "$CASES/$name/expect")
    expect=$(grep -v '^#' "$CASES/$name/expect" | head -n 1)
    out=$("$CHECKER" --history "$(case_file "$name" history.jsonl)" \
          --log "$(case_file "$name" learner1.json)" \
          --log "$(case_file "$name" learner2.json)" 2>&1) || status=$?
    kinds=$(sed -n 's/^VIOLATION \([a-z-]*\):.*/\1/p' <<<"$out" | sort -u | paste -sd ' ' -)
    case "$expect" in
        PASS) t_expect "$name: $about: passes" "$status ${kinds:-none}" "0 none" ;;
        unreadable) t_expect "$name: $about" "$status" 2 ;;
        *) t_expect "$name: $about: reported as $expect" "$status $kinds" "1 $expect" ;;
    esac
    if [[ $T_FAIL -gt 0 && "${LAST_FAIL:-0}" -ne $T_FAIL ]]; then
        printf '%s\n' "$out" | head -n 30 | sed 's/^/#   /'
        LAST_FAIL=$T_FAIL
    fi
}

main() {
    local dir
    if [[ ! -x "$CHECKER" ]]; then
        t_say "FAIL - the checker is built ($CHECKER not found; set CHECKER)"
        t_say "0 passed, 1 failed"
        exit 1
    fi
    t_say "# checker: $CHECKER"
    for dir in "$CASES"/*/; do
        check_case "$(basename "$dir")"
    done
    t_finish
}

main "$@"
