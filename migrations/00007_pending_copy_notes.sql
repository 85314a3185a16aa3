-- +goose Up
-- A copy assignment (the allocation's signal to a hold's workflow) is also kept on the hold until the
-- workflow has applied it: a signal sent while no run listens (a hold handing its workflow over to a series)
-- is then re-derived by the next run instead of being lost.
-- pending_at says since when: `yoyaku check` reports one never applied.
ALTER TABLE holds ADD COLUMN pending_copy jsonb, ADD COLUMN pending_at timestamptz;

-- Free text that staff type about a hold (a refusal's reason) stays here; workflow inputs carry its ID, so
-- no personal data typed into a note lands in a workflow history.
CREATE TABLE hold_notes (
    id         bigserial PRIMARY KEY,
    hold_id    bigint NOT NULL REFERENCES holds (id),
    staff_id   bigint REFERENCES staff_users (id),
    note       text NOT NULL CHECK (length(note) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hold_notes_hold ON hold_notes (hold_id);

-- +goose Down
DROP TABLE hold_notes;
ALTER TABLE holds DROP COLUMN pending_copy, DROP COLUMN pending_at;
