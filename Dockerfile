# Dockerfile -- the paxos-node image: one image for every role of paxosd
# (proposer, acceptor, learner, client); the role, id and cluster come from
# the environment (NODE_ROLE, NODE_ID, PORT, SEED_NODES, ACCEPTOR_IDS,
# DATA_DIR, LOG_LEVEL, ...: `paxosd --help` lists them all).
#
#   docker build -t paxos-node:latest .          (or: podman build ...)
#   docker run --rm -e NODE_ROLE=learner -e NODE_ID=7 -e PORT=5001 paxos-node
#
# Stage 1 builds paxosd with autotools on debian:bookworm; stage 2 is
# debian:bookworm-slim with only the runtime libraries, plus curl and
# dnsutils (nslookup), which the guide's troubleshooting commands run inside
# the pods. paxosd runs as the unprivileged user paxos (uid 10001); an
# acceptor keeps its write-ahead file in DATA_DIR (/var/lib/paxos/data),
# where the Kubernetes manifests mount its PersistentVolumeClaim.

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential autoconf automake libtool pkg-config \
        libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libssl-dev \
        libncurses-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The generated autotools files are left out by .dockerignore: always
# regenerated here, whatever state the source tree is in.
RUN mkdir -p m4 build-aux \
 && autoreconf -fi \
 && ./configure --prefix=/usr/local \
 && make -j"$(nproc)" paxosd \
 && install -D -m 0755 -s paxosd /out/paxosd \
 && /out/paxosd --version

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libcurl4 libjson-c5 libssl3 curl dnsutils \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt \
        /var/log/dpkg.log /var/log/alternatives.log
RUN groupadd --system --gid 10001 paxos \
 && useradd --system --uid 10001 --gid paxos --home-dir /var/lib/paxos \
        --no-create-home --shell /usr/sbin/nologin paxos \
 && install -d -o paxos -g paxos -m 0750 /var/lib/paxos /var/lib/paxos/data
COPY --from=build /out/paxosd /usr/local/bin/paxosd
ENV DATA_DIR=/var/lib/paxos/data
WORKDIR /var/lib/paxos
# Numeric, so that Kubernetes can check runAsNonRoot.
USER 10001:10001
# The guide's ports: proposers, acceptors, learners, clients.
EXPOSE 3001 3002 3003 4001 4002 4003 5001 5002 6001 6002
# paxosd stops cleanly on SIGTERM (also as PID 1).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/paxosd"]
