-- +goose Up
-- 順位の繰下げ: a patron lets the next hold in line go first. The queue order of a title's holds is
-- (queue_key, id), where queue_key is NULL until the hold is first deferred and then stands for its placement
-- time (seconds since the epoch) moved to just behind the hold it let go first; numeric, so a key between two
-- others always exists. store.QueueKey is the expression every queue ordering uses. The hold keeps placed_at.
ALTER TABLE holds ADD COLUMN queue_key numeric;

-- Every defer, with the hold it went behind (its hold_events row records the transition itself).
CREATE TABLE hold_defers (
    id          bigserial PRIMARY KEY,
    hold_id     bigint NOT NULL REFERENCES holds (id),
    behind_id   bigint NOT NULL REFERENCES holds (id),
    from_status text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hold_defers_hold ON hold_defers (hold_id);

-- +goose Down
DROP TABLE hold_defers;
ALTER TABLE holds DROP COLUMN queue_key;
