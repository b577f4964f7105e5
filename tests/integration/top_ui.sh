#!/bin/sh
# shellcheck shell=bash disable=SC2317  # functions called indirectly (wait_until)
# top_ui.sh -- paxos-top's dashboard as a person sees it: the real binary
# in a tmux pane (120x40, then 80x24) against the ten-node local cluster,
# driven with send-keys and read back with capture-pane. Checks:
#   a. the ten node names and the leader are on screen
#   b. a value typed at the write prompt is chosen and shows in the log view
#   c. help opens on ? and closes on Esc
#   d. at 80x24 the table stays readable: names, header, no leftovers
#   e. kill -9 of the leader: the new leader shows within a few polls
#   f. q quits with exit status 0
#   g. -n N exits by itself after N polls; NO_COLOR draws no colours
#   h. c shows the configuration (epoch, voters); a bad change keeps its
#      prompt; after paxos-local.sh restart acceptor4 the view shows it
#      waiting, and the nodes view marks it; a on it adds it: a voter
#   i. --readonly refuses changes
#
# Run by `make check` with PAXOSD, PAXOS_TOP and PAXOS_SRCDIR set; by hand:
#   PAXOSD=$PWD/paxosd PAXOS_TOP=$PWD/paxos-top sh tests/integration/top_ui.sh
# Exit status: 0 pass, 1 fail, 77 skip (paxos-top, tmux, curl or jq missing).

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -u -o pipefail

# Ports apart from cluster.sh's and gossip.sh's, so they can run together.
export PAXOS_PORT_OFFSET=500
# shellcheck source=tests/integration/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

[[ -n "${PAXOS_TOP:-}" && -x "${PAXOS_TOP:-}" ]] ||
    t_skip "PAXOS_TOP=${PAXOS_TOP:-} is not an executable paxos-top"
command -v tmux >/dev/null 2>&1 ||
    t_skip "tmux is not installed (scripts/install-deps.sh installs it)"

TAG=$$
INTERVAL=1              # paxos-top --interval, seconds
PANE=top                # the tmux session the dashboard runs in
UTF8_LANG=C.UTF-8
locale -a 2>/dev/null | grep -qi '^c\.utf-\?8$' || UTF8_LANG=${LANG:-C}

# ------------------------------------------------------------ tmux

# A tmux server of our own (its socket in the test's directory), stopped
# at cleanup with the other background processes.
tm() {
    tmux -u -S "$T_TMP/tmux.sock" "$@"
}

# Starts paxos-top with extra arguments in a new session NAME, COLS x
# ROWS; its exit status goes to $T_TMP/NAME.exit.
start_top() {
    local name=$1 cols=$2 rows=$3 env=$4
    shift 4
    rm -f "$T_TMP/$name.exit"
    tm new-session -d -s "$name" -x "$cols" -y "$rows" \
        "env $env TERM=xterm-256color LANG=$UTF8_LANG $PAXOS_TOP \
         --run-dir $T_RUN --interval $INTERVAL $* \
         2>$T_TMP/$name.err; echo \$? >$T_TMP/$name.exit" ||
        t_abort "tmux starts paxos-top"
    [[ -n "${TMUX_PID:-}" ]] || {
        TMUX_PID=$(tm display-message -p '#{pid}')
        t_bg "$TMUX_PID"
    }
}

screen() {
    tm capture-pane -p -t "$PANE" 2>/dev/null
}

keys() {
    tm send-keys -t "$PANE" "$@"
}

on_screen() {
    screen | grep -q -E -- "$1"
}

off_screen() {
    ! on_screen "$1"
}

all_names_on_screen() {
    local shot name
    shot=$(screen)
    for name in "${T_NODES[@]}"; do
        grep -q -w -- "$name" <<<"$shot" || return 1
    done
}

# The header line says the leader is one of the given names.
leader_is() {
    local names
    names=$(IFS='|'; printf '%s' "$*")
    screen | head -n 1 | grep -q -E "leader ($names)( |\$)"
}

