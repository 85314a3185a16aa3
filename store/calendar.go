package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// CalendarDay is a dated exception of a branch calendar.
type CalendarDay struct {
	Day    time.Time `db:"day"`
	Open   bool      `db:"open"`
	Reason string    `db:"reason"`
}

// BranchCalendar is a branch's calendar as stored: the weekly closing days and the dated exceptions, in
// order.
type BranchCalendar struct {
	Weekly []time.Weekday
	Days   []CalendarDay
}

// Domain is the calendar the deadline rule reads.
func (b BranchCalendar) Domain() domain.Calendar {
	c := domain.Calendar{Days: make(map[domain.Date]bool, len(b.Days))}
	for _, w := range b.Weekly {
		c.Weekly[w] = true
	}
	for _, d := range b.Days {
		c.Days[domain.CalendarDate(d.Day)] = d.Open
	}
	return c
}

// BranchExists says whether code names a branch.
func BranchExists(ctx context.Context, q sqlx.QueryerContext, code string) (bool, error) {
	if !branchCodePattern.MatchString(code) {
		return false, nil // no branch has it (and PostgreSQL would refuse a NUL byte or invalid UTF-8 in the query)
	}
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM branches WHERE code = $1)`, code); err != nil {
		return false, fmt.Errorf("store: branch %q: %w", code, err)
	}
	return ok, nil
}

// ReadCalendar reads branch's calendar (empty for a branch open every day).
func ReadCalendar(ctx context.Context, q sqlx.QueryerContext, branch string) (BranchCalendar, error) {
	var c BranchCalendar
	var weekly []int
	if err := sqlx.SelectContext(ctx, q, &weekly, `SELECT weekday FROM branch_weekly_closed WHERE branch = $1 ORDER BY weekday`, branch); err != nil {
		return c, fmt.Errorf("store: weekly closing days of %s: %w", branch, err)
	}
	for _, w := range weekly {
		c.Weekly = append(c.Weekly, time.Weekday(w))
	}
	days, err := selectAll[CalendarDay](ctx, q, "calendar days of "+branch,
		`SELECT day, open, reason FROM branch_calendar_days WHERE branch = $1 ORDER BY day`, branch)
	c.Days = days
	return c, err
}

// CalendarOf is the calendar of the branch, for the deadline rule.
func CalendarOf(ctx context.Context, q sqlx.QueryerContext, branch string) (domain.Calendar, error) {
	c, err := ReadCalendar(ctx, q, branch)
	if err != nil {
		return domain.Calendar{}, err
	}
	return c.Domain(), nil
}

// PutCalendar replaces branch's calendar. The branch row is locked first, so that a closing recorded at the
// same time sees the calendar before or after, never half of it.
func PutCalendar(ctx context.Context, tx *sqlx.Tx, branch string, c BranchCalendar) error {
	if err := lockBranch(ctx, tx, branch); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM branch_weekly_closed WHERE branch = $1`, branch); err != nil {
		return fmt.Errorf("store: clear weekly closing days of %s: %w", branch, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM branch_calendar_days WHERE branch = $1`, branch); err != nil {
		return fmt.Errorf("store: clear calendar days of %s: %w", branch, err)
	}
	for _, w := range c.Weekly {
		if _, err := tx.ExecContext(ctx, `INSERT INTO branch_weekly_closed (branch, weekday) VALUES ($1, $2)`, branch, int(w)); err != nil {
			return fmt.Errorf("store: weekly closing day of %s: %w", branch, err)
		}
	}
	for _, d := range c.Days {
		if _, err := tx.ExecContext(ctx, `INSERT INTO branch_calendar_days (branch, day, open, reason) VALUES ($1, $2, $3, $4)`,
			branch, d.Day, d.Open, d.Reason); err != nil {
			return fmt.Errorf("store: calendar day of %s: %w", branch, err)
		}
	}
	return nil
}

func lockBranch(ctx context.Context, tx *sqlx.Tx, branch string) error {
	var code string
	err := tx.GetContext(ctx, &code, `SELECT code FROM branches WHERE code = $1 FOR UPDATE`, branch)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrUnknownBranch
	}
	if err != nil {
		return fmt.Errorf("store: lock branch %s: %w", branch, err)
	}
	return nil
}

// Closure is an emergency closing as recorded.
type Closure struct {
	ID          int64        `db:"id"`
	Branch      string       `db:"branch"`
	From        time.Time    `db:"from_date"`
	To          time.Time    `db:"to_date"`
	Reason      string       `db:"reason"`
	OpenDays    int          `db:"open_days"`
	CreatedAt   time.Time    `db:"created_at"`
	CompletedAt sql.NullTime `db:"completed_at"`
	Holds       int          `db:"holds"`
	Redated     int          `db:"redated"`
}

// Domain is the closing as the deadline rule reads it.
func (c Closure) Domain() domain.Closure {
	return domain.Closure{From: domain.CalendarDate(c.From), To: domain.CalendarDate(c.To), OpenDays: c.OpenDays}
}

// RecordClosure records an emergency closing of branch from from to to (both included): how many of those
// days it would have opened, the days closed in its calendar, and the list of ready holds on its shelf whose
// deadline falls on or after from, to be re-dated. All in one transaction under the branch's lock.
func RecordClosure(ctx context.Context, tx *sqlx.Tx, branch string, from, to domain.Date, reason string, staff *int64) (int64, error) {
	if err := lockBranch(ctx, tx, branch); err != nil {
		return 0, err
	}
	cal, err := CalendarOf(ctx, tx, branch)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `INSERT INTO branch_closures (branch, from_date, to_date, reason, open_days, staff_id)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, branch, from.Time(), to.Time(), reason, cal.OpenDays(from, to), staff)
	if err != nil {
		return 0, fmt.Errorf("store: record closure of %s: %w", branch, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO branch_calendar_days (branch, day, open, reason)
		SELECT $1, d::date, false, $4 FROM generate_series($2::date, $3::date, interval '1 day') d
		ON CONFLICT (branch, day) DO UPDATE SET open = false, reason = EXCLUDED.reason`, branch, from.Time(), to.Time(), reason); err != nil {
		return 0, fmt.Errorf("store: close days of %s: %w", branch, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO closure_holds (closure_id, hold_id, patron_id, old_deadline)
		SELECT $1, h.id, h.patron_id, h.pickup_deadline FROM holds h
		WHERE h.pickup_branch = $2 AND h.status = 'ready' AND h.pickup_deadline >= $3`, id, branch, from.Time()); err != nil {
		return 0, fmt.Errorf("store: holds to re-date for closure %d: %w", id, err)
	}
	return id, nil
}

const closureColumns = `c.id, c.branch, c.from_date, c.to_date, c.reason, c.open_days, c.created_at, c.completed_at,
	(SELECT count(*) FROM closure_holds k WHERE k.closure_id = c.id) AS holds,
	(SELECT count(*) FROM closure_holds k WHERE k.closure_id = c.id AND k.redated_at IS NOT NULL) AS redated`

// ReadClosure reads closure id.
func ReadClosure(ctx context.Context, q sqlx.QueryerContext, id int64) (Closure, error) {
	var c Closure
	if err := sqlx.GetContext(ctx, q, &c, `SELECT `+closureColumns+` FROM branch_closures c WHERE c.id = $1`, id); err != nil {
		return c, fmt.Errorf("store: closure %d: %w", id, err)
	}
	return c, nil
}

// Closures lists the emergency closings of branch, latest first.
func Closures(ctx context.Context, q sqlx.QueryerContext, branch string) ([]Closure, error) {
	return selectAll[Closure](ctx, q, "closures of "+branch,
		`SELECT `+closureColumns+` FROM branch_closures c WHERE c.branch = $1 ORDER BY c.id DESC`, branch)
}

// ClosureHolds lists the holds closure id is to re-date, in order.
func ClosureHolds(ctx context.Context, q sqlx.QueryerContext, id int64) ([]int64, error) {
	return selectAll[int64](ctx, q, "holds of closure", `SELECT hold_id FROM closure_holds WHERE closure_id = $1 ORDER BY hold_id`, id)
}

// ClosureRedate is a hold's entry in a closing's list, locked.
type ClosureRedate struct {
	// Redated: the closing has re-dated the hold already. Fresh: the hold became ready again after the
	// closing was recorded, so its deadline already counts the closed days.
	Redated bool
	Fresh   bool
	Closure domain.Closure
	Branch  string
}

// LockClosureHold locks hold's entry in closure's list; ok is false when the closing does not list it.
func LockClosureHold(ctx context.Context, tx *sqlx.Tx, closure, hold int64) (r ClosureRedate, ok bool, err error) {
	var row struct {
		Closure
		RedatedAt sql.NullTime `db:"redated_at"`
		Fresh     bool         `db:"fresh"`
	}
	err = tx.GetContext(ctx, &row, `SELECT c.id, c.branch, c.from_date, c.to_date, c.reason, c.open_days, c.created_at,
			c.completed_at, 0 AS holds, 0 AS redated, k.redated_at, COALESCE(h.ready_at > c.created_at, false) AS fresh
		FROM closure_holds k JOIN branch_closures c ON c.id = k.closure_id JOIN holds h ON h.id = k.hold_id
		WHERE k.closure_id = $1 AND k.hold_id = $2 FOR UPDATE OF k`, closure, hold)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("store: hold %d in closure %d: %w", hold, closure, err)
	}
	return ClosureRedate{Redated: row.RedatedAt.Valid, Fresh: row.Fresh, Closure: row.Closure.Domain(), Branch: row.Branch}, true, nil
}

