#!/usr/bin/env bash
# install-deps.sh -- installs what paxosd needs to build and to run its
# tests, with apt-get, on Debian or Ubuntu.
#
# Quick when everything is there already: it asks dpkg first and touches
# apt only for what is missing. Uses sudo when not run as root.
#
#   scripts/install-deps.sh            install what is missing
#   scripts/install-deps.sh --check    only report; exit 1 if something is missing
set -euo pipefail

PACKAGES=(
    # build
    build-essential autoconf automake libtool pkg-config
    libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libssl-dev
    libncurses-dev
    # unit tests
    libcmocka-dev
    # integration tests, scripts/paxos-local.sh, scripts/run.sh (tmux: the
    # dashboard's test drives it in a terminal)
    curl jq procps psmisc coreutils findutils util-linux openssl tmux
    # linting the shell scripts
    shellcheck
    # tests/fuzz/run.sh: clang and its libFuzzer runtime (libclang_rt.fuzzer,
    # in libclang-rt-14-dev on Debian 12, pulled in for the default clang)
    clang libclang-rt-dev
    # tests/container/podman.sh (the image and the ten nodes under podman)
    podman runc netavark aardvark-dns iptables debootstrap debian-archive-keyring
    # tests/fault/faults.sh (network namespaces, iptables faults)
    iproute2 iptables
    # tests/k8s/manifests.sh: YAML to JSON (and node with npm, added below)
    yq
)
# The browser test (tests/browser/page.sh): Chromium, and Node.js with npm
# (for playwright-core) unless both are there already: a Node.js from
# elsewhere (NodeSource) is kept, not replaced by Debian's.
PACKAGES+=(chromium)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PACKAGES+=(nodejs npm)
fi
# More packages for one caller, e.g. tests/bench/run-benchmarks.sh:
# PAXOS_EXTRA_PACKAGES="etcd-server gnuplot-nox linux-perf".
read -r -a EXTRA_PACKAGES <<<"${PAXOS_EXTRA_PACKAGES:-}"
PACKAGES+=(${EXTRA_PACKAGES[@]+"${EXTRA_PACKAGES[@]}"})

say() {
    printf 'install-deps: %s\n' "$*"
}

die() {
    printf 'install-deps: error: %s\n' "$*" >&2
    exit 1
}

# Prints the packages of PACKAGES that dpkg does not report as installed.
missing_packages() {
    local pkg state
    for pkg in "${PACKAGES[@]}"; do
        state=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [[ "$state" != installed ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

# Runs a command as root: directly, or through sudo.
as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "not root and sudo is not installed: run as root: $*"
    fi
}

main() {
    local check_only=no missing=()

    case "${1:-}" in
        --check) check_only=yes ;;
        "") ;;
        -h|--help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            return 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac

    command -v dpkg-query >/dev/null 2>&1 ||
        die "dpkg-query not found: this script supports Debian and Ubuntu only"

    mapfile -t missing < <(missing_packages)
    if [[ ${#missing[@]} -eq 0 ]]; then
        say "all ${#PACKAGES[@]} packages already installed"
        return 0
    fi
    say "missing ${#missing[@]} of ${#PACKAGES[@]} packages: ${missing[*]}"
    if [[ "$check_only" == yes ]]; then
        return 1
    fi

    command -v apt-get >/dev/null 2>&1 || die "apt-get not found"
    export DEBIAN_FRONTEND=noninteractive
    say "running apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
        die "apt-get update failed"
    say "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed"

    mapfile -t missing < <(missing_packages)
    if [[ ${#missing[@]} -ne 0 ]]; then
        die "still missing after install: ${missing[*]}"
    fi
    say "done: all ${#PACKAGES[@]} packages installed"
}

main "$@"
