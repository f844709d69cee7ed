# syntax=docker/dockerfile:1
#
# msp-coordinator: the national coordinator, run in Debian slim as a non-root user. Build from the
# repository root (the context must hold the whole workspace):
#
#   docker build -f deploy/docker/coordinator.Dockerfile -t msp-coordinator .
#
# compiles in the Rust image. To package a binary built elsewhere instead (`cargo build --release -p
# msp-coordinator` on a Debian bookworm machine, or a CI artefact), put it in deploy/docker/bin/ and
# build the `prebuilt` stage: no Rust image is needed.
#
#   docker build -f deploy/docker/coordinator.Dockerfile --target prebuilt -t msp-coordinator .
#
# BASE names the runtime's base image and RUST_IMAGE the builder's: the public images by default, a
# local copy where there is no registry (deploy/verify.sh builds one from Debian's packages).
#
# The image serves HTTPS on 8443 with the certificate and key mounted at /etc/msp-coordinator/tls/
# (tls.crt, tls.key). Its data directory, /var/lib/msp-coordinator, holds the receipt-signing key
# (keys/coordinator.p8) and, without MSP_COORDINATOR_DATABASE_URL, the SQLite database: keep it on
# a volume, and back it up (deploy/README.md). Nothing else is written: the root file system can be
# mounted read-only (`--read-only`, compose's `read_only`, Kubernetes' readOnlyRootFilesystem).

ARG BASE=debian:bookworm-slim
ARG RUST_IMAGE=rust:1-bookworm

FROM ${RUST_IMAGE} AS build
# The coordinator links no node code (no opendp, so no vendored OpenSSL to build): the Rust image's
# C compiler, for ring and the bundled SQLite, is all it needs.
WORKDIR /src
COPY . .
# The registry and target directories are caches that outlive the build, so a rebuild after a
# source change compiles only the workspace; the binary is copied out of the cache in the same step,
# its line tables (for panics' locations) compressed to a third of the size.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,id=msp-target,sharing=locked \
    cargo build --release --locked -p msp-coordinator \
    && mkdir -p /out \
    && objcopy --compress-debug-sections=zlib target/release/msp-coordinator /out/msp-coordinator

FROM ${BASE} AS runtime-base
# ca-certificates for outgoing TLS; curl only for the health check below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 msp \
    && useradd --system --uid 10001 --gid msp --home-dir /var/lib/msp-coordinator --shell /usr/sbin/nologin msp \
    && install -d -o msp -g msp -m 0700 /var/lib/msp-coordinator
COPY --chmod=0755 deploy/docker/msp-healthcheck /usr/local/bin/msp-healthcheck
ENV MSP_COORDINATOR_DIR=/var/lib/msp-coordinator
USER msp:msp
WORKDIR /var/lib/msp-coordinator
VOLUME ["/var/lib/msp-coordinator"]
EXPOSE 8443
# Liveness, from inside the container (msp-healthcheck: /healthz on 127.0.0.1:8443, presenting
# /etc/msp-coordinator/tls/healthcheck.crt and .key when they are there, for --client-ca). Nothing
# is trusted on the strength of this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["msp-healthcheck"]
ENTRYPOINT ["msp-coordinator"]
CMD ["serve", "--listen", "0.0.0.0:8443", "--tls-cert", "/etc/msp-coordinator/tls/tls.crt", "--tls-key", "/etc/msp-coordinator/tls/tls.key"]

# A binary built outside, from deploy/docker/bin/.
FROM runtime-base AS prebuilt
COPY --chmod=0755 deploy/docker/bin/msp-coordinator /usr/local/bin/msp-coordinator

# The default: the binary compiled in the build stage above.
FROM runtime-base AS runtime
COPY --from=build /out/msp-coordinator /usr/local/bin/msp-coordinator
