package activities

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// refuse is a business refusal: never retried, carried to the caller with its code.
func refuse(code domain.Code, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), string(code), nil)
}

// holdRow is the hold as the lifecycle reads it.
type holdRow struct {
	ID          int64          `db:"id"`
	PatronID    int64          `db:"patron_id"`
	TitleID     sql.NullInt64  `db:"title_id"`
	Pickup      string         `db:"pickup_branch"`
	Origin      string         `db:"origin"`
	Status      domain.Status  `db:"status"`
	Transition  int            `db:"transition"`
	ItemBarcode sql.NullString `db:"item_barcode"`
	ILL         bool           `db:"ill"`
	CopyBranch  sql.NullString `db:"copy_branch"`
	SeriesID    sql.NullInt64  `db:"series_hold_id"`
	SeriesSeq   sql.NullInt64  `db:"series_seq"`
}

func (h holdRow) state() contract.HoldState {
	return contract.HoldState{
		HoldID: h.ID, PatronID: h.PatronID, TitleID: h.TitleID.Int64, Status: h.Status, Transition: h.Transition,
		Pickup: h.Pickup, Origin: h.Origin, Barcode: h.ItemBarcode.String, CopyBranch: h.CopyBranch.String, ILL: h.ILL,
		SeriesID: h.SeriesID.Int64, SeriesSeq: int(h.SeriesSeq.Int64),
	}
}

const holdColumns = `h.id, h.patron_id, h.title_id, h.pickup_branch, h.origin, h.status, h.transition, h.item_barcode, h.ill,
	i.location_branch AS copy_branch, h.series_hold_id, h.series_seq`

// inTx runs f in a transaction, retrying a few times when PostgreSQL reports a deadlock or a
// serialization failure (both are safe to retry: nothing was committed).
func (a *Activities) inTx(ctx context.Context, f func(tx *sqlx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := a.tryTx(ctx, f)
		var pqErr *pq.Error
		if attempt < 4 && errors.As(err, &pqErr) && (pqErr.Code == "40P01" || pqErr.Code == "40001") {
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
			continue
		}
		return err
	}
}

func (a *Activities) tryTx(ctx context.Context, f func(tx *sqlx.Tx) error) error {
	tx, err := a.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// loadHold locks the hold's title, then the hold, and reads it.
func loadHold(ctx context.Context, tx *sqlx.Tx, holdID int64) (holdRow, error) {
	var titleID sql.NullInt64
	if err := tx.GetContext(ctx, &titleID, `SELECT title_id FROM holds WHERE id = $1`, holdID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return holdRow{}, refuse(contract.ErrNotFound, "hold %d does not exist", holdID)
		}
		return holdRow{}, fmt.Errorf("hold %d: %w", holdID, err)
	}
	if err := store.LockTitle(ctx, tx, titleID.Int64); err != nil {
		return holdRow{}, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM holds WHERE id = $1 FOR UPDATE`, holdID); err != nil {
		return holdRow{}, fmt.Errorf("lock hold %d: %w", holdID, err)
	}
	return readHold(ctx, tx, holdID)
}

func readHold(ctx context.Context, q sqlx.QueryerContext, holdID int64) (holdRow, error) {
	var h holdRow
	err := sqlx.GetContext(ctx, q, &h, `SELECT `+holdColumns+` FROM holds h LEFT JOIN items i ON i.barcode = h.item_barcode WHERE h.id = $1`, holdID)
	if err != nil {
		return holdRow{}, fmt.Errorf("read hold %d: %w", holdID, err)
	}
	return h, nil
}

// step runs one transition of a hold. It locks the hold and checks the transition counter: when the
// counter has already moved past step.Transition, the transition was committed by an earlier attempt whose
// result was lost (worker crash, retry), and the outcome recorded then is returned instead of acting twice.
// do returns the new status, or "" to change nothing but the outcome.
func (a *Activities) step(ctx context.Context, s contract.Step, op, actor string, do func(tx *sqlx.Tx, h holdRow, out *contract.Outcome) (domain.Status, error)) (contract.Outcome, error) {
	var out contract.Outcome
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		out = contract.Outcome{}
		h, err := loadHold(ctx, tx, s.HoldID)
		if err != nil {
			return err
		}
		if h.Transition > s.Transition {
			return replayed(ctx, tx, h, s, op, &out)
		}
		if h.Transition < s.Transition {
			return refuse(contract.ErrStale, "hold %d is at transition %d, the workflow expected %d", h.ID, h.Transition, s.Transition)
		}
		to, err := do(tx, h, &out)
		if err != nil {
			return err
		}
		if to != "" {
			if err := recordTransition(ctx, tx, h, to, op, actor, out); err != nil {
				return err
			}
		}
		h, err = readHold(ctx, tx, h.ID)
		if err != nil {
			return err
		}
		out.State = h.state()
		return nil
	})
	return out, err
}

// recorded is what a transition's event keeps of its outcome, for retried activities.
type recorded struct {
	Op      string                 `json:"op"`
	Next    *contract.Assignment   `json:"next,omitempty"`
	Routing *contract.Routing      `json:"routing,omitempty"`
	Loan    *contract.Loan         `json:"loan,omitempty"`
	Contact *contract.NotifyResult `json:"contact,omitempty"`
}

func recordTransition(ctx context.Context, tx *sqlx.Tx, h holdRow, to domain.Status, op, actor string, out contract.Outcome) error {
	// A hold that closes also drops a copy signal still on its way (pending_copy): closing released the copy.
	res, err := tx.ExecContext(ctx, `UPDATE holds SET status = $2, transition = transition + 1,
			pending_copy = CASE WHEN $4 THEN pending_copy END, pending_at = CASE WHEN $4 THEN pending_at END
		WHERE id = $1 AND transition = $3`, h.ID, to, h.Transition, to.Open())
	if err != nil {
		return fmt.Errorf("hold %d %s → %s: %w", h.ID, h.Status, to, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("hold %d moved under us", h.ID)
	}
	detail, err := json.Marshal(recorded{Op: op, Next: out.Next, Routing: out.Routing, Loan: out.Loan, Contact: out.Contact})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO hold_events (hold_id, from_status, to_status, transition, actor, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, h.ID, h.Status, to, h.Transition+1, actor, detail)
	if err != nil {
		return fmt.Errorf("hold %d event: %w", h.ID, err)
	}
	return nil
}

func replayed(ctx context.Context, tx *sqlx.Tx, h holdRow, s contract.Step, op string, out *contract.Outcome) error {
	var detail []byte
	err := tx.GetContext(ctx, &detail, `SELECT detail FROM hold_events WHERE hold_id = $1 AND transition = $2`, h.ID, s.Transition+1)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("hold %d event %d: %w", h.ID, s.Transition+1, err)
	}
	var r recorded
	if len(detail) > 0 {
		if err := json.Unmarshal(detail, &r); err != nil {
			return fmt.Errorf("hold %d event %d: %w", h.ID, s.Transition+1, err)
		}
	}
	if r.Op != op {
		// Another operation took this transition: the workflow's view is stale and must be reloaded.
		return refuse(contract.ErrStale, "hold %d transition %d was %q, not %q", h.ID, s.Transition+1, r.Op, op)
	}
	out.Next, out.Routing, out.Loan, out.Contact = r.Next, r.Routing, r.Loan, r.Contact
	out.State = h.state()
	return nil
}

func staffActor(id int64) string {
	if id == 0 {
		return "system"
	}
	return fmt.Sprintf("staff:%d", id)
}
