#!/usr/bin/env bash
# A real PostgreSQL server for the tests (called by scripts/test.sh, so by
# `npm test` and CI): installs Debian's postgresql (and pgbouncer) when missing, creates and
# starts the cluster, waits until it accepts connections on 127.0.0.1, and
# makes sure the two test roles exist. Neither is a superuser:
#   sluice_test     LOGIN CREATEDB: tests create their own databases and drop them
#   sluice_limited  LOGIN only: proves Sluice needs no more than CREATE on its schema
# The roles' passwords are for this local test server only; tests give them to
# Sluice through PGPASSWORD, the documented way.
# Prints the port on its last line. Idempotent: a running server is left as it is.
set -euo pipefail

as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# PgBouncer too: the tests put it in front of the server in transaction mode, as hosted databases' pooled ports are.
missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
command -v pgbouncer >/dev/null 2>&1 || missing+=(pgbouncer)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-postgres: installing ${missing[*]} from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi

cluster_line() { pg_lsclusters --no-header 2>/dev/null | head -n 1; }
if [ -z "$(cluster_line)" ]; then
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  echo "setup-postgres: creating cluster $version/main" >&2
  pg_createcluster "$version" main >&2
fi
read -r version cluster port status _ <<<"$(cluster_line)"
if [ "$status" != "online" ]; then
  echo "setup-postgres: starting PostgreSQL $version/$cluster on port $port" >&2
  pg_ctlcluster "$version" "$cluster" start >&2 || true
fi
for _ in $(seq 1 100); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.2
done
pg_isready -q -h 127.0.0.1 -p "$port" || {
  echo "setup-postgres: PostgreSQL $version/$cluster did not accept connections on 127.0.0.1:$port" >&2
  exit 1
}

as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 >&2 <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_test') THEN
    CREATE ROLE sluice_test LOGIN CREATEDB PASSWORD 'sluice_test';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_limited') THEN
    CREATE ROLE sluice_limited LOGIN PASSWORD 'sluice_limited';
  END IF;
END
$$;
SQL
echo "$port"
