#!/usr/bin/env bash
# deploy-paxos-k8s.sh -- builds the paxos-node image inside minikube and
# deploys the ten-node Paxos cluster (the guide's section 3):
#   1. checks that minikube is running
#   2. builds paxos-node:latest with minikube's Docker
#      (eval $(minikube docker-env); docker build), so no registry is needed
#   3. makes the cluster secret once (Secret paxos-secret) and applies the
#      manifests: kubectl apply -k k8s/
#   4. waits until every Deployment is ready, then for a leader
#   5. with --spare-acceptors, applies k8s/spare-acceptors/ and waits for
#      acceptor4 and acceptor5 (they vote once admitted: member-add)
#   6. prints the addresses, the client commands and paxos-top --k8s
#
# Usage: ./deploy-paxos-k8s.sh [--no-build] [--ingress] [--spare-acceptors]
#                              [--timeout SECONDS]
#   --no-build         use the image already in minikube
#   --ingress          also enable minikube's ingress addon (k8s/06-ingress.yaml)
#   --spare-acceptors  also deploy the spare acceptors acceptor4 and acceptor5
#                      (kubectl apply -k k8s/spare-acceptors/)
#   --timeout S        how long to wait for the pods (default 300)
#
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
TIMEOUT=300
BUILD=yes
INGRESS=no
SPARES=no
NODES=(proposer1 proposer2 proposer3 acceptor1 acceptor2 acceptor3
       learner1 learner2 client1 client2)
SPARE_NODES=(acceptor4 acceptor5)
STEP=0
STEPS=5

step() {
    STEP=$((STEP + 1))
    printf '\n[%d/%d] %s\n' "$STEP" "$STEPS" "$*"
}

mk() {
    minikube -p "$PROFILE" "$@"
}

check_tools() {
    have kubectl || die "kubectl not found: run ./setup-kubernetes-wsl.sh first"
    have minikube || die "minikube not found: run ./setup-kubernetes-wsl.sh first"
    [[ -f "$K8S_DIR/kustomization.yaml" ]] || die "no $K8S_DIR/kustomization.yaml"
    [[ "$SPARES" == no || -f "$K8S_DIR/spare-acceptors/kustomization.yaml" ]] ||
        die "no $K8S_DIR/spare-acceptors/kustomization.yaml"
    [[ -f "$SRC_DIR/Dockerfile" ]] || die "no $SRC_DIR/Dockerfile"
}

check_minikube() {
    local status
    step "checking that minikube is running (profile $PROFILE)"
    if ! status=$(mk status --format '{{.Host}} {{.Kubelet}} {{.APIServer}}' 2>/dev/null); then
        status=${status:-not found}
    fi
    if [[ "$status" != "Running Running Running" ]]; then
        die "minikube is not running ($status): start it with: minikube start --driver=docker"
    fi
    kubectl config use-context "$PROFILE" >/dev/null 2>&1 || true
    kubectl version >/dev/null 2>&1 ||
        die "kubectl cannot reach the cluster: try 'minikube update-context'"
    say "minikube is running: $(mk ip 2>/dev/null || echo '?')"
}

build_image() {
    local runtime
    if [[ "$BUILD" == no ]]; then
        step "image: using the $IMAGE already in minikube (--no-build)"
        return 0
    fi
    step "building $IMAGE inside minikube"
    runtime=$(kubectl get nodes -o 'jsonpath={.items[0].status.nodeInfo.containerRuntimeVersion}' 2>/dev/null || true)
    if [[ "$runtime" == docker* || -z "$runtime" ]] && have docker; then
        say "with minikube's Docker daemon: eval \$(minikube docker-env); docker build"
        # In a subshell: the docker-env variables stay there.
        (
            eval "$(mk docker-env --shell bash)"
            docker build -t "$IMAGE" "$SRC_DIR" 2>&1 | sed -u 's/^/  /'
        ) || die "docker build failed (the lines above say why); by hand:
    eval \$(minikube docker-env) && docker build -t $IMAGE $SRC_DIR"
    else
        say "container runtime ${runtime:-unknown}: minikube image build"
        mk image build -t "$IMAGE" "$SRC_DIR" || die "minikube image build failed"
    fi
    say "built $IMAGE"
}

# The Secret paxos-secret holds CLUSTER_SECRET, which signs every message
# between the nodes. It is made once, here, from /dev/urandom, and never
# written to k8s/; deleting it (cleanup-paxos-k8s.sh does) makes a new one
# next time.
ensure_secret() {
    local secret
    kubectl apply -f "$K8S_DIR/00-namespace.yaml" | sed 's/^/  /'
    if kubectl get secret paxos-secret -n "$NS" >/dev/null 2>&1; then
        say "the cluster secret paxos-secret exists: kept"
        return 0
    fi
    secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    kubectl create secret generic paxos-secret -n "$NS" \
        --from-literal=CLUSTER_SECRET="$secret" >/dev/null ||
        die "could not create the Secret paxos-secret in namespace $NS"
    say "made the cluster secret (Secret paxos-secret, key CLUSTER_SECRET)"
}

apply_manifests() {
    local existed=no
    ensure_secret
    step "applying the manifests: kubectl apply -k k8s/"
    if kubectl get deployment proposer1 -n "$NS" >/dev/null 2>&1; then
        existed=yes
    fi
    kubectl apply -k "$K8S_DIR" | sed 's/^/  /'
    if [[ "$existed" == yes && "$BUILD" == yes ]]; then
        # Same tag, new image: the running pods would keep the old one.
        say "restarting the Deployments on the new image"
        kubectl rollout restart deployment -n "$NS" | sed 's/^/  /'
    fi
    if [[ "$INGRESS" == yes ]]; then
        say "enabling the ingress addon (minikube addons enable ingress)"
        mk addons enable ingress || warn "could not enable the ingress addon"
    fi
}

