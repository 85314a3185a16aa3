-- +goose Up
-- The whole yoyaku schema. Constraints that keep the data valid live here, not only in Go.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE branches (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{0,31}$'),
    name       text NOT NULL UNIQUE CHECK (name <> ''),
    kind       text NOT NULL CHECK (kind IN ('library', 'facility')),
    sort_order int  NOT NULL DEFAULT 0
);

CREATE TABLE series (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (name <> ''),
    name_reading text NOT NULL DEFAULT ''
);

CREATE TABLE titles (
    id             bigserial PRIMARY KEY,
    title          text NOT NULL CHECK (title <> ''),
    title_reading  text NOT NULL DEFAULT '',
    author         text NOT NULL DEFAULT '',
    author_reading text NOT NULL DEFAULT '',
    publisher      text NOT NULL DEFAULT '',
    year           int CHECK (year BETWEEN 1 AND 9999),
    isbn           text CHECK (isbn ~ '^([0-9]{9}[0-9X]|[0-9]{13})$'),
    format         text NOT NULL CHECK (format IN ('book', 'magazine', 'cd', 'video', 'dvd', 'etext')),
    series_id      bigint REFERENCES series (id),
    volume         int CHECK (volume > 0),
    reference_only boolean NOT NULL DEFAULT false,
    url            text CHECK (url ~ '^https?://'),
    -- search_text is the normalised (NFKC, lower case, hiragana, no spaces) concatenation of every searchable
    -- field and reading, written by the application so that Go and SQL agree on one normaliser.
    search_text    text NOT NULL DEFAULT '',
    source_key     text UNIQUE, -- where a seeded record came from (e.g. aozora:059898); NULL for titles made by staff
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((format = 'etext') = (url IS NOT NULL)),
    CHECK ((series_id IS NULL) = (volume IS NULL)),
    UNIQUE (series_id, volume)
);
CREATE INDEX titles_search_trgm ON titles USING gin (search_text gin_trgm_ops);
CREATE INDEX titles_title_trgm ON titles USING gin (title gin_trgm_ops);
CREATE INDEX titles_isbn ON titles (isbn) WHERE isbn IS NOT NULL;
CREATE INDEX titles_series ON titles (series_id, volume) WHERE series_id IS NOT NULL;

CREATE TABLE patrons (
    id               bigserial PRIMARY KEY,
    card_number      text NOT NULL UNIQUE CHECK (card_number ~ '^[0-9]{7}$'),
    name             text NOT NULL CHECK (name <> ''),
    password_hash    text NOT NULL CHECK (password_hash <> ''),
    contact_method   text NOT NULL DEFAULT 'none' CHECK (contact_method IN ('email', 'phone', 'none')),
    contact_phone_id bigint,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((contact_method = 'phone') = (contact_phone_id IS NOT NULL))
);

