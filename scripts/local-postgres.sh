#!/usr/bin/env bash
# A local PostgreSQL for the hand-off store: installs Debian's postgresql package when it is missing,
# starts the first cluster (it listens on loopback only), and makes a role that may create databases.
# Prints the server's URL last, e.g. for TICKETBUDDY_TEST_POSTGRES_URL (the tests make a database
# per test there) or, with a database name of your own, for TICKETBUDDY_DB_URL. Run as root.
set -euo pipefail
role=${TICKETBUDDY_PG_ROLE:-ticketbuddy}
password=${TICKETBUDDY_PG_PASSWORD:-ticketbuddy}

if ! command -v pg_lsclusters >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$status" != online ]; then
    pg_ctlcluster "$version" "$cluster" start
fi
as_postgres() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
    as_postgres -c "CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'"
fi
echo "postgresql+psycopg://$role:$password@127.0.0.1:$port/postgres"
