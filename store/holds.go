package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// OpenHold is the SQL condition of a hold that is not closed (domain.Status.Open). Qualify it for an alias
// by prefixing the alias: "h." + OpenHold.
const OpenHold = `status NOT IN ('cancelled', 'fulfilled')`

// Placement refusals, one per rejection code of the HTTP contract (api/README.md).
var (
	ErrLimitExceeded    = errors.New("hold_limit_exceeded")
	ErrPickupNotAllowed = errors.New("pickup_not_allowed")
	ErrNotHoldable      = errors.New("not_holdable")
	ErrAlreadyHeld      = errors.New("already_held")
	ErrTitleNotFound    = errors.New("not_found")
	ErrUnknownBranch    = errors.New("unknown_branch")
)

// Limits are the per-patron limits on open holds.
type Limits struct {
	Total int
	AV    int
}

// Placement is one hold to place.
type Placement struct {
	PatronID int64
	TitleID  int64 // 0 with Request: a counter request for a title the library does not own
	Request  *Request
	Pickup   string
	Origin   string // web | counter
	PlacedBy int64  // staff member at the counter
	Limits   Limits
}

// Request describes a title the library does not own.
type Request struct {
	Title, Author, ISBN string
}

// branchCodePattern is branches.code's CHECK: anything else is no branch, whatever a client sends (a NUL
// byte or invalid UTF-8 would make PostgreSQL refuse the query itself).
var branchCodePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// Branch looks a branch up by code.
func BranchByCode(ctx context.Context, q sqlx.QueryerContext, code string) (Branch, error) {
	if !branchCodePattern.MatchString(code) {
		return Branch{}, ErrUnknownBranch
	}
	var b Branch
	err := sqlx.GetContext(ctx, q, &b, `SELECT code, name, kind FROM branches WHERE code = $1`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return Branch{}, ErrUnknownBranch
	}
	if err != nil {
		return Branch{}, fmt.Errorf("store: branch %s: %w", code, err)
	}
	b.AcceptsAV = b.Kind.AcceptsAV()
	return b, nil
}

// PlaceHold checks a placement against the title, the pickup place and the patron's limits and records the
// hold as 予約申込, in one transaction that locks the patron: two placements racing at the limit cannot
// both pass.
func PlaceHold(ctx context.Context, db *sqlx.DB, p Placement) (int64, error) {
	var id int64
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := lockPatron(ctx, tx, p.PatronID); err != nil {
			return err
		}
		av, err := checkPlacement(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := checkLimits(ctx, tx, p.PatronID, p.Limits, 1, b2i(av)); err != nil {
			return err
		}
		id, err = insertHold(ctx, tx, p, 0, 0)
		return err
	})
	return id, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkPlacement checks one title for a placement: it exists and can be held, its format can be picked up
// at the place, and the patron does not hold it already. It reports whether the title is AV.
func checkPlacement(ctx context.Context, tx *sqlx.Tx, p Placement) (bool, error) {
	branch, err := BranchByCode(ctx, tx, p.Pickup)
	if err != nil {
		return false, err
	}
	if p.TitleID == 0 {
		return false, nil
	}
	var t struct {
		Format        domain.Format `db:"format"`
		ReferenceOnly bool          `db:"reference_only"`
	}
	err = tx.GetContext(ctx, &t, `SELECT format, reference_only FROM titles WHERE id = $1`, p.TitleID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrTitleNotFound
	}
	if err != nil {
		return false, fmt.Errorf("store: title %d: %w", p.TitleID, err)
	}
	if t.ReferenceOnly || t.Format == domain.FormatEText {
		return false, ErrNotHoldable
	}
	if !domain.CanPickUp(branch.Kind, t.Format) {
		return false, ErrPickupNotAllowed
	}
	var held bool
	if err := tx.GetContext(ctx, &held, `SELECT EXISTS (SELECT 1 FROM holds WHERE patron_id = $1 AND title_id = $2
		AND `+OpenHold+`)`, p.PatronID, p.TitleID); err != nil {
		return false, fmt.Errorf("store: held: %w", err)
	}
	if held {
		return false, ErrAlreadyHeld
	}
	return t.Format.IsAV(), nil
}

// LimitUnit is what counts as one hold against the limits, for holds alias h: a hold, or an any-of group
// (いずれか予約) of holds (its ID negated, so that it never equals a hold's). A group counts against the AV
// limit when any open member is AV.
const LimitUnit = `COALESCE(-h.group_id, h.id)`

