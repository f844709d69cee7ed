#!/usr/bin/env bash
# Build the container images and run the network in them, end to end, with podman.
#
#   deploy/verify.sh                  # everything below
#   deploy/verify.sh images network   # only some of the steps, in this order
#
# Steps:
#   images   build msp-coordinator and msp-node (the Dockerfiles' `prebuilt` stage, from binaries built
#            on this machine by `cargo build --release`) and msp-postgres-trial, and print their sizes
#   network  on this machine's PostgreSQL: run the migration as the Kubernetes Job does, start the
#            coordinator under mutual TLS with a read-only root, wait for its image's health check
#            (which must fail without a client certificate), set up one council's node, enrol it,
#            import, release, submit, check the receipt, read England's benchmark from the API; then
#            a second council's node under systemd in a container (deploy/systemd's units installed
#            as the guide says), its quarterly timer enabled and its service run once; stop
#   compose  deploy/compose.yaml as deploy/README.md runs it ("Running with compose"), with
#            podman-compose and msp-postgres-trial in place of the public postgres image
#   manifests  `kubectl kustomize deploy/kubernetes` and `systemd-analyze verify deploy/systemd/*`
#
# Settings (environment):
#   BASE          the runtime images' base (default localbase/debian:bookworm-slim, made here from
#                 Debian's packages with debootstrap when absent; debian:bookworm-slim where a
#                 registry is reachable)
#   BIN_DIR       a folder holding msp-coordinator and msp-node already built (default: build them
#                 with `cargo build --release` into ${CARGO_TARGET_DIR:-target})
#   POSTGRES_URL  a PostgreSQL superuser URL for the network step (default
#                 postgres://postgres@127.0.0.1:5432/postgres); a fresh database is made and dropped
#   KEEP=1        leave the work folder, containers' logs and volumes for inspection
#
# Needs podman, runc, openssl, psql and python3; debootstrap only to make the base; kubectl and
# systemd-analyze only for `manifests` (each is skipped with a note when absent). Run as root, or
# as a user rootless podman is set up for.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(images network compose manifests)
for s in "${steps[@]}"; do
  case "$s" in images | network | compose | manifests) ;; *)
    echo "verify: no step '$s' (images, network, compose, manifests)" >&2
    exit 2
    ;;
  esac
done

