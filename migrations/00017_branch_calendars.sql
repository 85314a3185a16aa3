-- +goose Up
-- Branch calendars: the weekdays a branch closes every week (定休日), and dated days that differ (整理 at
-- month's end, 年末年始, an emergency closing, or an opening on a usual closing day). A pickup deadline that
-- falls on a closed day of the pickup branch moves to its next open day. With no rows a branch is open every
-- day (the demo branches).
CREATE TABLE branch_weekly_closed (
    branch  text     NOT NULL REFERENCES branches (code),
    weekday smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6), -- 0 Sunday, as Go's time.Weekday
    PRIMARY KEY (branch, weekday)
);
CREATE TABLE branch_calendar_days (
    branch text    NOT NULL REFERENCES branches (code),
    day    date    NOT NULL,
    open   boolean NOT NULL,
    reason text    NOT NULL DEFAULT '',
    PRIMARY KEY (branch, day)
);

-- Emergency closings (臨時休館): each re-dates the ready holds on the branch's shelf whose deadline falls on
-- or after from_date, by open_days (the days of [from_date, to_date] the branch would have opened), through
-- one durable workflow. closure_holds is the list it works through, taken when the closing was recorded:
-- redated_at marks a hold done (once), mailed_at the patron's mail of the new deadline (once per patron).
CREATE TABLE branch_closures (
    id           bigserial PRIMARY KEY,
    branch       text   NOT NULL REFERENCES branches (code),
    from_date    date   NOT NULL,
    to_date      date   NOT NULL,
    reason       text   NOT NULL CHECK (reason <> ''),
    open_days    int    NOT NULL CHECK (open_days >= 0),
    staff_id     bigint REFERENCES staff_users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CHECK (from_date <= to_date)
);
CREATE TABLE closure_holds (
    closure_id   bigint NOT NULL REFERENCES branch_closures (id),
    hold_id      bigint NOT NULL REFERENCES holds (id),
    patron_id    bigint NOT NULL REFERENCES patrons (id),
    old_deadline date   NOT NULL,
    new_deadline date,
    redated_at   timestamptz,
    mailed_at    timestamptz,
    PRIMARY KEY (closure_id, hold_id),
    CHECK ((new_deadline IS NULL) = (redated_at IS NULL))
);
CREATE INDEX closure_holds_hold ON closure_holds (hold_id);

-- +goose Down
DROP TABLE closure_holds;
DROP TABLE branch_closures;
DROP TABLE branch_calendar_days;
DROP TABLE branch_weekly_closed;
