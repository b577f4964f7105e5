#!/usr/bin/env bash
# run.sh -- from a fresh checkout to a running ten-node Paxos cluster:
# installs the dependencies, builds paxosd (out of tree, in build/), starts
# the guide's ten nodes on 127.0.0.1 (scripts/paxos-local.sh up) and shows
# them until Ctrl-C, which stops the cluster.
#
# Environment:
#   PAXOS_BUILD_DIR  where to build (default build/ in the source tree)
#   PAXOS_RUN_DIR    the cluster's run directory (default run/ in the source tree)
#   PAXOSD_FLAGS     extra paxosd flags for every node, e.g. "--no-fsync"
#   PAXOS_NO_DEPS=1  skip scripts/install-deps.sh
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${PAXOS_BUILD_DIR:-$SRC_DIR/build}
export PAXOS_RUN_DIR=${PAXOS_RUN_DIR:-$SRC_DIR/run}
LOCAL="$SRC_DIR/scripts/paxos-local.sh"
CLUSTER_STARTED=no

step() {
    printf '\n==> %s\n' "$*"
}

die() {
    printf 'run.sh: error: %s\n' "$*" >&2
    exit 1
}

install_deps() {
    if [[ "${PAXOS_NO_DEPS:-0}" == 1 ]]; then
        step "skipping dependencies (PAXOS_NO_DEPS=1)"
        return 0
    fi
    step "checking dependencies"
    bash "$SRC_DIR/scripts/install-deps.sh"
}

# Builds in BUILD_DIR, or in the source tree when it was configured there
# (an out-of-tree build needs an unconfigured source tree). Sets PAXOSD.
build() {
    local dir=$BUILD_DIR
    step "building paxosd"
    cd "$SRC_DIR"
    if [[ ! -x configure ]]; then
        echo "autoreconf -fi"
        autoreconf -fi || die "autoreconf failed"
    fi
    if [[ -f "$SRC_DIR/config.status" ]]; then
        echo "the source tree is configured in place: building there"
        dir=$SRC_DIR
    else
        mkdir -p "$dir"
        cd "$dir"
        if [[ ! -f Makefile ]]; then
            echo "configuring in $dir"
            "$SRC_DIR/configure" -q || die "configure failed (see $dir/config.log)"
        fi
    fi
    cd "$dir"
    make -j"$(nproc 2>/dev/null || echo 2)" || die "the build failed"
    [[ -x "$dir/paxosd" ]] || die "the build made no $dir/paxosd"
    export PAXOSD="$dir/paxosd"
    BUILD_DIR=$dir
}

stop_cluster() {
    if [[ "$CLUSTER_STARTED" == yes ]]; then
        step "stopping the cluster (data kept in $PAXOS_RUN_DIR/data)"
        bash "$LOCAL" down || true
        CLUSTER_STARTED=no
    fi
}

start_cluster() {
    step "starting the ten-node cluster"
    trap stop_cluster EXIT
    trap 'exit 130' INT TERM
    CLUSTER_STARTED=yes
    bash "$LOCAL" up
}

# The dashboard, when it was built: the one place that knows its flags.
find_dashboard() {
    local candidate
    for candidate in "$BUILD_DIR/tui/paxos-top" "$BUILD_DIR/paxos-top"; do
        if [[ -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

run_dashboard() {
    # Not exec'd: when it exits, the EXIT trap still stops the cluster.
    "$1" --endpoints "$PAXOS_RUN_DIR/endpoints"
}

# Until there is a dashboard: the status table every 2 s.
watch_status() {
    local clear=no
    [[ -t 1 ]] && clear=yes
    while :; do
        [[ "$clear" == yes ]] && printf '\033[H\033[2J'
        printf 'paxosd cluster, %s (Ctrl-C stops it; logs: %s/logs)\n\n' \
            "$(date '+%F %T')" "$PAXOS_RUN_DIR"
        bash "$LOCAL" status || true
        printf '\ntry: curl -s -XPOST http://127.0.0.1:6001/send -d %s\n' \
            "'{\"value\":\"hello\"}'"
        printf '     curl -s http://127.0.0.1:6001/read\n'
        sleep 2
    done
}

main() {
    local dashboard
    install_deps
    build
    start_cluster
    if dashboard=$(find_dashboard); then
        step "starting the dashboard $dashboard"
        run_dashboard "$dashboard"
    else
        watch_status
    fi
}

main "$@"