# "ready/desired" of every Deployment: prints the number of ready ones.
ready_count() {
    kubectl get deployments -n "$NS" \
        -o 'jsonpath={range .items[*]}{.metadata.name}|{.status.readyReplicas}|{.status.updatedReplicas}|{.spec.replicas}{"\n"}{end}' \
        2>/dev/null | awk -F'|' '$2 != "" && $2 + 0 >= $4 && $3 + 0 >= $4 { n++ } END { print n + 0 }'
}

# The leader's name, asked of client1 inside its pod.
leader_name() {
    local pod
    pod=$(kubectl get pods -n "$NS" -l app=client1 --field-selector=status.phase=Running \
        -o 'jsonpath={.items[0].metadata.name}' 2>/dev/null) || return 1
    [[ -n "$pod" ]] || return 1
    kubectl exec -n "$NS" "$pod" -- curl -s -m 2 http://proposer1:3001/status 2>/dev/null |
        sed -n 's/.*"leader_name":"\([^"]*\)".*/\1/p' | grep .
}

wait_ready() {
    local start now ready total=${#NODES[@]} leader="" tty=no line
    step "waiting for the pods (at most ${TIMEOUT}s)"
    [[ -t 1 ]] && tty=yes
    start=$(date +%s)
    while :; do
        ready=$(ready_count)
        now=$(date +%s)
        line=$(printf '%d/%d Deployments ready (%ds)' "$ready" "$total" $((now - start)))
        if [[ "$tty" == yes ]]; then
            printf '\r  %s ' "$line"
        else
            say "  $line"
        fi
        [[ "$ready" -ge "$total" ]] && break
        if (( now - start >= TIMEOUT )); then
            [[ "$tty" == yes ]] && printf '\n'
            kubectl get pods -n "$NS" | sed 's/^/  /'
            die "the pods are not ready after ${TIMEOUT}s; see:
    kubectl describe pods -n $NS
    kubectl logs -n $NS <pod name>"
        fi
        sleep 3
    done
    [[ "$tty" == yes ]] && printf '\n'
    kubectl get pods -n "$NS" | sed 's/^/  /'
    while (( $(date +%s) - start < TIMEOUT )); do
        leader=$(leader_name || true)
        [[ -n "$leader" ]] && break
        sleep 2
    done
    if [[ -n "$leader" ]]; then
        say "  leader: $leader"
    else
        warn "no leader reported yet: ./paxos-client.sh status"
    fi
}

# The spare acceptors: applied, then waited for. They do not vote until
# admitted, which is the operator's choice (member-add).
apply_spares() {
    local name
    [[ "$SPARES" == yes ]] || return 0
    step "the spare acceptors: kubectl apply -k k8s/spare-acceptors/"
    kubectl apply -k "$K8S_DIR/spare-acceptors" | sed 's/^/  /'
    for name in "${SPARE_NODES[@]}"; do
        kubectl rollout status "deployment/$name" -n "$NS" --timeout="${TIMEOUT}s" 2>&1 |
            sed 's/^/  /' ||
            die "$name is not ready after ${TIMEOUT}s: kubectl describe pods -n $NS -l app=$name"
    done
    NODES+=("${SPARE_NODES[@]}")
    say "  they wait to be admitted: ./paxos-client.sh members shows it;"
    say "  ./paxos-client.sh member-add acceptor4 makes acceptor4 a voter"
}

print_access() {
    local ip name port
    step "access"
    ip=$(mk ip 2>/dev/null || echo '<minikube ip>')
    say "NodePort addresses (paxos-top --k8s polls these):"
    for name in "${NODES[@]}"; do
        port=$(kubectl get service "$name-external" -n "$NS" \
            -o 'jsonpath={.spec.ports[0].nodePort}' 2>/dev/null || echo '?')
        printf '  %-10s http://%s:%s\n' "$name" "$ip" "$port"
    done
    cat <<EOF

With the docker driver (WSL, macOS) the node address may not be reachable
from this machine: 'minikube service NAME-external -n $NS --url' opens a
tunnel, and paxos-client.sh goes through kubectl exec anyway.

Try:
  ./paxos-client.sh write "novo valor"
  ./paxos-client.sh read
  ./paxos-client.sh status
  ./paxos-client.sh members           (the acceptor set; member-add NAME admits one)
  ./paxos-client.sh open              (minikube service client1-external -n $NS)
  paxos-top --k8s                     (the dashboard; --monitor for plain text)
  kubectl logs -n $NS -l app=proposer1
EOF
    if [[ "$INGRESS" == yes ]]; then
        say "  http://$ip/client1/        (the Ingress: every node under /NAME/)"
    fi
}

main() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --no-build) BUILD=no ;;
            --ingress) INGRESS=yes ;;
            --spare-acceptors) SPARES=yes; STEPS=6 ;;
            --timeout)
                [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a number of seconds"
                TIMEOUT=$2
                shift ;;
            -h|--help) usage; return 0 ;;
            *) die "unknown argument '$1' (try --help)" ;;
        esac
        shift
    done
    check_tools
    check_minikube
    build_image
    apply_manifests
    wait_ready
    apply_spares
    print_access
}

main "$@"
