#!/bin/sh
# Installs, or upgrades to the version of the tool's schema files, the Temporal server's two PostgreSQL
# databases (persistence and visibility) with temporal-sql-tool; running it again changes nothing once the
# schemas are current. docker-compose.yml runs it in the temporalio/admin-tools image (temporal-schema
# service) and `yoyaku dev --cluster` with the tool built from the server's Go module: the same steps.
# The databases themselves and their role exist already (deploy/temporal/postgres-init.sql).
# Environment: TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER, TEMPORAL_DB_PASSWORD,
# TEMPORAL_SCHEMA_DIR (the server's schema/postgresql/v12 directory), and optionally TEMPORAL_DB_NAME and
# TEMPORAL_VISIBILITY_DB_NAME (temporal, temporal_visibility).
set -eu

: "${TEMPORAL_DB_HOST:?TEMPORAL_DB_HOST is required}"
: "${TEMPORAL_DB_PORT:?TEMPORAL_DB_PORT is required}"
: "${TEMPORAL_DB_USER:?TEMPORAL_DB_USER is required}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}"
: "${TEMPORAL_SCHEMA_DIR:?TEMPORAL_SCHEMA_DIR is required}"

sqltool() {
  temporal-sql-tool --plugin postgres12 --endpoint "$TEMPORAL_DB_HOST" --port "$TEMPORAL_DB_PORT" \
    --user "$TEMPORAL_DB_USER" --password "$TEMPORAL_DB_PASSWORD" "$@"
}

# schema DB DIR: setup-schema -v 0.0 only creates the version tables (a no-op once they exist); update-schema
# then applies every versioned step above the database's version.
schema() {
  sqltool --database "$1" setup-schema -v 0.0
  sqltool --database "$1" update-schema -d "$TEMPORAL_SCHEMA_DIR/$2/versioned"
  echo "temporal-schema: $1 is current"
}

schema "${TEMPORAL_DB_NAME:-temporal}" temporal
schema "${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}" visibility
