package check

import (
	"context"
	"fmt"
	"yoyaku/store"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The rules PostgreSQL alone can answer. A hold whose last transition, or a copy whose last change, is younger
// than the settling time (Options.Settle) is still moving and is not judged.

// queuedSince is when hold h last became 順番待ち/返却待ち ('queued'): from then on it is eligible for a copy.
// A queued → queued transition (a pickup change while waiting) does not restart the wait.
const queuedSince = `(SELECT max(e.at) FROM hold_events e WHERE e.hold_id = h.id AND e.to_status = 'queued'
	AND e.from_status IS DISTINCT FROM 'queued')`

// settled is the SQL condition "hold h has not changed for $1 seconds".
const settled = `COALESCE((SELECT max(e.at) FROM hold_events e WHERE e.hold_id = h.id), h.placed_at) < now() - make_interval(secs => $1)`

func copyShared(ctx context.Context, db *sqlx.DB, _ Options, r *Report) error {
	var rows []struct {
		Barcode string        `db:"item_barcode"`
		Holds   pq.Int64Array `db:"holds"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT item_barcode, array_agg(id ORDER BY id) AS holds FROM holds
		WHERE item_barcode IS NOT NULL AND `+store.OpenHold+` GROUP BY item_barcode HAVING count(*) > 1 ORDER BY item_barcode`)
	if err != nil {
		return fmt.Errorf("check copies set aside: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: RuleCopyShared, Holds: row.Holds, Copy: row.Barcode,
			Detail: fmt.Sprintf("copy set aside for %d open holds", len(row.Holds))})
	}
	return nil
}

// copyState: a ready hold's copy is on its pickup branch's hold shelf, a travelling hold's copy is in
// transit; a copy on a hold shelf belongs to a ready hold; a copy is on loan exactly when a loan is open.
func copyState(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	settle := o.Settle.Seconds()
	var rows []struct {
		Hold    *int64 `db:"hold"`
		Barcode string `db:"barcode"`
		Detail  string `db:"detail"`
	}
	err := db.SelectContext(ctx, &rows, `
		SELECT h.id AS hold, i.barcode, format('hold is %s at %s, its copy is %s at %s', h.status, h.pickup_branch, i.status, i.location_branch) AS detail
		FROM holds h JOIN items i ON i.barcode = h.item_barcode
		WHERE ((h.status = 'ready' AND (i.status <> 'hold_shelf' OR i.location_branch <> h.pickup_branch))
		    OR (h.status = 'in_transit' AND i.status <> 'in_transit'))
		  AND `+settled+` AND i.updated_at < now() - make_interval(secs => $1)
		UNION ALL
		SELECT NULL, i.barcode, 'copy is on the hold shelf of ' || i.location_branch || ' for no ready hold'
		FROM items i
		WHERE i.status = 'hold_shelf' AND i.updated_at < now() - make_interval(secs => $1)
		  AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item_barcode = i.barcode AND h.status = 'ready')
		UNION ALL
		SELECT NULL, i.barcode, CASE WHEN i.status = 'on_loan' THEN 'copy is on loan without an open loan'
			ELSE 'copy has an open loan but is ' || i.status END
		FROM items i
		WHERE (i.status = 'on_loan') <> EXISTS (SELECT 1 FROM loans l WHERE l.barcode = i.barcode AND l.returned_at IS NULL)
		  AND i.updated_at < now() - make_interval(secs => $1)
		ORDER BY 2`, settle)
	if err != nil {
		return fmt.Errorf("check copy states: %w", err)
	}
	for _, row := range rows {
		v := Violation{Rule: RuleCopyState, Copy: row.Barcode, Detail: row.Detail}
		if row.Hold != nil {
			v.Holds = []int64{*row.Hold}
		}
		r.add(v)
	}
	return nil
}

// fifo: a hold that got a copy while an earlier-placed hold on the same title was already waiting for one
// (and still waits) jumped the queue. Holds that became eligible later (a series volume whose turn came,
// a hold approved after the copy was given) are not passed over.
func fifo(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	settle := o.Settle.Seconds()
	var rows []struct {
		Waiting int64  `db:"waiting"`
		Served  int64  `db:"served"`
		Barcode string `db:"item_barcode"`
		TitleID int64  `db:"title_id"`
	}
	err := db.SelectContext(ctx, &rows, `
		WITH waiting AS (
			SELECT h.id, h.title_id, h.placed_at, `+queuedSince+` AS since
			FROM holds h WHERE h.status = 'queued' AND h.item_barcode IS NULL AND h.title_id IS NOT NULL)
		SELECT w.id AS waiting, g.id AS served, g.item_barcode, w.title_id
		FROM waiting w JOIN holds g ON g.title_id = w.title_id AND (g.placed_at, g.id) > (w.placed_at, w.id)
		WHERE g.assigned_at > w.since AND g.assigned_at < now() - make_interval(secs => $1)
		ORDER BY w.id, g.id`, settle)
	if err != nil {
		return fmt.Errorf("check queue order: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: RuleFIFO, Holds: []int64{row.Waiting, row.Served}, Copy: row.Barcode,
			Detail: fmt.Sprintf("title %d: hold %d got a copy while the earlier hold %d waited", row.TitleID, row.Served, row.Waiting)})
	}
	return nil
}

