package activities

import (
	"context"

	"github.com/jmoiron/sqlx"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Any-of groups (いずれか予約): each member waits in its own title's queue; the first member a copy is
// assigned to decides the group (store.ClaimGroup, inside Assign and NextWaiting), and from then on the
// others take no copy. Their workflows end them as other_edition when the group's workflow tells them.

// EndOtherEdition ends a member of an any-of group that another member's copy served (他の版で用意). A hold
// that is closed, holds a copy, or whose group was not decided for another member is left alone.
func (a *Activities) EndOtherEdition(ctx context.Context, s contract.Step) (contract.Outcome, error) {
	return a.step(ctx, s, "cancel:"+string(domain.CancelOtherEdition), "system", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if !h.Status.Open() || h.ItemBarcode.Valid {
			return "", nil
		}
		lost, err := store.LostToSibling(ctx, tx, h.ID)
		if err != nil || !lost {
			return "", err
		}
		return endOtherEdition(ctx, tx, h)
	})
}

// endOtherEdition closes h, which holds no copy, as served by another edition.
func endOtherEdition(ctx context.Context, tx *sqlx.Tx, h store.HoldRow) (domain.Status, error) {
	if err := store.MarkCancelled(ctx, tx, h.ID, domain.CancelOtherEdition, nil); err != nil {
		return "", err
	}
	return domain.StatusCancelled, nil
}
