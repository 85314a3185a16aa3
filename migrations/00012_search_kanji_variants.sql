-- +goose Up
-- Variant kanji (異体字) fold to their common form in search keys: 龍→竜, 髙→高, 﨑→崎, 邊・邉→辺, 澤→沢, 濱→浜,
-- 齋→斎, 齊→斉 (domain.KanjiVariants, which must list the same pairs). Aozora Bunko's records spell 芥川 竜之介
-- and his books 芥川龍之介: either spelling now finds both.
--
-- search_key gains the pairs (the katakana fold and the spaces are as in 00003). The stored keys of titles
-- whose fields hold one of the variants are rewritten (both ways, so Down restores them too): the generated columns are recomputed only when a column they
-- are built from is assigned, hence the self-assignments; search_text (written by the application as
-- domain.SearchText) is rebuilt from the same fields here, search_key ignoring the spaces between them. The
-- GIN index on search_grams follows the new row versions.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_key(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT translate(lower(normalize(s, NFKC)),
    'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ龍髙﨑邊邉澤濱齋齊'
        || E' \t\n\u000b\f\r\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u30fb\uff65',
    'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ竜高崎辺辺沢浜斎斉')
$$;
-- +goose StatementEnd

UPDATE titles t
SET search_text = search_key(concat_ws(' ', t.title, t.title_reading, t.author, t.author_reading, t.publisher,
                                       (SELECT s.name FROM series s WHERE s.id = t.series_id))),
    title = t.title, title_reading = t.title_reading, author = t.author, author_reading = t.author_reading,
    publisher = t.publisher
WHERE normalize(concat_ws(' ', t.title, t.title_reading, t.author, t.author_reading, t.publisher,
                          (SELECT s.name FROM series s WHERE s.id = t.series_id)), NFKC) ~ '[龍髙﨑邊邉澤濱齋齊]';

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_key(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT translate(lower(normalize(s, NFKC)),
    'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ'
        || E' \t\n\u000b\f\r\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u30fb\uff65',
    'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ')
$$;
-- +goose StatementEnd

UPDATE titles t
SET search_text = search_key(concat_ws(' ', t.title, t.title_reading, t.author, t.author_reading, t.publisher,
                                       (SELECT s.name FROM series s WHERE s.id = t.series_id))),
    title = t.title, title_reading = t.title_reading, author = t.author, author_reading = t.author_reading,
    publisher = t.publisher
WHERE normalize(concat_ws(' ', t.title, t.title_reading, t.author, t.author_reading, t.publisher,
                          (SELECT s.name FROM series s WHERE s.id = t.series_id)), NFKC) ~ '[龍髙﨑邊邉澤濱齋齊]';