-- At most two addresses per patron: the slot is 1 or 2 and unique per patron.
CREATE TABLE patron_emails (
    patron_id bigint   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    slot      smallint NOT NULL CHECK (slot IN (1, 2)),
    address   text     NOT NULL CHECK (address ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' AND length(address) <= 254),
    notify    boolean  NOT NULL DEFAULT false, -- chosen for hold notifications
    PRIMARY KEY (patron_id, slot),
    UNIQUE (patron_id, address)
);

-- Phone numbers are registered by staff only; patrons can only choose among them.
CREATE TABLE patron_phones (
    id        bigserial PRIMARY KEY,
    patron_id bigint NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    number    text   NOT NULL CHECK (number ~ '^[0-9][0-9-]{5,19}$'),
    UNIQUE (patron_id, number),
    UNIQUE (id, patron_id)
);
ALTER TABLE patrons ADD CONSTRAINT patrons_contact_phone_fk
    FOREIGN KEY (contact_phone_id, id) REFERENCES patron_phones (id, patron_id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE staff_users (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9._-]{1,64}$'),
    name          text NOT NULL CHECK (name <> ''),
    password_hash text NOT NULL CHECK (password_hash <> ''),
    branch        text REFERENCES branches (code),
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens and cookie sessions; only a hash of the token is stored.
CREATE TABLE auth_tokens (
    token_hash bytea PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('patron', 'staff')),
    patron_id  bigint REFERENCES patrons (id) ON DELETE CASCADE,
    staff_id   bigint REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CHECK ((kind = 'patron') = (patron_id IS NOT NULL) AND (kind = 'staff') = (staff_id IS NOT NULL))
);
CREATE INDEX auth_tokens_expiry ON auth_tokens (expires_at);

-- Failed logins, for throttling per card number / login and per client address.
CREATE TABLE login_failures (
    id        bigserial PRIMARY KEY,
    subject   text NOT NULL,
    client_ip text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_subject ON login_failures (subject, at);
CREATE INDEX login_failures_ip ON login_failures (client_ip, at);

CREATE TABLE items (
    barcode         text PRIMARY KEY CHECK (barcode ~ '^[0-9A-Za-z-]{4,32}$'),
    title_id        bigint NOT NULL REFERENCES titles (id),
    home_branch     text   NOT NULL REFERENCES branches (code),
    location_branch text   NOT NULL REFERENCES branches (code),
    -- Physical state. Which hold a copy is set aside for is recorded on the hold (holds.item_barcode).
    status          text   NOT NULL DEFAULT 'on_shelf'
        CHECK (status IN ('on_shelf', 'on_loan', 'in_transit', 'hold_shelf', 'missing', 'withdrawn')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_title ON items (title_id, status);

CREATE TABLE loans (
    id             bigserial PRIMARY KEY,
    barcode        text   NOT NULL REFERENCES items (barcode),
    patron_id      bigint NOT NULL REFERENCES patrons (id),
    branch         text   NOT NULL REFERENCES branches (code),
    checked_out_at timestamptz NOT NULL DEFAULT now(),
    due_date       date   NOT NULL,
    returned_at    timestamptz,
    CHECK (returned_at IS NULL OR returned_at >= checked_out_at)
);
CREATE UNIQUE INDEX loans_one_open_per_item ON loans (barcode) WHERE returned_at IS NULL;
CREATE INDEX loans_patron ON loans (patron_id) WHERE returned_at IS NULL;

-- The reservation basket: at most 10 titles per patron, enforced in the same transaction that adds them.
CREATE TABLE basket_items (
    patron_id bigint NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    title_id  bigint NOT NULL REFERENCES titles (id),
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (patron_id, title_id)
);

CREATE TABLE series_holds (
    id         bigserial PRIMARY KEY,
    patron_id  bigint NOT NULL REFERENCES patrons (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz
);

CREATE TABLE holds (
    id                  bigserial PRIMARY KEY,
    patron_id           bigint NOT NULL REFERENCES patrons (id),
    -- NULL only for a counter request for a title the library does not own (investigating / on order).
    title_id            bigint REFERENCES titles (id),
    request_title       text,
    request_author      text,
    request_isbn        text,
    pickup_branch       text   NOT NULL REFERENCES branches (code),
    origin              text   NOT NULL CHECK (origin IN ('web', 'counter')),
    -- The projection of the workflow's status. 'queued' is shown as awaiting_return (position 1) or
    -- waiting (position > 1): the position is computed when read, never pushed into the workflow.
    status              text   NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested', 'queued', 'awaiting_pull', 'investigating', 'on_order', 'in_transit',
                          'preparing', 'ready', 'cancel_requested', 'cancelled', 'fulfilled')),
    -- Bumped by every transition; an activity names the value it expects, so a retried or late activity
    -- can never move a hold backwards.
    transition          int    NOT NULL DEFAULT 0 CHECK (transition >= 0),
    placed_at           timestamptz NOT NULL DEFAULT now(),
    item_barcode        text REFERENCES items (barcode), -- the copy set aside, travelling or on the hold shelf
    ready_at            timestamptz,
    contact_date        date,
    pickup_deadline     date,
    cancel_requested_at timestamptz,
    cancelled_at        timestamptz,
    cancel_reason       text CHECK (cancel_reason IN ('patron', 'expired', 'staff')),
    cancel_note         text,
    fulfilled_at        timestamptz,
    ill                 boolean NOT NULL DEFAULT false,
    series_hold_id      bigint REFERENCES series_holds (id),
    series_seq          int CHECK (series_seq > 0),
    archived_at         timestamptz,
    CHECK (title_id IS NOT NULL OR (request_title IS NOT NULL AND request_title <> '')),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL AND cancelled_at IS NOT NULL)),
    CHECK ((status = 'fulfilled') = (fulfilled_at IS NOT NULL)),
    CHECK ((series_hold_id IS NULL) = (series_seq IS NULL)),
    CHECK (NOT (ill AND series_hold_id IS NOT NULL)),
    CHECK (origin = 'counter' OR NOT ill),
    CHECK (status <> 'ready' OR (item_barcode IS NOT NULL AND ready_at IS NOT NULL)),
    CHECK (pickup_deadline IS NULL OR contact_date IS NOT NULL),
    CHECK (archived_at IS NULL OR status IN ('cancelled', 'fulfilled')),
    UNIQUE (series_hold_id, series_seq)
);
-- Each copy is set aside for at most one open hold (and each hold holds at most one copy, by its column).
CREATE UNIQUE INDEX holds_item_once ON holds (item_barcode)
    WHERE item_barcode IS NOT NULL AND status NOT IN ('cancelled', 'fulfilled');
-- A patron holds a title at most once at a time.
CREATE UNIQUE INDEX holds_patron_title_once ON holds (patron_id, title_id)
    WHERE title_id IS NOT NULL AND status NOT IN ('cancelled', 'fulfilled');
-- The FIFO queue of a title.
CREATE INDEX holds_title_queue ON holds (title_id, placed_at, id) WHERE status NOT IN ('cancelled', 'fulfilled');
CREATE INDEX holds_patron ON holds (patron_id, placed_at) WHERE archived_at IS NULL;
CREATE INDEX holds_pickup_status ON holds (pickup_branch, status) WHERE status IN ('ready', 'awaiting_pull', 'in_transit');

-- One row per message; the idempotency key makes a retried or re-run send a no-op.
CREATE TABLE notifications (
    id              bigserial PRIMARY KEY,
    hold_id         bigint NOT NULL REFERENCES holds (id),
    channel         text   NOT NULL CHECK (channel IN ('email', 'phone')),
    address         text, -- e-mail address; NULL for phone calls
    idempotency_key text   NOT NULL UNIQUE,
    message_id      text UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz, -- e-mail accepted by the SMTP server, or the call recorded by staff
    sent_by         bigint REFERENCES staff_users (id),
    CHECK ((channel = 'email') = (address IS NOT NULL))
);
CREATE INDEX notifications_hold ON notifications (hold_id);

-- Append-only log of every hold transition, for operators and audits.
CREATE TABLE hold_events (
    id          bigserial PRIMARY KEY,
    hold_id     bigint NOT NULL REFERENCES holds (id),
    at          timestamptz NOT NULL DEFAULT now(),
    from_status text,
    to_status   text NOT NULL,
    transition  int  NOT NULL,
    actor       text NOT NULL DEFAULT 'system', -- 'system', 'patron', 'staff:<login>'
    detail      jsonb NOT NULL DEFAULT '{}',
    UNIQUE (hold_id, transition)
);

-- +goose StatementBegin
CREATE FUNCTION hold_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hold_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER hold_events_no_update BEFORE UPDATE OR DELETE ON hold_events
    FOR EACH ROW EXECUTE FUNCTION hold_events_append_only();

-- +goose Down
DROP TABLE hold_events, notifications, holds, series_holds, basket_items, loans, items, login_failures,
    auth_tokens, staff_users, patrons, patron_phones, patron_emails, titles, series, branches CASCADE;
DROP FUNCTION hold_events_append_only();
