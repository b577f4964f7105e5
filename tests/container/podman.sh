#!/bin/sh
# shellcheck shell=bash disable=SC2317  # functions called indirectly (traps, wait_until)
# podman.sh -- the container end-to-end test: the real image, built from the
# real Dockerfile, running the guide's ten nodes as containers under their
# guide names, with the environment the Kubernetes manifests give them.
# What Kubernetes would do is done by podman:
#   Deployment NAME      a container NAME (its env from the ConfigMap and the
#                        Deployment, its user, read-only root and dropped
#                        capabilities from the securityContext)
#   Service NAME         the container's name on a podman network (DNS)
#   PersistentVolumeClaim a podman volume
#   kubectl exec         podman exec (a kubectl stand-in runs the guide's
#                        paxos-client.sh and paxos_k8s_client.py)
# Checks:
#   a. the base images debian:bookworm and debian:bookworm-slim exist: made
#      once with debootstrap (no image can be pulled here) and kept
#   b. podman build of the Dockerfile, unchanged; the image is small, runs
#      as a non-root user and carries curl and nslookup
#   c. the ten nodes start and answer /health; one leader is elected
#   n. the fault suite's nemesis (tests/fault/nemesis.sh) kills, restarts
#      and pauses (podman kill -s KILL, podman start, podman pause) the
#      containers while its workload writes and reads; its checker then
#      finds nothing acknowledged lost, doubled or stale
#   d. a write through client1 is read from learner2; the guide's commands
#      (curl .../view-logs and nslookup inside a container, paxos-client.sh,
#      paxos_k8s_client.py) work
#   e. an acceptor container removed and recreated on its volume still
#      holds its promises; a second learner2 replica catches up
#   f. the spare acceptor4 of k8s/spare-acceptors/ waits to be admitted;
#      paxos-client.sh member-add makes it a voter; acceptor1 on a new,
#      empty volume (a lost claim) waits until member-add admits it again
# Containers, volumes and the network are removed at the end, also on
# failure; the images are kept, so the next run builds from cache.
#
# Needs root, podman (with runc, netavark, aardvark-dns, iptables),
# debootstrap, yq and jq (scripts/install-deps.sh installs them all).
# Exit status: 0 pass, 1 fail, 77 skip (podman cannot run here).
#
# Environment:
#   PAXOS_SRCDIR           the source tree (default: two levels above)
#   PAXOS_DEBIAN_MIRROR    the Debian archive for debootstrap (default: the
#                          host's, from its apt sources)
#   PAXOS_REBUILD_BASE=1   make the base images again
#   PAXOS_SKIP_CONTAINER_TEST=1   skip this test
#   PAXOS_TEST_KEEP=1      keep the temporary directory

# Automake runs this with sh: the prologue runs it again under bash.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -u -o pipefail
# shellcheck source=tests/fault/nemesis.sh
. "$(dirname "$0")/../fault/nemesis.sh"
# shellcheck source=tests/lib/history.sh
. "$(dirname "$0")/../lib/history.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=${PAXOS_SRCDIR:-$(cd "$HERE/../.." && pwd)}
K8S_DIR="$SRC_DIR/k8s"
IMAGE=localhost/paxos-node:latest
BASE_FULL=docker.io/library/debian:bookworm
BASE_SLIM=docker.io/library/debian:bookworm-slim
BASE_LABEL=org.paxosd.test-base
RUN_ID="paxos-test-$$"
NET=$RUN_ID
NODES=(proposer1 proposer2 proposer3 acceptor1 acceptor2 acceptor3
       learner1 learner2 client1 client2)
PROPOSERS=(proposer1 proposer2 proposer3)
REPLICA=learner2-replica2
SPARE=acceptor4         # from k8s/spare-acceptors/

TMP=""
STARTED=no
declare -A IP=()        # container name -> address on the network
declare -A PORT=()      # node name -> port (from its Deployment)
declare -A NODE_ID=()   # node name -> NODE_ID (from its Deployment)
# The network's subnet: each guide node has a fixed address in it,
# SUBNET.(10 + NODE_ID), kept when the nemesis restarts its container (as
# a Service's address stays), so that the workload reaches it again.
SUBNET=10.201.$(( $$ % 200 + 20 ))
declare -A RUNARGS=()   # node name -> podman run arguments (one per line)

# ------------------------------------------------------------ time

# Seconds since START_MS, to a tenth: secs_since START_MS.
secs_since() { printf '%d.%d' $(( ($(t_now_ms) - $1) / 1000 )) $(( ($(t_now_ms) - $1) % 1000 / 100 )); }

# ------------------------------------------------------------ podman

# podman with this test's settings: runc, cgroupfs (no systemd here),
# netavark, the host's open-file limit (podman's default is above it).
pm() {
    CONTAINERS_CONF="$TMP/containers.conf" podman "$@"
}

write_containers_conf() {
    cat >"$TMP/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
}

cleanup() {
    local status=$? ids
    trap - EXIT INT TERM
    if [[ "$STARTED" == yes ]]; then
        ids=$(pm ps -aq --filter "label=paxos-test=$RUN_ID" 2>/dev/null)
        if [[ -n "$ids" ]]; then
            # shellcheck disable=SC2086
            pm rm -f -t 0 $ids >/dev/null 2>&1 || true
        fi
        pm network rm -f "$NET" >/dev/null 2>&1 || true
        ids=$(pm volume ls -q --filter "label=paxos-test=$RUN_ID" 2>/dev/null)
        if [[ -n "$ids" ]]; then
            # shellcheck disable=SC2086
            pm volume rm -f $ids >/dev/null 2>&1 || true
        fi
        if pm ps -aq --filter "label=paxos-test=$RUN_ID" 2>/dev/null | grep -q .; then
            t_say "# warning: containers of $RUN_ID are left"
        fi
    fi
    t_exit "$status" "$TMP"
}

