package store

// The queries of the consistency check (internal/check): each lists what breaks one of its rules. A hold
// whose last transition, or a copy whose last change, is younger than settle is still moving and is not
// listed. The rules' wording and reporting stay in check.

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// queuedSince is when hold h last became 順番待ち/返却待ち ('queued'): from then on it is eligible for a copy.
// A queued → queued transition (a pickup change while waiting) does not restart the wait.
const queuedSince = `(SELECT max(e.at) FROM hold_events e WHERE e.hold_id = h.id AND e.to_status = 'queued'
	AND e.from_status IS DISTINCT FROM 'queued')`

// settled is the SQL condition "hold h has not changed for $1 seconds".
const settled = `COALESCE((SELECT max(e.at) FROM hold_events e WHERE e.hold_id = h.id), h.placed_at) < now() - make_interval(secs => $1)`

// SharedCopy is a copy set aside for more than one open hold.
type SharedCopy struct {
	Barcode string        `db:"item_barcode"`
	Holds   pq.Int64Array `db:"holds"`
}

// SharedCopies lists the copies set aside for more than one open hold.
func SharedCopies(ctx context.Context, q sqlx.QueryerContext) ([]SharedCopy, error) {
	return selectAll[SharedCopy](ctx, q, "copies set aside", `SELECT item_barcode, array_agg(id ORDER BY id) AS holds FROM holds
		WHERE item_barcode IS NOT NULL AND `+OpenHold+` GROUP BY item_barcode HAVING count(*) > 1 ORDER BY item_barcode`)
}

// CopyFault is a copy whose state does not fit its hold (Hold set) or its loans.
type CopyFault struct {
	Hold    *int64 `db:"hold"`
	Barcode string `db:"barcode"`
	Detail  string `db:"detail"`
}

// CopyFaults lists the copies whose state does not fit: a ready hold's copy not on its pickup branch's hold
// shelf, a travelling hold's copy not in transit, a copy on a hold shelf for no ready hold, a copy on loan
// without an open loan or the other way round, a suspended hold that holds a copy.
func CopyFaults(ctx context.Context, q sqlx.QueryerContext, settle time.Duration) ([]CopyFault, error) {
	return selectAll[CopyFault](ctx, q, "copy states", `
		SELECT h.id AS hold, i.barcode, format('hold is %s at %s, its copy is %s at %s', h.status, h.pickup_branch, i.status, i.location_branch) AS detail
		FROM holds h JOIN items i ON i.barcode = h.item_barcode
		WHERE ((h.status = 'ready' AND (i.status <> 'hold_shelf' OR i.location_branch <> h.pickup_branch))
		    OR (h.status = 'in_transit' AND i.status <> 'in_transit'))
		  AND `+settled+` AND i.updated_at < now() - make_interval(secs => $1)
		UNION ALL
		SELECT h.id, i.barcode, 'hold is suspended but holds copy ' || i.barcode
		FROM holds h JOIN items i ON i.barcode = h.item_barcode
		WHERE h.status = 'suspended'
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
		ORDER BY 2`, settle.Seconds())
}

// QueueJump is a hold (Served) that got a copy while a hold before it in queue order (Waiting) on the same title was
// already waiting for one and still waits.
type QueueJump struct {
	Waiting int64  `db:"waiting"`
	Served  int64  `db:"served"`
	Barcode string `db:"item_barcode"`
	TitleID int64  `db:"title_id"`
}

// QueueJumps lists the holds served out of turn.
func QueueJumps(ctx context.Context, q sqlx.QueryerContext, settle time.Duration) ([]QueueJump, error) {
	return selectAll[QueueJump](ctx, q, "queue order", `
		WITH waiting AS (
			SELECT h.id, h.title_id, `+QueueKey("h")+` AS key, `+queuedSince+` AS since
			FROM holds h WHERE h.status = 'queued' AND h.item_barcode IS NULL AND h.title_id IS NOT NULL AND `+notLost("h")+`)
		SELECT w.id AS waiting, g.id AS served, g.item_barcode, w.title_id
		FROM waiting w JOIN holds g ON g.title_id = w.title_id AND (`+QueueKey("g")+`, g.id) > (w.key, w.id)
		WHERE g.assigned_at > w.since AND g.assigned_at < now() - make_interval(secs => $1)
		ORDER BY w.id, g.id`, settle.Seconds())
}

// IdleCopy is a copy on a shelf, set aside for nobody, while Hold waits for its title.
type IdleCopy struct {
	Barcode string `db:"barcode"`
	Hold    int64  `db:"hold"`
	Branch  string `db:"location_branch"`
}

