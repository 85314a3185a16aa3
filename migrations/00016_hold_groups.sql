-- +goose Up
-- いずれか予約: a patron holds any one of several editions (2 to 5 titles). Each title gets its own hold,
-- with its own place in its own queue, all in one group that counts as one hold against the limits. The
-- group is decided by the first member a copy is assigned to (served_hold_id, set in the transaction that
-- assigns it, under the group row's lock, so two copies arriving at once serve one member only); the
-- others then end with reason other_edition (他の版で用意), by their workflows. The served member keeps
-- the group for good: should its copy go missing it waits again like any hold.
CREATE TABLE hold_groups (
    id             bigserial PRIMARY KEY,
    patron_id      bigint NOT NULL REFERENCES patrons (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    served_hold_id bigint,
    decided_at     timestamptz,
    CHECK ((served_hold_id IS NULL) = (decided_at IS NULL))
);
ALTER TABLE holds
    ADD COLUMN group_id bigint REFERENCES hold_groups (id),
    ADD CONSTRAINT holds_group_not_series CHECK (group_id IS NULL OR series_hold_id IS NULL),
    DROP CONSTRAINT holds_cancel_reason_check,
    ADD CONSTRAINT holds_cancel_reason_check CHECK (cancel_reason IN ('patron', 'expired', 'staff', 'other_edition'));
ALTER TABLE hold_groups ADD CONSTRAINT hold_groups_served_fk FOREIGN KEY (served_hold_id) REFERENCES holds (id);
CREATE INDEX holds_group ON holds (group_id) WHERE group_id IS NOT NULL;

-- +goose Down
UPDATE holds SET cancel_reason = 'staff' WHERE cancel_reason = 'other_edition';
ALTER TABLE hold_groups DROP CONSTRAINT hold_groups_served_fk;
ALTER TABLE holds DROP CONSTRAINT holds_group_not_series, DROP COLUMN group_id,
    DROP CONSTRAINT holds_cancel_reason_check,
    ADD CONSTRAINT holds_cancel_reason_check CHECK (cancel_reason IN ('patron', 'expired', 'staff'));
DROP TABLE hold_groups;
