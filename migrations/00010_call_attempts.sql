-- +goose Up
-- Every phone call staff make for a ready hold, with its outcome: 連絡済 (reached), 留守電 (voicemail: a
-- message was left) or 不在 (no_answer). A table of its own rather than more rows in notifications: there
-- the phone row is the hold's place on the call list (one per ready event, marked when the patron counts as
-- contacted), while a hold may be called many times before that; the call list shows these earlier attempts
-- and the no-answer days decide when the patron counts as contacted (YOYAKU_PHONE_ATTEMPTS).
CREATE TABLE call_attempts (
    id       bigserial PRIMARY KEY,
    hold_id  bigint NOT NULL REFERENCES holds (id),
    outcome  text NOT NULL CHECK (outcome IN ('reached', 'voicemail', 'no_answer')),
    at       timestamptz NOT NULL DEFAULT now(),
    staff_id bigint REFERENCES staff_users (id)
);
CREATE INDEX call_attempts_hold ON call_attempts (hold_id, at);

-- +goose Down
DROP TABLE call_attempts;
