#!/usr/bin/env bash
# setup-kubernetes-wsl.sh -- prepares Ubuntu (on WSL2, or any Ubuntu or
# Debian) for the guide (section 1.2): installs what is missing of
#   - Docker (Ubuntu's docker.io), started, and usable by this user
#   - kubectl (the stable release, from dl.k8s.io, checksum verified)
#   - minikube (the latest release, checksum verified)
#   - curl, jq, conntrack (what the scripts and minikube use)
# What is already installed is left as it is: running it twice is harmless.
# Then: minikube start --driver=docker
#
# Usage: ./setup-kubernetes-wsl.sh [--check]
#   --check   only report what is installed and what is missing (exit 1
#             when something is missing); changes nothing
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
# shellcheck source=scripts/common.sh
. "$SCRIPT_DIR/common.sh"
CHECK=no
STEP=0
STEPS=5
ARCH=""

step() {
    STEP=$((STEP + 1))
    printf '\n[%d/%d] %s\n' "$STEP" "$STEPS" "$*"
}

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif have sudo; then
        sudo "$@"
    else
        die "not root and sudo is not installed: run as root: $*"
    fi
}

check_system() {
    local id="" like=""
    step "checking the system"
    if [[ -r /etc/os-release ]]; then
        # shellcheck source=/dev/null
        id=$(. /etc/os-release && printf '%s' "${ID:-}")
        # shellcheck source=/dev/null
        like=$(. /etc/os-release && printf '%s' "${ID_LIKE:-}")
    fi
    [[ "$id" == ubuntu || "$id" == debian || "$like" == *ubuntu* || "$like" == *debian* ]] ||
        die "this script supports Ubuntu and Debian (found '${id:-unknown}')"
    case "$(uname -m)" in
        x86_64|amd64) ARCH=amd64 ;;
        aarch64|arm64) ARCH=arm64 ;;
        *) die "unsupported architecture $(uname -m)" ;;
    esac
    if grep -qi microsoft /proc/version 2>/dev/null; then
        say "Ubuntu on WSL ($ARCH)"
    else
        say "$id ($ARCH), not WSL: fine too"
    fi
}

report() {
    local tool missing=0
    for tool in curl jq docker kubectl minikube; do
        if have "$tool"; then
            printf '  %-9s installed (%s)\n' "$tool" "$(command -v "$tool")"
        else
            printf '  %-9s missing\n' "$tool"
            missing=1
        fi
    done
    return "$missing"
}

install_packages() {
    local pkgs=() pkg
    step "base packages: curl, jq, conntrack, ca-certificates"
    for pkg in curl jq conntrack ca-certificates; do
        dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -q '^installed$' ||
            pkgs+=("$pkg")
    done
    if [[ ${#pkgs[@]} -eq 0 ]]; then
        say "already installed"
        return 0
    fi
    say "installing: ${pkgs[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}"
}

start_docker() {
    if docker info >/dev/null 2>&1 || as_root docker info >/dev/null 2>&1; then
        return 0
    fi
    say "starting the Docker service"
    if have systemctl && [[ -d /run/systemd/system ]]; then
        as_root systemctl enable --now docker || true
    else
        as_root service docker start || true     # WSL without systemd
    fi
    local _
    for _ in $(seq 20); do
        as_root docker info >/dev/null 2>&1 && return 0
        sleep 1
    done
    warn "the Docker daemon does not answer: start it (sudo service docker start) and run this again"
}

install_docker() {
    local user
    step "Docker"
    if have docker; then
        say "already installed: $(docker --version 2>/dev/null || echo docker)"
    else
        say "installing Docker (docker.io)"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io
    fi
    start_docker
    user=${SUDO_USER:-$(id -un)}
    if [[ "$user" != root ]] && ! id -nG "$user" | grep -qw docker; then
        say "adding $user to the docker group (minikube's docker driver needs it)"
        as_root usermod -aG docker "$user"
        say "log out and in again (or run 'newgrp docker') before minikube start"
    fi
}

# download URL FILE: with progress on a terminal.
download() {
    local progress=(-sS)
    [[ -t 2 ]] && progress=(--progress-bar)
    curl -fL "${progress[@]}" --retry 3 -o "$2" "$1"
}

install_kubectl() {
    local version tmp
    step "kubectl"
    if have kubectl; then
        say "already installed: $(kubectl version --client 2>/dev/null | head -n 1)"
        return 0
    fi
    version=$(curl -fsSL https://dl.k8s.io/release/stable.txt) ||
        die "cannot reach dl.k8s.io (internet access is needed)"
    say "installing kubectl $version"
    tmp=$(mktemp -d)
    download "https://dl.k8s.io/release/$version/bin/linux/$ARCH/kubectl" "$tmp/kubectl"
    download "https://dl.k8s.io/release/$version/bin/linux/$ARCH/kubectl.sha256" "$tmp/kubectl.sha256"
    (cd "$tmp" && printf '%s  kubectl\n' "$(cat kubectl.sha256)" | sha256sum --check --quiet) ||
        die "kubectl's checksum does not match"
    as_root install -m 0755 "$tmp/kubectl" /usr/local/bin/kubectl
    rm -rf "$tmp"
    say "installed: $(kubectl version --client 2>/dev/null | head -n 1)"
}

install_minikube() {
    local tmp base=https://storage.googleapis.com/minikube/releases/latest
    step "minikube"
    if have minikube; then
        say "already installed: $(minikube version --short 2>/dev/null || echo minikube)"
        return 0
    fi
    say "installing minikube (latest release)"
    tmp=$(mktemp -d)
    download "$base/minikube-linux-$ARCH" "$tmp/minikube"
    download "$base/minikube-linux-$ARCH.sha256" "$tmp/minikube.sha256"
    (cd "$tmp" && printf '%s  minikube\n' "$(cat minikube.sha256)" | sha256sum --check --quiet) ||
        die "minikube's checksum does not match"
    as_root install -m 0755 "$tmp/minikube" /usr/local/bin/minikube
    rm -rf "$tmp"
    say "installed: $(minikube version --short 2>/dev/null || echo minikube)"
}

main() {
    case "${1:-}" in
        --check) CHECK=yes ;;
        "") ;;
        -h|--help) usage; return 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
    if [[ "$CHECK" == yes ]]; then
        report
        return
    fi
    check_system
    install_packages
    install_docker
    install_kubectl
    install_minikube
    printf '\ninstalled:\n'
    report || true
    cat <<'EOF'

Next (the guide's section 1.3):
  minikube start --driver=docker
  minikube status
  ./deploy-paxos-k8s.sh
EOF
}

main "$@"
