#!/bin/sh
# shellcheck shell=bash disable=SC2317,SC2016  # functions called indirectly (traps); jq programs in single quotes
# manifests.sh -- the Kubernetes manifests and the guide's scripts, checked
# offline (no cluster is needed):
#   a. every document of k8s/ and k8s/spare-acceptors/ is valid against
#      the Kubernetes API schemas (npm package kubernetes-models, through
#      validate.mjs), with no field the API does not know; `kubectl
#      kustomize` builds both
#   b. the guide's names, labels, ports and NodePorts; SEED_NODES, the
#      Services, the containers and the probes agree; acceptors keep their
#      data on a claim; probes, resources, Prometheus annotations; the
#      spare acceptors are acceptor1 but for their name, id, ports and
#      SEED_NODES (the ten and both spares), not applied by default
#   c. against paxosd itself: every environment variable the manifests set
#      is one paxosd reads (`paxosd --help`); paxosd starts with each role's
#      environment, and the probe, annotation and troubleshooting paths
#      answer on a running paxosd (on a private loopback address); a
#      spare starts as acceptor4, not voting
#   d. the scripts pass bash -n and shellcheck; the guide's client commands
#      run the right kubectl and curl (a kubectl stand-in answers), and say
#      clearly when kubectl or the cluster is missing
#
# Run by `make check` as `sh manifests.sh` with PAXOSD and PAXOS_SRCDIR set;
# by hand: PAXOSD=$PWD/build/paxosd sh tests/k8s/manifests.sh
# npm packages are installed once into
# ${XDG_CACHE_HOME:-$HOME/.cache}/paxos-test/npm (PAXOS_NPM_CACHE).
# Exit status: 0 pass, 1 fail, 77 skip (node, npm, jq or yq missing, or
# the npm registry unreachable).

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=${PAXOS_SRCDIR:-$(cd "$HERE/../.." && pwd)}
K8S_DIR="$SRC_DIR/k8s"
SPARE_DIR="$K8S_DIR/spare-acceptors"
NPM_DIR=${PAXOS_NPM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/paxos-test/npm}
NPM_PACKAGES=(kubernetes-models@4.5.1 yaml@2.9.1)
GUIDE_FILES=(00-namespace.yaml 01-configmap.yaml 02-proposers.yaml
             03-acceptors.yaml 04-learners.yaml 05-clients.yaml
             06-ingress.yaml 07-nodeport-services.yaml)
SCRIPTS=(setup-kubernetes-wsl.sh deploy-paxos-k8s.sh cleanup-paxos-k8s.sh
         paxos-client.sh)
# The guide's topology: name role id port nodePort.
NODES=(
    "proposer1 proposer 1 3001 30301" "proposer2 proposer 2 3002 30302"
    "proposer3 proposer 3 3003 30303" "acceptor1 acceptor 4 4001 30401"
    "acceptor2 acceptor 5 4002 30402" "acceptor3 acceptor 6 4003 30403"
    "learner1 learner 7 5001 30501" "learner2 learner 8 5002 30502"
    "client1 client 9 6001 30601" "client2 client 10 6002 30602"
)

TMP=""
PIDS=()
OBJECTS=""          # every document of the kustomization, as a JSON array
SPARE_OBJECTS=""    # the same of k8s/spare-acceptors/
GUIDE_JSON=""       # NODES as JSON

# ------------------------------------------------------------ reporting

t_note() { printf '# %s\n' "$*"; }

cleanup() {
    local status=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        wait "$pid" 2>/dev/null || true
    done
    t_exit "$status" "$TMP"
}

have() { command -v "$1" >/dev/null 2>&1; }

# check DESCRIPTION JQ_FILTER: the filter reads the objects ($o) and the
# guide's table ($g) and prints one line per problem; none is a pass.
check() {
    local desc=$1 problems
    if ! problems=$(jq -r -n --slurpfile o "$OBJECTS" --slurpfile s "$SPARE_OBJECTS" \
            --argjson g "$GUIDE_JSON" "\$o[0] as \$o | \$s[0] as \$s | $JQ_LIB $2" 2>&1); then
        t_fail "$desc" "jq: $problems"
    elif [[ -n "$problems" ]]; then
        t_fail "$desc" "$problems"
    else
        t_pass "$desc"
    fi
}

# Definitions shared by the jq checks.
JQ_LIB='
def deployments: $o[] | select(.kind == "Deployment");
def deployment($n): [deployments | select(.metadata.name == $n)][0];
def service($n): [$o[] | select(.kind == "Service" and .metadata.name == $n)][0];
def container($n): deployment($n).spec.template.spec.containers[0];
def env($n; $k): [container($n).env[]? | select(.name == $k) | .value][0];
def cm: [$o[] | select(.kind == "ConfigMap" and .metadata.name == "paxos-config")][0];
def peer_offset: cm.data.PEER_PORT_OFFSET // "0" | tonumber;
def node_ports($p): [$p] + (if peer_offset > 0 then [$p + peer_offset] else [] end);
def port_number($n; $p): if ($p | type) == "number" then $p
    else [container($n).ports[]? | select(.name == $p) | .containerPort][0] end;
def seeds: cm.data.SEED_NODES | split(",") | map(split(":")
    | {id: .[0], role: .[1], host: .[2], port: (.[3] | tonumber)});
'

# ------------------------------------------------------------ setup

preflight() {
    local tool
    for tool in jq yq node npm; do
        have "$tool" || t_skip "$tool is not installed (scripts/install-deps.sh installs it)"
    done
    [[ -d "$K8S_DIR" ]] || t_skip "no k8s/ directory in $SRC_DIR"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/paxos-k8s.XXXXXX") || t_skip "mktemp failed"
    trap cleanup EXIT
    trap 't_say "interrupted"; exit 1' INT TERM
    OBJECTS="$TMP/objects.json"
    SPARE_OBJECTS="$TMP/spare-objects.json"
    local entry name role id port nodeport
    GUIDE_JSON=$(for entry in "${NODES[@]}"; do
        read -r name role id port nodeport <<<"$entry"
        printf '{"name":"%s","role":"%s","id":"%s","port":%s,"nodePort":%s}\n' \
            "$name" "$role" "$id" "$port" "$nodeport"
    done | jq -s -c .)
}