// MarkRedated moves the hold's pickup deadline to deadline for closure.
func MarkRedated(ctx context.Context, tx *sqlx.Tx, closure, hold int64, deadline time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET pickup_deadline = $2 WHERE id = $1`, hold, deadline); err != nil {
		return fmt.Errorf("store: re-date hold %d: %w", hold, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE closure_holds SET new_deadline = $3, redated_at = now()
		WHERE closure_id = $1 AND hold_id = $2`, closure, hold, deadline); err != nil {
		return fmt.Errorf("store: mark hold %d re-dated by closure %d: %w", hold, closure, err)
	}
	return nil
}

// ClosureNotice is one re-dated hold of a patron, for the mail of the new deadline.
type ClosureNotice struct {
	HoldID   int64     `db:"hold_id"`
	Title    string    `db:"title"`
	Deadline time.Time `db:"new_deadline"`
}

// ClosurePatrons lists the patrons with holds closure re-dated whose mail is not yet marked sent.
func ClosurePatrons(ctx context.Context, q sqlx.QueryerContext, closure int64) ([]int64, error) {
	return selectAll[int64](ctx, q, "patrons of closure", `SELECT DISTINCT patron_id FROM closure_holds
		WHERE closure_id = $1 AND redated_at IS NOT NULL AND mailed_at IS NULL ORDER BY patron_id`, closure)
}