say() { printf '\n==> %s\n' "$*"; }
fail() {
  printf '\nverify: FAILED: %s\n' "$*" >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed: $2"; }

need podman "apt-get install -y podman runc (deploy/README.md, \"Verifying the images here\")"
need openssl "apt-get install -y openssl"
need python3 "apt-get install -y python3"

BASE=${BASE:-localbase/debian:bookworm-slim}
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/msp-verify.XXXXXX")
RUN_ID=$(basename "$WORK" | tr 'A-Z.' 'a-z-')
chmod 0755 "$WORK"

# This machine's cgroups are v1 with limited rlimits: runc, cgroupfs and no default ulimits. Set in
# containers.conf rather than as flags, so that podman-compose's own podman calls get them too.
cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"

containers=()
volumes=()
database=
cleanup() {
  local status=$?
  set +e
  if [ $status -ne 0 ]; then
    for c in "${containers[@]}"; do
      podman container exists "$c" 2>/dev/null || continue
      echo "--- podman logs $c (last 40 lines)" >&2
      podman logs --tail 40 "$c" >&2
    done
  fi
  if [ -n "${COMPOSE_UP:-}" ]; then
    (cd "$WORK/compose" && "${COMPOSE[@]}" down --volumes >/dev/null 2>&1)
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "verify: kept $WORK, containers ${containers[*]:-none}, volumes ${volumes[*]:-none}" >&2
  else
    for c in "${containers[@]}"; do podman rm -f "$c" >/dev/null 2>&1; done
    for v in "${volumes[@]}"; do podman volume rm -f "$v" >/dev/null 2>&1; done
    [ -z "$database" ] || psql "$POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1
    rm -rf "$WORK"
  fi
  exit $status
}
trap cleanup EXIT

has() {
  local s
  for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done
  return 1
}

# The quarter that ended last, as the node names it (2026-27-Q2 is July to September 2026).
last_finished_quarter() {
  local y m
  y=$(date -u +%Y)
  m=$((10#$(date -u +%m)))
  if [ $m -le 3 ]; then
    printf '%d-%02d-Q3' $((y - 1)) $((y % 100))
  elif [ $m -le 6 ]; then
    printf '%d-%02d-Q4' $((y - 1)) $((y % 100))
  elif [ $m -le 9 ]; then
    printf '%d-%02d-Q1' "$y" $(((y + 1) % 100))
  else
    printf '%d-%02d-Q2' "$y" $(((y + 1) % 100))
  fi
}
QUARTER=$(last_finished_quarter)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits until the container's own HEALTHCHECK passes (podman runs it on demand without systemd).
# A container that stops is failed at once, unless it has a restart policy (compose's coordinator
# is restarted until PostgreSQL accepts connections).
wait_healthy() {
  local c=$1 tries=0 policy
  policy=$(podman container inspect --format '{{.HostConfig.RestartPolicy.Name}}' "$c" 2>/dev/null || true)
  until podman healthcheck run "$c" >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ $tries -lt 90 ] || fail "$c did not pass its health check within 90 s"
    if [ -z "$policy" ] || [ "$policy" = no ]; then
      podman container inspect --format '{{.State.Running}}' "$c" 2>/dev/null | grep -q true ||
        fail "$c stopped before it became healthy"
    fi
    sleep 1
  done
}

# A CA, the coordinator's certificate (coordinator, localhost), and a client CA with a certificate
# for the council's node and one for the health check.
make_certificates() {
  local dir=$1
  mkdir -p "$dir/private"
  (
    cd "$dir"
    ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
    ec -x509 -days 7 -subj "/CN=MSP verify CA" -keyout private/ca.key -out ca.crt
    ec -subj "/CN=coordinator" -keyout tls.key -out private/tls.csr
    printf 'subjectAltName=DNS:coordinator,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >private/tls.ext
    openssl x509 -req -in private/tls.csr -CA ca.crt -CAkey private/ca.key -CAcreateserial -days 7 \
      -extfile private/tls.ext -out tls.crt 2>/dev/null
    ec -x509 -days 7 -subj "/CN=MSP verify client CA" -keyout private/client-ca.key -out client-ca.crt
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >private/client.ext
    for who in E06000001 E09000007 healthcheck; do
      ec -subj "/CN=$who" -keyout "private/$who.key" -out "private/$who.csr"
      openssl x509 -req -in "private/$who.csr" -CA client-ca.crt -CAkey private/client-ca.key -CAcreateserial \
        -days 7 -extfile private/client.ext -out "private/$who.crt" 2>/dev/null
    done
    cp private/healthcheck.crt healthcheck.crt
    cp private/healthcheck.key healthcheck.key
    mkdir -p node-client
    cp private/E06000001.crt node-client/client-cert.pem
    cp private/E06000001.key node-client/client-key.pem
  )
  # The images' user (uid 10001) reads the keys; nobody else.
  chown -R 10001:10001 "$dir" 2>/dev/null || chmod -R a+rX "$dir"
  chmod 0400 "$dir/tls.key" "$dir/healthcheck.key" "$dir/node-client/client-key.pem"
}

# podman build from the repository root, in Docker's format (OCI images drop HEALTHCHECK).
build() {
  local log=$1
  shift
  podman build --format docker --network host --build-arg BASE="$BASE" "$@" . >"$log" 2>&1 || {
    tail -30 "$log" >&2
    fail "podman build $* failed (the lines above are the end of its log)"
  }
}

# England's benchmark (a /v1/benchmarks answer) as one council's release makes it: that council
# counted, and its headline figures with their intervals.
check_england() {
  python3 - "$1" <<'EOF' || fail "England's benchmark is not what one council's release gives"
import json, sys
b = json.load(open(sys.argv[1]))
c = b["coverage"]
assert c["councils_included"] == 1, c
shown = [m for m in b["measures"] if m["estimate"] is not None]
assert shown, "no measure has an estimate"
print(f'{b["name"]}, {b["window"]}: {c["councils_included"]} of {c["councils_in_group"]} councils, log of {b["tree_size"]} entries')
for m in shown[:4]:
    e = m["estimate"]
    unit, scale = ("%", 100) if m["proportion"] else ("", 1)
    print(f'  {m["label"]}: {e["value"] * scale:.1f}{unit} ({e["low"] * scale:.1f}{unit} to {e["high"] * scale:.1f}{unit})')
EOF
}

image_size() { podman image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1000000 }'; }

# ------------------------------------------------------------------------------------------------
if has images; then
  say "Base image: $BASE"
  if ! podman image exists "$BASE"; then
    if [ "$BASE" != localbase/debian:bookworm-slim ]; then
      podman pull "$BASE" || fail "cannot pull $BASE: set BASE to an image this machine has, or leave it unset to make one from Debian's packages"
    else
      need debootstrap "apt-get install -y debootstrap (it makes the base image from Debian's packages)"
      mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
      mirror=${mirror:-http://deb.debian.org/debian}
      echo "making it from Debian bookworm's packages ($mirror) with debootstrap"
      debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
        fail "debootstrap failed: see $WORK/debootstrap.log (run with KEEP=1 to keep it)"
      # As Debian's slim images are: no downloaded packages or package lists kept.
      rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/cache/apt/"*.bin "$WORK/rootfs/var/lib/apt/lists/"*
      tar -C "$WORK/rootfs" -c . | podman import - "$BASE" >/dev/null
      rm -rf "$WORK/rootfs"
    fi
  fi

  if [ -z "${BIN_DIR:-}" ]; then
    say "Binaries: cargo build --release -p msp-coordinator -p msp-node"
    need cargo "install Rust (rustup), or set BIN_DIR to a folder with msp-coordinator and msp-node"
    cargo build --release --locked -p msp-coordinator -p msp-node
    BIN_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/release
  fi
  mkdir -p deploy/docker/bin
  for b in msp-coordinator msp-node; do
    [ -x "$BIN_DIR/$b" ] || fail "$BIN_DIR/$b is missing: build it, or unset BIN_DIR"
    # Line tables kept (for panics' locations), compressed: a third of the size.
    if command -v objcopy >/dev/null 2>&1; then
      objcopy --compress-debug-sections=zlib "$BIN_DIR/$b" "deploy/docker/bin/$b"
    else
      cp "$BIN_DIR/$b" deploy/docker/bin/
    fi
  done

  for image in coordinator node; do
    say "Image msp-$image (deploy/docker/$image.Dockerfile, stage prebuilt, BASE=$BASE)"
    build "$WORK/build-$image.log" --target prebuilt -f "deploy/docker/$image.Dockerfile" -t "msp-$image"
  done
  say "Image msp-postgres-trial (deploy/docker/postgres.Dockerfile, BASE=$BASE)"
  build "$WORK/build-postgres.log" -f deploy/docker/postgres.Dockerfile -t msp-postgres-trial

  say "Image sizes"
  for image in msp-coordinator msp-node msp-postgres-trial "$BASE"; do
    printf '  %-40s %s\n' "$image" "$(image_size "$image")"
  done
  for image in msp-coordinator msp-node; do
    user=$(podman image inspect --format '{{.Config.User}}' "$image")
    [ "$user" = msp:msp ] || fail "$image runs as '$user', not msp:msp"
    podman run --rm --read-only --entrypoint id "$image" -u | grep -qx 10001 || fail "$image does not run as uid 10001"
  done
  podman run --rm --read-only msp-coordinator --version
  podman run --rm --read-only msp-node --version
fi

# ------------------------------------------------------------------------------------------------
if has network; then
  need psql "apt-get install -y postgresql-client, or skip this step"
  for image in msp-coordinator msp-node; do
    podman image exists "$image" || fail "no image $image: run the images step first"
  done
  say "PostgreSQL: a fresh database on $POSTGRES_URL"
  database="msp_verify_${RUN_ID//[^a-z0-9]/_}"
  psql "$POSTGRES_URL" -q -c "CREATE DATABASE $database" ||
    fail "cannot make a database on $POSTGRES_URL: set POSTGRES_URL to a PostgreSQL superuser URL"
  DB_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$POSTGRES_URL" "$database")

  make_certificates "$WORK/tls"
  PORT=$(free_port)
  coordinator=msp-verify-coordinator-$RUN_ID
  coordinator_data=msp-verify-coordinator-data-$RUN_ID
  node_data=msp-verify-node-data-$RUN_ID
  containers+=("$coordinator")
  volumes+=("$coordinator_data" "$node_data")
  podman volume create "$coordinator_data" >/dev/null
  podman volume create "$node_data" >/dev/null

  # Every container as the images are meant to run: read-only root, no capabilities, no new
  # privileges, on the host's network (the machine's PostgreSQL is on its loopback).
  hardened=(--read-only --cap-drop ALL --security-opt no-new-privileges --network host)
  coord_run=(podman run --rm "${hardened[@]}" -e "MSP_COORDINATOR_DATABASE_URL=$DB_URL"
    -v "$coordinator_data:/var/lib/msp-coordinator")
  node_run=(podman run --rm -i "${hardened[@]}" --tmpfs /tmp -v "$node_data:/var/lib/msp-node")

  say "Migration, as the Kubernetes Job runs it (args: migrate)"
  podman run --rm "${hardened[@]}" -e "MSP_COORDINATOR_DATABASE_URL=$DB_URL" -v /var/lib/msp-coordinator \
    msp-coordinator migrate

  say "Coordinator on 127.0.0.1:$PORT, PostgreSQL, mutual TLS (--client-ca)"
  podman run -d --name "$coordinator" "${hardened[@]}" \
    -e "MSP_COORDINATOR_DATABASE_URL=$DB_URL" -e "MSP_HEALTHCHECK_PORT=$PORT" \
    -v "$coordinator_data:/var/lib/msp-coordinator" -v "$WORK/tls:/etc/msp-coordinator/tls:ro" \
    msp-coordinator serve --listen "127.0.0.1:$PORT" \
    --tls-cert /etc/msp-coordinator/tls/tls.crt --tls-key /etc/msp-coordinator/tls/tls.key \
    --client-ca /etc/msp-coordinator/tls/client-ca.crt >/dev/null
  wait_healthy "$coordinator"
  echo "healthy: the image's HEALTHCHECK passed, presenting tls/healthcheck.crt"
  if podman exec -e MSP_HEALTHCHECK_CERT=/nonexistent "$coordinator" msp-healthcheck 2>/dev/null; then
    fail "the health check passed without a client certificate: mutual TLS is not enforced"
  fi
  echo "refused: the same check without a client certificate fails in the handshake"
  podman exec "$coordinator" msp-healthcheck /readyz || fail "/readyz does not answer: the database is not reachable"
  echo "ready: /readyz answers (the database is reachable)"

  say "Node for E06000001: init, enrol, synth, import, release, submit, receipts ($QUARTER)"
  "${node_run[@]}" -v "$WORK/tls/ca.crt:/etc/msp-node/coordinator-ca.pem:ro" msp-node init --council E06000001 \
    --coordinator "https://localhost:$PORT" --ca-cert /etc/msp-node/coordinator-ca.pem \
    --team-model specialist --msp-level silver --json >"$WORK/request.json"
  # The node's client certificate, into its keys/ as its own user.
  "${node_run[@]}" -v "$WORK/tls/node-client:/in:ro" --entrypoint install msp-node \
    -m 0600 /in/client-cert.pem /in/client-key.pem /var/lib/msp-node/keys/
  "${coord_run[@]}" -v "$WORK/request.json:/in/request.json:ro" msp-coordinator council enrol-many /in/request.json
  "${node_run[@]}" msp-node synth --period "$QUARTER" --out /var/lib/msp-node/trial-cases.csv
  "${node_run[@]}" msp-node import /var/lib/msp-node/trial-cases.csv
  "${node_run[@]}" msp-node release --yes
  "${node_run[@]}" msp-node submit
  "${node_run[@]}" msp-node verify-receipt --period "$QUARTER"
  "${node_run[@]}" msp-node receipts | tee "$WORK/receipts.txt"
  grep -q "$QUARTER" "$WORK/receipts.txt" || fail "no receipt for $QUARTER"

  say "England's benchmark from the API, as a national analyst"
  token=$("${coord_run[@]}" msp-coordinator token create --role national --label "verify.sh" 2>/dev/null)
  curl --fail --silent --show-error --cacert "$WORK/tls/ca.crt" \
    --cert "$WORK/tls/private/E06000001.crt" --key "$WORK/tls/private/E06000001.key" \
    -H "Authorization: Bearer $token" \
    "https://localhost:$PORT/v1/benchmarks?group=england&period=$QUARTER" >"$WORK/england.json"
  check_england "$WORK/england.json"

  say "A second council (E09000007) under systemd in a container: its quarterly timer's service run once"
  # An image with systemd as PID 1, the node binary and deploy/systemd's units installed as
  # deploy/README.md ("A council's node and its quarterly timer") installs them.
  mkdir -p "$WORK/systemd"
  cp deploy/docker/bin/msp-node deploy/systemd/msp-node-release.service deploy/systemd/msp-node-release.timer "$WORK/systemd/"
  cat >"$WORK/systemd/Dockerfile" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/msp-node --shell /usr/sbin/nologin msp-node \
    && install -d -o msp-node -g msp-node -m 0700 /var/lib/msp-node
COPY msp-node /usr/local/bin/msp-node
COPY msp-node-release.service msp-node-release.timer /etc/systemd/system/
RUN systemctl enable msp-node-release.timer
CMD ["/sbin/init"]
DOCKERFILE
  podman build --network host --build-arg BASE="$BASE" -t msp-verify-systemd-node "$WORK/systemd" >"$WORK/build-systemd.log" 2>&1 ||
    fail "could not build the systemd image: $(tail -5 "$WORK/build-systemd.log")"
  timer_host=msp-verify-systemd-$RUN_ID
  containers+=("$timer_host")
  podman run -d --name "$timer_host" --systemd=always --network host \
    -v "$WORK/tls/ca.crt:/etc/msp-node/coordinator-ca.pem:ro" -v "$WORK/tls/private:/in:ro" \
    msp-verify-systemd-node >/dev/null
  state=
  for _ in $(seq 30); do
    state=$(podman exec "$timer_host" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running | degraded) break ;; esac
    sleep 1
  done
  echo "systemd in the container: ${state:-not started}"
  as_node() { podman exec "$timer_host" runuser -u msp-node -- /usr/local/bin/msp-node --data-dir /var/lib/msp-node "$@"; }
  as_node init --council E09000007 --coordinator "https://localhost:$PORT" --ca-cert /etc/msp-node/coordinator-ca.pem \
    --team-model locality --msp-level gold --json >"$WORK/request-camden.json"
  podman exec "$timer_host" install -o msp-node -g msp-node -m 0600 /in/E09000007.crt /var/lib/msp-node/keys/client-cert.pem
  podman exec "$timer_host" install -o msp-node -g msp-node -m 0600 /in/E09000007.key /var/lib/msp-node/keys/client-key.pem
  "${coord_run[@]}" -v "$WORK/request-camden.json:/in/request.json:ro" msp-coordinator council enrol-many /in/request.json
  as_node synth --period "$QUARTER" --out /var/lib/msp-node/trial-cases.csv >/dev/null
  as_node import /var/lib/msp-node/trial-cases.csv >/dev/null
  podman exec "$timer_host" systemctl is-enabled msp-node-release.timer | grep -qx enabled ||
    fail "the timer is not enabled"
  podman exec "$timer_host" systemctl list-timers --all --no-pager msp-node-release.timer
  podman exec "$timer_host" systemctl start msp-node-release.service ||
    fail "msp-node-release.service failed: $(podman exec "$timer_host" journalctl -u msp-node-release.service --no-pager | tail -15)"
  podman exec "$timer_host" journalctl -u msp-node-release.service --no-pager -o cat |
    grep -E "^(Released|[0-9]{4}-[0-9]{2}-Q[1-4] revision)" ||
    fail "the service's journal shows no release and submission"
  as_node receipts | grep -q "$QUARTER" || fail "the timer's run left no receipt for $QUARTER"
  echo "the timer's service released $QUARTER and submitted it: E09000007 has its receipt"
  podman rm -f "$timer_host" >/dev/null

  say "Stop: SIGTERM, and the coordinator exits cleanly"
  podman stop --time 20 "$coordinator" >/dev/null
  code=$(podman container inspect --format '{{.State.ExitCode}}' "$coordinator")
  [ "$code" = 0 ] || fail "the coordinator exited with $code on SIGTERM"
  echo "exit code 0"
fi

# ------------------------------------------------------------------------------------------------
if has compose; then
  for image in msp-coordinator msp-node msp-postgres-trial; do
    podman image exists "$image" || fail "no image $image: run the images step first"
  done
  if command -v podman-compose >/dev/null 2>&1 &&
    podman-compose version 2>/dev/null | grep -Eq '^podman-compose version (1\.([1-9]|[1-9][0-9])|[2-9])\.'; then
    COMPOSE=(podman-compose)
  else
    # Debian bookworm's podman-compose (1.0.3) knows neither profiles nor health conditions.
    venv=${XDG_CACHE_HOME:-$HOME/.cache}/msp-verify/podman-compose-1.6.0
    if [ ! -x "$venv/bin/podman-compose" ]; then
      say "podman-compose 1.6.0 from PyPI, into $venv"
      { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet podman-compose==1.6.0; } ||
        fail "cannot install podman-compose: pip install podman-compose==1.6.0"
    fi
    COMPOSE=("$venv/bin/podman-compose")
  fi
  # The compose file exactly as shipped, in a folder of its own (so that nothing here touches an
  # operator's deploy/.env or deploy/tls/), and one override: the trial PostgreSQL image.
  mkdir -p "$WORK/compose/deploy/incoming"
  cp deploy/compose.yaml "$WORK/compose/deploy/compose.yaml"
  cat >"$WORK/compose/deploy/compose.verify.yaml" <<'EOF'
services:
  postgres:
    image: localhost/msp-postgres-trial
EOF
  cd "$WORK/compose"
  COMPOSE+=(-p "msp-verify-$RUN_ID" -f deploy/compose.yaml -f deploy/compose.verify.yaml)
  printf 'POSTGRES_PASSWORD=%s\n' "$(openssl rand -hex 24)" >deploy/.env
  make_certificates deploy/tls
  PORT=8443
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8443), 1)' 2>/dev/null &&
    fail "port 8443 is in use here: compose.yaml publishes the coordinator on it"

  say "compose up -d (${COMPOSE[0]##*/}: $("${COMPOSE[@]}" version 2>/dev/null | head -1))"
  COMPOSE_UP=1
  "${COMPOSE[@]}" up -d --no-build >"$WORK/compose-up.log" 2>&1 || {
    cat "$WORK/compose-up.log" >&2
    fail "compose up failed"
  }
  coordinator=
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    coordinator=$(podman ps --filter "label=com.docker.compose.project=msp-verify-$RUN_ID" \
      --filter "label=com.docker.compose.service=coordinator" --format '{{.Names}}' | head -1)
    [ -z "$coordinator" ] || break
    sleep 1
  done
  [ -n "$coordinator" ] || {
    cat "$WORK/compose-up.log" >&2
    fail "compose started no coordinator container"
  }
  containers+=("$coordinator")
  wait_healthy "$coordinator"
  echo "healthy: $coordinator"
  "${COMPOSE[@]}" logs coordinator >"$WORK/compose-coordinator.log" 2>&1 || true
  grep -m1 "receipt-signing key fingerprint" "$WORK/compose-coordinator.log" ||
    fail "the coordinator's log does not show its receipt-signing key's fingerprint"

  say "The node, one command at a time, as deploy/README.md runs it"
  # podman-compose (unlike `docker compose run`) does not enable the profile of the service it is
  # asked to run: the node's profile is named here (deploy/README.md says so).
  run() { "${COMPOSE[0]}" --profile node "${COMPOSE[@]:1}" run --rm -T "$@" 2>>"$WORK/compose-run.log"; }
  run node init --council E06000001 --coordinator https://coordinator:8443 \
    --ca-cert /etc/msp-node/coordinator-ca.pem --team-model specialist --msp-level silver --json >"$WORK/request.json" ||
    fail "node init failed: $(tail -5 "$WORK/compose-run.log")"
  read -r key fingerprint < <(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["public_key"], r["fingerprint"])' "$WORK/request.json")
  run coordinator council enrol --code E06000001 --public-key "$key" --fingerprint "$fingerprint" ||
    fail "enrolment failed: $(tail -5 "$WORK/compose-run.log")"
  run node synth --period "$QUARTER" --out /var/lib/msp-node/trial-cases.csv
  run node import /var/lib/msp-node/trial-cases.csv
  run node release --yes
  run node submit || fail "submit failed: $(tail -5 "$WORK/compose-run.log")"
  run node receipts | tee "$WORK/receipts.txt"
  grep -q "$QUARTER" "$WORK/receipts.txt" || fail "no receipt for $QUARTER"
  token=$(run coordinator token create --role national --label "verify.sh")
  curl --fail --silent --show-error --cacert deploy/tls/ca.crt -H "Authorization: Bearer $token" \
    "https://localhost:8443/v1/benchmarks?group=england&period=$QUARTER" >"$WORK/england.json"
  check_england "$WORK/england.json"

  say "compose down"
  "${COMPOSE[@]}" down --volumes >/dev/null 2>&1
  COMPOSE_UP=
  cd "$ROOT"
fi

# ------------------------------------------------------------------------------------------------
if has manifests; then
  say "kubectl kustomize deploy/kubernetes"
  if command -v kubectl >/dev/null 2>&1; then
    kubectl kustomize deploy/kubernetes >"$WORK/kubernetes.yaml"
    grep -c '^kind:' "$WORK/kubernetes.yaml" | xargs printf '%s objects built\n'
  else
    echo "skipped: kubectl is not installed"
  fi
  say "systemd-analyze verify deploy/systemd/*"
  if command -v systemd-analyze >/dev/null 2>&1; then
    # The units start /usr/local/bin/msp-*: a root of their own with the binaries there and
    # systemd's own units (for the targets they name), so nothing is installed on this machine.
    sysroot=$WORK/sysroot
    mkdir -p "$sysroot/usr/local/bin" "$sysroot/etc/systemd/system" "$sysroot/usr/lib/systemd"
    cp -a /usr/lib/systemd/system "$sysroot/usr/lib/systemd/"
    for b in msp-coordinator msp-node; do
      install -m 0755 "${BIN_DIR:-deploy/docker/bin}/$b" "$sysroot/usr/local/bin/$b" ||
        fail "no $b binary to verify the units against: run the images step first, or set BIN_DIR"
    done
    cp deploy/systemd/* "$sysroot/etc/systemd/system/"
    (cd "$sysroot/etc/systemd/system" && systemd-analyze verify --root="$sysroot" ./*.service ./*.timer) ||
      fail "systemd-analyze verify found problems in deploy/systemd/"
    echo "no problems found"
  else
    echo "skipped: systemd-analyze is not installed"
  fi
fi

say "verify: all steps passed (${steps[*]})"
