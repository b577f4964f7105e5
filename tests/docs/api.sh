#!/usr/bin/env bash
# shellcheck disable=SC2016  # Markdown backticks in single quotes
# api.sh -- docs/api.md tells the truth about the routes: every route
# `paxosd --routes` lists is documented under its role's section, nothing
# is documented that paxosd does not answer, and each route is named in
# the list of its kind (peer, user, open) under "Who may call what".
#
# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail

SRC_DIR=${PAXOS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PAXOSD=${PAXOSD:-$SRC_DIR/paxosd}
API=$SRC_DIR/docs/api.md

# check DESCRIPTION DIFFERENCES: passes when there are none.
check() {
    if [[ -z "$2" ]]; then
        t_pass "$1"
    else
        t_fail "$1" "$2"
    fi
}

[[ -x "$PAXOSD" ]] || t_skip "no paxosd at $PAXOSD"

# "role method path" for every route paxosd answers; the page's files
# ("/app.js") are documented together as the page's files.
actual=$("$PAXOSD" --routes | awk 'NR > 1 && $3 !~ /\./ { print $1, $2, $3 }' |
         sort)
# The same from the document: "### `METHOD /path...`" under "## Role".
documented=$(awk '
    /^## / {
        role = ""
        if ($0 ~ /^## Every role/) role = "every"
        else if ($0 ~ /^## Client/) role = "client"
        else if ($0 ~ /^## Proposer/) role = "proposer"
        else if ($0 ~ /^## Acceptor/) role = "acceptor"
        else if ($0 ~ /^## Learner/) role = "learner"
    }
    /^### `(GET|POST) \// && role != "" {
        split($0, f, /[` ]+/)
        path = f[3]
        sub(/[?\[].*$/, "", path)
        print role, f[2], path
    }' "$API" | sort)

check "every route paxosd answers is documented under its role" \
    "$(comm -23 <(echo "$actual") <(echo "$documented"))"
check "every documented route is one paxosd answers" \
    "$(comm -13 <(echo "$actual") <(echo "$documented"))"

# The paths a "- **Kind routes** (`/a`, `/b`, ...)" item lists.
kind_list() {
    awk -v kind="$1" '
        $0 ~ "^- \\*\\*" kind " routes\\*\\*" { on = 1 }
        on && /^- \*\*/ && $0 !~ "^- \\*\\*" kind " routes" { on = 0 }
        on { print }
        on && /\)/ { on = 0 }' "$API" |
        grep -o '`/[^`]*`' | tr -d '`' | sort -u
}

for kind in peer user open; do
    label=${kind^}
    want=$("$PAXOSD" --routes |
           awk -v k="$kind" 'NR > 1 && $4 == k && $3 !~ /\./ && $3 != "/" {
                                 print $3 }' | sort -u)
    check "the $kind routes are the ones api.md lists as $label routes" \
        "$(diff <(echo "$want") <(kind_list "$label") || true)"
done

t_finish
