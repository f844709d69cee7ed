# syntax=docker/dockerfile:1
#
# PostgreSQL for a trial where the public `postgres` image cannot be pulled (no registry): Debian's
# own postgresql-15 on the same base as the coordinator's image, honouring the variables compose.yaml
# gives the public image (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB) and answering its
# `pg_isready` health check. deploy/verify.sh builds it and runs compose.yaml with it in place of
# postgres:17-bookworm. For production, use a managed PostgreSQL or the public image.
#
#   docker build -f deploy/docker/postgres.Dockerfile --build-arg BASE=debian:bookworm-slim -t msp-postgres-trial .

ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
    && install -d -o postgres -g postgres -m 2775 /var/run/postgresql
COPY --chmod=0755 deploy/docker/postgres-entrypoint /usr/local/bin/postgres-entrypoint
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin
USER postgres
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["postgres-entrypoint"]