# The last lines of every container's log, for a failed run.
t_dump_logs() {
    local name
    [[ "$STARTED" == yes ]] || return 0
    for name in "${NODES[@]}" "$REPLICA" "$SPARE"; do
        pm container exists "$name" 2>/dev/null || continue
        t_say "# ---- last lines of $name"
        pm logs --tail 15 "$name" 2>&1 | sed 's/^/# /'
    done
}

# ------------------------------------------------------------ preflight

preflight() {
    local tool out
    [[ "${PAXOS_SKIP_CONTAINER_TEST:-0}" == 1 ]] &&
        t_skip "PAXOS_SKIP_CONTAINER_TEST=1 (scripts/test.sh runs it in its first stage only)"
    [[ "$(id -u)" -eq 0 ]] ||
        t_skip "needs root (rootful podman: the test makes a network and base images)"
    for tool in podman yq jq curl; do
        command -v "$tool" >/dev/null 2>&1 ||
            t_skip "$tool is not installed (scripts/install-deps.sh installs it)"
    done
    [[ -f "$SRC_DIR/Dockerfile" && -d "$K8S_DIR" ]] ||
        t_skip "no Dockerfile or k8s/ in $SRC_DIR"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/paxos-podman.XXXXXX") || t_skip "mktemp failed"
    trap cleanup EXIT
    trap 't_say "interrupted"; exit 1' INT TERM
    write_containers_conf
    if ! out=$(pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}} {{.Store.GraphDriverName}}' 2>&1); then
        t_skip "podman cannot run here: $out"
    fi
    t_say "# podman $(podman version --format '{{.Client.Version}}' 2>/dev/null): $out"
}

# ------------------------------------------------------------ base images

# The host's Debian archive: "URI SUITE" for each bookworm suite its apt
# sources list (deb822 .sources and one-line .list files).
host_debian_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] || continue
        awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                           if ($(i+1) ~ /^bookworm(-updates|-security)?$/) print $i, $(i+1) }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             { types = ""; uris = ""; suites = ""; enabled = "yes"
               for (i = 1; i <= NF; i++) {
                   if ($i ~ /^[ \t]*#/) continue
                   split($i, kv, ":"); key = tolower(kv[1]); val = substr($i, length(kv[1]) + 2)
                   gsub(/^[ \t]+|[ \t]+$/, "", val)
                   if (key == "types") types = val
                   else if (key == "uris") uris = val
                   else if (key == "suites") suites = val
                   else if (key == "enabled") enabled = tolower(val) }
               if (enabled == "no" || types !~ /(^| )deb( |$)/) next
               n = split(uris, u, " "); m = split(suites, s, " ")
               for (a = 1; a <= n; a++) for (b = 1; b <= m; b++)
                   if (s[b] ~ /^bookworm(-updates|-security)?$/) print u[a], s[b] }' "$f"
    done
}

# The mirror debootstrap uses: $PAXOS_DEBIAN_MIRROR, the host's, or Debian's.
debian_mirror() {
    if [[ -n "${PAXOS_DEBIAN_MIRROR:-}" ]]; then
        printf '%s\n' "$PAXOS_DEBIAN_MIRROR"
        return
    fi
    host_debian_sources | awk '$2 == "bookworm" { print $1; found = 1; exit }
                               END { if (!found) print "http://deb.debian.org/debian" }'
}

# The image's apt sources: the host's bookworm suites, in the official
# image's deb822 form; the suites it lacks are left out.
write_image_sources() {
    local root=$1 mirror=$2 uri suite
    local -A seen=()
    {
        printf 'Types: deb\nURIs: %s\nSuites: bookworm' "$mirror"
        while read -r uri suite; do
            [[ "$suite" == bookworm-updates && "$uri" == "$mirror" && -z "${seen[$suite]:-}" ]] || continue
            seen[$suite]=1
            printf ' bookworm-updates'
        done < <(host_debian_sources)
        printf '\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        while read -r uri suite; do
            [[ "$suite" == bookworm-security && -z "${seen[$suite]:-}" ]] || continue
            seen[$suite]=1
            printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$uri"
            printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        done < <(host_debian_sources)
    } >"$root/etc/apt/sources.list.d/debian.sources"
    rm -f "$root/etc/apt/sources.list"
    # What the host's apt needs to reach the archive: its proxies and its
    # leniency about the Release files' dates (a snapshot mirror).
    apt-config dump 2>/dev/null |
        grep -E '^Acquire::((https?|ftp)::Proxy|Check-Valid-Until|Check-Date) ' \
            >"$root/etc/apt/apt.conf.d/90host-archive" || true
    [[ -s "$root/etc/apt/apt.conf.d/90host-archive" ]] ||
        rm -f "$root/etc/apt/apt.conf.d/90host-archive"
}

# The proxy the host's apt uses for http, for debootstrap's wget.
host_http_proxy() {
    apt-config dump 2>/dev/null |
        sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | grep -v '^DIRECT$' | head -n 1
}

base_images_present() {
    pm image exists "$BASE_FULL" && pm image exists "$BASE_SLIM"
}

# Makes debian:bookworm (debootstrap --variant=minbase) and
# debian:bookworm-slim (the same, without documentation, as the official
# slim image).
make_base_images() {
    local root="$TMP/rootfs" mirror proxy log="$TMP/debootstrap.log" f
    command -v debootstrap >/dev/null 2>&1 ||
        t_skip "no base image and debootstrap is not installed (scripts/install-deps.sh)"
    mirror=$(debian_mirror)
    proxy=$(host_http_proxy)
    t_say "# debootstrap --variant=minbase bookworm from $mirror${proxy:+ (proxy $proxy)}"
    if ! env ${proxy:+http_proxy="$proxy"} debootstrap --variant=minbase bookworm \
            "$root" "$mirror" >"$log" 2>&1; then
        tail -n 5 "$log" | sed 's/^/# /'
        t_skip "debootstrap could not fetch Debian bookworm from $mirror (set PAXOS_DEBIAN_MIRROR)"
    fi
    write_image_sources "$root" "$mirror"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
        "$root"/var/log/bootstrap.log "$root"/debootstrap
    pm rmi -f "$BASE_FULL" "$BASE_SLIM" >/dev/null 2>&1 || true
    tar -C "$root" --numeric-owner -c . |
        pm import --change "LABEL $BASE_LABEL=1" --change 'CMD ["bash"]' - "$BASE_FULL" \
            >/dev/null 2>"$TMP/import.log" ||
        t_abort "podman import of the debootstrap tree as $BASE_FULL" "$(cat "$TMP/import.log")"
    # slim: what the official image leaves out.
    mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null
    for f in man groff info lintian linda; do
        rm -rf "${root:?}/usr/share/$f"
    done
    find "$root/usr/share/locale" -mindepth 1 -not -name locale.alias -delete 2>/dev/null
    tar -C "$root" --numeric-owner -c . |
        pm import --change "LABEL $BASE_LABEL=1" --change 'CMD ["bash"]' - "$BASE_SLIM" \
            >/dev/null 2>"$TMP/import.log" ||
        t_abort "podman import of the slim tree as $BASE_SLIM" "$(cat "$TMP/import.log")"
    rm -rf "$root"
}

