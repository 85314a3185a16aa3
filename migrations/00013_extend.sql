-- +goose Up
-- 取置延長: a ready hold's pickup deadline may be moved 7 days later, once per hold, when nobody else waits
-- for its title. extended_at is when the patron did so; it stays set (once per hold, whatever follows).
ALTER TABLE holds ADD COLUMN extended_at timestamptz;

-- +goose Down
ALTER TABLE holds DROP COLUMN extended_at;
