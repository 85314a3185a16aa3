-- +goose Up
-- A hold leaving 予約申込 is announced on the channel hold_approved (payload: the hold's ID) when its
-- transaction commits, so that an API replica answering the placement can wait for the approval and tell the
-- patron the queue position at once (store.ApprovalWatch). A trigger, not the application: the approval's
-- transaction holds the title's lock, and a notification here costs no extra round trip under it.
-- +goose StatementBegin
CREATE FUNCTION hold_approved_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hold_approved', NEW.hold_id::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER hold_approved_notify AFTER INSERT ON hold_events
    FOR EACH ROW WHEN (NEW.from_status = 'requested') EXECUTE FUNCTION hold_approved_notify();

-- +goose Down
DROP TRIGGER hold_approved_notify ON hold_events;
DROP FUNCTION hold_approved_notify();