// checkLimits refuses adding n holds (av of them AV) past the patron's limits. Open holds count, 取消申込
// included; a group counts once.
func checkLimits(ctx context.Context, tx *sqlx.Tx, patronID int64, l Limits, n, av int) error {
	var c struct {
		Total int `db:"total"`
		AV    int `db:"av"`
	}
	if err := tx.GetContext(ctx, &c, `SELECT count(DISTINCT `+LimitUnit+`) AS total,
			count(DISTINCT `+LimitUnit+`) FILTER (WHERE t.format IN ('cd', 'video', 'dvd')) AS av
		FROM holds h LEFT JOIN titles t ON t.id = h.title_id
		WHERE h.patron_id = $1 AND h.`+OpenHold, patronID); err != nil {
		return fmt.Errorf("store: count holds: %w", err)
	}
	if c.Total+n > l.Total || (av > 0 && c.AV+av > l.AV) {
		return ErrLimitExceeded
	}
	return nil
}

func insertHold(ctx context.Context, tx *sqlx.Tx, p Placement, seriesID int64, seq int) (int64, error) {
	var titleID, series, placedBy *int64
	var seqp *int
	var req Request
	if p.TitleID != 0 {
		titleID = &p.TitleID
	} else if p.Request != nil {
		req = *p.Request
	}
	if p.PlacedBy != 0 {
		placedBy = &p.PlacedBy
	}
	if seriesID != 0 {
		series, seqp = &seriesID, &seq
	}
	var id int64
	err := tx.GetContext(ctx, &id, `INSERT INTO holds (patron_id, title_id, request_title, request_author, request_isbn,
			pickup_branch, origin, placed_by, series_hold_id, series_seq)
		VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, ''), $6, $7, $8, $9, $10) RETURNING id`,
		p.PatronID, titleID, req.Title, req.Author, req.ISBN, p.Pickup, p.Origin, placedBy, series, seqp)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return 0, ErrAlreadyHeld
	}
	if err != nil {
		return 0, fmt.Errorf("store: insert hold: %w", err)
	}
	return id, nil
}

// DeleteUnstartedHold removes a hold whose workflow could not be started, so it never lingers as 予約申込.
func DeleteUnstartedHold(ctx context.Context, db sqlx.ExecerContext, id int64) error {
	_, err := db.ExecContext(ctx, `DELETE FROM holds WHERE id = $1 AND status = 'requested' AND transition = 0`, id)
	if err != nil {
		return fmt.Errorf("store: delete hold %d: %w", id, err)
	}
	return nil
}

// HoldView is a hold as patrons and staff read it.
type HoldView struct {
	ID             int64          `db:"id"`
	PatronID       int64          `db:"patron_id"`
	TitleID        sql.NullInt64  `db:"title_id"`
	Title          string         `db:"title"`
	Format         sql.NullString `db:"format"`
	Status         domain.Status  `db:"status"`
	Position       sql.NullInt64  `db:"position"` // in the title's queue; null when not waiting there (a member its any-of group was not decided for holds none)
	Pickup         string         `db:"pickup_branch"`
	Origin         string         `db:"origin"`
	PlacedAt       time.Time      `db:"placed_at"`
	ReadyAt        sql.NullTime   `db:"ready_at"`
	ContactDate    sql.NullTime   `db:"contact_date"`
	PickupDeadline sql.NullTime   `db:"pickup_deadline"`
	CancelledAt    sql.NullTime   `db:"cancelled_at"`
	CancelReason   sql.NullString `db:"cancel_reason"`
	CancelNote     sql.NullString `db:"cancel_note"` // the reason staff gave when they refused the hold
	SeriesID       sql.NullInt64  `db:"series_hold_id"`
	SeriesSeq      sql.NullInt64  `db:"series_seq"`
	GroupID        sql.NullInt64  `db:"group_id"` // the any-of group (いずれか予約) the hold is a member of
	ItemBarcode    sql.NullString `db:"item_barcode"`
	ILL            bool           `db:"ill"`
	SuspendedUntil sql.NullTime   `db:"suspended_until"` // set while 休止中: the day it is active again
	Extended       bool           `db:"extended"`        // the pickup deadline was extended (取置延長, once per hold)
	OthersWaiting  bool           `db:"others_waiting"`  // another hold waits for the title (no extension then)
	SomeoneBehind  bool           `db:"someone_behind"`  // an active hold waits behind this one (順位の繰下げ possible)
}