// IdleCopies lists the free copies on a shelf while a hold on their title has waited longer than settle.
func IdleCopies(ctx context.Context, q sqlx.QueryerContext, settle time.Duration) ([]IdleCopy, error) {
	return selectAll[IdleCopy](ctx, q, "idle copies", `
		SELECT i.barcode, i.location_branch, w.id AS hold FROM items i
		JOIN LATERAL (
			SELECT h.id FROM holds h
			WHERE h.title_id = i.title_id AND h.status = 'queued' AND h.item_barcode IS NULL AND `+notLost("h")+`
			  AND `+queuedSince+` < now() - make_interval(secs => $1)
			ORDER BY `+QueueKey("h")+`, h.id LIMIT 1) w ON true
		WHERE i.status = 'on_shelf' AND i.updated_at < now() - make_interval(secs => $1)
		  AND NOT EXISTS (SELECT 1 FROM holds x WHERE x.item_barcode = i.barcode AND x.`+OpenHold+`)
		ORDER BY i.barcode`, settle.Seconds())
}

// OverLimit is a patron's open holds, counted as placement counts them, with the titles held twice.
type OverLimit struct {
	Patron int64         `db:"patron_id"`
	Total  int           `db:"total"`
	AV     int           `db:"av"`
	Holds  pq.Int64Array `db:"holds"`
	Twice  pq.Int64Array `db:"twice"`
}

// OverLimits lists the patrons with more open holds than l allows (an any-of group counting once), or a
// title held twice.
func OverLimits(ctx context.Context, q sqlx.QueryerContext, l Limits) ([]OverLimit, error) {
	return selectAll[OverLimit](ctx, q, "limits", `
		SELECT h.patron_id, count(DISTINCT `+LimitUnit+`) AS total,
			count(DISTINCT `+LimitUnit+`) FILTER (WHERE t.format IN ('cd', 'video', 'dvd')) AS av,
			array_agg(h.id ORDER BY h.id) AS holds,
			COALESCE(array_agg(h.title_id ORDER BY h.title_id) FILTER (WHERE h.title_id IN (
				SELECT d.title_id FROM holds d WHERE d.patron_id = h.patron_id AND d.`+OpenHold+`
				GROUP BY d.title_id HAVING count(*) > 1)), '{}') AS twice
		FROM holds h LEFT JOIN titles t ON t.id = h.title_id
		WHERE h.`+OpenHold+`
		GROUP BY h.patron_id
		HAVING count(DISTINCT `+LimitUnit+`) > $1 OR count(DISTINCT `+LimitUnit+`) FILTER (WHERE t.format IN ('cd', 'video', 'dvd')) > $2
			OR count(h.title_id) > count(DISTINCT h.title_id)
		ORDER BY h.patron_id`, l.Total, l.AV)
}

// ReadyEventCounts are how many times a hold became ready and how many ready mails were accepted.
func ReadyEventCounts(ctx context.Context, q sqlx.QueryerContext) (events, mailsSent int, err error) {
	if err := sqlx.GetContext(ctx, q, &events, `SELECT count(*) FROM hold_events WHERE to_status = 'ready' AND from_status IS DISTINCT FROM 'ready'`); err != nil {
		return 0, 0, fmt.Errorf("store: ready events: %w", err)
	}
	if err := sqlx.GetContext(ctx, q, &mailsSent, `SELECT count(*) FROM notifications WHERE channel = 'email' AND sent_at IS NOT NULL`); err != nil {
		return 0, 0, fmt.Errorf("store: ready mails: %w", err)
	}
	return events, mailsSent, nil
}

// MailFault is a ready event told wrongly; Kind is one of the labels ReadyMailFaults was given.
type MailFault struct {
	Hold   int64  `db:"hold_id"`
	Kind   string `db:"rule"`
	Detail string `db:"detail"`
}

// ReadyMailFaults lists the ready events with more than one message to an address (labelled duplicate),
// the messages never accepted nor refused by the mail server (unsent), and the ready holds whose patron was
// never told (missing). A ready event's messages are those written between it and the hold's next transition.
func ReadyMailFaults(ctx context.Context, q sqlx.QueryerContext, settle time.Duration, duplicate, unsent, missing string) ([]MailFault, error) {
	return selectAll[MailFault](ctx, q, "ready mail", `
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
		ORDER BY 1`, settle.Seconds(), duplicate, unsent, missing)
}

// StuckHold is a hold that should have moved on and did not, and why it should have.
type StuckHold struct {
	Hold   int64  `db:"id"`
	Detail string `db:"detail"`
}

