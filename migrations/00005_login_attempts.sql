-- +goose Up
-- A login attempt is reserved before its password is checked (auth.Reserve): a pending row, inserted under
-- advisory locks on the subject and the client address once the limits allow one more attempt, so that
-- concurrent attempts cannot all pass the same count. A failed check turns the reservation into a failure;
-- a correct one deletes it with the subject's failures. Rows written before this migration are failures.
ALTER TABLE login_failures ADD COLUMN pending boolean NOT NULL DEFAULT false;

-- +goose Down
DELETE FROM login_failures WHERE pending;
ALTER TABLE login_failures DROP COLUMN pending;