// Extendable says whether the patron may extend the hold's pickup deadline now: a ready hold, not yet
// extended, whose patron was told (a deadline to move), that nobody else waits behind. The workflow and its activity decide again when asked.
func (h HoldView) Extendable() bool {
	return h.Status == domain.StatusReady && h.PickupDeadline.Valid && !h.Extended && !h.OthersWaiting
}

// Deferrable says whether the patron may let the next hold go first now (順位の繰下げ): a hold that may defer
// with an active hold waiting behind it. The workflow and its activity decide again when asked.
func (h HoldView) Deferrable() bool {
	return domain.MayDefer(h.Status, h.ItemBarcode.Valid, h.SeriesID.Valid) && h.SomeoneBehind
}

// Shown is the status code patrons see.
func (h HoldView) Shown() domain.Status { return domain.Shown(h.Status, int(h.Position.Int64)) }

// positionOfH is hold h's place among the holds waiting for a copy of its title (NULL unless it waits; a
// member of an any-of group decided for another member waits for nothing).
var positionOfH = `CASE WHEN h.status = 'queued' AND h.item_barcode IS NULL AND ` + notLost("h") + ` THEN (
			SELECT count(*) FROM holds q WHERE q.title_id = h.title_id AND ` + waitingQueued + `
			  AND (` + queueKeyQ + `, q.id) <= (` + queueKeyH + `, h.id)) END`

var holdViewSelect = `
	SELECT h.id, h.patron_id, h.title_id, coalesce(t.title, h.request_title) AS title, t.format, h.status,
		` + positionOfH + ` AS position,
		h.pickup_branch, h.origin, h.placed_at, h.ready_at, h.contact_date, h.pickup_deadline, h.cancelled_at,
		h.cancel_reason, h.cancel_note, h.series_hold_id, h.series_seq, h.group_id, h.item_barcode, h.ill, h.suspended_until,
		h.extended_at IS NOT NULL AS extended,
		h.status = 'ready' AND EXISTS (SELECT 1 FROM holds w WHERE w.title_id = h.title_id AND w.id <> h.id AND ` + waitingHold + `) AS others_waiting,
		EXISTS (SELECT 1 FROM holds q WHERE q.title_id = h.title_id AND q.id <> h.id AND ` + waitingQueued + `
			AND (h.status <> 'queued' OR (` + queueKeyQ + `, q.id) > (` + queueKeyH + `, h.id))) AS someone_behind
	FROM holds h LEFT JOIN titles t ON t.id = h.title_id`

// ListedFor is how long cancelled holds stay on the patron's list.
const ListedFor = 7 * 24 * time.Hour

// PatronHolds lists a patron's active holds and the ones cancelled in the last 7 days, oldest first.
func PatronHolds(ctx context.Context, q sqlx.QueryerContext, patronID int64) ([]HoldView, error) {
	var hs []HoldView
	err := sqlx.SelectContext(ctx, q, &hs, holdViewSelect+`
		WHERE h.patron_id = $1 AND h.archived_at IS NULL AND h.status <> 'fulfilled'
		  AND (h.status <> 'cancelled' OR h.cancelled_at > now() - $2 * interval '1 second')
		ORDER BY h.placed_at, h.id`, patronID, ListedFor.Seconds())
	if err != nil {
		return nil, fmt.Errorf("store: holds of patron %d: %w", patronID, err)
	}
	return hs, nil
}

// ErrNoSuchHold means no hold has that ID (for this patron).
var ErrNoSuchHold = errors.New("store: no such hold")

// GetHold reads one hold; with patronID != 0 only that patron's.
func GetHold(ctx context.Context, q sqlx.QueryerContext, id, patronID int64) (HoldView, error) {
	var h HoldView
	err := sqlx.GetContext(ctx, q, &h, holdViewSelect+` WHERE h.id = $1 AND ($2::bigint = 0 OR h.patron_id = $2)`, id, patronID)
	if errors.Is(err, sql.ErrNoRows) {
		return HoldView{}, ErrNoSuchHold
	}
	if err != nil {
		return HoldView{}, fmt.Errorf("store: hold %d: %w", id, err)
	}
	return h, nil
}

// OpenHoldOfCopy is the open hold a copy is set aside for, travelling to or waiting for on the hold shelf.
func OpenHoldOfCopy(ctx context.Context, q sqlx.QueryerContext, barcode string) (HoldView, error) {
	var h HoldView
	err := sqlx.GetContext(ctx, q, &h, holdViewSelect+` WHERE h.item_barcode = $1 AND h.`+OpenHold, barcode)
	if errors.Is(err, sql.ErrNoRows) {
		return HoldView{}, ErrNoSuchHold
	}
	if err != nil {
		return HoldView{}, fmt.Errorf("store: hold of copy %s: %w", barcode, err)
	}
	return h, nil
}

