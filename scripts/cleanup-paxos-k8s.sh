#!/usr/bin/env bash
# cleanup-paxos-k8s.sh -- removes the Paxos cluster from Kubernetes (the
# guide's section 7): every object of k8s/ and of k8s/spare-acceptors/ (the
# spare acceptors) and the namespace paxos, with the acceptors' and
# learners' data (their PersistentVolumeClaims). Then asks whether to stop
# minikube too.
#
# Usage: ./cleanup-paxos-k8s.sh [-y] [--image]
#   -y, --yes   answer yes: also stop minikube, without asking
#   --image     also remove the paxos-node:latest image from minikube
#
# Without a terminal and without -y, minikube is left running.
# Environment: MINIKUBE_PROFILE (default minikube), PAXOS_NAMESPACE (paxos).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
SRC_DIR=$(dirname "$SCRIPT_DIR")
K8S_DIR="$SRC_DIR/k8s"
PROG=$(basename "$0")
# shellcheck source=scripts/common.sh
. "$SCRIPT_DIR/common.sh"
NS=${PAXOS_NAMESPACE:-paxos}
PROFILE=${MINIKUBE_PROFILE:-minikube}
IMAGE=paxos-node:latest
YES=no
REMOVE_IMAGE=no
TIMEOUT=180

minikube_running() {
    have minikube &&
        [[ "$(minikube -p "$PROFILE" status --format '{{.Host}}' 2>/dev/null)" == Running ]]
}

# ask QUESTION: yes with -y; no without a terminal; else the user's answer.
ask() {
    local answer
    [[ "$YES" == yes ]] && return 0
    if [[ ! -t 0 ]]; then
        say "$1 [y/N] no (no terminal; -y answers yes)"
        return 1
    fi
    read -r -p "$1 [y/N] " answer || return 1
    [[ "$answer" =~ ^[YySs] ]]
}

remove_cluster() {
    local start
    if ! kubectl version >/dev/null 2>&1; then
        warn "kubectl cannot reach a cluster: nothing to remove there"
        return 0
    fi
    if ! kubectl get namespace "$NS" >/dev/null 2>&1; then
        say "namespace $NS does not exist: the Paxos cluster is already removed"
        return 0
    fi
    say "removing the spare acceptors (kubectl delete -k k8s/spare-acceptors/)"
    kubectl delete -k "$K8S_DIR/spare-acceptors" --ignore-not-found --wait=false 2>&1 |
        sed 's/^/  /' || true
    say "removing the objects of k8s/ (kubectl delete -k k8s/)"
    kubectl delete -k "$K8S_DIR" --ignore-not-found --wait=false 2>&1 | sed 's/^/  /' || true
    # What the manifests do not name (a scaled or edited object) goes with
    # the namespace.
    kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    say "waiting for namespace $NS to be gone (at most ${TIMEOUT}s)"
    start=$(date +%s)
    while kubectl get namespace "$NS" >/dev/null 2>&1; do
        if (( $(date +%s) - start >= TIMEOUT )); then
            warn "namespace $NS is still terminating: kubectl get all -n $NS"
            return 1
        fi
        printf '  %ds: %s pod(s) left\n' $(( $(date +%s) - start )) \
            "$(kubectl get pods -n "$NS" --no-headers 2>/dev/null | wc -l | tr -d ' ')"
        sleep 3
    done
    say "removed: namespace $NS and everything in it (pods, services, claims)"
}

remove_image() {
    [[ "$REMOVE_IMAGE" == yes ]] || return 0
    if ! minikube_running; then
        warn "minikube is not running: the image $IMAGE is left in it"
        return 0
    fi
    say "removing the image $IMAGE from minikube"
    minikube -p "$PROFILE" image rm "$IMAGE" 2>&1 | sed 's/^/  /' || true
}

main() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -y|--yes) YES=yes ;;
            --image) REMOVE_IMAGE=yes ;;
            -h|--help) usage; return 0 ;;
            *) die "unknown argument '$1' (try --help)" ;;
        esac
        shift
    done
    have kubectl || die "kubectl not found: there is no cluster to clean (./setup-kubernetes-wsl.sh installs it)"
    remove_cluster
    remove_image
    if minikube_running; then
        if ask "stop minikube too (minikube stop)?"; then
            minikube -p "$PROFILE" stop
            say "minikube stopped; 'minikube delete' removes the cluster itself"
        else
            say "minikube is still running (minikube stop stops it)"
        fi
    fi
    say "done"
}

main "$@"
