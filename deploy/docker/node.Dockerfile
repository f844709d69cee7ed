# syntax=docker/dockerfile:1
#
# msp-node: a council's node, run in Debian slim as a non-root user. Build from the repository root
# (the context must hold the whole workspace):
#
#   docker build -f deploy/docker/node.Dockerfile -t msp-node .
#
# compiles in the Rust image. To package a binary built elsewhere instead (`cargo build --release -p
# msp-node` on a Debian bookworm machine, or a CI artefact), put it in deploy/docker/bin/ and build
# the `prebuilt` stage: no Rust image is needed.
#
#   docker build -f deploy/docker/node.Dockerfile --target prebuilt -t msp-node .
#
# BASE names the runtime's base image and RUST_IMAGE the builder's: the public images by default, a
# local copy where there is no registry (deploy/verify.sh builds one from Debian's packages).
#
# The node is a command, not a server: each `docker run … msp-node COMMAND` does one thing and
# exits, so there is no port and no health check. Its data directory, /var/lib/msp-node, holds
# node.toml, the keys (keys/node-secret, keys/signing-key.p8), the SQLite database with the budget
# ledger, and import reports: keep it on a volume, and back it up (deploy/README.md). Nothing else
# is written but temporary files in /tmp: run it with a read-only root and a tmpfs there.

ARG BASE=debian:bookworm-slim
ARG RUST_IMAGE=rust:1-bookworm

FROM ${RUST_IMAGE} AS build
# opendp builds a vendored OpenSSL from source: that needs make and perl with its core modules.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make perl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The registry and target directories are caches that outlive the build; the binary is copied
# out of the cache in the same step, its line tables (for panics' locations) compressed.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,id=msp-target,sharing=locked \
    cargo build --release --locked -p msp-node \
    && mkdir -p /out \
    && objcopy --compress-debug-sections=zlib target/release/msp-node /out/msp-node

FROM ${BASE} AS runtime-base
# ca-certificates: the node trusts the platform's roots when node.toml names no ca_cert.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 msp \
    && useradd --system --uid 10001 --gid msp --home-dir /var/lib/msp-node --shell /usr/sbin/nologin msp \
    && install -d -o msp -g msp -m 0700 /var/lib/msp-node
ENV MSP_NODE_DIR=/var/lib/msp-node
USER msp:msp
WORKDIR /var/lib/msp-node
VOLUME ["/var/lib/msp-node"]
ENTRYPOINT ["msp-node"]
CMD ["status"]

# A binary built outside, from deploy/docker/bin/.
FROM runtime-base AS prebuilt
COPY --chmod=0755 deploy/docker/bin/msp-node /usr/local/bin/msp-node

# The default: the binary compiled in the build stage above.
FROM runtime-base AS runtime
COPY --from=build /out/msp-node /usr/local/bin/msp-node
