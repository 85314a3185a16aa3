package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Hold groups (いずれか予約, migration 00016): a hold per title, decided by the first member a copy is
// assigned to. ClaimGroup is where it is decided; every assignment of a copy goes through it (Assign), under
// the title's lock, then the hold's, then the group's.

// ErrGroupServed: the hold's group was decided for another member; this hold takes no copy.
var ErrGroupServed = errors.New("group_served")

// MaxGroup bounds an any-of placement: 2 to 5 titles.
const (
	MinGroup = 2
	MaxGroup = 5
)

// notLost is the condition on holds alias a of a hold whose group (if any) was not decided for another
// member: the others end as other_edition, and meanwhile take no copy and hold no queue place.
func notLost(a string) string {
	return `NOT EXISTS (SELECT 1 FROM hold_groups g WHERE g.id = ` + a + `.group_id AND g.served_hold_id <> ` + a + `.id)`
}

// GroupMember is one placed member of a group (or the single hold placed when only one title could be held).
type GroupMember struct {
	Index   int // in the titles as placed
	HoldID  int64
	TitleID int64
	Pickup  string
}

// PlaceGroup places an any-of hold: the titles that can be held become a group of holds, counted as one
// against the patron's limits (and against the AV limit when any member is AV), in one transaction that
// locks the patron. Titles that cannot be held are refused one by one, as in a normal placement; when only
// one title is left it becomes a normal hold (groupID 0), when none, nothing is placed. ErrLimitExceeded
// refuses the whole placement.
func PlaceGroup(ctx context.Context, db *sqlx.DB, p Placement, titleIDs []int64) (groupID int64, members []GroupMember, refused []TitleRefusal, err error) {
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		groupID, members, refused = 0, nil, nil // a retried transaction starts over
		if err := lockPatron(ctx, tx, p.PatronID); err != nil {
			return err
		}
		av := 0
		var ok []int
		seen := map[int64]bool{}
		for i, id := range titleIDs {
			q := p
			q.TitleID = id
			isAV, err := checkPlacement(ctx, tx, q)
			if err == nil && seen[id] {
				err = ErrAlreadyHeld // the same title twice in one group is a refusal of the second
			}
			switch {
			case errors.Is(err, ErrUnknownBranch):
				return err
			case isRefusal(err):
				refused = append(refused, TitleRefusal{Index: i, Err: err})
				continue
			case err != nil:
				return err
			}
			seen[id] = true
			ok = append(ok, i)
			if isAV {
				av = 1
			}
		}
		if len(ok) == 0 {
			return nil
		}
		if err := checkLimits(ctx, tx, p.PatronID, p.Limits, 1, av); err != nil {
			return err
		}
		if len(ok) > 1 {
			if err := tx.GetContext(ctx, &groupID, `INSERT INTO hold_groups (patron_id) VALUES ($1) RETURNING id`, p.PatronID); err != nil {
				return fmt.Errorf("store: hold group: %w", err)
			}
		}
		for _, i := range ok {
			q := p
			q.TitleID = titleIDs[i]
			holdID, err := insertHold(ctx, tx, q, 0, 0)
			if err != nil {
				return err
			}
			if groupID != 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE holds SET group_id = $2 WHERE id = $1`, holdID, groupID); err != nil {
					return fmt.Errorf("store: join group %d: %w", groupID, err)
				}
			}
			members = append(members, GroupMember{Index: i, HoldID: holdID, TitleID: titleIDs[i], Pickup: p.Pickup})
		}
		return nil
	})
	return groupID, members, refused, err
}

// DeleteUnstartedGroup removes a group placement whose workflow could not be started.
func DeleteUnstartedGroup(ctx context.Context, db *sqlx.DB, groupID int64) error {
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM holds WHERE group_id = $1 AND status = 'requested' AND transition = 0`, groupID); err != nil {
			return fmt.Errorf("store: delete group %d: %w", groupID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hold_groups WHERE id = $1`, groupID); err != nil {
			return fmt.Errorf("store: delete group %d: %w", groupID, err)
		}
		return nil
	})
}

// ClaimGroup decides hold holdID's group for it, unless it was decided for another member already: ok is
// false then. A hold in no group is always ok. The caller holds the hold's title lock; the group row's lock
// serialises members of different titles (two copies arriving at once serve one member).
func ClaimGroup(ctx context.Context, tx *sqlx.Tx, holdID int64) (ok bool, err error) {
	var g struct {
		ID     int64         `db:"id"`
		Served sql.NullInt64 `db:"served_hold_id"`
	}
	err = tx.GetContext(ctx, &g, `SELECT g.id, g.served_hold_id FROM hold_groups g
		WHERE g.id = (SELECT group_id FROM holds WHERE id = $1) FOR UPDATE`, holdID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("store: group of hold %d: %w", holdID, err)
	case g.Served.Valid:
		return g.Served.Int64 == holdID, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE hold_groups SET served_hold_id = $2, decided_at = now() WHERE id = $1`, g.ID, holdID); err != nil {
		return false, fmt.Errorf("store: decide group %d: %w", g.ID, err)
	}
	return true, nil
}

// LostToSibling reports whether hold holdID's group was decided for another member.
func LostToSibling(ctx context.Context, q sqlx.QueryerContext, holdID int64) (bool, error) {
	var lost bool
	if err := sqlx.GetContext(ctx, q, &lost, `SELECT NOT (`+notLost("q")+`) FROM holds q WHERE q.id = $1`, holdID); err != nil {
		return false, fmt.Errorf("store: group of hold %d: %w", holdID, err)
	}
	return lost, nil
}

// GroupHolds are the members of the patron's any-of group groupID, in the order they were placed, whatever
// their status (the hold page lists a member's siblings).
func GroupHolds(ctx context.Context, q sqlx.QueryerContext, groupID, patronID int64) ([]HoldView, error) {
	var hs []HoldView
	if err := sqlx.SelectContext(ctx, q, &hs, holdViewSelect+` WHERE h.group_id = $1 AND h.patron_id = $2 ORDER BY h.id`,
		groupID, patronID); err != nil {
		return nil, fmt.Errorf("store: holds of group %d: %w", groupID, err)
	}
	return hs, nil
}

// PatronGroupSizes is the number of members of each of the patron's any-of groups, listed or not (予約状況
// says "N点のうちどれか1点" even when a member is no longer listed).
func PatronGroupSizes(ctx context.Context, q sqlx.QueryerContext, patronID int64) (map[int64]int, error) {
	var rows []struct {
		GroupID int64 `db:"group_id"`
		N       int   `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT group_id, count(*) AS n FROM holds
		WHERE patron_id = $1 AND group_id IS NOT NULL GROUP BY group_id`, patronID); err != nil {
		return nil, fmt.Errorf("store: group sizes of patron %d: %w", patronID, err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.GroupID] = r.N
	}
	return out, nil
}