// StuckHolds lists the holds that should have moved on: never approved, a copy given and never applied, a
// set-aside copy never taken or gone, a cancellation request never approved after cancelDelay, a series
// volume whose turn came, a pickup deadline (a date in time zone tz) passed, a suspension whose day (the
// start of it in tz) came.
func StuckHolds(ctx context.Context, q sqlx.QueryerContext, settle, cancelDelay time.Duration, tz string) ([]StuckHold, error) {
	return selectAll[StuckHold](ctx, q, "stuck holds", `
		SELECT h.id, CASE
			WHEN h.status = 'requested' THEN 'placed at ' || h.placed_at || ' and never approved'
			WHEN h.pending_copy IS NOT NULL AND h.pending_at < now() - make_interval(secs => $1) AND h.`+OpenHold+`
				THEN 'copy ' || (h.pending_copy->>'Barcode') || ' (' || (h.pending_copy->>'Kind') || ') was given to it at ' || h.pending_at || ' and its workflow never applied it'
			WHEN NOT `+notLost("h")+` THEN 'its any-of group was served by hold ' || (SELECT g.served_hold_id FROM hold_groups g WHERE g.id = h.group_id) || ' but it did not end'
			WHEN h.status = 'queued' AND h.item_barcode IS NOT NULL THEN 'a copy was set aside at ' || h.assigned_at || ' but the hold never took it'
			WHEN h.status IN ('queued', 'awaiting_pull') THEN 'its set-aside copy is ' || i.status || ', not on a shelf'
			WHEN h.status = 'cancel_requested' THEN 'cancellation requested at ' || h.cancel_requested_at || ' and never approved'
			WHEN h.status = 'preparing' THEN 'every earlier volume of its series is ready or closed, but it still waits its turn'
			WHEN h.status = 'suspended' THEN 'suspended until ' || h.suspended_until || ' but it is not active again'
			ELSE 'its pickup deadline ' || h.pickup_deadline || ' has passed but it did not expire' END AS detail
		FROM holds h LEFT JOIN items i ON i.barcode = h.item_barcode
		WHERE `+settled+` AND (
			h.status = 'requested'
			OR (h.pending_copy IS NOT NULL AND h.pending_at < now() - make_interval(secs => $1) AND h.`+OpenHold+`)
			OR (h.status = 'queued' AND h.item_barcode IS NOT NULL AND h.assigned_at < now() - make_interval(secs => $1))
			OR (h.status IN ('queued', 'awaiting_pull') AND i.status <> 'on_shelf' AND i.updated_at < now() - make_interval(secs => $1))
			OR (h.status = 'cancel_requested' AND h.cancel_requested_at < now() - make_interval(secs => $1 + $2))
			OR (h.status = 'preparing' AND NOT EXISTS (SELECT 1 FROM holds e WHERE e.series_hold_id = h.series_hold_id
				AND e.series_seq < h.series_seq AND e.status NOT IN ('ready', 'fulfilled', 'cancelled'))
				AND NOT EXISTS (SELECT 1 FROM holds e JOIN hold_events ev ON ev.hold_id = e.id
					WHERE e.series_hold_id = h.series_hold_id AND ev.at > now() - make_interval(secs => $1)))
			OR (h.`+OpenHold+` AND NOT `+notLost("h")+` AND (SELECT g.decided_at FROM hold_groups g WHERE g.id = h.group_id) < now() - make_interval(secs => $1))
			OR (h.status = 'ready' AND h.pickup_deadline < (now() AT TIME ZONE $3)::date - 1)
			OR (h.status = 'suspended' AND h.suspended_until::timestamp AT TIME ZONE $3 < now() - make_interval(secs => $1)))
		ORDER BY h.id`, settle.Seconds(), cancelDelay.Seconds(), tz)
}

// HoldSettled is a hold's status and whether it has not changed for the settling time.
type HoldSettled struct {
	ID      int64         `db:"id"`
	Status  domain.Status `db:"status"`
	Settled bool          `db:"settled"`
}

// OpenHoldsSettled lists every open hold.
func OpenHoldsSettled(ctx context.Context, q sqlx.QueryerContext, settle time.Duration) ([]HoldSettled, error) {
	return selectAll[HoldSettled](ctx, q, "open holds", `SELECT h.id, h.status, `+settled+` AS settled FROM holds h WHERE h.`+OpenHold+` ORDER BY h.id`, settle.Seconds())
}

// HoldsSettled lists the holds of ids that exist.
func HoldsSettled(ctx context.Context, q sqlx.QueryerContext, settle time.Duration, ids []int64) ([]HoldSettled, error) {
	return selectAll[HoldSettled](ctx, q, "holds of running workflows", `SELECT h.id, h.status, `+settled+` AS settled FROM holds h WHERE h.id = ANY($2)`, settle.Seconds(), pq.Array(ids))
}

// HoldStatus is the hold's status now.
func HoldStatus(ctx context.Context, q sqlx.QueryerContext, holdID int64) (domain.Status, error) {
	var s domain.Status
	if err := sqlx.GetContext(ctx, q, &s, `SELECT status FROM holds WHERE id = $1`, holdID); err != nil {
		return "", fmt.Errorf("store: hold %d: %w", holdID, err)
	}
	return s, nil
}