# kubernetes-models and yaml in the cache directory, installed when missing.
npm_packages() {
    local pkg name version have_version log="$TMP/npm.log" missing=no start
    for pkg in "${NPM_PACKAGES[@]}"; do
        name=${pkg%@*}
        version=${pkg##*@}
        have_version=$(jq -r .version "$NPM_DIR/node_modules/$name/package.json" 2>/dev/null)
        [[ "$have_version" == "$version" ]] || missing=yes
    done
    if [[ "$missing" == no ]]; then
        t_note "npm packages ${NPM_PACKAGES[*]} cached in $NPM_DIR"
        return 0
    fi
    mkdir -p "$NPM_DIR" || t_skip "cannot create $NPM_DIR"
    [[ -f "$NPM_DIR/package.json" ]] ||
        printf '{"name":"paxos-test-npm","private":true}\n' >"$NPM_DIR/package.json"
    t_note "npm install ${NPM_PACKAGES[*]} into $NPM_DIR"
    start=$(date +%s)
    if ! (cd "$NPM_DIR" && timeout 300 npm install --no-audit --no-fund --loglevel=error \
            "${NPM_PACKAGES[@]}") >"$log" 2>&1; then
        t_skip "npm install ${NPM_PACKAGES[*]} failed (is the npm registry reachable?): $(tail -n 3 "$log")"
    fi
    t_note "installed in $(( $(date +%s) - start )) s"
}

# ------------------------------------------------------------ a. schemas

phase_files() {
    local f missing=() listed=() present=()
    for f in "${GUIDE_FILES[@]}" kustomization.yaml; do
        [[ -f "$K8S_DIR/$f" ]] || missing+=("$f")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        t_pass "k8s/ has the guide's files 00-namespace.yaml .. 07-nodeport-services.yaml and kustomization.yaml"
    else
        t_abort "k8s/ has the guide's files" "missing: ${missing[*]}"
    fi
    read_kustomization "$K8S_DIR" "$OBJECTS"
    [[ -f "$SPARE_DIR/kustomization.yaml" ]] ||
        t_abort "k8s/spare-acceptors/ has a kustomization.yaml"
    read_kustomization "$SPARE_DIR" "$SPARE_OBJECTS"
    if yq -r '.resources[]' "$K8S_DIR/kustomization.yaml" | grep -q spare; then
        t_fail "kubectl apply -k k8s/ leaves the spare acceptors out"
    else
        t_pass "kubectl apply -k k8s/ leaves the spare acceptors out"
    fi
}

# read_kustomization DIR OUT: DIR's kustomization.yaml lists every manifest
# of DIR, in their order; their documents go to OUT as a JSON array.
read_kustomization() {
    local dir=$1 out=$2 f listed=() present=() what=${1#"$SRC_DIR"/}
    mapfile -t listed < <(yq -r '.resources[]' "$dir/kustomization.yaml" 2>/dev/null)
    for f in "$dir"/*.yaml; do
        [[ "$(basename "$f")" == kustomization.yaml ]] || present+=("$(basename "$f")")
    done
    if [[ "${listed[*]}" == "${present[*]}" ]]; then
        t_pass "$what/kustomization.yaml lists every manifest there, in order"
    else
        t_fail "$what/kustomization.yaml lists every manifest there, in order" \
            "listed: ${listed[*]}"$'\n'"present: ${present[*]}"
    fi
    if ! (cd "$dir" && yq -c 'select(. != null)' "${listed[@]}") 2>"$TMP/yq.err" |
            jq -s . >"$out"; then
        t_abort "the manifests of $what parse as YAML" "$(cat "$TMP/yq.err")"
    fi
}

phase_schemas() {
    local files=() verdict what why out
    mapfile -t files < <(yq -r '.resources[] | "k8s/" + .' "$K8S_DIR/kustomization.yaml"
                         yq -r '.resources[] | "k8s/spare-acceptors/" + .' \
                             "$SPARE_DIR/kustomization.yaml")
    if ! out=$(cd "$SRC_DIR" && node "$HERE/validate.mjs" "$NPM_DIR" "${files[@]}" 2>&1); then
        t_abort "validate.mjs runs" "$out"
    fi
    while IFS=$'\t' read -r verdict what why; do
        case "$verdict" in
            PASS) t_pass "schema: $what" ;;
            FAIL) t_fail "schema: $what" "$why" ;;
            *) t_fail "validate.mjs output" "$verdict $what $why" ;;
        esac
    done <<<"$out"
    check "the kinds: 1 Namespace, 1 ConfigMap, 10 Deployments, 20 Services, 5 claims, 1 Ingress, 1 NetworkPolicy" '
        ($o | group_by(.kind) | map({key: .[0].kind, value: length}) | from_entries) as $k
        | {Namespace: 1, ConfigMap: 1, Deployment: 10, Service: 20,
           PersistentVolumeClaim: 5, Ingress: 1, NetworkPolicy: 1} | to_entries[]
        | select($k[.key] != .value) | "\(.key): \($k[.key] // 0), expected \(.value)"'
    check "the spares' kinds: 2 Deployments, 4 Services, 2 claims, 1 NetworkPolicy" '
        ($s | group_by(.kind) | map({key: .[0].kind, value: length}) | from_entries) as $k
        | {Deployment: 2, Service: 4, PersistentVolumeClaim: 2, NetworkPolicy: 1} as $want
        | ($want | to_entries[] | select($k[.key] != .value) | "\(.key): \($k[.key] // 0), expected \(.value)"),
          ($k | keys[] | select($want[.] == null) | "unexpected kind \(.)")'
}

phase_kustomize() {
    if ! command -v kubectl >/dev/null 2>&1; then
        t_note "skipped: kubectl kustomize (kubectl not found: apt-get install kubernetes-client)"
        return 0
    fi
    kustomize_builds "$K8S_DIR" "$OBJECTS"
    kustomize_builds "$SPARE_DIR" "$SPARE_OBJECTS"
}

# kustomize_builds DIR OBJECTS: kubectl kustomize DIR builds the objects
# of OBJECTS, all in namespace paxos, and its output passes the schemas.
kustomize_builds() {
    local out n what=${1#"$SRC_DIR"/}
    if ! out=$(kubectl kustomize "$1" 2>&1); then
        t_fail "kubectl kustomize $what/ builds" "$out"
        return 0
    fi
    printf '%s\n' "$out" >"$TMP/kustomized.yaml"
    n=$(yq -c 'select(. != null)' "$TMP/kustomized.yaml" | jq -s 'length')
    if [[ "$n" == "$(jq length "$2")" ]] &&
       yq -c 'select(. != null)' "$TMP/kustomized.yaml" |
           jq -e -s 'all(.[]; .kind == "Namespace" or .metadata.namespace == "paxos")' >/dev/null; then
        t_pass "kubectl kustomize $what/ builds $n objects, all in namespace paxos"
    else
        t_fail "kubectl kustomize $what/ builds every object in namespace paxos" "$n objects"
    fi
    out=$(cd "$TMP" && node "$HERE/validate.mjs" "$NPM_DIR" kustomized.yaml 2>&1 | grep -v '^PASS')
    if [[ -z "$out" ]]; then
        t_pass "the kustomized output of $what/ passes the schemas too"
    else
        t_fail "the kustomized output of $what/ passes the schemas too" "$out"
    fi
}

# ------------------------------------------------------------ b. the guide

phase_guide() {
    check "Deployments: the ten guide nodes, labels app=NAME and role=ROLE, selector app=NAME, one replica" '
        $g[] as $n | deployment($n.name) as $d
        | if $d == null then "\($n.name): no Deployment"
          else
            (if $d.metadata.labels.app != $n.name or $d.metadata.labels.role != $n.role
             then "\($n.name): Deployment labels \($d.metadata.labels)" else empty end),
            (if $d.spec.template.metadata.labels.app != $n.name or $d.spec.template.metadata.labels.role != $n.role
             then "\($n.name): pod labels \($d.spec.template.metadata.labels)" else empty end),
            (if $d.spec.selector.matchLabels != {app: $n.name}
             then "\($n.name): selector \($d.spec.selector)" else empty end),
            (if ($d.spec.replicas // 1) != 1 then "\($n.name): replicas \($d.spec.replicas)" else empty end)
          end'
    check "image paxos-node:latest, not pulled from a registry (imagePullPolicy IfNotPresent or Never)" '
        $g[] | .name as $n | container($n)
        | select(.image != "paxos-node:latest" or ((.imagePullPolicy // "Always") | IN("IfNotPresent", "Never") | not))
        | "\($n): image \(.image), imagePullPolicy \(.imagePullPolicy // "default")"'
    check "env: NODE_ID, NODE_ROLE and PORT as the guide says; the rest from paxos-config and the Secret paxos-secret" '
        $g[] as $n
        | (if env($n.name; "NODE_ID") != $n.id then "\($n.name): NODE_ID \(env($n.name; "NODE_ID"))" else empty end),
          (if env($n.name; "NODE_ROLE") != $n.role then "\($n.name): NODE_ROLE \(env($n.name; "NODE_ROLE"))" else empty end),
          (if env($n.name; "PORT") != ($n.port | tostring) then "\($n.name): PORT \(env($n.name; "PORT"))" else empty end),
          (if [container($n.name).envFrom[]? | .configMapRef.name // .secretRef.name]
              != ["paxos-config", "paxos-secret"]
           then "\($n.name): envFrom \(container($n.name).envFrom)" else empty end)'
    check "SEED_NODES lists the ten nodes as id:role:SERVICE:PORT, each host a ClusterIP Service of that node" '
        (seeds | length) as $count
        | (if $count != 10 then "SEED_NODES has \($count) entries" else empty end),
          ($g[] as $n | [seeds[] | select(.id == $n.id)][0] as $s
           | if $s == null then "\($n.name): not in SEED_NODES"
             elif $s.role != $n.role or $s.host != $n.name or $s.port != $n.port
             then "\($n.name): SEED_NODES says \($s.id):\($s.role):\($s.host):\($s.port)"
             else empty end),
          (seeds[] | . as $s | service($s.host) as $svc
           | if $svc == null then "SEED_NODES host \($s.host) is no Service"
             elif ($svc.spec.type // "ClusterIP") != "ClusterIP" then "Service \($s.host) is \($svc.spec.type)"
             elif $svc.spec.selector.app != $s.host then "Service \($s.host) selects \($svc.spec.selector)"
             elif [$svc.spec.ports[].port] != node_ports($s.port) then "Service \($s.host) ports \([$svc.spec.ports[].port])"
             else empty end)'
    check "ACCEPTOR_IDS are the acceptors of SEED_NODES" '
        ([seeds[] | select(.role == "acceptor") | .id] | sort) as $a
        | (cm.data.ACCEPTOR_IDS // "" | split(",") | sort) as $ids
        | if $ids != $a then "ACCEPTOR_IDS \(cm.data.ACCEPTOR_IDS), acceptors in SEED_NODES \($a)" else empty end'
    check "ports: containerPort = PORT (and PORT + PEER_PORT_OFFSET) = the Service's ports and targetPorts, for every node" '
        $g[] as $n | container($n.name) as $c | service($n.name) as $svc
        | (if [$c.ports[]?.containerPort] != node_ports($n.port) then "\($n.name): containerPort \([$c.ports[]?.containerPort])" else empty end),
          ($svc.spec.ports[]? | select(port_number($n.name; .targetPort // .port) != .port)
           | "\($n.name): Service targetPort \(.targetPort) is not the container port \(.port)")'
    check "network policy: peer ports (PORT + PEER_PORT_OFFSET) only from the namespace's pods, user ports from anywhere" '
        [$o[] | select(.kind == "NetworkPolicy")] as $np
        | ([$g[].port] | sort) as $user
        | if ($np | length) != 1 then "\($np | length) NetworkPolicies"
          elif peer_offset == 0 then "PEER_PORT_OFFSET is 0: peer routes share the user ports"
          else $np[0].spec as $s
            | (if $s.podSelector.matchLabels != {"app.kubernetes.io/part-of": "paxos"} then "selects \($s.podSelector)" else empty end),
              (if $s.policyTypes != ["Ingress"] then "policyTypes \($s.policyTypes)" else empty end),
              ($s.ingress[] | select(has("from") | not)
               | ([.ports[]?.port] | sort) as $open
               | if $open != $user then "open to anyone: ports \($open), want the user ports \($user)" else empty end),
              ($s.ingress[] | select(has("from"))
               | if .from != [{podSelector: {}}] then "a rule from \(.from)" else empty end)
          end'
    check "probes: readiness and liveness GET /health on the container port" '
        $g[] as $n | container($n.name) as $c
        | ("readinessProbe", "livenessProbe") as $p
        | $c[$p] as $probe
        | if $probe == null then "\($n.name): no \($p)"
          elif $probe.httpGet.path != "/health" then "\($n.name): \($p) path \($probe.httpGet.path)"
          elif port_number($n.name; $probe.httpGet.port) != $n.port then "\($n.name): \($p) port \($probe.httpGet.port)"
          else empty end'
    check "resources: cpu and memory requests and limits on every container" '
        $g[] as $n | container($n.name).resources as $r
        | ("requests", "limits") as $k | ("cpu", "memory") as $res
        | select(($r[$k][$res] // null) == null) | "\($n.name): no \($k).\($res)"'
    check "Prometheus annotations: scrape \"true\", port = the container port, path /metrics" '
        $g[] as $n | (deployment($n.name).spec.template.metadata.annotations // {}) as $a
        | if $a["prometheus.io/scrape"] != "true" or $a["prometheus.io/port"] != ($n.port | tostring)
             or $a["prometheus.io/path"] != "/metrics"
          then "\($n.name): \($a)" else empty end'
    check "NodePort Services NAME-external: client1 30601, proposer1 30301, learner1 30501..., distinct, in 30000-32767" '
        ([$o[] | select(.kind == "Service" and .spec.type == "NodePort") | .spec.ports[].nodePort]) as $all
        | (if ($all | length) != ($all | unique | length) then "nodePorts not distinct: \($all)" else empty end),
          ($all[] | select(. < 30000 or . > 32767) | "nodePort \(.) out of range"),
          ($g[] as $n | service("\($n.name)-external") as $s
           | if $s == null then "\($n.name)-external: missing"
             elif $s.spec.type != "NodePort" then "\($n.name)-external: type \($s.spec.type)"
             elif $s.spec.selector.app != $n.name then "\($n.name)-external selects \($s.spec.selector)"
             elif [$s.spec.ports[].nodePort] != [$n.nodePort] then "\($n.name)-external: nodePort \([$s.spec.ports[].nodePort]), expected \($n.nodePort)"
             elif port_number($n.name; $s.spec.ports[0].targetPort // $s.spec.ports[0].port) != $n.port then "\($n.name)-external: targetPort"
             else empty end)'
    check "acceptors and learners: strategy Recreate, their own claim NAME-data (ReadWriteOnce) mounted at DATA_DIR" '
        $g[] | select(.role == "acceptor" or .role == "learner") | .name as $n | deployment($n) as $d
        | ($d.spec.template.spec.volumes // []) as $vols
        | [$vols[] | select(.persistentVolumeClaim.claimName == "\($n)-data")][0] as $v
        | [$o[] | select(.kind == "PersistentVolumeClaim" and .metadata.name == "\($n)-data")][0] as $pvc
        | (if $d.spec.strategy.type != "Recreate" then "\($n): strategy \($d.spec.strategy)" else empty end),
          (if $v == null then "\($n): no volume from claim \($n)-data"
           else ([container($n).volumeMounts[]? | select(.name == $v.name) | .mountPath][0]) as $mp
                | if $mp == null then "\($n): claim not mounted"
                  elif env($n; "DATA_DIR") != $mp then "\($n): DATA_DIR \(env($n; "DATA_DIR")) is not the mount \($mp)"
                  else empty end end),
          (if $pvc == null then "\($n): no PersistentVolumeClaim \($n)-data"
           elif ($pvc.spec.accessModes | index("ReadWriteOnce")) == null then "\($n)-data: \($pvc.spec.accessModes)"
           else empty end)'
    check "proposers and clients keep no state: no claim, so they can be scaled and restarted" '
        $g[] | select(.role == "proposer" or .role == "client") | .name as $n
        | deployment($n).spec.template.spec.volumes[]? | select(.persistentVolumeClaim)
        | "\($n): claim \(.persistentVolumeClaim.claimName)"'
    check "security: non-root, read-only root filesystem, no privilege escalation, capabilities dropped" '
        $g[] | .name as $n | deployment($n).spec.template.spec as $p | $p.containers[0] as $c
        | (if ($p.securityContext.runAsNonRoot // $c.securityContext.runAsNonRoot) != true then "\($n): runAsNonRoot" else empty end),
          (if $c.securityContext.readOnlyRootFilesystem != true then "\($n): readOnlyRootFilesystem" else empty end),
          (if $c.securityContext.allowPrivilegeEscalation != false then "\($n): allowPrivilegeEscalation" else empty end),
          (if ($c.securityContext.capabilities.drop // []) != ["ALL"] then "\($n): capabilities" else empty end)'
    check "Ingress: every path leads to a node Service on its port; /client1 to client1" '
        [$o[] | select(.kind == "Ingress")][0] as $i
        | [$i.spec.rules[].http.paths[]] as $paths
        | ($paths[] | .backend.service as $b | service($b.name) as $svc
           | if $svc == null then "path \(.path): no Service \($b.name)"
             elif ([$svc.spec.ports[].port] | index($b.port.number)) == null then "path \(.path): port \($b.port.number) not on \($b.name)"
             else empty end),
          (if ([$paths[] | select(.path | startswith("/client1")) | .backend.service.name] | index("client1")) == null
           then "no path to client1" else empty end)'
}

# ------------------------------------------------------------ b. the spares

phase_spares() {
    check "the spares are acceptor1's claim, Deployment and Service with their own name, id and ports (SEED_NODES aside)" '
        def as_spare($n; $id; $port):
            walk(if type == "string" then gsub("acceptor1"; $n) | (if . == "4001" then "\($port)" else . end)
                 elif type == "number" then (if . == 4001 then $port elif . == 14001 then $port + 10000 else . end)
                 else . end)
            | if .kind == "Deployment"
              then .spec.template.spec.containers[0].env |= map(if .name == "NODE_ID" then .value = $id else . end)
              else . end;
        def without_seeds:
            if .kind == "Deployment"
            then .spec.template.spec.containers[0].env |= map(select(.name != "SEED_NODES"))
            else . end;
        def differences($a; $b):
            [($a | paths(scalars)), ($b | paths(scalars))] | unique[] as $p
            | if ($a | getpath($p)) != ($b | getpath($p)) then $p | map(tostring) | join(".")
              else empty end;
        ({name: "acceptor4", id: "11", port: 4004}, {name: "acceptor5", id: "12", port: 4005}) as $spare
        | ("PersistentVolumeClaim", "Deployment", "Service") as $kind
        | (if $kind == "PersistentVolumeClaim" then "-data" else "" end) as $suffix
        | [$o[] | select(.kind == $kind and .metadata.name == "acceptor1\($suffix)")][0]
          | as_spare($spare.name; $spare.id; $spare.port) as $want
        | [$s[] | select(.kind == $kind and .metadata.name == "\($spare.name)\($suffix)")][0] as $have
        | if $have == null then "\($spare.name): no \($kind) \($spare.name)\($suffix)"
          else differences($want; $have | without_seeds) as $p
               | ($p | split(".") | map(tonumber? // .)) as $path
               | "\($spare.name): \($kind) \($p): \($have | without_seeds | getpath($path))"
                 + " where acceptor1 has \($want | getpath($path))"
          end'
    check "the spares' SEED_NODES: the ConfigMap's ten and both spares (a node is named by its rank among them); ACCEPTOR_IDS stays the ConfigMap's" '
        (cm.data.SEED_NODES + ",11:acceptor:acceptor4:4004,12:acceptor:acceptor5:4005") as $want
        | ("acceptor4", "acceptor5") as $n
        | [$s[] | select(.kind == "Deployment" and .metadata.name == $n)][0].spec.template.spec.containers[0].env as $env
        | ([$env[]? | select(.name == "SEED_NODES") | .value][0]) as $seeds
        | (if $seeds != $want then "\($n): SEED_NODES \($seeds)" else empty end),
          (if any($env[]?; .name == "ACCEPTOR_IDS") then "\($n) sets ACCEPTOR_IDS" else empty end)'
    check "the spares' NodePort Services: acceptor4-external 30404, acceptor5-external 30405, apart from the guide's" '
        ([$o[], $s[] | select(.kind == "Service" and .spec.type == "NodePort") | .spec.ports[].nodePort]) as $all
        | (if ($all | length) != ($all | unique | length) then "nodePorts not distinct: \($all)" else empty end),
          ({name: "acceptor4", port: 4004, nodePort: 30404}, {name: "acceptor5", port: 4005, nodePort: 30405}) as $n
          | [$s[] | select(.kind == "Service" and .metadata.name == "\($n.name)-external")][0] as $svc
          | if $svc == null then "\($n.name)-external: missing"
            elif $svc.spec.type != "NodePort" or $svc.spec.selector != {app: $n.name} then "\($n.name)-external: \($svc.spec)"
            elif [$svc.spec.ports[] | {port, targetPort, nodePort}] != [{port: $n.port, targetPort: "http", nodePort: $n.nodePort}]
            then "\($n.name)-external: ports \($svc.spec.ports)"
            else empty end'
    check "network policy: the spares user ports 4004 and 4005 from anywhere, their peer ports only from the namespace" '
        [$o[] | select(.kind == "NetworkPolicy")][0] as $main
        | [$s[] | select(.kind == "NetworkPolicy")][0] as $np
        | def selects($p; $labels): $p.spec.podSelector.matchLabels | to_entries | all(.value == $labels[.key]);
          ([$np.spec.ingress[] | select(has("from") | not) | .ports[]?.port] | sort) as $open
          | (if $open != [4004, 4005] then "open to anyone: \($open)" else empty end),
            (if any($np.spec.ingress[]; has("from")) then "a rule with from: the main policy says who reaches the peer ports" else empty end),
            ($s[] | select(.kind == "Deployment") | .metadata.name as $n | .spec.template.metadata.labels as $l
             | (if selects($main; $l) | not then "\($n): not selected by \($main.metadata.name)" else empty end),
               (if selects($np; $l) | not then "\($n): not selected by \($np.metadata.name)" else empty end))'
}

# ------------------------------------------------------------ c. paxosd

find_paxosd() {
    local candidate
    for candidate in "${PAXOSD:-}" "$SRC_DIR/build/paxosd" "$SRC_DIR/paxosd"; do
        if [[ -n "$candidate" && -x "$candidate" && -f "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# The environment variables paxosd reads, from its --help.
paxosd_env_names() {
    "$1" --help 2>&1 | awk '$1 ~ /^--/ {
        if ($2 ~ /^[A-Z][A-Z0-9_]*$/ && $3 ~ /^[A-Z][A-Z0-9_]*$/) print $3
        else if ($2 ~ /^[A-Z][A-Z0-9_]*$/) print $2 }'
}

# node_env NAME: the environment a node's Deployment gives it, KEY=VALUE
# lines (the ConfigMap first, then the container's own env), from k8s/ or
# k8s/spare-acceptors/.
node_env() {
    jq -r -s --arg n "$1" 'add
        | (map(select(.kind == "ConfigMap")) | map({key: .metadata.name, value: (.data // {})}) | from_entries) as $cm
        | [.[] | select(.kind == "Deployment" and .metadata.name == $n)][0].spec.template.spec.containers[0]
        | (.envFrom[]? | select(.configMapRef) | $cm[.configMapRef.name] // {}
           | to_entries[] | "\(.key)=\(.value)"),
          (.env[]? | select(has("value")) | "\(.name)=\(.value)")' "$OBJECTS" "$SPARE_OBJECTS"
}

http_code() {
    curl -s -o "$TMP/body" -w '%{http_code}' -m 5 "$1" 2>/dev/null || true
}

phase_paxosd() {
    local paxosd names manifest_names unknown addr name role port env=() pid
    local entry id nodeport started=() failed=() code
    if ! paxosd=$(find_paxosd); then
        t_note "skipped: the checks against paxosd (set PAXOSD=/path/to/paxosd)"
        return 0
    fi
    t_note "paxosd: $paxosd"
    names=$(paxosd_env_names "$paxosd" | sort -u)
    if ! grep -qx NODE_ROLE <<<"$names" || ! grep -qx SEED_NODES <<<"$names"; then
        t_fail "paxosd --help lists its environment variables" "$("$paxosd" --help 2>&1 | head -n 5)"
        return 0
    fi
    manifest_names=$(jq -r '.[] | (select(.kind == "ConfigMap") | .data // {} | keys[]),
            (select(.kind == "Deployment") | .spec.template.spec.containers[].env[]?.name)' \
        "$OBJECTS" "$SPARE_OBJECTS" | sort -u)
    unknown=$(comm -23 <(printf '%s\n' "$manifest_names") <(printf '%s\n' "$names"))
    if [[ -z "$unknown" ]]; then
        t_pass "every variable the manifests set is one paxosd reads ($(wc -l <<<"$manifest_names") of $(wc -l <<<"$names"))"
    else
        t_fail "every variable the manifests set is one paxosd reads" "unknown to paxosd --help: $unknown"
    fi

    # One node per role, with its Deployment's environment, on a loopback
    # address of its own: the SEED_NODES hosts are pointed there, so the
    # nodes talk only among themselves (no other test's node is reached).
    addr="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
    t_note "one node of each role on $addr"
    for name in proposer1 acceptor1 learner1 client1 acceptor4; do
        mapfile -t env < <(node_env "$name" |
            sed -E "/^SEED_NODES=/ s/:([a-z]+[0-9]+):([0-9]+)/:$addr:\2/g; /^DATA_DIR=/d")
        mkdir -p "$TMP/data/$name"
        env -i PATH="$PATH" "${env[@]}" BIND_ADDR="$addr" DATA_DIR="$TMP/data/$name" \
            "$paxosd" >"$TMP/$name.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        started+=("$name:$pid")
    done
    sleep 1
    for entry in "${started[@]}"; do
        kill -0 "${entry#*:}" 2>/dev/null || failed+=("${entry%%:*}: $(tail -n 3 "$TMP/${entry%%:*}.log")")
    done
    if [[ ${#failed[@]} -eq 0 ]]; then
        t_pass "paxosd starts as proposer1, acceptor1, learner1, client1 and acceptor4 with their Deployments' environment"
    else
        t_fail "paxosd starts with each role's Deployment environment" "$(printf '%s\n' "${failed[@]}")"
        return 0
    fi
    failed=()
    for entry in "${NODES[@]}"; do
        read -r name role id port nodeport <<<"$entry"
        [[ "$name" == proposer1 || "$name" == acceptor1 || "$name" == learner1 || "$name" == client1 ]] || continue
        code=$(http_code "http://$addr:$port/health")
        [[ "$code" == 200 ]] && grep -q "\"name\":\"$name\"" "$TMP/body" ||
            failed+=("$name: GET /health: $code $(head -c 200 "$TMP/body" 2>/dev/null)")
    done
    if [[ ${#failed[@]} -eq 0 ]]; then
        t_pass "the probes' path: GET /health answers 200 with the node's name on each role's port"
    else
        t_fail "the probes' path: GET /health answers 200 on each role's port" "$(printf '%s\n' "${failed[@]}")"
    fi
    failed=()
    for name in proposer1:3001 acceptor1:4001 learner1:5001 client1:6001; do
        code=$(http_code "http://$addr:${name#*:}/metrics")
        [[ "$code" == 200 ]] && grep -q '^paxos_node_info{' "$TMP/body" ||
            failed+=("${name%%:*}: GET /metrics: $code $(head -c 200 "$TMP/body" 2>/dev/null)")
    done
    if [[ ${#failed[@]} -eq 0 ]]; then
        t_pass "the Prometheus annotations' path: GET /metrics answers the text format on each role's port"
    else
        t_fail "the Prometheus annotations' path: GET /metrics answers on each role's port" "$(printf '%s\n' "${failed[@]}")"
    fi
    failed=()
    for name in proposer1:3001 acceptor1:4001 client1:6001; do
        code=$(http_code "http://$addr:${name#*:}/view-logs")
        [[ "$code" == 200 ]] && jq -e '.logs | type == "array"' "$TMP/body" >/dev/null 2>&1 ||
            failed+=("${name%%:*}: GET /view-logs: $code")
    done
    if [[ ${#failed[@]} -eq 0 ]]; then
        t_pass "the guide's troubleshooting path: GET /view-logs answers on ports 3001, 4001 and 6001"
    else
        t_fail "the guide's troubleshooting path: GET /view-logs answers" "$(printf '%s\n' "${failed[@]}")"
    fi
    code=$(http_code "http://$addr:4004/status")
    if [[ "$code" == 200 ]] &&
       jq -e '.name == "acceptor4" and .id == 11 and .admission != "active"' "$TMP/body" >/dev/null 2>&1; then
        t_pass "the spare starts as acceptor4 (id 11) on port 4004, not voting ($(jq -r .admission "$TMP/body"))"
    else
        t_fail "the spare starts as acceptor4 (id 11) on port 4004, not voting" \
            "HTTP $code: $(head -c 300 "$TMP/body" 2>/dev/null)"
    fi
    code=$(http_code "http://$addr:6001/status")
    if [[ "$code" == 200 ]]; then
        t_pass "the Ingress's status path: GET /status answers on client1 (http://NODE/client1/status)"
    else
        t_fail "the Ingress's status path: GET /status answers on client1" "HTTP $code"
    fi
    code=$(http_code "http://$addr:6001/")
    if [[ "$code" == 200 ]] && grep -qi '<html' "$TMP/body"; then
        t_pass "the client page: GET / on client1 is a page (Ingress /client1/, minikube service client1-external)"
    else
        t_fail "the client page: GET / on client1 is a page (Ingress /client1/, minikube service client1-external)" \
            "HTTP $code: $(head -c 200 "$TMP/body" 2>/dev/null)"
    fi
}

# ------------------------------------------------------------ d. scripts

phase_scripts() {
    local s out bad=() target
    for s in "${SCRIPTS[@]}"; do
        if [[ ! -f "$SRC_DIR/scripts/$s" ]]; then
            t_fail "scripts/$s exists"
            continue
        fi
        if out=$(bash -n "$SRC_DIR/scripts/$s" 2>&1); then
            t_pass "bash -n scripts/$s"
        else
            t_fail "bash -n scripts/$s" "$out"
        fi
        grep -q '^set -euo pipefail' "$SRC_DIR/scripts/$s" || bad+=("$s")
    done
    if [[ ${#bad[@]} -eq 0 ]]; then
        t_pass "the scripts run with set -euo pipefail"
    else
        t_fail "the scripts run with set -euo pipefail" "${bad[*]}"
    fi
    if have shellcheck; then
        for s in "${SCRIPTS[@]/#/scripts/}" tests/k8s/manifests.sh tests/container/podman.sh; do
            [[ -f "$SRC_DIR/$s" ]] || continue
            if out=$(cd "$SRC_DIR" && shellcheck -x "$s" 2>&1); then
                t_pass "shellcheck $s"
            else
                t_fail "shellcheck $s" "$out"
            fi
        done
    else
        t_note "skipped: shellcheck (not installed: scripts/install-deps.sh)"
    fi
    if have python3; then
        if out=$(python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' \
                "$SRC_DIR/scripts/paxos_k8s_client.py" 2>&1) &&
           out=$(python3 "$SRC_DIR/scripts/paxos_k8s_client.py" --help 2>&1); then
            t_pass "paxos_k8s_client.py parses and answers --help"
        else
            t_fail "paxos_k8s_client.py parses and answers --help" "$out"
        fi
    fi
    bad=()
    for s in "${SCRIPTS[@]}" paxos_k8s_client.py; do
        target=$(readlink "$SRC_DIR/$s" 2>/dev/null || true)
        if [[ -L "$SRC_DIR/$s" && "$target" == "scripts/$s" && -x "$SRC_DIR/$s" ]] ||
           [[ ! -L "$SRC_DIR/$s" && -x "$SRC_DIR/$s" && -f "$SRC_DIR/$s" ]]; then
            continue
        fi
        bad+=("$s")
    done
    if [[ ${#bad[@]} -eq 0 ]]; then
        t_pass "the guide runs ./${SCRIPTS[1]} etc. from the top: links to scripts/, executable"
    else
        t_fail "the guide's scripts are at the top, executable" "missing or wrong: ${bad[*]}"
    fi
}

# A kubectl stand-in: logs its arguments and answers as a cluster would.
write_fake_kubectl() {
    mkdir -p "$TMP/bin"
    cat >"$TMP/bin/kubectl" <<EOF
#!/usr/bin/env bash
log="$TMP/kubectl.log"
printf '%s\n' "\$*" >>"\$log"
mode=\$(cat "$TMP/kubectl.mode" 2>/dev/null)
EOF
    # GET /voters with a spare waiting to be admitted; POST /voters's 200.
    cat >>"$TMP/bin/kubectl" <<'EOF'
voter() {
    printf '{"id":%s,"name":"%s","host":"%s","port":%s,"member":"%s"}' "$1" "$2" "$2" "$3" "$4"
}
acceptor() {
    printf '{"id":%s,"name":"%s","address":"%s:%s","member":"%s","cluster":"%s","standing":"%s"}' \
        "$1" "$2" "$2" "$3" "$4" "$5" "$6"
}
three="$(voter 4 acceptor1 4001 e01fe6938d269385),$(voter 5 acceptor2 4002 0391eec2175d7021),$(voter 6 acceptor3 4003 427a22cfc017f76b)"
voters='{"epoch":1,"first_slot":1,"voters":['"$three"'],"coming":[],"leader":1,"leader_name":"proposer1","change_in_progress":false,"acceptors":['"$(acceptor 4 acceptor1 4001 e01fe6938d269385 a4a9af290d596eda voter),$(acceptor 11 acceptor4 4004 307aae142104583c "" "waiting to be admitted"),"'{"id":12,"name":"acceptor5","address":"acceptor5:4005","standing":"unreachable"}]}'
changed='{"status":"changed","epoch":2,"first_slot":1025,"voters":['"$three,$(voter 11 acceptor4 4004 307aae142104583c)"'],"slot":3}'
EOF
    cat >>"$TMP/bin/kubectl" <<'EOF'
if [[ "$mode" == down ]]; then
    echo "The connection to the server 127.0.0.1:8443 was refused - did you specify the right host or port?" >&2
    exit 1
fi
case "$*" in
    "get namespace paxos"*) echo namespace/paxos ;;
    "get pods -n paxos -l app="*)
        all="$*"
        app=${all#get pods -n paxos -l app=}
        printf '%s-7d4b9c-x2x9z' "${app%% *}" ;;
    "exec -i -n paxos "*|"exec -n paxos "*)
        [[ "$2" == -i ]] && printf 'body %s\n' "$(cat)" >>"$log"
        url=${*##* }
        case "$2 $url" in
            *" "*/send) printf '{"status":"chosen","slot":7,"value":"v","client_id":"9","seq":1,"leader":"proposer1","ballot":{"round":1,"node":1},"attempts":1,"latency_ms":2}\n200' ;;
            *" "*/propose) printf '{"slot":8,"ballot":{"round":1,"node":1},"from":1,"value":"v","client_id":"proposer2","seq":1}\n200' ;;
            "-n "*/voters) printf '%s\n200' "$voters" ;;
            "-i "*/voters)
                case "$mode" in
                    400) printf '{"error":"acceptor1 votes already"}\n400' ;;
                    409) printf '{"error":"a configuration change is under way"}\n409' ;;
                    503) printf '{"error":"no leader elected yet","leader":null}\n503' ;;
                    504) printf '{"error":"leadership lost","status":"unknown"}\n504' ;;
                    *) printf '%s\n200' "$changed" ;;
                esac ;;
            *) printf '{"error":"no route"}\n404' ;;
        esac ;;
    *) echo "fake kubectl: $*" >&2; exit 1 ;;
