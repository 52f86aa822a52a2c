#!/bin/sh
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d/):
# creates each database named in $DATABASES (space-separated), owned by $POSTGRES_USER.
set -eu
for database in ${DATABASES:-}; do
  echo "creating database $database"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -c "CREATE DATABASE \"$database\" OWNER \"$POSTGRES_USER\""
done
