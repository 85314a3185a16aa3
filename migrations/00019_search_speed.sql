-- +goose Up
-- Catalogue search on large catalogues (store/catalogue.go, store/catalogue_witness.go).
--
-- The title and reading indexes carry the title ID, so that a search's prefix matches can be taken in ID
-- order from the index alone (an index-only scan), reading only the page's rows from the table. They serve
-- equality and prefix matches as before. Index-only scans need the visibility map, which autovacuum keeps
-- (until it has run they read the table).
CREATE INDEX titles_title_key_id ON titles (title_key text_pattern_ops) INCLUDE (id);
CREATE INDEX titles_reading_key_id ON titles (reading_key text_pattern_ops) INCLUDE (id);
DROP INDEX titles_title_key, titles_reading_key;

-- catalogue_version changes with every statement that writes titles or series (what a search matches).
-- A search's count of matches is remembered for that version (search_counts): until the catalogue changes,
-- the same words match the same titles.
CREATE TABLE catalogue_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint  NOT NULL
);
INSERT INTO catalogue_version (version) VALUES (0);

-- +goose StatementBegin
CREATE FUNCTION bump_catalogue_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_version SET version = version + 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER titles_catalogue_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON titles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version();
CREATE TRIGGER series_catalogue_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON series
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version();

-- Searches counted at a catalogue version: their matches (10,001 for more than 10,000), by a hash of their
-- conditions, shared by every API replica (store/catalogue_witness.go). Rows of older versions are deleted
-- as new ones come.
CREATE TABLE search_counts (
    version    bigint  NOT NULL,
    conditions bytea   NOT NULL,
    matches    integer NOT NULL CHECK (matches >= 0),
    PRIMARY KEY (version, conditions)
);

ANALYZE titles;

-- +goose Down
DROP TABLE search_counts;
DROP TRIGGER series_catalogue_version ON series;
DROP TRIGGER titles_catalogue_version ON titles;
DROP FUNCTION bump_catalogue_version();
DROP TABLE catalogue_version;
CREATE INDEX titles_title_key ON titles (title_key text_pattern_ops);
CREATE INDEX titles_reading_key ON titles (reading_key text_pattern_ops);
DROP INDEX titles_title_key_id, titles_reading_key_id;