# Every line of the screen fits in $1 columns (wc -L counts columns).
fits_width() {
    (( $(screen | LC_ALL=$UTF8_LANG wc -L) <= $1 ))
}

pane_size_is() {
    local size
    size=$(tm display-message -p -t "$PANE" '#{pane_width}x#{pane_height}')
    [[ "$size" == "$1" ]]
}

# Line N of the screen starts with TEXT.
line_starts() {
    [[ "$(screen | sed -n "$1p")" == "$2"* ]]
}

exited() {
    [[ -s "$T_TMP/$1.exit" ]]
}

# Shows the screen after a failed check.
show_screen() {
    screen | sed 's/^/       | /'
}

# t_see DESCRIPTION TIMEOUT COMMAND...: waits for COMMAND to succeed.
t_see() {
    local desc=$1 timeout=$2
    shift 2
    if wait_until "$timeout" "$@"; then
        t_pass "$desc"
    else
        t_fail "$desc" "$(show_screen)"
    fi
}

# ------------------------------------------------------------ phases

phase_start() {
    t_say "# a. the dashboard at 120x40"
    t_require_free_ports
    t_cluster_up
    start_top "$PANE" 120 40 ""
    t_see "the ten node names are on screen" 10 all_names_on_screen
    t_see "the header names the leader, proposer1" 5 leader_is proposer1
    t_see "the leader's row carries the leader mark" 5 \
        on_screen '^\* proposer1 '
    t_see "every node is up" 5 on_screen 'nodes 10/10 up'
}

phase_write() {
    local value="top-ui-$TAG"
    t_say "# b. a write from the prompt"
    keys w
    t_see "w opens the write prompt" 5 on_screen '^Write via client[12]:'
    keys -l "$value"
    keys Enter
    t_see "the reply shows the value chosen at a slot" 15 \
        on_screen "\"$value\" chosen at slot [0-9]+"
    keys 2
    t_see "the log view shows the value, learned by both learners" 10 \
        on_screen "$value +learner1 learner2"
    t_expect "learner1 holds the value once" \
        "$(t_count_value "$(t_values learner1)" "$value")" 1
}

phase_help() {
    t_say "# c. help"
    keys '?'
    t_see "? opens the help" 5 on_screen '^paxos-top: watch a Paxos cluster'
    keys Escape
    t_see "Esc closes it" 5 off_screen 'watch a Paxos cluster'
    keys 1
    t_see "1 shows the nodes again" 5 on_screen '^ +NAME[^ ]* +ROLE +ADDRESS'
}

phase_resize() {
    t_say "# d. 80x24"
    tm resize-window -t "$PANE" -x 80 -y 24
    t_see "the pane is 80x24" 5 pane_size_is 80x24
    t_see "the ten node names are still on screen" 5 all_names_on_screen
    t_see "the header is still there" 5 leader_is proposer1
    t_see "the table's titles are still there" 5 \
        on_screen '^ +NAME[^ ]* +STATE +BALLOT'
    t_see "the address column dropped, with nothing left of it" 5 \
        off_screen 'ADDRESS|127\.0\.0\.1'
    t_see "no line is wider than the terminal" 5 fits_width 80
    t_see "the key bar is on the last line" 5 line_starts 24 '?Help'
}

phase_failover() {
    local out
    t_say "# e. kill -9 of the leader"
    out=$(t_local kill proposer1 2>&1) || t_fail "proposer1 killed" "$out"
    t_see "the dashboard shows proposer1 down" $((INTERVAL * 5)) \
        on_screen '^ +proposer1 .*down'
    t_see "the header names the new leader within a few polls" \
        $((INTERVAL * 10)) leader_is proposer2 proposer3
}

