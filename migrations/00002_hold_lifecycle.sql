-- +goose Up
-- When a copy was given to a hold (allocation records the assignment; the hold's workflow then moves the
-- status), and when staff cleared an expired hold's copy from the hold shelf.
ALTER TABLE holds ADD COLUMN assigned_at timestamptz;
ALTER TABLE holds ADD COLUMN shelf_cleared_at timestamptz;
ALTER TABLE holds ADD COLUMN placed_by bigint REFERENCES staff_users (id);
ALTER TABLE holds ADD CONSTRAINT holds_assigned_has_item CHECK ((item_barcode IS NULL) = (assigned_at IS NULL));

-- Queue position is computed on read: the earliest waiting holds of a title first.
CREATE INDEX holds_waiting ON holds (title_id, placed_at, id) WHERE status = 'queued' AND item_barcode IS NULL;
CREATE INDEX holds_item ON holds (item_barcode) WHERE item_barcode IS NOT NULL;
CREATE INDEX holds_expired_shelf ON holds (pickup_branch, cancelled_at)
    WHERE cancel_reason = 'expired' AND shelf_cleared_at IS NULL;
-- One message may go to both of a patron's addresses: a Message-ID is shared by their rows.
ALTER TABLE notifications DROP CONSTRAINT notifications_message_id_key;
CREATE INDEX notifications_calls ON notifications (hold_id) WHERE channel = 'phone' AND sent_at IS NULL;

-- +goose Down
ALTER TABLE notifications ADD CONSTRAINT notifications_message_id_key UNIQUE (message_id);
DROP INDEX notifications_calls, holds_expired_shelf, holds_item, holds_waiting;
ALTER TABLE holds DROP CONSTRAINT holds_assigned_has_item;
ALTER TABLE holds DROP COLUMN placed_by, DROP COLUMN shelf_cleared_at, DROP COLUMN assigned_at;