// idleCopies: a copy on a shelf, set aside for nobody, while a hold on its title has been waiting for longer
// than the settling time.
func idleCopies(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	settle := o.Settle.Seconds()
	var rows []struct {
		Barcode string `db:"barcode"`
		Hold    int64  `db:"hold"`
		Branch  string `db:"location_branch"`
	}
	err := db.SelectContext(ctx, &rows, `
		SELECT i.barcode, i.location_branch, w.id AS hold FROM items i
		JOIN LATERAL (
			SELECT h.id FROM holds h
			WHERE h.title_id = i.title_id AND h.status = 'queued' AND h.item_barcode IS NULL
			  AND `+queuedSince+` < now() - make_interval(secs => $1)
			ORDER BY h.placed_at, h.id LIMIT 1) w ON true
		WHERE i.status = 'on_shelf' AND i.updated_at < now() - make_interval(secs => $1)
		  AND NOT EXISTS (SELECT 1 FROM holds x WHERE x.item_barcode = i.barcode AND x.`+store.OpenHold+`)
		ORDER BY i.barcode`, settle)
	if err != nil {
		return fmt.Errorf("check idle copies: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: RuleIdleCopy, Holds: []int64{row.Hold}, Copy: row.Barcode,
			Detail: "free copy on the shelf of " + row.Branch + " while the hold waits"})
	}
	return nil
}

// limits: a patron's open holds, counted as placement counts them, never exceed the limits, and no title is
// held twice by one patron: otherwise a hold was counted twice, or not at all, somewhere.
func limits(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	l := o.Limits
	if l.Total <= 0 {
		return nil // not configured: nothing to compare with
	}
	var rows []struct {
		Patron int64         `db:"patron_id"`
		Total  int           `db:"total"`
		AV     int           `db:"av"`
		Holds  pq.Int64Array `db:"holds"`
		Twice  pq.Int64Array `db:"twice"`
	}
	err := db.SelectContext(ctx, &rows, `
		SELECT h.patron_id, count(*) AS total, count(*) FILTER (WHERE t.format IN ('cd', 'video', 'dvd')) AS av,
			array_agg(h.id ORDER BY h.id) AS holds,
			COALESCE(array_agg(h.title_id ORDER BY h.title_id) FILTER (WHERE h.title_id IN (
				SELECT d.title_id FROM holds d WHERE d.patron_id = h.patron_id AND d.`+store.OpenHold+`
				GROUP BY d.title_id HAVING count(*) > 1)), '{}') AS twice
		FROM holds h LEFT JOIN titles t ON t.id = h.title_id
		WHERE h.`+store.OpenHold+`
		GROUP BY h.patron_id
		HAVING count(*) > $1 OR count(*) FILTER (WHERE t.format IN ('cd', 'video', 'dvd')) > $2
			OR count(h.title_id) > count(DISTINCT h.title_id)
		ORDER BY h.patron_id`, l.Total, l.AV)
	if err != nil {
		return fmt.Errorf("check limits: %w", err)
	}
	for _, row := range rows {
		detail := fmt.Sprintf("patron %d has %d open holds (%d AV), limits %d (%d AV)", row.Patron, row.Total, row.AV, l.Total, l.AV)
		if len(row.Twice) > 0 {
			detail = fmt.Sprintf("patron %d holds titles %v twice", row.Patron, []int64(row.Twice))
		}
		r.add(Violation{Rule: RuleLimit, Holds: row.Holds, Detail: detail})
	}
	return nil
}

