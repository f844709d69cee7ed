# syntax=docker/dockerfile:1
#
# msp-node: a council's node, built in the Rust image and run in Debian slim as a non-root user.
# Build from the repository root (the context must hold the whole workspace):
#
#   docker build -f deploy/docker/node.Dockerfile -t msp-node .
#
# The node is a command, not a server: each `docker run … msp-node COMMAND` does one thing and
# exits, so there is no port and no health check. Its data directory, /var/lib/msp-node, holds
# node.toml, the keys (keys/node-secret, keys/signing-key.p8), the SQLite database with the budget
# ledger, and import reports: keep it on a volume, and back it up (deploy/README.md).

FROM rust:1-bookworm AS build
# opendp builds a vendored OpenSSL from source: that needs make and perl with its core modules.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make perl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The registry and target directories are caches that outlive the build; the binary is copied
# out of the cache in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,id=msp-target,sharing=locked \
    cargo build --release --locked -p msp-node \
    && install -D -m 0755 target/release/msp-node /out/msp-node

FROM debian:bookworm-slim
# ca-certificates: the node trusts the platform's roots when node.toml names no ca_cert.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 msp \
    && useradd --system --uid 10001 --gid msp --home-dir /var/lib/msp-node --shell /usr/sbin/nologin msp \
    && install -d -o msp -g msp -m 0700 /var/lib/msp-node
COPY --from=build /out/msp-node /usr/local/bin/msp-node
ENV MSP_NODE_DIR=/var/lib/msp-node
USER msp:msp
WORKDIR /var/lib/msp-node
VOLUME ["/var/lib/msp-node"]
ENTRYPOINT ["msp-node"]
CMD ["status"]