phase_config() {
    local port
    t_say "# h. the configuration view"
    keys c
    t_see "c shows the configuration in force: epoch 1 from slot 1, its three voters vote" 5 \
        on_screen '^Epoch 1, in force from slot 1 \(as proposer[123] reports it\): 3/3 voters vote, a quorum is 2$'
    t_see "... each voter with its id, member identity, address, up" 5 \
        on_screen '^acceptor2 +5 [0-9a-f]{16} +127\.0\.0\.1:[0-9]+ +up +voter$'
    t_see "... nothing coming" 5 on_screen '^Coming: nothing$'
    keys x Enter
    t_see "an empty change is refused, and says what to type" 5 \
        on_screen '^type one acceptor name or id'
    t_see "... with the prompt still open" 5 on_screen '^Remove voter \(via proposer[123]\):$'
    keys Escape
    t_local restart acceptor4 >/dev/null 2>&1 || t_fail "acceptor4 started (paxos-local.sh restart acceptor4)"
    port=$(( 4004 + PAXOS_PORT_OFFSET ))
    t_see "after paxos-local.sh restart acceptor4, the view shows acceptor4 waiting to be admitted" \
        $((INTERVAL * 10)) on_screen "^acceptor4 +11 [0-9a-f]{16} +127\.0\.0\.1:$port +up +waiting to be admitted$"
    keys 1
    t_see "the nodes view marks acceptor4: it answers and does not vote" 5 \
        on_screen '^ +acceptor4 +acceptor .* waiting '
    wait_until 15 t_leader_knows acceptor4 ||
        t_fail "the leader learns of acceptor4 by gossip"
    keys c G a
    t_see "a on the selected acceptor4 opens the add prompt with its name" 5 \
        on_screen '^Add acceptor \(via proposer[123]\): acceptor4$'
    keys Enter
    t_see "the answer: acceptor4 added, the new configuration in force" 10 \
        on_screen '^add acceptor4: epoch 2 in force from slot [0-9]+, voters acceptor1, acceptor2, acceptor3, acceptor4 '
    t_see "acceptor4 is a voter, and four voters vote" $((INTERVAL * 10)) \
        on_screen '^Epoch 2, in force from slot [0-9]+ \(as proposer[123] reports it\): 4/4 voters vote, a quorum is 3$'
    t_see "... its row says voter" 5 on_screen "^acceptor4 +11 .* up +voter$"
    keys 1
    t_see "the nodes view shows acceptor4 up" 5 on_screen '^ +acceptor4 +acceptor .* up '
}

phase_readonly() {
    t_say "# i. --readonly"
    PANE=read-only
    start_top "$PANE" 100 30 "" --readonly
    t_see "the dashboard draws" 5 on_screen 'paxos-top'
    keys c a
    t_see "a in the configuration view says changes are off" 5 \
        on_screen 'read-only: changes of the acceptor set are off \(--readonly\)'
    t_see "... and opens no prompt" 5 off_screen '^Add acceptor'
    keys q
    t_see "q quits" 5 exited "$PANE"
}

phase_quit() {
    t_say "# f. quit"
    keys q
    t_see "q quits" 5 exited "$PANE"
    t_expect "paxos-top exits with status 0" \
        "$(cat "$T_TMP/$PANE.exit" 2>/dev/null)" 0
    t_expect "nothing on stderr" "$(cat "$T_TMP/$PANE.err" 2>/dev/null)" ""
}

phase_iterations() {
    local colours
    t_say "# g. -n and NO_COLOR"
    PANE=headless
    start_top "$PANE" 100 30 NO_COLOR=1 -n 3
    t_see "the dashboard draws" 5 on_screen 'paxos-top'
    colours=$(tm capture-pane -p -e -t "$PANE" |
              grep -c $'\e\\[[349][0-7]m' || true)
    t_expect "NO_COLOR: no colour on screen" "$colours" 0
    t_see "-n 3 exits by itself" $((INTERVAL * 3 + 5)) exited "$PANE"
    t_expect "... with status 0" "$(cat "$T_TMP/$PANE.exit" 2>/dev/null)" 0
}

t_init
phase_start
phase_write
phase_help
phase_config
phase_resize
phase_failover
phase_quit
phase_iterations
phase_readonly
t_finish
