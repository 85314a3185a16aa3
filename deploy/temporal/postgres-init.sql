-- Run once by the postgres image, on an empty data directory, as the superuser (yoyaku).
-- Temporal gets its own role and its two databases; the temporal service's POSTGRES_USER/POSTGRES_PWD and
-- DBNAME/VISIBILITY_DBNAME in docker-compose.yml must match (deploy/compose_test.go checks it).
-- The databases are made here, not by auto-setup: auto-setup skips creating a database named like its user.
CREATE ROLE temporal WITH LOGIN PASSWORD 'temporal';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
