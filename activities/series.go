package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Series holds (シリーズ予約): volumes are provided one by one, in order. A volume is gated — 準備中, skipped
// by allocation — while any earlier volume of its series is still open and not yet ready. Each volume keeps
// its own place in its own queue: it leaves 準備中 with its original placement time.

// gated reports whether h must wait for an earlier volume of its series.
func gated(ctx context.Context, tx *sqlx.Tx, h store.HoldRow) (bool, error) {
	if !h.SeriesID.Valid || h.SeriesSeq.Int64 <= 1 {
		return false, nil
	}
	waiting, err := store.SeriesGated(ctx, tx, h.SeriesID.Int64, h.SeriesSeq.Int64)
	if err != nil {
		return false, fmt.Errorf("hold %d: %w", h.ID, err)
	}
	return waiting, nil
}

// Proceed lets a 準備中 volume go on once every earlier volume is ready, picked up or cancelled: it takes a
// free copy when nobody waits before it in its title's queue, or waits at its original place.
func (a *Activities) Proceed(ctx context.Context, s contract.Step) (contract.Outcome, error) {
	return a.step(ctx, s, "proceed", "system", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusPreparing {
			return "", nil
		}
		if g, err := gated(ctx, tx, h); err != nil || g {
			return "", err
		}
		return a.queueOrTake(ctx, tx, h, out)
	})
}

// Resume is the first transition of a hold workflow restarted as a volume of a series (a conversion of
// existing holds). It reconciles what happened during the hand-over — a copy assigned while no run was
// listening — and gates the volume: a later volume gives its set-aside copy to the next hold and waits.
func (a *Activities) Resume(ctx context.Context, s contract.Step) (contract.Outcome, error) {
	return a.step(ctx, s, "resume", "system", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusQueued && h.Status != domain.StatusAwaitingPull {
			return "", nil
		}
		// A copy signal sent during the hand-over found no run: it was kept on the hold (pend).
		as, err := pendingCopy(ctx, tx, h.ID)
		if err != nil {
			return "", err
		}
		if as != nil {
			if err := applied(ctx, tx, *as); err != nil {
				return "", err
			}
			if as.Barcode != h.ItemBarcode.String {
				as = nil // overtaken: the hold's copy changed since
			}
		}
		g, err := gated(ctx, tx, h)
		if err != nil {
			return "", err
		}
		if g {
			if out.Next, err = release(ctx, tx, h, false); err != nil {
				return "", err
			}
			return domain.StatusPreparing, nil
		}
		if as != nil && as.Kind == contract.CopySecured {
			return secure(ctx, tx, h, as.Branch, out) // staff have the copy in hand: hold shelf or transit
		}
		if h.Status == domain.StatusQueued && h.ItemBarcode.Valid {
			return domain.StatusAwaitingPull, nil // assigned during the hand-over: set aside for it now
		}
		return "", nil
	})
}

// Convert asks a running hold workflow to end its run as converted (an Update, refused when the hold can
// no longer join a series) and waits until the run has closed, so the series can start the volume's new run
// under the same workflow ID. A hold whose workflow already ended converted counts as done.
func (a *Activities) Convert(ctx context.Context, in contract.ConvertInput) error {
	wid := contract.HoldWorkflowID(in.HoldID)
	h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: wid, UpdateName: contract.UpdateConvert, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil // no run to hand over (a retry after the run closed)
	}
	if err != nil {
		return fmt.Errorf("convert hold %d: %w", in.HoldID, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		return refuse(contract.ErrNotChangeable, "hold %d cannot join a series: %v", in.HoldID, err)
	}
	if err := a.Temporal.GetWorkflow(ctx, wid, "").Get(ctx, nil); err != nil {
		return fmt.Errorf("convert hold %d: wait for the run to close: %w", in.HoldID, err)
	}
	return nil
}

// LeaveSeries takes a hold out of its series (it could not hand over its workflow): it goes on alone.
func (a *Activities) LeaveSeries(ctx context.Context, holdID int64) error {
	return store.LeaveSeries(ctx, a.DB, holdID)
}
