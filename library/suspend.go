package library

import (
	"context"
	"errors"
	"strings"
	"time"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Suspend pauses the patron's own waiting hold h (休止) until the day until (YYYY-MM-DD), from tomorrow to 90
// days ahead in the library's time zone: it keeps its place and is active again on that day. The answer is
// the hold as it is now.
func (s *Service) Suspend(ctx context.Context, h store.HoldView, until string) (store.HoldView, error) {
	d, err := domain.SuspendUntil(strings.TrimSpace(until), s.Today())
	if errors.Is(err, domain.ErrSuspendDate) {
		return store.HoldView{}, refuse(contract.ErrInvalidDate)
	}
	if err != nil {
		return store.HoldView{}, err
	}
	if !domain.MaySuspend(h.Status, h.ItemBarcode.Valid) {
		// the workflow says the same; answered here without a round trip (and for closed holds, whose
		// workflow has ended)
		return store.HoldView{}, refuse(contract.ErrNotSuspendable)
	}
	return s.ownUpdate(ctx, h, contract.UpdateSuspend, contract.SuspendRequest{Until: d.String()})
}

// Resume ends the suspension of the patron's own hold h now (再開): it waits again at its place, or takes a
// free copy when nobody waits before it.
func (s *Service) Resume(ctx context.Context, h store.HoldView) (store.HoldView, error) {
	if h.Status != domain.StatusSuspended {
		return store.HoldView{}, refuse(contract.ErrNotSuspended)
	}
	return s.ownUpdate(ctx, h, contract.UpdateResume, nil)
}

// ownUpdate sends an Update of the patron to their hold h's workflow and reads the hold again.
func (s *Service) ownUpdate(ctx context.Context, h store.HoldView, name string, arg any) (store.HoldView, error) {
	if _, err := s.updateHold(ctx, h.ID, name, arg); err != nil {
		return store.HoldView{}, err
	}
	h, err := store.GetHold(ctx, s.DB, h.ID, h.PatronID)
	return h, FromStore(err)
}

// Today is the library's date now (its time zone).
func (s *Service) Today() domain.Date { return domain.DateOf(time.Now(), s.Cfg.Location) }