// readyMail: every ready hold was told (mailed, which sets its contact date; put on the call list, also
// when every address refused the mail; or, with no contact method, counted as told when ready), a ready
// event has at most one message per address, and every message recorded was accepted by the mail server or
// refused by it for good (a refused address is not missing: its patron is on the call list, or was mailed at
// the other address). A ready event's messages are those written between
// it and the hold's next transition. The contact method is not judged as it is now: a patron may change it
// after being told.
func readyMail(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	settle := o.Settle.Seconds()
	if err := db.GetContext(ctx, &r.ReadyEvents, `SELECT count(*) FROM hold_events WHERE to_status = 'ready' AND from_status IS DISTINCT FROM 'ready'`); err != nil {
		return fmt.Errorf("check ready mail: %w", err)
	}
	if err := db.GetContext(ctx, &r.MailsSent, `SELECT count(*) FROM notifications WHERE channel = 'email' AND sent_at IS NOT NULL`); err != nil {
		return fmt.Errorf("check ready mail: %w", err)
	}
	var rows []struct {
		Hold   int64  `db:"hold_id"`
		Rule   string `db:"rule"`
		Detail string `db:"detail"`
	}
	err := db.SelectContext(ctx, &rows, `
		WITH ready AS (
			SELECT e.hold_id, e.transition, e.at,
				lead(e.at) OVER (PARTITION BY e.hold_id ORDER BY e.transition) AS next_at, e.to_status
			FROM hold_events e),
		mails AS (
			SELECT r.hold_id, r.transition, r.at, n.address, count(*) AS n
			FROM ready r JOIN notifications n ON n.hold_id = r.hold_id AND n.channel = 'email'
				AND n.created_at >= r.at AND (r.next_at IS NULL OR n.created_at < r.next_at)
			WHERE r.to_status = 'ready'
			GROUP BY r.hold_id, r.transition, r.at, n.address)
		SELECT hold_id, $2::text AS rule, format('ready event %s: %s messages to one address', transition, n) AS detail
		FROM mails WHERE n > 1
		UNION ALL
		SELECT n.hold_id, $3::text, format('message to one address of the ready event at %s was never accepted by the mail server', n.created_at)
		FROM notifications n
		WHERE n.channel = 'email' AND n.sent_at IS NULL AND n.refused_at IS NULL AND n.created_at < now() - make_interval(secs => $1)
		  -- a hold picked up or expired before a crashed send was retried is rightly never mailed
		  AND EXISTS (SELECT 1 FROM holds h WHERE h.id = n.hold_id AND h.status = 'ready'
		      AND h.transition::text = split_part(n.idempotency_key, ':', 3))
		UNION ALL
		SELECT h.id, $4::text, 'hold is ready since ' || r.at || ' but its patron was never told: no contact date and no call on the list'
		FROM holds h
		JOIN LATERAL (SELECT max(e.at) AS at FROM hold_events e WHERE e.hold_id = h.id AND e.to_status = 'ready') r ON true
		WHERE h.status = 'ready' AND h.contact_date IS NULL AND r.at < now() - make_interval(secs => $1)
		  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.hold_id = h.id AND n.channel = 'phone' AND n.created_at >= r.at)
		ORDER BY 1`, settle, RuleMailDuplicate, RuleMailUnsent, RuleMailMissing)
	if err != nil {
		return fmt.Errorf("check ready mail: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: row.Rule, Holds: []int64{row.Hold}, Detail: row.Detail})
	}
	return nil
}

// stuck: holds that should have moved on and did not — a lost signal, a dropped timer, a transition that
// failed for good. Their database row and workflow may agree; they are still wrong.
func stuck(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	settle := o.Settle.Seconds()
	tz := o.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	var rows []struct {
		Hold   int64  `db:"id"`
		Detail string `db:"detail"`
	}
	err := db.SelectContext(ctx, &rows, `
		SELECT h.id, CASE
			WHEN h.status = 'requested' THEN 'placed at ' || h.placed_at || ' and never approved'
			WHEN h.pending_copy IS NOT NULL AND h.pending_at < now() - make_interval(secs => $1) AND h.`+store.OpenHold+`
				THEN 'copy ' || (h.pending_copy->>'Barcode') || ' (' || (h.pending_copy->>'Kind') || ') was given to it at ' || h.pending_at || ' and its workflow never applied it'
			WHEN h.status = 'queued' AND h.item_barcode IS NOT NULL THEN 'a copy was set aside at ' || h.assigned_at || ' but the hold never took it'
			WHEN h.status IN ('queued', 'awaiting_pull') THEN 'its set-aside copy is ' || i.status || ', not on a shelf'
			WHEN h.status = 'cancel_requested' THEN 'cancellation requested at ' || h.cancel_requested_at || ' and never approved'
			WHEN h.status = 'preparing' THEN 'every earlier volume of its series is ready or closed, but it still waits its turn'
			ELSE 'its pickup deadline ' || h.pickup_deadline || ' has passed but it did not expire' END AS detail
		FROM holds h LEFT JOIN items i ON i.barcode = h.item_barcode
		WHERE `+settled+` AND (
			h.status = 'requested'
			OR (h.pending_copy IS NOT NULL AND h.pending_at < now() - make_interval(secs => $1) AND h.`+store.OpenHold+`)
			OR (h.status = 'queued' AND h.item_barcode IS NOT NULL AND h.assigned_at < now() - make_interval(secs => $1))
			OR (h.status IN ('queued', 'awaiting_pull') AND i.status <> 'on_shelf' AND i.updated_at < now() - make_interval(secs => $1))
			OR (h.status = 'cancel_requested' AND h.cancel_requested_at < now() - make_interval(secs => $1 + $2))
			OR (h.status = 'preparing' AND NOT EXISTS (SELECT 1 FROM holds e WHERE e.series_hold_id = h.series_hold_id
				AND e.series_seq < h.series_seq AND e.status NOT IN ('ready', 'fulfilled', 'cancelled'))
				AND NOT EXISTS (SELECT 1 FROM holds e JOIN hold_events ev ON ev.hold_id = e.id
					WHERE e.series_hold_id = h.series_hold_id AND ev.at > now() - make_interval(secs => $1)))
			OR (h.status = 'ready' AND h.pickup_deadline < (now() AT TIME ZONE $3)::date - 1))
		ORDER BY h.id`, settle, o.CancelApprovalDelay.Seconds(), tz)
	if err != nil {
		return fmt.Errorf("check stuck holds: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: RuleStuck, Holds: []int64{row.Hold}, Detail: row.Detail})
	}
	return nil
}
