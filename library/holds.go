package library

import (
	"context"
	"strings"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// OwnHold reads the patron's own hold by its (raw) ID; another patron's is not found.
func (s *Service) OwnHold(ctx context.Context, rawID string, patron int64) (store.HoldView, error) {
	id, ok := ParseID(rawID)
	if !ok {
		return store.HoldView{}, refuse(contract.ErrNotFound)
	}
	h, err := store.GetHold(ctx, s.DB, id, patron)
	return h, FromStore(err)
}

// AnyHold reads a hold by its (raw) ID, any patron's, for staff.
func (s *Service) AnyHold(ctx context.Context, rawID string) (store.HoldView, error) {
	return s.OwnHold(ctx, rawID, 0)
}

// PickupAllowed refuses an unknown branch or one where the hold's format cannot be picked up.
func (s *Service) PickupAllowed(ctx context.Context, h store.HoldView, branch string) error {
	b, err := store.BranchByCode(ctx, s.DB, strings.TrimSpace(branch))
	if err != nil {
		return FromStore(err)
	}
	if !domain.CanPickUp(b.Kind, domain.Format(h.Format.String)) {
		return refuse(contract.ErrPickupNotAllowed)
	}
	return nil
}

// ChangePickup changes the pickup place of hold h: the place must take the hold's format, and the hold's
// workflow decides whether the hold can still be changed (by the patron online when staff is 0). The answer is
// the hold as it is now.
func (s *Service) ChangePickup(ctx context.Context, h store.HoldView, branch string, staff int64) (store.HoldView, error) {
	branch = strings.TrimSpace(branch)
	if err := s.PickupAllowed(ctx, h, branch); err != nil {
		return store.HoldView{}, err
	}
	return s.StaffUpdate(ctx, h.ID, contract.UpdateChangePickup, contract.PickupRequest{Branch: branch, StaffID: staff})
}

// CancelOwn asks the workflow of the patron's own hold h to cancel it (取消申込) and returns the hold as
// it is now, with the status the request left it in: 取消申込, even when its approval already followed.
func (s *Service) CancelOwn(ctx context.Context, h store.HoldView) (store.HoldView, domain.Status, error) {
	res, err := s.updateHold(ctx, h.ID, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelPatron})
	if err != nil {
		return store.HoldView{}, "", err
	}
	h, err = store.GetHold(ctx, s.DB, h.ID, h.PatronID)
	return h, res.Status, FromStore(err)
}

// Extend moves the pickup deadline of the patron's own ready hold h 7 days later (取置延長); the workflow
// refuses a hold not ready or already extended, its activity one others wait for. The answer is the hold as
// it is now.
func (s *Service) Extend(ctx context.Context, h store.HoldView) (store.HoldView, error) {
	return s.StaffUpdate(ctx, h.ID, contract.UpdateExtend, contract.ExtendRequest{})
}

// Defer lets the next active hold in line go first (順位の繰下げ): the patron's own hold h moves behind it, and
// a copy set aside or on the hold shelf for h goes to that hold. A hold in another state is refused here
// (not_deferrable; a closed hold has no workflow to ask), one with nobody behind it by the activity. The
// answer is the hold as it is now.
func (s *Service) Defer(ctx context.Context, h store.HoldView) (store.HoldView, error) {
	if !domain.MayDefer(h.Status, h.ItemBarcode.Valid, h.SeriesID.Valid) {
		return store.HoldView{}, refuse(contract.ErrNotDeferrable)
	}
	return s.ownUpdate(ctx, h, contract.UpdateDefer, contract.DeferRequest{})
}

// StaffUpdate sends a staff decision (contract.Update*: contacted, order, ill, cancel, change-pickup) to
// hold id's workflow and reads the hold again.
func (s *Service) StaffUpdate(ctx context.Context, id int64, name string, arg any) (store.HoldView, error) {
	if _, err := s.updateHold(ctx, id, name, arg); err != nil {
		return store.HoldView{}, err
	}
	h, err := store.GetHold(ctx, s.DB, id, 0)
	return h, FromStore(err)
}

// maxNote bounds a staff note (a refusal's reason), in bytes.
const maxNote = 500

// Refuse cancels a counter request the library will not serve. The staff's reason is free text that may
// name the patron: it is kept in hold_notes and the Update carries only its ID; a refused Update drops it.
// A reason too long, or not storable text, is refused (invalid_request).
func (s *Service) Refuse(ctx context.Context, h store.HoldView, reason string, staff int64) (store.HoldView, error) {
	if len(reason) > maxNote || !storable(reason) {
		return store.HoldView{}, refuse(CodeInvalidRequest)
	}
	req := contract.CancelRequest{Reason: domain.CancelStaff, StaffID: staff}
	if note := strings.TrimSpace(reason); note != "" {
		id, err := store.AddHoldNote(ctx, s.DB, h.ID, staff, note)
		if err != nil {
			return store.HoldView{}, err
		}
		req.NoteID = id
	}
	h, err := s.StaffUpdate(ctx, h.ID, contract.UpdateCancel, req)
	if err != nil && req.NoteID != 0 && Refused(err) != "" {
		// refused: the note belongs to nothing (when unavailable the refusal may still have gone through)
		if derr := store.DeleteHoldNote(context.WithoutCancel(ctx), s.DB, req.NoteID); derr != nil {
			s.Log.ErrorContext(ctx, "drop the note of a refused update", "note", req.NoteID, "err", derr)
		}
	}
	return h, err
}

// HoldSlip reads the 予約票 of a hold by its (raw) ID, for staff: whether it has a copy to band is the
// slip's Routed.
func (s *Service) HoldSlip(ctx context.Context, rawID string) (store.HoldSlip, error) {
	id, ok := ParseID(rawID)
	if !ok {
		return store.HoldSlip{}, refuse(contract.ErrNotFound)
	}
	slip, err := store.HoldSlipOf(ctx, s.DB, id)
	return slip, FromStore(err)
}
