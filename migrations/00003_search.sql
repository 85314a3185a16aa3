-- +goose Up
-- Catalogue search (GET /api/v1/titles).
--
-- titles.search_text is written by the application (domain.SearchText). Everything added here is derived
-- from columns in SQL, as generated columns and an expression index, so that every writer (seed, bulk
-- COPY, the staff catalogue, psql) keeps them in step without knowing about them.
--
-- search_key is domain.SearchKey in SQL: NFKC, lower case, katakana folded to hiragana, every space and
-- middle dot removed. A store test checks that both agree. lower() follows the database's LC_CTYPE, which
-- is C.UTF-8 (Unicode case mapping) in every yoyaku cluster.
-- +goose StatementBegin
CREATE FUNCTION search_key(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT translate(lower(normalize(s, NFKC)),
    'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ'
        || E' \t\n\u000b\f\r\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u30fb\uff65',
    'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ')
$$;
-- +goose StatementEnd

-- Normalised title, title reading, author (with reading) and publisher: for ranking (exact title, title
-- prefix, title contains) and for the detailed search fields.
ALTER TABLE titles
    ADD COLUMN title_key     text GENERATED ALWAYS AS (search_key(title)) STORED,
    ADD COLUMN reading_key   text GENERATED ALWAYS AS (search_key(title_reading)) STORED,
    ADD COLUMN author_key    text GENERATED ALWAYS AS (search_key(author || ' ' || author_reading)) STORED,
    ADD COLUMN publisher_key text GENERATED ALWAYS AS (search_key(publisher)) STORED;

-- search_grams codes the 1- and 2-character grams of a title for one GIN index, which serves queries of
-- any length, 1 and 2 characters included (pg_trgm needs 3): a character is its code point c, a pair of
-- characters c1 * 2^21 + c2. Grams inside the title or inside its reading (title_key, reading_key) are
-- positive; grams of the rest of search_text (authors, publisher, series) and the pairs that straddle two
-- parts are negative. So one index answers both "search_text contains X" (overlap with {g, -g}, exactly
-- search_text LIKE '%X%' for 1 or 2 characters; each pair of a longer X) and "the title or its reading
-- contains X" (contains {g}). search_text starts with the title part (domain.SearchText); should it not,
-- all of it counts as the rest. Duplicates are left in: GIN removes them. Go computes the same codes for
-- query terms (store/catalogue.go).
-- +goose StatementBegin
CREATE FUNCTION search_grams(search_text text, title_key text, reading_key text) RETURNS int8[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    r      int8[] := '{}';
    tk     text := coalesce(title_key, '');
    rk     text := coalesce(reading_key, '');
    st     text := coalesce(search_text, '');
    joined boolean := left(st, length(tk) + length(rk)) = tk || rk;
    parts  text[];
    signs  int8[] := ARRAY[1, 1, -1];
    ch     text;
    first  boolean;
    prev   int8 := 0;
    c      int8;
BEGIN
    IF joined THEN
        parts := ARRAY[tk, rk, substr(st, length(tk) + length(rk) + 1)];
    ELSE
        parts := ARRAY[tk, rk, st];
    END IF;
    FOR p IN 1 .. 3 LOOP
        IF NOT joined THEN
            prev := 0; -- three separate strings: no pair straddles two of them
        END IF;
        first := true;
        FOREACH ch IN ARRAY string_to_array(parts[p], NULL) LOOP
            c := ascii(ch);
            r := r || (signs[p] * c);
            IF prev > 0 AND first THEN
                r := r || -(prev * 2097152 + c); -- straddles the previous part and this one
            ELSIF prev > 0 THEN
                r := r || (signs[p] * (prev * 2097152 + c));
            END IF;
            prev := c;
            first := false;
        END LOOP;
    END LOOP;
    RETURN r;
END
$$;
-- +goose StatementEnd

CREATE INDEX titles_search_grams ON titles USING gin (search_grams(search_text, title_key, reading_key));
-- Exact and prefix matches of the title or its reading rank first.
CREATE INDEX titles_title_key ON titles (title_key text_pattern_ops);
CREATE INDEX titles_reading_key ON titles (reading_key text_pattern_ops);
CREATE INDEX titles_format ON titles (format, id);
-- The trigram indexes go: searches use the grams above, which are exact. A trigram match is rechecked, and
-- PostgreSQL would recheck search_grams too (computing it per row) in any bitmap the two indexes share.
DROP INDEX titles_title_trgm, titles_search_trgm;
-- Statistics on the new expression index (the planner's estimate of how common a gram is).
ANALYZE titles;

-- +goose Down
CREATE INDEX titles_search_trgm ON titles USING gin (search_text gin_trgm_ops);
CREATE INDEX titles_title_trgm ON titles USING gin (title gin_trgm_ops);
DROP INDEX titles_format, titles_reading_key, titles_title_key, titles_search_grams;
DROP FUNCTION search_grams(text, text, text);
ALTER TABLE titles DROP COLUMN publisher_key, DROP COLUMN author_key, DROP COLUMN reading_key, DROP COLUMN title_key;
DROP FUNCTION search_key(text);
