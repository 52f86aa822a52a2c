#!/bin/sh
# One-shot job (temporalio/admin-tools): bring Temporal's two databases to the schema of the
# image's server version. Safe to run again: update-schema applies only what is missing. A
# database without Temporal's version table yet is set up first.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
schemas=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port "${DB_PORT:-5432}" \
    --user "$POSTGRES_USER" --db "$1" "$2" "$3" "$4"
}

migrate() {
  database=$1 versioned=$2
  if ! sql "$database" update-schema -d "$schemas/$versioned/versioned"; then
    echo "no Temporal schema in $database yet: setting it up"
    sql "$database" setup-schema -v 0.0
    sql "$database" update-schema -d "$schemas/$versioned/versioned"
  fi
}

migrate "${DBNAME:-temporal}" temporal
migrate "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
echo "Temporal schema is up to date"
