-- +goose Up
-- Every worker's reconciler (reconcile/) looks for holds still in 予約申込 every 15 s. Nearly no hold stays
-- there for long, so a partial index keeps that query from scanning the whole (ever growing) holds table.
CREATE INDEX holds_requested ON holds (placed_at) WHERE status = 'requested';

-- +goose Down
DROP INDEX holds_requested;
