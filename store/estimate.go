package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/estimate"
)

// What 用意できる目安 (package estimate) reads: the copies of the titles waited for, and what the last year
// measured.

// EstimateQuantiles is how finely the history is summarised: its 0th, 2nd, …, 100th percentiles.
const EstimateQuantiles = 51

// EstimateHistoryDays is how far back the history reaches.
const EstimateHistoryDays = 365

// CirculatingCopies reads, for each title, its copies that circulate (not missing, not withdrawn): the due
// date of a copy on loan (the start of that day in loc), or whether it is set aside for an open hold.
func CirculatingCopies(ctx context.Context, q sqlx.QueryerContext, titleIDs []int64, loc *time.Location) (map[int64][]estimate.Copy, error) {
	var rows []struct {
		TitleID int64        `db:"title_id"`
		Due     sql.NullTime `db:"due_date"`
		Held    bool         `db:"held"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT i.title_id, l.due_date,
			EXISTS (SELECT 1 FROM holds h WHERE h.item_barcode = i.barcode AND h.`+OpenHold+`) AS held
		FROM items i LEFT JOIN loans l ON l.barcode = i.barcode AND l.returned_at IS NULL
		WHERE i.title_id = ANY($1) AND i.status NOT IN ('missing', 'withdrawn')
		ORDER BY i.title_id, i.barcode`, pq.Array(titleIDs))
	if err != nil {
		return nil, fmt.Errorf("store: circulating copies: %w", err)
	}
	out := make(map[int64][]estimate.Copy, len(titleIDs))
	for _, r := range rows {
		var c estimate.Copy
		if r.Due.Valid {
			y, m, d := r.Due.Time.Date() // a date column: its fields are the date
			c.Due = time.Date(y, m, d, 0, 0, 0, 0, loc)
		} else {
			c.Held = r.Held
		}
		out[r.TitleID] = append(out[r.TitleID], c)
	}
	return out, nil
}

// EstimateHistory reads what the last year of this library measured: when loaned copies came back relative
// to the start of their due date in loc, how long ready holds waited to be collected, the share of ready
// holds that expired, and the share of holds cancelled before a copy came. Distributions come summarised
// as EstimateQuantiles percentiles, so the answer is small however long the history.
func EstimateHistory(ctx context.Context, q sqlx.QueryerContext, loc *time.Location) (estimate.History, error) {
	fracs := make([]float64, EstimateQuantiles)
	for i := range fracs {
		fracs[i] = float64(i) / float64(EstimateQuantiles-1)
	}
	var r struct {
		Returns   int             `db:"returns"`
		Offsets   pq.Float64Array `db:"offsets"`
		Pickups   pq.Float64Array `db:"pickups"`
		Collected int             `db:"collected"`
		Expired   int             `db:"expired"`
		Withdrawn int             `db:"withdrawn"`
		Served    int             `db:"served"`
	}
	err := sqlx.GetContext(ctx, q, &r, `
		WITH back AS (
			SELECT extract(epoch FROM returned_at - (due_date::timestamp AT TIME ZONE $2)) AS s FROM loans
			WHERE returned_at > now() - make_interval(days => $3)),
		ended AS (
			SELECT ready_at, fulfilled_at, status, cancel_reason FROM holds
			WHERE title_id IS NOT NULL AND coalesce(fulfilled_at, cancelled_at) > now() - make_interval(days => $3))
		SELECT (SELECT count(*) FROM back) AS returns,
			(SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY s) FROM back) AS offsets,
			(SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY extract(epoch FROM fulfilled_at - ready_at))
				FROM ended WHERE status = 'fulfilled' AND ready_at IS NOT NULL) AS pickups,
			(SELECT count(*) FROM ended WHERE status = 'fulfilled' AND ready_at IS NOT NULL) AS collected,
			(SELECT count(*) FROM ended WHERE cancel_reason = 'expired') AS expired,
			(SELECT count(*) FROM ended WHERE cancel_reason IN ('patron', 'staff') AND ready_at IS NULL) AS withdrawn,
			(SELECT count(*) FROM ended WHERE ready_at IS NOT NULL) AS served`,
		pq.Array(fracs), loc.String(), EstimateHistoryDays)
	if err != nil {
		return estimate.History{}, fmt.Errorf("store: estimate history: %w", err)
	}
	h := estimate.History{Returns: r.Returns, ReturnOffsets: seconds(r.Offsets), PickupDelays: seconds(r.Pickups)}
	if n := r.Collected + r.Expired; n > 0 {
		h.Expired = float64(r.Expired) / float64(n)
	}
	if n := r.Withdrawn + r.Served; n > 0 {
		h.Withdrawn = float64(r.Withdrawn) / float64(n)
	}
	return h, nil
}

func seconds(fs []float64) []time.Duration {
	if len(fs) == 0 {
		return nil
	}
	out := make([]time.Duration, len(fs))
	for i, f := range fs {
		out[i] = time.Duration(f * float64(time.Second))
	}
	return out
}