// ClosureNotices lists patron's holds closure re-dated and not yet mailed about.
func ClosureNotices(ctx context.Context, q sqlx.QueryerContext, closure, patron int64) ([]ClosureNotice, error) {
	return selectAll[ClosureNotice](ctx, q, "re-dated holds of a patron", `
		SELECT k.hold_id, COALESCE(t.title, h.request_title, '') AS title, k.new_deadline
		FROM closure_holds k JOIN holds h ON h.id = k.hold_id LEFT JOIN titles t ON t.id = h.title_id
		WHERE k.closure_id = $1 AND k.patron_id = $2 AND k.redated_at IS NOT NULL AND k.mailed_at IS NULL
		ORDER BY k.hold_id`, closure, patron)
}

// MarkClosureMailed records that patron was mailed the new deadlines of closure.
func MarkClosureMailed(ctx context.Context, db sqlx.ExecerContext, closure, patron int64) error {
	if _, err := db.ExecContext(ctx, `UPDATE closure_holds SET mailed_at = now()
		WHERE closure_id = $1 AND patron_id = $2 AND redated_at IS NOT NULL`, closure, patron); err != nil {
		return fmt.Errorf("store: mark closure %d mailed to patron %d: %w", closure, patron, err)
	}
	return nil
}

// CompleteClosure records that closure's workflow finished.
func CompleteClosure(ctx context.Context, db sqlx.ExecerContext, closure int64) error {
	if _, err := db.ExecContext(ctx, `UPDATE branch_closures SET completed_at = COALESCE(completed_at, now()) WHERE id = $1`, closure); err != nil {
		return fmt.Errorf("store: complete closure %d: %w", closure, err)
	}
	return nil
}