phase_base_images() {
    local start out
    start=$(t_now_ms)
    if [[ "${PAXOS_REBUILD_BASE:-0}" == 1 ]] || ! base_images_present; then
        make_base_images
        t_pass "base images $BASE_FULL and $BASE_SLIM made with debootstrap ($(secs_since "$start") s)"
    else
        t_pass "base images $BASE_FULL and $BASE_SLIM are there (kept from an earlier run)"
    fi
    # The build's apt must reach the archive as the host's does; otherwise
    # this machine cannot build the image, which is no fault of the Dockerfile.
    if ! out=$(pm run --rm "$BASE_SLIM" \
            sh -c 'apt-get update -q 2>&1 && apt-get install -s curl >/dev/null 2>&1' 2>&1); then
        t_skip "apt inside a container cannot reach the Debian archive: $(printf '%s' "$out" | tail -n 3)"
    fi
    t_pass "apt inside a container reaches the Debian archive"
}

# ------------------------------------------------------------ the image

phase_build() {
    local start log="$TMP/build.log" size user entry out
    start=$(t_now_ms)
    # The Dockerfile unchanged; the host's name for the archive, in case it
    # is only in the host's /etc/hosts.
    local mirror host addr add_host=()
    mirror=$(debian_mirror)
    host=${mirror#*://}
    host=${host%%/*}
    host=${host%%:*}
    addr=$(getent hosts "$host" 2>/dev/null | awk '{ print $1; exit }')
    [[ -n "$addr" && "$host" != "$addr" ]] && add_host=(--add-host "$host:$addr")
    if ! pm build "${add_host[@]}" \
            --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
            --layers -t "$IMAGE" -f "$SRC_DIR/Dockerfile" "$SRC_DIR" >"$log" 2>&1; then
        t_abort "podman build -t paxos-node:latest . (the Dockerfile, unchanged)" \
            "$(tail -n 20 "$log")"
    fi
    t_pass "podman build -t paxos-node:latest . ($(secs_since "$start") s; $(grep -c -- '--> Using cache' "$log") step(s) from cache)"
    size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
    # bookworm-slim is about 75 MB; dnsutils brings libicu72 (36 MB).
    if [[ "$size" =~ ^[0-9]+$ ]] && (( size < 200 * 1000 * 1000 )); then
        t_pass "the image is small: $((size / 1000000)) MB (under 200 MB)"
    else
        t_fail "the image is small (under 200 MB)" "size: $size bytes"
    fi
    user=$(pm image inspect --format '{{.Config.User}}' "$IMAGE")
    if [[ -n "$user" && "${user%%:*}" != 0 && "${user%%:*}" != root ]]; then
        t_pass "the image runs as a non-root user ($user)"
    else
        t_fail "the image runs as a non-root user" "User: '$user'"
    fi
    entry=$(pm image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")
    out=$(pm run --rm "$IMAGE" --version 2>&1)
    if [[ $? -eq 0 && "$out" == *paxosd* ]]; then
        t_pass "the entrypoint is paxosd ($entry: $out)"
    else
        t_fail "the entrypoint is paxosd" "$entry: $out"
    fi
    if out=$(pm run --rm --entrypoint sh "$IMAGE" -c \
            'command -v curl && command -v nslookup && ! command -v gcc && ! command -v make' 2>&1); then
        t_pass "the image has curl and nslookup and no compiler ($(printf '%s' "$out" | tr '\n' ' '))"
    else
        t_fail "the image has curl and nslookup and no compiler" "$out"
    fi
}

# ------------------------------------------------------------ manifests

# Every object of the kustomizations' resources (k8s/ and the spare
# acceptors'), as JSON, one per line.
manifest_objects() {
    local files=() f dir
    for dir in "$K8S_DIR" "$K8S_DIR/spare-acceptors"; do
        while read -r f; do
            files+=("$dir/$f")
        done < <(yq -r '.resources[]' "$dir/kustomization.yaml")
    done
    yq -c 'select(. != null)' "${files[@]}"
}

# For each guide node, what its Deployment says, as podman run arguments:
# prints "NAME<TAB>PORT<TAB>ID<TAB>arg1<US>arg2..." lines.
read_manifests() {
    local objects="$TMP/objects.json" name port id args line
    manifest_objects >"$objects" || t_abort "k8s/ manifests read with yq"
    # The Secret deploy-paxos-k8s.sh makes, never kept in k8s/.
    jq -nc --arg s "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" \
        '{kind: "Secret", metadata: {name: "paxos-secret"}, stringData: {CLUSTER_SECRET: $s}}' \
        >>"$objects"
    jq -r -s --arg net "$NET" --arg run "$RUN_ID" '
        (map(select(.kind == "ConfigMap")) | map({key: .metadata.name, value: (.data // {})}) | from_entries) as $cm
        | (map(select(.kind == "Secret"))
           | map({key: .metadata.name,
                  value: ((.data // {} | map_values(@base64d)) + (.stringData // {}))}) | from_entries) as $secret
        | .[] | select(.kind == "Deployment")
        | .metadata.name as $name
        | .spec.template.spec as $pod
        | $pod.containers[0] as $c
        | ([($c.envFrom // [])[]
            | if .configMapRef then $cm[.configMapRef.name] // error("no ConfigMap \(.configMapRef.name)")
              else $secret[.secretRef.name] // error("no Secret \(.secretRef.name)") end
            | to_entries[] | "\(.key)=\(.value)"]
           + [($c.env // [])[]
              | if has("value") then "\(.name)=\(.value)"
                elif .valueFrom.configMapKeyRef then
                  "\(.name)=\($cm[.valueFrom.configMapKeyRef.name][.valueFrom.configMapKeyRef.key])"
                elif .valueFrom.secretKeyRef then
                  "\(.name)=\($secret[.valueFrom.secretKeyRef.name][.valueFrom.secretKeyRef.key])"
                else error("env \(.name) of \($name): only value, configMapKeyRef and secretKeyRef are emulated") end]) as $env
        | ($pod.securityContext // {}) as $psc
        | ($c.securityContext // {}) as $csc
        | ([ "--env=\($env[])" ]
           + (if ($csc.runAsUser // $psc.runAsUser) then
                ["--user=\($csc.runAsUser // $psc.runAsUser):\($csc.runAsGroup // $psc.runAsGroup // $csc.runAsUser // $psc.runAsUser)"]
              else [] end)
           + (if $csc.readOnlyRootFilesystem then ["--read-only"] else [] end)
           + (if ($csc.capabilities.drop // []) | index("ALL") then ["--cap-drop=all"] else [] end)
           + (if $csc.allowPrivilegeEscalation == false then ["--security-opt=no-new-privileges"] else [] end)
           + ["--stop-timeout=\($pod.terminationGracePeriodSeconds // 30)"]
           + [ ($c.volumeMounts // [])[] as $m
               | ($pod.volumes[] | select(.name == $m.name)) as $v
               | if $v.persistentVolumeClaim then
                   "--volume=\($run)-\($v.persistentVolumeClaim.claimName):\($m.mountPath)"
                 elif $v.emptyDir then "--mount=type=tmpfs,destination=\($m.mountPath),chown=true"
                 else error("volume \($v.name) of \($name): only claims and emptyDir are emulated") end ]
           + [ $c.image ] + ($c.args // [])) as $args
        | [$name, ($c.ports[0].containerPort | tostring),
           ($env | map(select(startswith("NODE_ID="))) | .[0] // "NODE_ID=" | ltrimstr("NODE_ID=")),
           ($args | join("\u001f"))] | join("\t")
    ' "$objects" >"$TMP/nodes.tsv" 2>"$TMP/jq.err" ||
        t_abort "the Deployments' environment read from k8s/" "$(cat "$TMP/jq.err")"
    while IFS=$'\t' read -r name port id args; do
        PORT[$name]=$port
        NODE_ID[$name]=$id
        RUNARGS[$name]=${args//$'\x1f'/$'\n'}
    done <"$TMP/nodes.tsv"
    for name in "${NODES[@]}"; do
        [[ -n "${RUNARGS[$name]:-}" ]] ||
            t_abort "k8s/ has a Deployment for every guide node" "no Deployment $name"
    done
    line=$(printf '%s\n' "${RUNARGS[client1]}" | grep -c '^--env=')
    t_pass "the ten Deployments read from k8s/ (client1 gets $line variables from paxos-config and its Deployment)"
}

# run_node NAME [CONTAINER [ALIAS]] [extra podman args...]: starts a node's
# container as its Deployment says.
run_node() {
    local name=$1 container=${2:-$1} args=() out
    shift $(( $# >= 2 ? 2 : 1 ))
    mapfile -t args <<<"${RUNARGS[$name]}"
    # The image reference is the Deployment's; here it is the built image.
    local i
    for i in "${!args[@]}"; do
        [[ "${args[$i]}" == paxos-node:latest ]] && args[i]=$IMAGE
    done
    if ! out=$(pm run -d --name "$container" --hostname "$container" \
            --network "$NET" --label "paxos-test=$RUN_ID" "$@" "${args[@]}" 2>&1); then
        printf '%s\n' "$out"
        return 1
    fi
}

container_ip() {
    pm inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1" 2>/dev/null
}

# node_get CONTAINER PORT PATH: GET from the host, at the container's
# address on the podman network.
node_get() {
    curl -fsS -m "${4:-5}" "http://${IP[$1]}:$2$3" 2>/dev/null
}

node_healthy() {
    node_get "$1" "$2" /health 2 | grep -q '"status":"ok"'
}

all_healthy() {
    local name
    for name in "${NODES[@]}"; do
        node_healthy "$name" "${PORT[$name]}" || return 1
    done
}

leaders() {
    local name
    for name in "${PROPOSERS[@]}"; do
        if node_get "$name" "${PORT[$name]}" /status 2 | jq -e '.is_leader == true' >/dev/null 2>&1; then
            printf '%s\n' "$name"
        fi
    done
}

one_leader() {
    [[ $(leaders | wc -l) -eq 1 ]]
}

phase_cluster() {
    local name out start failed=()
    start=$(t_now_ms)
    for name in acceptor1 acceptor2 acceptor3; do
        pm volume create --label "paxos-test=$RUN_ID" "$RUN_ID-$name-data" >/dev/null 2>&1 ||
            t_abort "volume for $name's claim created"
    done
    for name in "${NODES[@]}"; do
        IP[$name]=$SUBNET.$(( 10 + NODE_ID[$name] ))
        if ! out=$(run_node "$name" "$name" --ip "${IP[$name]}"); then
            failed+=("$name: $out")
        fi
    done
    if [[ ${#failed[@]} -gt 0 ]]; then
        t_abort "the ten nodes started as containers" "$(printf '%s\n' "${failed[@]}")"
    fi
    t_pass "ten containers started under the guide's names on network $NET"
    if wait_until 60 all_healthy; then
        t_pass "all ten answer their probes' /health ($(secs_since "$start") s after the start)"
    else
        for name in "${NODES[@]}"; do
            node_healthy "$name" "${PORT[$name]}" || out+=" $name"
        done
        t_abort "all ten answer their probes' /health" "not healthy:$out"
    fi
    if wait_until 30 one_leader; then
        t_pass "one leader elected: $(leaders) ($(secs_since "$start") s after the start)"
    else
        t_abort "one leader elected" "leaders: $(leaders | tr '\n' ' ')"
    fi
}

# ------------------------------------------------------------ the guide

VALUE=""
SLOT=""

phase_write_read() {
    local reply values
    VALUE="hello-from-client1-$$"
    reply=$(pm exec client1 curl -s -m 20 -X POST -H 'Content-Type: application/json' \
        --data-binary "{\"value\":\"$VALUE\"}" http://localhost:6001/send 2>&1)
    SLOT=$(jq -r 'select(.status == "chosen") | .slot' <<<"$reply" 2>/dev/null)
    if [[ "$SLOT" =~ ^[0-9]+$ ]]; then
        t_pass "a write through client1 is chosen (slot $SLOT)"
    else
        t_abort "a write through client1 is chosen" "$reply"
    fi
    values=$(node_get learner2 "${PORT[learner2]}" "/get-values?wait_for=$SLOT" 15)
    if jq -e --arg v "$VALUE" --argjson s "$SLOT" \
            '[.values[] | select(.value == $v and .slot == $s)] | length == 1' <<<"$values" >/dev/null 2>&1; then
        t_pass "learner2 has the value at slot $SLOT"
    else
        t_fail "learner2 has the value at slot $SLOT" "$values"
    fi
}

phase_guide_commands() {
    local out addr
    # 5.3 / 6.3: curl inside the pods.
    out=$(pm exec proposer1 curl -s http://localhost:3001/view-logs 2>&1)
    if jq -e '.name == "proposer1" and (.logs | length > 0)' <<<"$out" >/dev/null 2>&1; then
        t_pass "curl -s http://localhost:3001/view-logs inside proposer1: status and $(jq '.logs | length' <<<"$out") log lines"
    else
        t_fail "curl -s http://localhost:3001/view-logs inside proposer1" "$(head -c 400 <<<"$out")"
    fi
    out=$(pm exec client1 curl -s http://localhost:6001/view-logs 2>&1)
    if jq -e '.name == "client1" and .writes_ok >= 1' <<<"$out" >/dev/null 2>&1; then
        t_pass "curl -s http://localhost:6001/view-logs inside client1 (writes_ok $(jq .writes_ok <<<"$out"))"
    else
        t_fail "curl -s http://localhost:6001/view-logs inside client1" "$(head -c 400 <<<"$out")"
    fi
    # 6.2: name resolution and connectivity between pods.
    out=$(pm exec client1 nslookup proposer1 2>&1)
    addr=$(awk '/^Name:/ { name = 1; next } name && /^Address/ { print $2; exit }' <<<"$out")
    if [[ -n "$addr" && "$addr" == "${IP[proposer1]}" ]]; then
        t_pass "nslookup proposer1 inside client1: $addr"
    else
        t_fail "nslookup proposer1 inside client1 (proposer1 is ${IP[proposer1]})" "$out"
    fi
    # (curl -v: the body on stdout, the exchange on stderr.)
    out=$(pm exec client1 curl -v http://proposer1:3001/health 2>"$TMP/curl-v.err")
    if grep -q '^< HTTP/1.1 200' "$TMP/curl-v.err" && grep -q '"status":"ok"' <<<"$out"; then
        t_pass "curl -v http://proposer1:3001/health inside client1: 200"
    else
        t_fail "curl -v http://proposer1:3001/health inside client1" "$out"$'\n'"$(cat "$TMP/curl-v.err")"
    fi
    # The Prometheus annotation's path, on the annotated port.
    out=$(pm exec learner1 curl -s http://localhost:5001/metrics 2>&1)
    if grep -q '^paxos_node_info{.*name="learner1"' <<<"$out"; then
        t_pass "/metrics inside learner1 answers the Prometheus text format"
    else
        t_fail "/metrics inside learner1 answers the Prometheus text format" "$(head -n 5 <<<"$out")"
    fi
}

# A kubectl stand-in for the guide's client scripts: pods are the
# containers, `kubectl exec` is `podman exec`.
write_kubectl_shim() {
    mkdir -p "$TMP/bin"
    cat >"$TMP/bin/kubectl" <<EOF
#!/usr/bin/env bash
# kubectl stand-in (tests/container/podman.sh): the pods are podman containers.
export CONTAINERS_CONF="$TMP/containers.conf"
label="paxos-test=$RUN_ID"
EOF
    cat >>"$TMP/bin/kubectl" <<'EOF'
args=("$@")
sub="" app="" interactive=() cmd=() i=0
while (( i < ${#args[@]} )); do
    a=${args[$i]}
    case "$a" in
        --) cmd=("${args[@]:$((i + 1))}"); break ;;
        -n|--namespace|-o|--output|--field-selector|-c|--container|--context) i=$((i + 2)); continue ;;
        -l|--selector) app=${args[$((i + 1))]#app=}; i=$((i + 2)); continue ;;
        -l*) app=${a#-l}; app=${app#app=} ;;
        --selector=*) app=${a#--selector=}; app=${app#app=} ;;
        -i|-it|-ti|--stdin) interactive=(-i) ;;
        -t|--tty) ;;
        -*) ;;
        *) sub+="${sub:+ }$a" ;;
    esac
    i=$((i + 1))
done
case "$sub" in
    "version"*|"cluster-info"*) echo "kubectl stand-in over podman"; exit 0 ;;
    "get namespace paxos"|"get ns paxos") echo "namespace/paxos"; exit 0 ;;
    "get pods"|"get pod")
        if [[ -n "$app" ]]; then
            podman ps --filter "label=$label" --filter "name=^${app}\$" --format '{{.Names}}'
        else
            printf 'NAME READY STATUS\n'
            podman ps --filter "label=$label" --format '{{.Names}} 1/1 Running'
        fi
        exit 0 ;;
    "exec "*)
        exec podman exec "${interactive[@]}" "${sub#exec }" "${cmd[@]}" ;;
esac
echo "kubectl stand-in: not emulated: kubectl $*" >&2
exit 1
EOF
    chmod +x "$TMP/bin/kubectl"
}

# client_cmd DESCRIPTION PATTERN [ENV=V...] -- ARGS...: runs paxos-client.sh
# with the stand-in and checks its output matches PATTERN (a grep -E).
client_cmd() {
    local desc=$1 pattern=$2 envs=() out
    shift 2
    while [[ $# -gt 0 && "$1" != -- ]]; do envs+=("$1"); shift; done
    shift
    if out=$(env PATH="$TMP/bin:$PATH" "${envs[@]}" bash "$SRC_DIR/scripts/paxos-client.sh" "$@" 2>&1) &&
            grep -Eq -- "$pattern" <<<"$out"; then
        t_pass "$desc: $(head -n 1 <<<"$out" | cut -c1-110)"
        show_more "$out"
    else
        t_fail "$desc" "$out"
    fi
}

# What a person sees of a longer answer (status, read...), as comments.
show_more() {
    [[ $(wc -l <<<"$1") -gt 1 ]] || return 0
    tail -n +2 <<<"$1" | head -n 22 | cut -c1-150 | sed 's/^/#       /'
}

py_cmd() {
    local desc=$1 pattern=$2 out
    shift 2
    if out=$(env PATH="$TMP/bin:$PATH" python3 "$SRC_DIR/scripts/paxos_k8s_client.py" "$@" 2>&1) &&
            grep -Eq -- "$pattern" <<<"$out"; then
        t_pass "$desc: $(head -n 1 <<<"$out" | cut -c1-110)"
    else
        t_fail "$desc" "$out"
    fi
}

phase_client_scripts() {
    local tag=$$
    if [[ ! -f "$SRC_DIR/scripts/paxos-client.sh" ]]; then
        t_fail "scripts/paxos-client.sh exists"
        return
    fi
    write_kubectl_shim
    client_cmd "./paxos-client.sh write" "chosen.*slot" -- write "valor $tag"
    client_cmd "CLIENT=client2 ./paxos-client.sh write" "chosen.*slot" CLIENT=client2 -- \
        write "valor do client2 $tag"
    client_cmd "./paxos-client.sh direct-write" "chosen.*slot" -- direct-write "valor direto $tag"
    client_cmd "PROPOSER=proposer2 ./paxos-client.sh direct-write" "chosen.*slot" \
        PROPOSER=proposer2 -- direct-write "direto para proposer2 $tag"
    client_cmd "./paxos-client.sh read" "direto para proposer2 $tag" -- read
    client_cmd "./paxos-client.sh responses" "valor $tag" -- responses
    client_cmd "./paxos-client.sh status" "leader.*proposer" -- status
    client_cmd "./paxos-client.sh --json read" '"values"' -- --json read
    if command -v python3 >/dev/null 2>&1; then
        py_cmd "./paxos_k8s_client.py write" "chosen.*slot" write "python $tag"
        py_cmd "./paxos_k8s_client.py read" "python $tag" read
        py_cmd "./paxos_k8s_client.py status" "leader.*proposer" status
        py_cmd "./paxos_k8s_client.py members" \
            "^voters: acceptor1, acceptor2, acceptor3 \(a quorum is 2 of 3\)$" members
    else
        t_say "# python3 not found: paxos_k8s_client.py not run"
    fi
}

# ------------------------------------------------------------ restarts

phase_acceptor_restart() {
    local acc=acceptor1 before after p1 m1 p2 m2 start stop_ms ip out reply
    before=$(node_get "$acc" "${PORT[$acc]}" /status)
    p1=$(jq -r '"\(.promised.round).\(.promised.node)"' <<<"$before" 2>/dev/null)
    m1=$(jq -r '.max_slot' <<<"$before" 2>/dev/null)
    if [[ ! "$p1" =~ ^[1-9][0-9]*\.[0-9]+$ || ! "$m1" =~ ^[1-9][0-9]*$ ]]; then
        t_fail "$acc holds a promise and accepted slots" "$before"
        return
    fi
    ip=${IP[$acc]}
    start=$(t_now_ms)
    pm stop "$acc" >/dev/null 2>&1
    stop_ms=$(( $(t_now_ms) - start ))
    if (( stop_ms < 5000 )); then
        t_pass "$acc stops on SIGTERM in $stop_ms ms (paxosd as PID 1)"
    else
        t_fail "$acc stops on SIGTERM within 5 s" "took $stop_ms ms"
    fi
    pm rm "$acc" >/dev/null 2>&1
    # A new container on the same volume; the same address, as a
    # Service's ClusterIP stays the same across pods.
    if ! out=$(run_node "$acc" "$acc" --ip "$ip"); then
        t_fail "$acc recreated on its volume" "$out"
        return
    fi
    IP[$acc]=$(container_ip "$acc")
    if ! wait_until 30 node_healthy "$acc" "${PORT[$acc]}"; then
        t_fail "$acc recreated on its volume answers /health" "$(pm logs --tail 10 "$acc" 2>&1)"
        return
    fi
    after=$(node_get "$acc" "${PORT[$acc]}" /status)
    p2=$(jq -r '"\(.promised.round).\(.promised.node)"' <<<"$after" 2>/dev/null)
    m2=$(jq -r '.max_slot' <<<"$after" 2>/dev/null)
    t_expect "$acc recreated on its volume still holds its promise ($p1)" "$p2" "$p1"
    t_expect "$acc recreated on its volume still has max_slot $m1" "$m2" "$m1"
    reply=$(pm exec client2 curl -s -m 20 -X POST -H 'Content-Type: application/json' \
        --data-binary '{"value":"after-acceptor-restart"}' http://localhost:6002/send 2>&1)
    if jq -e '.status == "chosen"' <<<"$reply" >/dev/null 2>&1; then
        t_pass "a write after the restart is chosen (slot $(jq .slot <<<"$reply"))"
    else
        t_fail "a write after the restart is chosen" "$reply"
    fi
}

# kubectl scale deployment learner2 --replicas=2: a second container with
# learner2's environment, under the same name on the network.
phase_learner_replica() {
    local out values
    if ! out=$(run_node learner2 "$REPLICA" --network-alias learner2); then
        t_fail "a second learner2 replica starts" "$out"
        return
    fi
    IP[$REPLICA]=$(container_ip "$REPLICA")
    values=$(node_get "$REPLICA" "${PORT[learner2]}" "/get-values?wait_for=$SLOT" 20)
    if jq -e --arg v "$VALUE" '[.values[] | select(.value == $v)] | length == 1' \
            <<<"$values" >/dev/null 2>&1; then
        t_pass "a second learner2 replica catches up from the acceptors (applied $(jq .applied <<<"$values"))"
    else
        t_fail "a second learner2 replica catches up from the acceptors" "$(head -c 400 <<<"$values")"
    fi
}

# ------------------------------------------------------------ the acceptor set

# members_say PATTERN: ./paxos-client.sh members prints a line matching it.
members_say() {
    env PATH="$TMP/bin:$PATH" bash "$SRC_DIR/scripts/paxos-client.sh" members 2>&1 |
        grep -Eq -- "$1"
}

# t_members DESCRIPTION PATTERN: waits (15 s) until members says PATTERN.
t_members() {
    if wait_until 15 members_say "$2"; then
        t_pass "$1"
    else
        t_fail "$1" "$(env PATH="$TMP/bin:$PATH" bash "$SRC_DIR/scripts/paxos-client.sh" members 2>&1)"
    fi
}

# logs_say CONTAINER PATTERN: the container's log has a line matching it.
logs_say() {
    pm logs "$1" 2>&1 | grep -Eq -- "$2"
}

# write_chosen DESCRIPTION VALUE: a write of VALUE through client2 is
# chosen.
write_chosen() {
    local reply
    reply=$(pm exec client2 curl -s -m 20 -X POST -H 'Content-Type: application/json' \
        --data-binary "{\"value\":\"$2\"}" http://localhost:6002/send 2>&1)
    if jq -e '.status == "chosen" and (.slot | type) == "number"' <<<"$reply" >/dev/null 2>&1; then
        t_pass "$1 (slot $(jq .slot <<<"$reply"))"
    else
        t_fail "$1" "$reply"
    fi
}

# kubectl apply -k k8s/spare-acceptors/ for acceptor4: its Deployment on a
# claim of its own; it waits to be admitted until member-add.
phase_spare_acceptor() {
    local out
    if ! pm volume create --label "paxos-test=$RUN_ID" "$RUN_ID-$SPARE-data" >/dev/null 2>&1 ||
       ! out=$(run_node "$SPARE"); then
        t_fail "$SPARE starts from k8s/spare-acceptors/ on a claim of its own" "${out:-}"
        return
    fi
    IP[$SPARE]=$(container_ip "$SPARE")
    if ! wait_until 30 node_healthy "$SPARE" "${PORT[$SPARE]}"; then
        t_fail "$SPARE answers its probes' /health" "$(pm logs --tail 10 "$SPARE" 2>&1)"
        return
    fi
    t_pass "$SPARE starts from k8s/spare-acceptors/ and answers /health"
    t_members "./paxos-client.sh members: $SPARE waits to be admitted" \
        "^$SPARE +11 +[0-9a-f]{16} +$SPARE:4004 +waiting to be admitted$"
    client_cmd "./paxos-client.sh member-add $SPARE" \
        "^added $SPARE: configuration epoch [0-9]+ .*voters acceptor1, acceptor2, acceptor3, $SPARE$" \
        -- member-add "$SPARE"
    t_members "./paxos-client.sh members: $SPARE votes" "^$SPARE +11 .* voter$"
    write_chosen "a write with four voters is chosen" "four-voters-$$"
}

# An acceptor's claim is lost: its pod comes back on an empty volume, with
# a new member identity, and waits until member-add admits it again.
phase_lost_claim() {
    local acc=acceptor1 ip out
    ip=${IP[$acc]}
    pm rm -f -t 0 "$acc" >/dev/null 2>&1
    pm volume rm -f "$RUN_ID-$acc-data" >/dev/null 2>&1
    if ! pm volume create --label "paxos-test=$RUN_ID" "$RUN_ID-$acc-data" >/dev/null 2>&1 ||
       ! out=$(run_node "$acc" "$acc" --ip "$ip"); then
        t_fail "$acc comes back on an empty claim" "${out:-}"
        return
    fi
    if ! wait_until 30 node_healthy "$acc" "${PORT[$acc]}"; then
        t_fail "$acc on an empty claim answers /health" "$(pm logs --tail 10 "$acc" 2>&1)"
        return
    fi
    if wait_until 10 logs_say "$acc" 'not voting: .*data directory is new'; then
        t_pass "$acc on an empty claim logs that it does not vote: its data directory is new"
    else
        t_fail "$acc on an empty claim logs that it does not vote" "$(pm logs --tail 10 "$acc" 2>&1)"
    fi
    t_members "./paxos-client.sh members: $acc waits, a voter under another member identity" \
        "^$acc +4 .* waiting: a voter under another member identity"
    write_chosen "writes go on with $acc out (three of four voters)" "lost-claim-$$"
    client_cmd "./paxos-client.sh member-add $acc re-admits it" "^added $acc: " -- member-add "$acc"
    t_members "./paxos-client.sh members: $acc votes again" "^$acc +4 .* voter$"
}

# ------------------------------------------------------------ nemesis

# The nemesis's operations on a node (nemesis.sh), as podman does them.
F_NODES=()
f_kill() { pm kill -s KILL "$1" >/dev/null 2>&1 || true; }
f_pause() { pm pause "$1" >/dev/null 2>&1 || true; }
f_resume() { pm unpause "$1" >/dev/null 2>&1 || true; }
f_start() { pm start "$1" >/dev/null 2>&1 || true; }
f_alive() {
    [[ "$(pm inspect --format '{{.State.Status}}' "$1" 2>/dev/null)" =~ ^(running|paused)$ ]]
}
f_clear_network() { :; }

node_url() {
    printf 'http://%s:%s\n' "${IP[$1]}" "${PORT[$1]}"
}

# Both learners at the same applied index, at least $1.
learners_at() {
    local a1 a2
    a1=$(node_get learner1 "${PORT[learner1]}" /status | jq -r .applied) || return 1
    a2=$(node_get learner2 "${PORT[learner2]}" /status | jq -r .applied) || return 1
    [[ "$a1" =~ ^[0-9]+$ && "$a1" == "$a2" && $a1 -ge $1 ]]
}

phase_nemesis() {
    local bin history=$TMP/history.jsonl seed=$(( $(date +%s) % 100000 )) time_s=40
    local args=() workload name summary max_slot
    bin=$(dirname "${PAXOSD:-$SRC_DIR/build/paxosd}")/tests/fault
    if [[ ! -x "$bin/workload" || ! -x "$bin/checker" ]]; then
        t_fail "the fault suite's workload and checker are built" "not in $bin (make check builds them)"
        return
    fi
    for name in client1 client2; do
        args+=(--client "$name=$(node_url "$name")")
    done
    for name in "${PROPOSERS[@]}"; do
        args+=(--proposer "$name=$(node_url "$name")")
    done
    F_NODES=("${NODES[@]}")
    N_FAULTS=(kill pause)
    N_LOG=$TMP/nemesis.log
    t_say "# nemesis: ${time_s} s, seed $seed, kill and pause"
    "$bin/workload" --history "$history" "${args[@]}" --concurrency 8 --time "$time_s" \
        --seed "$seed" --timeout-ms 15000 --settle 60 >"$TMP/workload.out" 2>"$TMP/workload.err" &
    workload=$!
    N_START_MS=$(t_now_ms)
    RANDOM=$seed
    n_run "$time_s"
    n_heal all
    wait "$workload" || true
    for name in "${NODES[@]}"; do
        [[ "$(container_ip "$name")" == "${IP[$name]}" ]] ||
            t_fail "$name keeps its address through the faults" "now $(container_ip "$name")"
    done
    t_pass "the nemesis injected $(( ${N_COUNT[kill]:-0} + ${N_COUNT[pause]:-0} )) faults (kill ${N_COUNT[kill]:-0}, pause ${N_COUNT[pause]:-0}) and healed them"
    t_expect "no container exited on its own" "${N_CRASHED[*]:-none}" none
    summary=$(cat "$TMP/workload.out")
    if ! jq -e . >/dev/null 2>&1 <<<"$summary"; then
        t_fail "the workload ran" "$(tail -n 5 "$TMP/workload.err")"
        return
    fi
    t_expect "after healing, a write through each client container is acknowledged" \
        "$(jq -r .settled <<<"$summary")" true
    max_slot=$(jq -r .max_slot <<<"$summary")
    if wait_until 60 learners_at "$max_slot"; then
        t_pass "learner1 and learner2 settle on the same applied index, slot $max_slot at least"
    else
        t_fail "learner1 and learner2 settle on the same applied index" "$(node_get learner1 "${PORT[learner1]}" /status | jq -c .applied) $(node_get learner2 "${PORT[learner2]}" /status | jq -c .applied)"
    fi
    for name in learner1 learner2; do
        node_get "$name" "${PORT[$name]}" /get-values 30 >"$TMP/$name.json" || true
    done
    h_check "$bin/checker" "$history" "$TMP/learner1.json" "$TMP/learner2.json"
    t_say "# nemesis figures (seed $seed): ops $(h_figure ops), acknowledged $(h_figure acknowledged)," \
        "unknown $(h_figure unknown), lost $(h_figure lost), duplicated $(h_figure duplicated)," \
        "stale reads $(h_figure 'stale reads'), longest unavailability $(h_figure 'longest unavailability')"
}

# ------------------------------------------------------------ main

# True when the run that labelled something paxos-test-PID is still going.
run_alive() {
    local pid=${1#paxos-test-}
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'podman\.sh'
}

# What an earlier run left (it was killed): its containers, network and
# volumes, found by their label or name (paxos-test-PID). Another run
# still going: skip.
reap_leftovers() {
    local name label
    for name in "${NODES[@]}" "$REPLICA" "$SPARE"; do
        pm container exists "$name" 2>/dev/null || continue
        label=$(pm inspect --format '{{index .Config.Labels "paxos-test"}}' "$name" 2>/dev/null)
        if [[ -z "$label" ]]; then
            t_abort "no other container is named $name" \
                "a container named $name exists that this test did not make: podman rm -f $name"
        fi
        run_alive "$label" && t_skip "another run of this test ($label) is using the guide's names"
        pm rm -f -t 0 "$name" >/dev/null 2>&1
    done
    while read -r name; do
        [[ "$name" =~ ^(paxos-test-[0-9]+)$ ]] || continue
        run_alive "${BASH_REMATCH[1]}" || pm network rm -f "$name" >/dev/null 2>&1
    done < <(pm network ls --format '{{.Name}}' 2>/dev/null)
    while read -r name; do
        [[ "$name" =~ ^(paxos-test-[0-9]+)- ]] || continue
        run_alive "${BASH_REMATCH[1]}" || pm volume rm -f "$name" >/dev/null 2>&1
    done < <(pm volume ls --format '{{.Name}}' 2>/dev/null)
}

T_START=$(t_now_ms)
preflight
STARTED=yes
reap_leftovers
pm network create --subnet "$SUBNET.0/24" --label "paxos-test=$RUN_ID" "$NET" >/dev/null 2>&1 ||
    t_abort "podman network $NET created"
phase_base_images
phase_build
read_manifests
phase_cluster
phase_nemesis
phase_write_read
phase_guide_commands
phase_client_scripts
phase_acceptor_restart
phase_learner_replica
phase_spare_acceptor
phase_lost_claim
t_say "# test took $(( ($(t_now_ms) - T_START) / 1000 )) s"
t_finish
exit $?
