package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// What the staff's reports read (library.Reports): holds placed per day, how long holds took from
// placement to ready per pickup branch, the queues of titles, and the titles with more open holds per
// circulating copy than a ratio. Days are the library's (loc).

// DayCount is the number of holds placed on one day (YYYY-MM-DD in the library's zone).
type DayCount struct {
	Date  string `db:"day"`
	Holds int    `db:"holds"`
}

// HoldsPerDay counts the holds placed on each of the days days ending today (in loc), zero days included,
// oldest first.
func HoldsPerDay(ctx context.Context, q sqlx.QueryerContext, today time.Time, days int, loc *time.Location) ([]DayCount, error) {
	return selectAll[DayCount](ctx, q, "holds per day", `
		WITH placed AS (
			SELECT (placed_at AT TIME ZONE $3)::date AS day, count(*) AS n FROM holds
			WHERE placed_at >= (($1::date - ($2 - 1))::timestamp AT TIME ZONE $3)
			GROUP BY 1)
		SELECT to_char(g, 'YYYY-MM-DD') AS day, coalesce(p.n, 0) AS holds
		FROM generate_series(($1::date - ($2 - 1))::timestamp, $1::date::timestamp, interval '1 day') g
		LEFT JOIN placed p ON p.day = g::date
		ORDER BY g`, today.In(loc).Format(time.DateOnly), days, loc.String())
}

// BranchWait is how long the holds of one pickup branch took from placement to ready: the median and the
// 90th percentile (interpolated) in days, rounded to a tenth, over Holds holds.
type BranchWait struct {
	Branch string  `db:"code"`
	Name   string  `db:"name"`
	Holds  int     `db:"holds"`
	Median float64 `db:"median_days"`
	P90    float64 `db:"p90_days"`
}

// TimeToReady measures, per pickup branch, the holds first ready within the last days days: from
// placement to the first time they were ready (the first hold_events row to 'ready', or ready_at when it
// is earlier or there is none: a hold whose copy went missing and came again counts its first). Branches
// come in the library's order; a branch with no such hold is absent.
func TimeToReady(ctx context.Context, q sqlx.QueryerContext, days int) ([]BranchWait, error) {
	// Candidates are holds with a ready event or ready_at in the window: a first ready in the window
	// implies one of them is, so the whole history is not read.
	return selectAll[BranchWait](ctx, q, "time to ready", `
		WITH cutoff AS (SELECT now() - make_interval(days => $1) AS at),
		candidates AS (
			SELECT hold_id AS id FROM hold_events, cutoff WHERE to_status = 'ready' AND hold_events.at > cutoff.at
			UNION
			SELECT id FROM holds, cutoff WHERE ready_at > cutoff.at),
		filled AS (
			SELECT h.pickup_branch, h.placed_at,
				least((SELECT min(e.at) FROM hold_events e WHERE e.hold_id = h.id AND e.to_status = 'ready'), h.ready_at) AS ready
			FROM holds h JOIN candidates c ON c.id = h.id),
		waits AS (
			SELECT pickup_branch, extract(epoch FROM ready - placed_at) / 86400 AS d
			FROM filled, cutoff WHERE ready > cutoff.at)
		SELECT b.code, b.name, count(*) AS holds,
			round(percentile_cont(0.5) WITHIN GROUP (ORDER BY w.d)::numeric, 1)::float8 AS median_days,
			round(percentile_cont(0.9) WITHIN GROUP (ORDER BY w.d)::numeric, 1)::float8 AS p90_days
		FROM waits w JOIN branches b ON b.code = w.pickup_branch
		GROUP BY b.code, b.name, b.kind, b.sort_order
		ORDER BY b.kind = 'facility', b.sort_order, b.code`, days)
}

// TitleQueue is the number of holds on a title waiting for a copy.
type TitleQueue struct {
	TitleID int64  `db:"id"`
	Title   string `db:"title"`
	Waiting int    `db:"waiting"`
}

// Queues lists every title with holds waiting for a copy (open, no copy set aside; 休止中 ones keep their
// place and count), the longest queue first.
func Queues(ctx context.Context, q sqlx.QueryerContext) ([]TitleQueue, error) {
	return selectAll[TitleQueue](ctx, q, "queues", `
		SELECT t.id, t.title, count(*) AS waiting
		FROM holds h JOIN titles t ON t.id = h.title_id
		WHERE h.`+OpenHold+` AND h.item_barcode IS NULL
		GROUP BY t.id, t.title
		ORDER BY waiting DESC, t.id`)
}

// TitleRatio is a title's open holds and circulating copies (not missing, not withdrawn).
type TitleRatio struct {
	TitleID int64  `db:"id"`
	Title   string `db:"title"`
	Holds   int    `db:"holds"`
	Copies  int    `db:"copies"`
}

// HoldRatios lists the titles whose open holds exceed ratio100/100 per circulating copy (a title with no
// such copy and an open hold among them), the highest ratio first (no copy at all first of all). The ratio
// comes in hundredths so that the comparison is exact.
func HoldRatios(ctx context.Context, q sqlx.QueryerContext, ratio100 int) ([]TitleRatio, error) {
	if ratio100 <= 0 {
		return nil, fmt.Errorf("store: hold ratios: ratio %d/100 is not positive", ratio100)
	}
	return selectAll[TitleRatio](ctx, q, "hold ratios", `
		WITH open AS (
			SELECT title_id, count(*) AS holds FROM holds
			WHERE title_id IS NOT NULL AND `+OpenHold+` GROUP BY title_id),
		copies AS (
			SELECT i.title_id, count(*) AS copies FROM items i JOIN open o ON o.title_id = i.title_id
			WHERE i.status NOT IN ('missing', 'withdrawn') GROUP BY i.title_id)
		SELECT t.id, t.title, o.holds, coalesce(c.copies, 0) AS copies
		FROM open o JOIN titles t ON t.id = o.title_id LEFT JOIN copies c ON c.title_id = o.title_id
		WHERE o.holds * 100 > $1 * coalesce(c.copies, 0)
		ORDER BY o.holds::float8 / nullif(coalesce(c.copies, 0), 0) DESC NULLS FIRST, o.holds DESC, t.id`, ratio100)
}
