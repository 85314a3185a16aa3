-- +goose Up
-- Ready mail goes to each chosen address in its own SMTP transaction. A permanent refusal (a 5xx reply to
-- RCPT TO or DATA: a mistyped address, a mailbox that no longer exists) is recorded on that message — it is
-- refused, never sent — and on the patron's address, so that staff and the patron (利用者情報変更) see that
-- mail to it did not arrive. Choosing the address again, or a later mail to it that is accepted, clears the
-- address's mark; the message's record stays.
ALTER TABLE patron_emails
    ADD COLUMN refused_at timestamptz, -- the mail server last refused a message to this address
    ADD COLUMN refusal    text,        -- its reply (code and text, addresses redacted)
    ADD CONSTRAINT patron_emails_refusal CHECK ((refused_at IS NULL) = (refusal IS NULL));
ALTER TABLE notifications
    ADD COLUMN refused_at timestamptz, -- e-mail refused permanently by the SMTP server: not sent, never retried
    ADD COLUMN refusal    text,
    ADD CONSTRAINT notifications_refusal CHECK ((refused_at IS NULL) = (refusal IS NULL)),
    ADD CONSTRAINT notifications_sent_or_refused CHECK (sent_at IS NULL OR refused_at IS NULL),
    ADD CONSTRAINT notifications_refused_email CHECK (refused_at IS NULL OR channel = 'email');

-- +goose Down
ALTER TABLE notifications DROP CONSTRAINT notifications_refused_email, DROP CONSTRAINT notifications_sent_or_refused,
    DROP CONSTRAINT notifications_refusal, DROP COLUMN refusal, DROP COLUMN refused_at;
ALTER TABLE patron_emails DROP CONSTRAINT patron_emails_refusal, DROP COLUMN refusal, DROP COLUMN refused_at;