esac
EOF
    chmod +x "$TMP/bin/kubectl"
}

# client_run DESCRIPTION PATTERN LOG_PATTERN [ENV=V...] -- COMMAND...
client_run() {
    local desc=$1 pattern=$2 log_pattern=$3 envs=() out
    shift 3
    while [[ $# -gt 0 && "$1" != -- ]]; do envs+=("$1"); shift; done
    shift
    : >"$TMP/kubectl.log"
    if out=$(env PATH="$TMP/bin:$PATH" "${envs[@]}" "$@" 2>&1) &&
       grep -Eq -- "$pattern" <<<"$out" && grep -Eq -- "$log_pattern" "$TMP/kubectl.log"; then
        t_pass "$desc"
    else
        t_fail "$desc" "$out"$'\n'"kubectl was called: $(cat "$TMP/kubectl.log")"
    fi
}

phase_client_commands() {
    local client="$SRC_DIR/scripts/paxos-client.sh" py="$SRC_DIR/scripts/paxos_k8s_client.py" out
    [[ -f "$client" ]] || return 0
    write_fake_kubectl
    client_run "paxos-client.sh write: kubectl exec into client1's pod, curl POST localhost:6001/send" \
        '^chosen: slot 7' 'exec -i -n paxos client1-[^ ]+ -- curl .*http://localhost:6001/send$' \
        -- bash "$client" write "novo valor"
    client_run "CLIENT=client2 paxos-client.sh write goes to client2:6002" \
        '^chosen: slot 7' 'exec -i -n paxos client2-[^ ]+ -- curl .*http://localhost:6002/send$' \
        CLIENT=client2 -- bash "$client" write "valor do client2"
    client_run "PROPOSER=proposer2 paxos-client.sh direct-write goes to proposer2:3002/propose" \
        '^chosen: slot 8' 'exec -i -n paxos proposer2-[^ ]+ -- curl .*http://localhost:3002/propose$' \
        PROPOSER=proposer2 -- bash "$client" direct-write "direto para proposer2"
    client_run "paxos_k8s_client.py write runs paxos-client.sh write" \
        '^chosen: slot 7' 'exec -i -n paxos client1-[^ ]+ -- curl .*/send$' \
        -- python3 "$py" write "novo valor"
    client_run "paxos_k8s_client.py --client client2 direct-write runs it with PROPOSER and CLIENT" \
        '^chosen: slot 8' 'exec -i -n paxos proposer1-' \
        -- python3 "$py" --client client2 direct-write "valor direto"
    # monitor: paxos-top --k8s --monitor, through a stand-in that shows its arguments.
    printf '#!/bin/sh\necho "paxos-top $*"\n' >"$TMP/bin/paxos-top-stub"
    chmod +x "$TMP/bin/paxos-top-stub"
    if out=$(PAXOS_TOP="$TMP/bin/paxos-top-stub" python3 "$py" monitor --duration 120 --interval 10 2>&1) &&
       [[ "$out" == "paxos-top --k8s --monitor --duration 120 --interval 10" ]]; then
        t_pass "paxos_k8s_client.py monitor --duration 120 --interval 10 runs paxos-top --k8s --monitor --duration 120 --interval 10"
    else
        t_fail "paxos_k8s_client.py monitor runs paxos-top --k8s --monitor" "$out"
    fi
    phase_member_commands
    # The cluster is down: a clear message, exit 1.
    printf 'down' >"$TMP/kubectl.mode"
    if out=$(PATH="$TMP/bin:$PATH" bash "$client" read 2>&1); then
        t_fail "paxos-client.sh says clearly that the cluster cannot be reached" "exit 0: $out"
    elif grep -q 'cannot reach the Kubernetes cluster' <<<"$out" && grep -q 'minikube' <<<"$out"; then
        t_pass "paxos-client.sh says clearly that the cluster cannot be reached (exit 1)"
    else
        t_fail "paxos-client.sh says clearly that the cluster cannot be reached" "$out"
    fi
    rm -f "$TMP/kubectl.mode"
    # No kubectl at all: a PATH with the tools the script needs but kubectl.
    mkdir -p "$TMP/nokubectl"
    local tool
    for tool in bash awk sed grep head tail cat basename dirname readlink date tr wc jq env; do
        ln -sf "$(command -v "$tool")" "$TMP/nokubectl/$tool" 2>/dev/null || true
    done
    if out=$(PATH="$TMP/nokubectl" bash "$client" status 2>&1); then
        t_fail "paxos-client.sh says clearly that kubectl is missing" "exit 0: $out"
    elif grep -q 'kubectl not found' <<<"$out" && grep -q 'setup-kubernetes-wsl.sh' <<<"$out"; then
        t_pass "paxos-client.sh says clearly that kubectl is missing (exit 1)"
    else
        t_fail "paxos-client.sh says clearly that kubectl is missing" "$out"
    fi
    if out=$(PATH="$TMP/nokubectl" bash "$SRC_DIR/scripts/deploy-paxos-k8s.sh" 2>&1); then
        t_fail "deploy-paxos-k8s.sh stops clearly without kubectl and minikube" "exit 0: $out"
    elif grep -q 'not found: run ./setup-kubernetes-wsl.sh' <<<"$out"; then
        t_pass "deploy-paxos-k8s.sh stops clearly without kubectl and minikube (exit 1)"
    else
        t_fail "deploy-paxos-k8s.sh stops clearly without kubectl and minikube" "$out"
    fi
}

# client_fails DESCRIPTION PATTERN MODE -- COMMAND...: COMMAND exits 1
# and says PATTERN while the stand-in answers POST /voters with MODE.
client_fails() {
    local desc=$1 pattern=$2 rc=0 out
    printf '%s' "$3" >"$TMP/kubectl.mode"
    shift 4
    : >"$TMP/kubectl.log"
    out=$(env PATH="$TMP/bin:$PATH" "$@" 2>&1) || rc=$?
    rm -f "$TMP/kubectl.mode"
    if [[ $rc -eq 1 ]] && grep -Eq -- "$pattern" <<<"$out"; then
        t_pass "$desc (exit 1)"
    else
        t_fail "$desc" "exit $rc: $out"$'\n'"kubectl was called: $(cat "$TMP/kubectl.log")"
    fi
}

# members, member-add, member-remove, member-replace: GET and POST
# /voters on a proposer, the answers and every error status.
phase_member_commands() {
    local client="$SRC_DIR/scripts/paxos-client.sh"
    client_run "paxos-client.sh members: GET localhost:3001/voters in proposer1's pod, a row per acceptor with its standing" \
        'acceptor4 +11 +307aae142104583c +acceptor4:4004 +waiting to be admitted' \
        'exec -n paxos proposer1-[^ ]+ -- curl .*http://localhost:3001/voters$' \
        -- bash "$client" members
    client_run "paxos-client.sh members says how to admit a waiting acceptor" \
        '^acceptor4 does not vote: admit it with ./paxos-client.sh member-add acceptor4$' '.' \
        -- bash "$client" members
    client_run "paxos-client.sh members names the configuration, its voters and its quorum" \
        '^voters: acceptor1, acceptor2, acceptor3 \(a quorum is 2 of 3\)$' '.' \
        -- bash "$client" members
    client_run "paxos-client.sh --json members prints GET /voters as it is" \
        '^\{"epoch":1,.*"standing":"unreachable"\}\]\}$' '.' \
        -- bash "$client" --json members
    client_run "paxos-client.sh member-add acceptor4: POST {\"add\":\"acceptor4\"} to proposer1's /voters" \
        '^added acceptor4: configuration epoch 2 in force from slot 1025, voters acceptor1, acceptor2, acceptor3, acceptor4$' \
        '^body \{"add":"acceptor4"\}$' \
        -- bash "$client" member-add acceptor4
    client_run "PROPOSER=proposer2 paxos-client.sh member-remove acceptor2 goes to proposer2:3002/voters" \
        '^removed acceptor2: ' 'exec -i -n paxos proposer2-[^ ]+ -- curl .*http://localhost:3002/voters$' \
        PROPOSER=proposer2 -- bash "$client" member-remove acceptor2
    client_run "paxos-client.sh member-replace acceptor1 acceptor4 sends replace and with" \
        '^replaced acceptor1 with acceptor4: ' '^body \{"replace":"acceptor1","with":"acceptor4"\}$' \
        -- bash "$client" member-replace acceptor1 acceptor4
    client_run "paxos_k8s_client.py --proposer proposer3 member-replace runs paxos-client.sh's" \
        '^replaced acceptor1 with acceptor4: ' 'exec -i -n paxos proposer3-[^ ]+ -- curl .*/voters$' \
        -- python3 "$SRC_DIR/scripts/paxos_k8s_client.py" --proposer proposer3 member-replace acceptor1 acceptor4
    client_run "paxos_k8s_client.py members runs paxos-client.sh members" \
        'waiting to be admitted' 'curl .*http://localhost:3001/voters$' \
        -- python3 "$SRC_DIR/scripts/paxos_k8s_client.py" members
    client_fails "member-add: a change that makes no sense (400) is said as the leader says it" \
        'member-add acceptor1 through proposer1: HTTP 400: acceptor1 votes already' 400 \
        -- bash "$client" member-add acceptor1
    client_fails "member-add: another change under way (409)" \
        'HTTP 409: a configuration change is under way' 409 -- bash "$client" member-add acceptor4
    client_fails "member-remove: no leader (503), asked again each second for PAXOS_TIMEOUT seconds" \
        'HTTP 503: no leader elected yet' 503 -- env PAXOS_TIMEOUT=2 bash "$client" member-remove acceptor2
    if [[ $(grep -c '^body {"remove":"acceptor2"}$' "$TMP/kubectl.log") -eq 3 ]]; then
        t_pass "member-remove with no leader: asked 3 times in 2 s, then the error"
    else
        t_fail "member-remove with no leader: asked 3 times in 2 s" "$(cat "$TMP/kubectl.log")"
    fi
    client_fails "member-replace: leadership lost mid-change (504) says to look at members" \
        'HTTP 504: leadership lost \(.*check with ./paxos-client.sh members\)' 504 \
        -- bash "$client" member-replace acceptor1 acceptor4
    client_fails "member-add --json: the error answer as it is" \
        '^\{"error":"a configuration change is under way"\}$' 409 \
        -- bash "$client" --json member-add acceptor4
    client_fails "member-replace with one name: the usage, no request" \
        'usage: paxos-client.sh member-replace OLD NEW' 200 -- bash "$client" member-replace acceptor1
    client_fails "member-add with a bad name: a clear error, no request" \
        "'acceptor4; rm' is not an acceptor name or id" 200 -- bash "$client" member-add 'acceptor4; rm'
    if grep -q exec "$TMP/kubectl.log"; then
        t_fail "a bad name runs nothing in a pod" "$(cat "$TMP/kubectl.log")"
    else
        t_pass "a bad name runs nothing in a pod"
    fi
}

# ------------------------------------------------------------ main

T_START=$(date +%s)
preflight
npm_packages
phase_files
phase_schemas
phase_kustomize
phase_guide
phase_spares
phase_paxosd
phase_scripts
phase_client_commands
t_say "# test took $(( $(date +%s) - T_START )) s"
t_finish
exit $?
