package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// ErrInvalidSeries: the holds cannot form a series hold (fewer than 2, a title twice, ...).
var ErrInvalidSeries = errors.New("invalid_series")

// ErrNotChangeable: a hold that cannot join a series online (counter, ILL, already travelling or ready).
var ErrNotChangeable = errors.New("not_changeable")

// SeriesVolume is one placed volume.
type SeriesVolume struct {
	HoldID  int64
	TitleID int64
	Pickup  string
}

// TitleRefusal is why one title of a series placement was refused.
type TitleRefusal struct {
	Index int
	Err   error
}

// PlaceSeries places a series hold: one hold per title, in reading order, all or nothing, in one
// transaction that locks the patron. Every volume's hold is created now, so each keeps its own queue place
// from this moment. With refusals nothing is placed.
func PlaceSeries(ctx context.Context, db *sqlx.DB, p Placement, titleIDs []int64) (int64, []SeriesVolume, []TitleRefusal, error) {
	if len(titleIDs) < 2 {
		return 0, nil, nil, ErrInvalidSeries
	}
	seen := map[int64]bool{}
	for _, id := range titleIDs {
		if seen[id] {
			return 0, nil, nil, ErrInvalidSeries
		}
		seen[id] = true
	}
	var seriesID int64
	var vols []SeriesVolume
	var refused []TitleRefusal
	errRefused := errors.New("refused")
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		vols, refused = nil, nil // a retried transaction starts over
		if err := lockPatron(ctx, tx, p.PatronID); err != nil {
			return err
		}
		av := 0
		for i, id := range titleIDs {
			q := p
			q.TitleID = id
			isAV, err := checkPlacement(ctx, tx, q)
			switch {
			case errors.Is(err, ErrUnknownBranch):
				return err
			case isRefusal(err):
				refused = append(refused, TitleRefusal{Index: i, Err: err})
			case err != nil:
				return err
			case isAV:
				av++
			}
		}
		if len(refused) > 0 {
			return errRefused
		}
		if err := checkLimits(ctx, tx, p.PatronID, p.Limits, len(titleIDs), av); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &seriesID, `INSERT INTO series_holds (patron_id) VALUES ($1) RETURNING id`, p.PatronID); err != nil {
			return fmt.Errorf("store: series hold: %w", err)
		}
		for i, id := range titleIDs {
			q := p
			q.TitleID = id
			holdID, err := insertHold(ctx, tx, q, seriesID, i+1)
			if err != nil {
				return err
			}
			vols = append(vols, SeriesVolume{HoldID: holdID, TitleID: id, Pickup: p.Pickup})
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return 0, nil, refused, nil
	}
	return seriesID, vols, nil, err
}

func isRefusal(err error) bool {
	for _, r := range []error{ErrNotHoldable, ErrPickupNotAllowed, ErrAlreadyHeld, ErrTitleNotFound} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// DeleteUnstartedSeries removes a series placement whose workflow could not be started.
func DeleteUnstartedSeries(ctx context.Context, db *sqlx.DB, seriesID int64) error {
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM holds WHERE series_hold_id = $1 AND status = 'requested' AND transition = 0`, seriesID); err != nil {
			return fmt.Errorf("store: delete series %d: %w", seriesID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM series_holds WHERE id = $1`, seriesID); err != nil {
			return fmt.Errorf("store: delete series %d: %w", seriesID, err)
		}
		return nil
	})
}

// JoinSeries records that a patron's existing holds become a series hold, in the given order, keeping their
// placement times (and so their queue places). Only online holds that are not ILL and are not yet on their
// way (requested, waiting, or with a copy still on the shelf) may join; the caller then hands their
// workflows over to the series workflow.
func JoinSeries(ctx context.Context, db *sqlx.DB, patronID int64, holdIDs []int64) (int64, []SeriesVolume, error) {
	if len(holdIDs) < 2 {
		return 0, nil, ErrInvalidSeries
	}
	seen := map[int64]bool{}
	for _, id := range holdIDs {
		if seen[id] {
			return 0, nil, ErrInvalidSeries
		}
		seen[id] = true
	}
	var seriesID int64
	var vols []SeriesVolume
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		vols = nil // a retried transaction starts over
		if err := lockPatron(ctx, tx, patronID); err != nil {
			return err
		}
		var rows []HoldRow // only the columns a join decides on: the others stay zero
		if err := tx.SelectContext(ctx, &rows, `SELECT id, title_id, pickup_branch, origin, status, ill, series_hold_id, group_id
			FROM holds WHERE patron_id = $1 AND id = ANY($2) FOR UPDATE`, patronID, pq.Array(holdIDs)); err != nil {
			return fmt.Errorf("store: holds to join: %w", err)
		}
		byID := map[int64]HoldRow{}
		for _, r := range rows {
			byID[r.ID] = r
		}
		for _, id := range holdIDs {
			r, ok := byID[id]
			if !ok {
				return ErrNoSuchHold
			}
			switch {
			case r.Origin != "web" || r.ILL || r.SeriesID.Valid || r.GroupID.Valid || !r.TitleID.Valid:
				return ErrNotChangeable
			case r.Status != domain.StatusQueued && r.Status != domain.StatusAwaitingPull && r.Status != domain.StatusRequested:
				return ErrNotChangeable
			}
			vols = append(vols, SeriesVolume{HoldID: id, TitleID: r.TitleID.Int64, Pickup: r.Pickup})
		}
		if err := tx.GetContext(ctx, &seriesID, `INSERT INTO series_holds (patron_id) VALUES ($1) RETURNING id`, patronID); err != nil {
			return fmt.Errorf("store: series hold: %w", err)
		}
		for i, id := range holdIDs {
			if _, err := tx.ExecContext(ctx, `UPDATE holds SET series_hold_id = $2, series_seq = $3 WHERE id = $1`, id, seriesID, i+1); err != nil {
				return fmt.Errorf("store: join series: %w", err)
			}
		}
		return nil
	})
	return seriesID, vols, err
}

// LeaveSeriesAll undoes JoinSeries when the series workflow could not be started.
func LeaveSeriesAll(ctx context.Context, db *sqlx.DB, seriesID int64) error {
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET series_hold_id = NULL, series_seq = NULL WHERE series_hold_id = $1`, seriesID); err != nil {
			return fmt.Errorf("store: undo series %d: %w", seriesID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM series_holds WHERE id = $1`, seriesID); err != nil {
			return fmt.Errorf("store: undo series %d: %w", seriesID, err)
		}
		return nil
	})
}

// SeriesGated reports whether an earlier volume than seq of the series is still open and not yet ready.
func SeriesGated(ctx context.Context, tx *sqlx.Tx, seriesID, seq int64) (bool, error) {
	var waiting bool
	err := tx.GetContext(ctx, &waiting, `SELECT EXISTS (SELECT 1 FROM holds WHERE series_hold_id = $1 AND series_seq < $2
		AND status NOT IN ('ready', 'fulfilled', 'cancelled'))`, seriesID, seq)
	if err != nil {
		return false, fmt.Errorf("store: series gate of series %d: %w", seriesID, err)
	}
	return waiting, nil
}

// LeaveSeries takes one hold out of its series.
func LeaveSeries(ctx context.Context, db sqlx.ExecerContext, holdID int64) error {
	if _, err := db.ExecContext(ctx, `UPDATE holds SET series_hold_id = NULL, series_seq = NULL WHERE id = $1`, holdID); err != nil {
		return fmt.Errorf("store: hold %d leaves its series: %w", holdID, err)
	}
	return nil
}