// Redates lists, per ready hold, the latest deadline a closing gave it: the check accepts it.
func Redates(ctx context.Context, q sqlx.QueryerContext) (map[int64]time.Time, error) {
	rows, err := selectAll[struct {
		Hold     int64     `db:"hold_id"`
		Deadline time.Time `db:"deadline"`
	}](ctx, q, "re-dated holds", `SELECT k.hold_id, max(k.new_deadline) AS deadline FROM closure_holds k
		JOIN holds h ON h.id = k.hold_id WHERE h.status = 'ready' AND k.new_deadline IS NOT NULL GROUP BY k.hold_id`)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		m[r.Hold] = r.Deadline
	}
	return m, nil
}

// ClosureMailTo is who a closing's mail goes to and what it names: the patron's name and the branch's.
type ClosureMailTo struct {
	PatronName string `db:"patron_name"`
	BranchName string `db:"branch_name"`
}

// ClosureMailOf reads the names closure's mail to patron shows.
func ClosureMailOf(ctx context.Context, q sqlx.QueryerContext, closure, patron int64) (ClosureMailTo, error) {
	var m ClosureMailTo
	err := sqlx.GetContext(ctx, q, &m, `SELECT p.name AS patron_name, b.name AS branch_name
		FROM branch_closures c JOIN branches b ON b.code = c.branch, patrons p WHERE c.id = $1 AND p.id = $2`, closure, patron)
	if err != nil {
		return m, fmt.Errorf("store: closure %d mail to patron %d: %w", closure, patron, err)
	}
	return m, nil
}

// CountRedated counts the holds among holds that closure has re-dated.
func CountRedated(ctx context.Context, q sqlx.QueryerContext, closure int64, holds []int64) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM closure_holds
		WHERE closure_id = $1 AND hold_id = ANY($2) AND redated_at IS NOT NULL`, closure, pq.Array(holds)); err != nil {
		return 0, fmt.Errorf("store: count holds re-dated by closure %d: %w", closure, err)
	}
	return n, nil
}

// PullListOn is PullList with the copies whose pickup branch is closed on today marked with the day it
// opens again: staff see that their transit waits.
func PullListOn(ctx context.Context, q sqlx.QueryerContext, branch string, today domain.Date) ([]PullItem, error) {
	items, err := PullList(ctx, q, branch)
	if err != nil {
		return nil, err
	}
	cals := map[string]domain.Calendar{}
	for i, it := range items {
		cal, ok := cals[it.Pickup]
		if !ok {
			if cal, err = CalendarOf(ctx, q, it.Pickup); err != nil {
				return nil, err
			}
			cals[it.Pickup] = cal
		}
		if !cal.IsOpen(today) {
			items[i].PickupReopens = cal.NextOpen(today).String()
		}
	}
	return items, nil
}

// StrandedClosures lists the emergency closings recorded more than grace ago whose workflow has not
// completed them: the reconciler starts those that have no workflow (a running one refuses a second start).
func StrandedClosures(ctx context.Context, q sqlx.QueryerContext, grace time.Duration) ([]int64, error) {
	return selectAll[int64](ctx, q, "stranded closures", `SELECT id FROM branch_closures
		WHERE completed_at IS NULL AND created_at < now() - make_interval(secs => $1) ORDER BY id`, grace.Seconds())
}
