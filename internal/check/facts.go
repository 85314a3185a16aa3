package check

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/domain"
	"yoyaku/store"
)

// The rules PostgreSQL alone can answer, with store's queries. A hold whose last transition, or a copy whose
// last change, is younger than the settling time (Options.Settle) is still moving and is not judged.

func copyShared(ctx context.Context, db *sqlx.DB, _ Options, r *Report) error {
	rows, err := store.SharedCopies(ctx, db)
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
	rows, err := store.CopyFaults(ctx, db, o.Settle)
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

// fifo: a hold that got a copy while a hold before it in queue order (placement order with the recorded
// defers applied, store.QueueKey) on the same title was already waiting for one (and still waits) jumped
// the queue. Holds that became eligible later (a series volume whose turn came,
// a hold approved after the copy was given) are not passed over.
func fifo(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	rows, err := store.QueueJumps(ctx, db, o.Settle)
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
// than the settling time. A suspended hold (休止中) waits for no copy: a free copy with only suspended holds
// behind it is no fault.
func idleCopies(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	rows, err := store.IdleCopies(ctx, db, o.Settle)
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
	rows, err := store.OverLimits(ctx, db, l)
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
	var err error
	if r.ReadyEvents, r.MailsSent, err = store.ReadyEventCounts(ctx, db); err != nil {
		return fmt.Errorf("check ready mail: %w", err)
	}
	rows, err := store.ReadyMailFaults(ctx, db, o.Settle, RuleMailDuplicate, RuleMailUnsent, RuleMailMissing)
	if err != nil {
		return fmt.Errorf("check ready mail: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: row.Kind, Holds: []int64{row.Hold}, Detail: row.Detail})
	}
	return nil
}

// stuck: holds that should have moved on and did not — a lost signal, a dropped timer, a transition that
// failed for good. Their database row and workflow may agree; they are still wrong.
func stuck(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	tz := o.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	rows, err := store.StuckHolds(ctx, db, o.Settle, o.CancelApprovalDelay, tz)
	if err != nil {
		return fmt.Errorf("check stuck holds: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: RuleStuck, Holds: []int64{row.Hold}, Detail: row.Detail})
	}
	return nil
}

// deadlines: a ready hold's pickup deadline is 1 week counting its contact date, moved to the pickup
// branch's next open day, and 取置延長 moves it 7 days once (again to an open day); an emergency closing may
// have re-dated it (closure_holds records the deadline it gave). One further away was set by a bug (or by
// hand), and the hold would sit on the shelf too long.
func deadlines(ctx context.Context, db *sqlx.DB, _ Options, r *Report) error {
	rows, err := store.LongDeadlines(ctx, db)
	if err != nil {
		return fmt.Errorf("check pickup deadlines: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	redates, err := store.Redates(ctx, db)
	if err != nil {
		return fmt.Errorf("check pickup deadlines: %w", err)
	}
	cals := map[string]domain.Calendar{}
	for _, row := range rows {
		cal, ok := cals[row.Branch]
		if !ok {
			if cal, err = store.CalendarOf(ctx, db, row.Branch); err != nil {
				return fmt.Errorf("check pickup deadlines: %w", err)
			}
			cals[row.Branch] = cal
		}
		if !domain.CalendarDate(row.Deadline).After(allowedDeadline(row, cal, redates)) {
			continue
		}
		detail := fmt.Sprintf("pickup deadline %s is too far from contact date %s", row.Deadline.Format(time.DateOnly), row.Contact.Format(time.DateOnly))
		if row.Extended {
			detail += " (extended once)"
		}
		r.add(Violation{Rule: RuleDeadline, Holds: []int64{row.Hold}, Detail: detail})
	}
	return nil
}

// allowedDeadline is the latest pickup deadline the rules give a hold: the week from its contact date moved
// to an open day, or the deadline an emergency closing gave it if later, plus an extension once.
func allowedDeadline(row store.LongDeadline, cal domain.Calendar, redates map[int64]time.Time) domain.Date {
	d := domain.PickupDeadlineIn(domain.CalendarDate(row.Contact), cal)
	if rd, ok := redates[row.Hold]; ok && domain.CalendarDate(rd).After(d) {
		d = domain.CalendarDate(rd)
	}
	if row.Extended {
		d = cal.NextOpen(d.AddDays(domain.ExtendDays))
	}
	return d
}

// groups: an any-of group (いずれか予約) serves one of its holds: the one it was decided for. Another member
// with a copy, on the hold shelf or lent means one patron was served twice and another hold went without.
func groups(ctx context.Context, db *sqlx.DB, _ Options, r *Report) error {
	rows, err := store.GroupFaults(ctx, db)
	if err != nil {
		return fmt.Errorf("check groups: %w", err)
	}
	for _, row := range rows {
		r.add(Violation{Rule: RuleGroup, Holds: row.Holds, Detail: fmt.Sprintf("any-of group %d: %s", row.Group, row.Detail)})
	}
	return nil
}
