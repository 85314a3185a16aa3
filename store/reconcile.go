package store

// The placements a crash cut short: committed in PostgreSQL, their workflow never started.

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// StrandedHold is a hold still in 予約申込, outside any series or any-of group, placed more than a grace period ago.
type StrandedHold struct {
	ID      int64  `db:"id"`
	TitleID *int64 `db:"title_id"`
	Pickup  string `db:"pickup_branch"`
	Origin  string `db:"origin"`
}

// StrandedHolds lists the holds at their first transition placed more than grace ago, oldest first.
func StrandedHolds(ctx context.Context, q sqlx.QueryerContext, grace time.Duration) ([]StrandedHold, error) {
	return selectAll[StrandedHold](ctx, q, "stranded holds", `SELECT id, title_id, pickup_branch, origin FROM holds
		WHERE status = 'requested' AND series_hold_id IS NULL AND group_id IS NULL AND transition = 0 AND placed_at < now() - make_interval(secs => $1)
		ORDER BY placed_at, id`, grace.Seconds())
}

// StrandedSeries lists the series holds created more than grace ago whose volumes are all still at their
// first transition (the series workflow never started).
func StrandedSeries(ctx context.Context, q sqlx.QueryerContext, grace time.Duration) ([]int64, error) {
	return selectAll[int64](ctx, q, "stranded series holds", `SELECT s.id FROM series_holds s JOIN holds h ON h.series_hold_id = s.id
		WHERE s.created_at < now() - make_interval(secs => $1)
		GROUP BY s.id HAVING bool_and(h.status = 'requested' AND h.transition = 0) ORDER BY s.id`, grace.Seconds())
}

// SeriesVolumes lists the volumes of a series hold in reading order.
func SeriesVolumes(ctx context.Context, q sqlx.QueryerContext, seriesID int64) ([]SeriesVolume, error) {
	return selectAll[SeriesVolume](ctx, q, fmt.Sprintf("volumes of series hold %d", seriesID), `
		SELECT id AS holdid, title_id AS titleid, pickup_branch AS pickup FROM holds WHERE series_hold_id = $1 ORDER BY series_seq`, seriesID)
}

// StrandedGroups lists the any-of groups created more than grace ago whose members are all still at their
// first transition (the group workflow never started).
func StrandedGroups(ctx context.Context, q sqlx.QueryerContext, grace time.Duration) ([]int64, error) {
	return selectAll[int64](ctx, q, "stranded hold groups", `SELECT g.id FROM hold_groups g JOIN holds h ON h.group_id = g.id
		WHERE g.created_at < now() - make_interval(secs => $1)
		GROUP BY g.id HAVING bool_and(h.status = 'requested' AND h.transition = 0) ORDER BY g.id`, grace.Seconds())
}

// GroupMembers lists the members of an any-of group in placement order.
func GroupMembers(ctx context.Context, q sqlx.QueryerContext, groupID int64) ([]SeriesVolume, error) {
	return selectAll[SeriesVolume](ctx, q, fmt.Sprintf("members of hold group %d", groupID), `
		SELECT id AS holdid, title_id AS titleid, pickup_branch AS pickup FROM holds WHERE group_id = $1 ORDER BY id`, groupID)
}
