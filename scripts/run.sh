#!/usr/bin/env bash
# run.sh -- from a fresh checkout to a running ten-node Paxos cluster:
# installs the dependencies, builds paxosd and paxos-top (out of tree, in
# build/), starts the guide's ten nodes on 127.0.0.1 (scripts/paxos-local.sh
# up) and runs paxos-top on them; leaving it stops the cluster.
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

# The dashboard on the cluster; without a terminal, its plain-text
# monitor mode. Not exec'd: when it exits, the EXIT trap still stops the
# cluster.
run_dashboard() {
    local top="$BUILD_DIR/paxos-top"
    if [[ -t 0 && -t 1 ]]; then
        step "starting paxos-top (q quits and stops the cluster)"
        "$top" --run-dir "$PAXOS_RUN_DIR"
    else
        step "no terminal: paxos-top --monitor (Ctrl-C stops it and the cluster)"
        "$top" --run-dir "$PAXOS_RUN_DIR" --monitor --interval 2
    fi
}

main() {
    install_deps
    build
    start_cluster
    run_dashboard
}

main "$@"
