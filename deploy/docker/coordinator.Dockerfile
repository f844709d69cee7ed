# syntax=docker/dockerfile:1
#
# msp-coordinator: the national coordinator, built in the Rust image and run in Debian slim as a
# non-root user. Build from the repository root (the context must hold the whole workspace):
#
#   docker build -f deploy/docker/coordinator.Dockerfile -t msp-coordinator .
#
# The image serves HTTPS on 8443 with the certificate and key mounted at /etc/msp-coordinator/tls/
# (tls.crt, tls.key). Its data directory, /var/lib/msp-coordinator, holds the receipt-signing key
# (keys/coordinator.p8) and, without MSP_COORDINATOR_DATABASE_URL, the SQLite database: keep it on
# a volume, and back it up (deploy/README.md).

FROM rust:1-bookworm AS build
# The coordinator links no node code (no opendp, so no vendored OpenSSL to build): the Rust image's
# C compiler, for ring and the bundled SQLite, is all it needs.
WORKDIR /src
COPY . .
# The registry and target directories are caches that outlive the build, so a rebuild after a
# source change compiles only the workspace; the binary is copied out of the cache in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,id=msp-target,sharing=locked \
    cargo build --release --locked -p msp-coordinator \
    && install -D -m 0755 target/release/msp-coordinator /out/msp-coordinator

FROM debian:bookworm-slim
# ca-certificates for outgoing TLS; curl only for the health check below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 msp \
    && useradd --system --uid 10001 --gid msp --home-dir /var/lib/msp-coordinator --shell /usr/sbin/nologin msp \
    && install -d -o msp -g msp -m 0700 /var/lib/msp-coordinator
COPY --from=build /out/msp-coordinator /usr/local/bin/msp-coordinator
ENV MSP_COORDINATOR_DIR=/var/lib/msp-coordinator
USER msp:msp
WORKDIR /var/lib/msp-coordinator
VOLUME ["/var/lib/msp-coordinator"]
EXPOSE 8443
# Liveness only, from inside the container: --insecure because the certificate names the public
# host, not 127.0.0.1. Nothing is trusted on the strength of this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--insecure", "--output", "/dev/null", "https://127.0.0.1:8443/healthz"]
ENTRYPOINT ["msp-coordinator"]
CMD ["serve", "--listen", "0.0.0.0:8443", "--tls-cert", "/etc/msp-coordinator/tls/tls.crt", "--tls-key", "/etc/msp-coordinator/tls/tls.key"]
