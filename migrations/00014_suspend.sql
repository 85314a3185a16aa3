-- +goose Up
-- 休止: a patron pauses a waiting hold until a date. The hold keeps its row and its placement time (so its
-- place in the queue) with status 'suspended', which allocation and positions skip; suspended_until is the
-- day it is active again (at the start of that day in YOYAKU_TIMEZONE, by the hold workflow's timer), set
-- exactly while the hold is suspended (leaving 休止中 clears it). A suspended hold holds no copy: allocation
-- never gives it one (`yoyaku check` says if it does; not a CHECK, as the transaction that ends a suspension
-- gives the hold a free copy before its status moves).
ALTER TABLE holds DROP CONSTRAINT holds_status_check;
ALTER TABLE holds
    ADD CONSTRAINT holds_status_check
        CHECK (status IN ('requested', 'queued', 'awaiting_pull', 'investigating', 'on_order', 'in_transit',
                          'preparing', 'ready', 'cancel_requested', 'cancelled', 'fulfilled', 'suspended')),
    ADD COLUMN suspended_until date,
    ADD CONSTRAINT holds_suspended_until CHECK (status <> 'suspended' OR suspended_until IS NOT NULL);

-- +goose Down
UPDATE holds SET status = 'queued' WHERE status = 'suspended';
ALTER TABLE holds DROP CONSTRAINT holds_suspended_until,
    DROP COLUMN suspended_until, DROP CONSTRAINT holds_status_check;
ALTER TABLE holds
    ADD CONSTRAINT holds_status_check
        CHECK (status IN ('requested', 'queued', 'awaiting_pull', 'investigating', 'on_order', 'in_transit',
                          'preparing', 'ready', 'cancel_requested', 'cancelled', 'fulfilled'));
