-- +goose Up
-- Where a copy stands in its library: its call number (請求記号, the spine label: NDC class and author mark,
-- e.g. 913.6/ナ) and its shelf location (配架場所: 一般書架, 文庫, 児童書架, 参考図書 ...). The desk pulls copies
-- for holds in shelf order, and patrons read both on the title page. Empty for copies registered without
-- them (and for every copy before this migration); the lengths match library's checks.
ALTER TABLE items
    ADD COLUMN call_number    text NOT NULL DEFAULT '' CHECK (char_length(call_number) <= 40),
    ADD COLUMN shelf_location text NOT NULL DEFAULT '' CHECK (char_length(shelf_location) <= 40);

-- +goose Down
ALTER TABLE items DROP COLUMN shelf_location, DROP COLUMN call_number;