// PatronByCard returns the ID and name of the patron with a card number.
func PatronByCard(ctx context.Context, q sqlx.QueryerContext, card string) (id int64, name string, err error) {
	var p struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	err = sqlx.GetContext(ctx, q, &p, `SELECT id, name FROM patrons WHERE card_number = $1`, card)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNoSuchPatron
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: patron: %w", err)
	}
	return p.ID, p.Name, nil
}

// ErrNoSuchPatron means no patron has that card number.
var ErrNoSuchPatron = errors.New("store: no such patron")

// PullItem is a copy staff must take from a branch's shelves for a hold.
type PullItem struct {
	Barcode       string `db:"barcode" json:"barcode"`
	Title         string `db:"title" json:"title"`
	Author        string `db:"author" json:"author"`
	CallNumber    string `db:"call_number" json:"call_number"`       // 請求記号
	ShelfLocation string `db:"shelf_location" json:"shelf_location"` // 配架場所
	HoldID        int64  `db:"hold_id" json:"-"`
	Pickup        string `db:"pickup_branch" json:"pickup_branch"`
	// PickupReopens is set when the pickup branch is closed today (休館日): the day it opens again, which the
	// copy's transit waits for.
	PickupReopens string `db:"-" json:"pickup_reopens,omitempty"`
}

// PullList lists the copies on a branch's shelves set aside for holds (確認待ち) in the order staff walk the
// shelves: by shelf location, then call number (byte order, which for the kana of author marks is
// gojūon order whatever the database's collation), copies with no shelf location last; oldest first within
// one call number.
func PullList(ctx context.Context, q sqlx.QueryerContext, branch string) ([]PullItem, error) {
	var items []PullItem
	err := sqlx.SelectContext(ctx, q, &items, `
		SELECT i.barcode, t.title, t.author, i.call_number, i.shelf_location,
		       h.id AS hold_id, h.pickup_branch
		FROM holds h JOIN items i ON i.barcode = h.item_barcode JOIN titles t ON t.id = h.title_id
		WHERE h.status = 'awaiting_pull' AND i.location_branch = $1
		ORDER BY i.shelf_location = '', i.shelf_location COLLATE "C", i.call_number COLLATE "C", h.assigned_at, h.id`, branch)
	if err != nil {
		return nil, fmt.Errorf("store: pull list %s: %w", branch, err)
	}
	return items, nil
}

// Call is a ready hold whose patron is to be phoned: a patron who chose a phone call, or one none of whose
// e-mail addresses accepted the ready mail (MailRefused lists them); staff record the call.
type Call struct {
	HoldID int64  `db:"hold_id"`
	Card   string `db:"card_number"`
	Name   string `db:"name"`
	// Phone is the number chosen for hold calls, else (a refused e-mail) the first registered one; "" when
	// the patron has none: staff follow up otherwise (at the counter, by post) and record it the same way.
	Phone       string        `db:"phone"`
	Title       string        `db:"title"`
	MailRefused []MailRefusal `db:"-"`
	// ReadyAt is when the hold became ready; Attempts the calls already made since then (all unanswered,
	// or the hold would be off the list), oldest first.
	ReadyAt  time.Time     `db:"ready_at"`
	Attempts []CallAttempt `db:"-"`
}

// MailRefusal is a ready mail the SMTP server refused permanently: the address and the server's reply.
type MailRefusal struct {
	Address string    `json:"address"`
	Reply   string    `json:"reply"`
	At      time.Time `json:"refused_at"`
}