// ParentOpen is a series hold or an any-of group, whether one of its holds is open, its holds and whether
// all have settled.
type ParentOpen struct {
	ID      int64         `db:"id"`
	Open    bool          `db:"open"`
	Settled bool          `db:"settled"`
	Holds   pq.Int64Array `db:"holds"`
}

// SeriesHoldsOpen lists every series hold.
func SeriesHoldsOpen(ctx context.Context, q sqlx.QueryerContext, settle time.Duration) ([]ParentOpen, error) {
	return selectAll[ParentOpen](ctx, q, "series holds", `
		SELECT s.id, bool_or(h.`+OpenHold+`) AS open, array_agg(h.id ORDER BY h.series_seq) AS holds,
			bool_and(`+settled+`) AS settled
		FROM series_holds s JOIN holds h ON h.series_hold_id = s.id
		GROUP BY s.id ORDER BY s.id`, settle.Seconds())
}

// HoldGroupsOpen lists every any-of group.
func HoldGroupsOpen(ctx context.Context, q sqlx.QueryerContext, settle time.Duration) ([]ParentOpen, error) {
	return selectAll[ParentOpen](ctx, q, "hold groups", `
		SELECT g.id, bool_or(h.`+OpenHold+`) AS open, array_agg(h.id ORDER BY h.id) AS holds,
			bool_and(`+settled+`) AS settled
		FROM hold_groups g JOIN holds h ON h.group_id = g.id
		GROUP BY g.id ORDER BY g.id`, settle.Seconds())
}

// GroupFault is an any-of group served more than once: a member other than the one it was decided for
// holds a copy or went on to the hold shelf or a loan.
type GroupFault struct {
	Group  int64         `db:"group_id"`
	Holds  pq.Int64Array `db:"holds"`
	Detail string        `db:"detail"`
}

// GroupFaults lists the groups with more than one served member.
func GroupFaults(ctx context.Context, q sqlx.QueryerContext) ([]GroupFault, error) {
	return selectAll[GroupFault](ctx, q, "hold groups served", `
		SELECT g.id AS group_id, array_agg(h.id ORDER BY h.id) AS holds,
			format('group decided for hold %s, but %s of its other holds were served', coalesce(g.served_hold_id::text, 'none'), count(*)) AS detail
		FROM hold_groups g JOIN holds h ON h.group_id = g.id
		WHERE h.id IS DISTINCT FROM g.served_hold_id
		  AND (h.item_barcode IS NOT NULL AND h.`+OpenHold+` OR h.status IN ('awaiting_pull', 'in_transit', 'ready', 'fulfilled'))
		GROUP BY g.id ORDER BY g.id`)
}

// SentMail is one address a ready mail was recorded as accepted for.
type SentMail struct {
	Hold      int64  `db:"hold_id"`
	MessageID string `db:"message_id"`
	Address   string `db:"address"`
}

// SentMails lists the ready mails accepted more than settle ago, by hold, message and address.
func SentMails(ctx context.Context, q sqlx.QueryerContext, settle time.Duration) ([]SentMail, error) {
	return selectAll[SentMail](ctx, q, "sent mail", `SELECT hold_id, message_id, address FROM notifications
		WHERE channel = 'email' AND sent_at IS NOT NULL AND message_id IS NOT NULL AND sent_at < now() - make_interval(secs => $1)
		ORDER BY hold_id, message_id, address`, settle.Seconds())
}

// LongDeadline is a ready hold whose pickup deadline lies further from its contact date than the rules allow.
type LongDeadline struct {
	Hold     int64     `db:"id"`
	Contact  time.Time `db:"contact_date"`
	Deadline time.Time `db:"pickup_deadline"`
	Extended bool      `db:"extended"`
	Branch   string    `db:"pickup_branch"` // whose calendar may move the deadline further (check.deadlines)
}

// LongDeadlines lists the ready holds whose pickup deadline is later than 1 week counting the contact date
// (domain.PickupDays), plus domain.ExtendDays once the hold was extended (取置延長). Branch calendars and
// emergency closings may move a deadline further: the caller weighs those (check.deadlines).
func LongDeadlines(ctx context.Context, q sqlx.QueryerContext) ([]LongDeadline, error) {
	return selectAll[LongDeadline](ctx, q, "pickup deadlines", `
		SELECT h.id, h.contact_date, h.pickup_deadline, h.extended_at IS NOT NULL AS extended, h.pickup_branch FROM holds h
		WHERE h.status = 'ready' AND h.pickup_deadline > h.contact_date + $1::int
			+ CASE WHEN h.extended_at IS NULL THEN 0 ELSE $2::int END
		ORDER BY h.id`, domain.PickupDays-1, domain.ExtendDays)
}