// CallList lists a branch's ready holds waiting for a phone call, each with the ready mails that were
// refused when that is why it is on the list.
func CallList(ctx context.Context, q sqlx.QueryerContext, branch string) ([]Call, error) {
	var rows []struct {
		Call
		Refused  []byte `db:"mail_refused"`
		Attempts []byte `db:"attempts"`
	}
	// The ready event's e-mail rows share its phone row's key up to the last ':' (ready:<hold>:<transition>:).
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT h.id AS hold_id, p.card_number, p.name,
			coalesce(ph.number, (SELECT x.number FROM patron_phones x WHERE x.patron_id = p.id ORDER BY x.id LIMIT 1), '') AS phone,
			t.title,
			(SELECT coalesce(json_agg(json_build_object('address', e.address, 'reply', e.refusal, 'refused_at', e.refused_at) ORDER BY e.id), '[]')
			 FROM notifications e
			 WHERE e.hold_id = n.hold_id AND e.channel = 'email' AND e.refused_at IS NOT NULL
			   AND e.idempotency_key LIKE left(n.idempotency_key, -length('phone')) || '%') AS mail_refused,
			h.ready_at,
			(SELECT coalesce(json_agg(json_build_object('at', a.at, 'outcome', a.outcome, 'staff', coalesce(s.name, '')) ORDER BY a.at, a.id), '[]')
			 FROM call_attempts a LEFT JOIN staff_users s ON s.id = a.staff_id
			 WHERE a.hold_id = h.id AND a.at >= h.ready_at) AS attempts
		FROM notifications n JOIN holds h ON h.id = n.hold_id JOIN patrons p ON p.id = h.patron_id
		JOIN titles t ON t.id = h.title_id LEFT JOIN patron_phones ph ON ph.id = p.contact_phone_id
		WHERE n.channel = 'phone' AND n.sent_at IS NULL AND h.status = 'ready' AND h.pickup_branch = $1
		ORDER BY h.ready_at, h.id`, branch)
	if err != nil {
		return nil, fmt.Errorf("store: call list %s: %w", branch, err)
	}
	calls := make([]Call, len(rows))
	for i, r := range rows {
		calls[i] = r.Call
		if err := json.Unmarshal(r.Refused, &calls[i].MailRefused); err != nil {
			return nil, fmt.Errorf("store: call list %s: refused mail of hold %d: %w", branch, r.HoldID, err)
		}
		if err := json.Unmarshal(r.Attempts, &calls[i].Attempts); err != nil {
			return nil, fmt.Errorf("store: call list %s: call attempts of hold %d: %w", branch, r.HoldID, err)
		}
	}
	return calls, nil
}

// ShelfHold is a hold whose copy sits on a branch's hold shelf.
type ShelfHold struct {
	HoldID   int64        `db:"hold_id"`
	Barcode  string       `db:"barcode"`
	Card     string       `db:"card_number"`
	Deadline sql.NullTime `db:"pickup_deadline"`
	Contact  sql.NullTime `db:"contact_date"` // 連絡日; null while a phone patron is still to be reached
	Expired  bool         `db:"expired"`
	Extended bool         `db:"extended"` // 延長済: the patron extended the pickup deadline (取置延長)
	Title    string       `db:"title"`
}

// HoldShelf lists a branch's ready holds with their deadlines, then the expired ones whose copies are still
// to be cleared from the shelf.
func HoldShelf(ctx context.Context, q sqlx.QueryerContext, branch string) ([]ShelfHold, error) {
	var hs []ShelfHold
	err := sqlx.SelectContext(ctx, q, &hs, `
		SELECT h.id AS hold_id, h.item_barcode AS barcode, p.card_number, h.pickup_deadline, h.contact_date, h.status = 'cancelled' AS expired,
			h.extended_at IS NOT NULL AS extended, coalesce(t.title, h.request_title, '') AS title
		FROM holds h JOIN patrons p ON p.id = h.patron_id LEFT JOIN titles t ON t.id = h.title_id
		WHERE h.pickup_branch = $1 AND h.item_barcode IS NOT NULL
		  AND (h.status = 'ready' OR (h.cancel_reason = 'expired' AND h.shelf_cleared_at IS NULL))
		ORDER BY expired DESC, h.pickup_deadline NULLS LAST, h.id`, branch)
	if err != nil {
		return nil, fmt.Errorf("store: hold shelf %s: %w", branch, err)
	}
	return hs, nil
}

// AddHoldNote keeps a staff member's free-text note about a hold (a refusal's reason) and returns its ID,
// which is what workflow inputs carry.
func AddHoldNote(ctx context.Context, db sqlx.QueryerContext, holdID, staffID int64, note string) (int64, error) {
	var staff *int64
	if staffID != 0 {
		staff = &staffID
	}
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `INSERT INTO hold_notes (hold_id, staff_id, note) VALUES ($1, $2, $3) RETURNING id`,
		holdID, staff, note); err != nil {
		return 0, fmt.Errorf("store: note on hold %d: %w", holdID, err)
	}
	return id, nil
}

// DeleteHoldNote drops a note that no update took.
func DeleteHoldNote(ctx context.Context, db sqlx.ExecerContext, id int64) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM hold_notes WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: drop note %d: %w", id, err)
	}
	return nil
}
