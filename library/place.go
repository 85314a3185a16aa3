package library

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// MaxPlace bounds one placement (the basket holds 10 titles).
const MaxPlace = 10

// ParseID reads an opaque ID as clients send it; anything that is not one of ours is simply not found.
func ParseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// Placement is a patron's request to hold titles online.
type Placement struct {
	PatronID int64
	TitleIDs []string // as the client sent them: one that is not an ID is rejected as not found
	Pickup   string
	Mode     string // normal (the default): each title on its own; series: all of them in reading order, or none; any: any one of them (いずれか予約)
}

// Placed is a title held.
type Placed struct {
	TitleID string
	Hold    store.HoldView
}

// Rejected is a title that could not be held, and why.
type Rejected struct {
	TitleID string
	Code    domain.Code
}

// Place places p's titles for its patron, each title with its own decision (normal) or all of them as one
// series hold, in the order given, or none (series). Placed titles leave the basket. The error is a
// refusal of the whole request (invalid_request, unknown_branch) or a failure of the system.
func (s *Service) Place(ctx context.Context, p Placement) ([]Placed, []Rejected, error) {
	p, err := CheckPlacement(p)
	if err != nil {
		return nil, nil, err
	}
	if _, err := store.BranchByCode(ctx, s.DB, p.Pickup); err != nil {
		return nil, nil, FromStore(err)
	}
	switch p.Mode {
	case "series":
		return s.placeSeries(ctx, p)
	case "any":
		return s.placeAny(ctx, p)
	}
	placed, rejected := []Placed{}, []Rejected{}
	seen := map[string]bool{}
	for _, raw := range p.TitleIDs {
		if seen[raw] {
			continue
		}
		seen[raw] = true
		titleID, ok := ParseID(raw)
		if !ok {
			rejected = append(rejected, Rejected{TitleID: raw, Code: contract.ErrNotFound})
			continue
		}
		h, code, err := s.place(ctx, store.Placement{PatronID: p.PatronID, TitleID: titleID, Pickup: p.Pickup, Origin: "web",
			Limits: s.limits()})
		if err != nil {
			return nil, nil, err
		}
		if code != "" {
			rejected = append(rejected, Rejected{TitleID: raw, Code: code})
			continue
		}
		placed = append(placed, Placed{TitleID: raw, Hold: h})
	}
	return s.awaitApprovals(ctx, placed), rejected, nil
}

// placeWait is how long a placement waits for its holds' approval before it answers: long enough for an
// approval on a busy title (a bestseller's queue), short enough that a slow one answers 予約申込 and moves on.
const placeWait = 2 * time.Second

// awaitApprovals waits, at most placeWait in all, for the holds just placed to be approved by their
// workflows, so that the answer shows each hold's status and queue place at once. It is also the placement's
// backpressure: clients placing faster than the holds are approved wait instead of piling up holds in
// 予約申込. A hold not approved in time is answered as it is, 予約申込: the placement stands either way.
func (s *Service) awaitApprovals(ctx context.Context, placed []Placed) []Placed {
	if s.Approvals == nil {
		return placed
	}
	deadline := time.Now().Add(placeWait)
	for i, p := range placed {
		if p.Hold.Status != domain.StatusRequested {
			continue
		}
		if !s.Approvals.Await(ctx, p.Hold.ID, time.Until(deadline)) {
			break // the others are read as they are
		}
		h, err := store.GetHold(ctx, s.DB, p.Hold.ID, 0)
		if err != nil {
			s.Log.WarnContext(ctx, "read an approved hold", "hold", p.Hold.ID, "err", err)
			continue
		}
		placed[i].Hold = h
	}
	return placed
}

// CheckPlacement checks a placement without the database: 1..10 titles, mode normal (the default) or
// series, or 2..5 titles in mode any; the pickup place is trimmed (whether it exists is Place's to check).
func CheckPlacement(p Placement) (Placement, error) {
	if p.Mode == "" {
		p.Mode = "normal"
	}
	p.Pickup = strings.TrimSpace(p.Pickup)
	switch {
	case p.Mode == "any" && (len(p.TitleIDs) < store.MinGroup || len(p.TitleIDs) > store.MaxGroup):
		return p, refuse(CodeInvalidRequest)
	case len(p.TitleIDs) == 0 || len(p.TitleIDs) > MaxPlace || (p.Mode != "normal" && p.Mode != "series" && p.Mode != "any"):
		return p, refuse(CodeInvalidRequest)
	}
	return p, nil
}

// place records one hold and starts its workflow. A refusal comes back as a code (unavailable when the
// workflow could not start: the hold is taken back); only failures of the system are errors.
func (s *Service) place(ctx context.Context, p store.Placement) (store.HoldView, domain.Code, error) {
	id, err := store.PlaceHold(ctx, s.DB, p)
	if code := placementCode(err); code != "" {
		return store.HoldView{}, code, nil
	}
	if err != nil {
		return store.HoldView{}, "", err
	}
	if err := s.startHold(ctx, Hold{ID: id, TitleID: p.TitleID, Pickup: p.Pickup, Origin: p.Origin}); err != nil {
		s.Log.ErrorContext(ctx, "start hold workflow", "hold", id, "err", err)
		// Without its workflow the hold would never move: take it back and say so.
		if derr := store.DeleteUnstartedHold(context.WithoutCancel(ctx), s.DB, id); derr != nil {
			return store.HoldView{}, "", errors.Join(err, derr)
		}
		return store.HoldView{}, CodeUnavailable, nil
	}
	if p.Origin == "web" && p.TitleID != 0 {
		if err := store.RemoveFromBasket(ctx, s.DB, p.PatronID, p.TitleID); err != nil {
			return store.HoldView{}, "", err
		}
	}
	h, err := store.GetHold(ctx, s.DB, id, 0)
	return h, "", err
}

// placeSeries places the titles, in the order given, as one series hold: all of them or none (Place).
func (s *Service) placeSeries(ctx context.Context, p Placement) ([]Placed, []Rejected, error) {
	var titleIDs []int64
	placed, rejected := []Placed{}, []Rejected{}
	bad := map[int]bool{}
	for i, raw := range p.TitleIDs {
		id, ok := ParseID(raw)
		if !ok {
			rejected = append(rejected, Rejected{TitleID: raw, Code: contract.ErrNotFound})
			bad[i] = true
			continue
		}
		titleIDs = append(titleIDs, id)
	}
	rejectAll := func(code domain.Code, except map[int]bool) ([]Placed, []Rejected, error) {
		for i, raw := range p.TitleIDs {
			if !except[i] {
				rejected = append(rejected, Rejected{TitleID: raw, Code: code})
			}
		}
		return placed, rejected, nil
	}
	if len(rejected) > 0 {
		return rejectAll(CodeInvalidSeries, bad)
	}
	sp := store.Placement{PatronID: p.PatronID, Pickup: p.Pickup, Origin: "web", Limits: s.limits()}
	seriesID, vols, refused, err := store.PlaceSeries(ctx, s.DB, sp, titleIDs)
	switch {
	case errors.Is(err, store.ErrInvalidSeries):
		return rejectAll(CodeInvalidSeries, nil)
	case errors.Is(err, store.ErrLimitExceeded):
		return rejectAll(CodeHoldLimitExceeded, nil)
	case err != nil:
		return nil, nil, FromStore(err)
	case len(refused) > 0:
		own := map[int]bool{}
		for _, r := range refused {
			own[r.Index] = true
			rejected = append(rejected, Rejected{TitleID: p.TitleIDs[r.Index], Code: placementCode(r.Err)})
		}
		return rejectAll(CodeInvalidSeries, own) // nothing of a series is placed when one volume cannot be
	}
	if err := s.startSeries(ctx, seriesID, vols, false); err != nil {
		s.Log.ErrorContext(ctx, "start series workflow", "series", seriesID, "err", err)
		if derr := store.DeleteUnstartedSeries(context.WithoutCancel(ctx), s.DB, seriesID); derr != nil {
			return nil, nil, errors.Join(err, derr)
		}
		return rejectAll(CodeUnavailable, nil)
	}
	for i, v := range vols {
		if err := store.RemoveFromBasket(ctx, s.DB, p.PatronID, v.TitleID); err != nil {
			return nil, nil, err
		}
		h, err := store.GetHold(ctx, s.DB, v.HoldID, 0)
		if err != nil {
			return nil, nil, err
		}
		placed = append(placed, Placed{TitleID: p.TitleIDs[i], Hold: h})
	}
	return placed, rejected, nil
}

// placeAny places the titles as one any-of group (いずれか予約): titles that cannot be held are rejected one by
// one as in a normal placement, the rest form the group (one left: a normal hold), counted as one hold
// against the limits (Place).
func (s *Service) placeAny(ctx context.Context, p Placement) ([]Placed, []Rejected, error) {
	placed, rejected := []Placed{}, []Rejected{}
	var titleIDs []int64
	var raws []string
	for _, raw := range p.TitleIDs {
		id, ok := ParseID(raw)
		if !ok {
			rejected = append(rejected, Rejected{TitleID: raw, Code: contract.ErrNotFound})
			continue
		}
		titleIDs, raws = append(titleIDs, id), append(raws, raw)
	}
	if len(titleIDs) == 0 {
		return placed, rejected, nil
	}
	sp := store.Placement{PatronID: p.PatronID, Pickup: p.Pickup, Origin: "web", Limits: s.limits()}
	groupID, members, refused, err := store.PlaceGroup(ctx, s.DB, sp, titleIDs)
	switch {
	case errors.Is(err, store.ErrLimitExceeded):
		for _, raw := range raws {
			rejected = append(rejected, Rejected{TitleID: raw, Code: CodeHoldLimitExceeded})
		}
		return placed, rejected, nil
	case err != nil:
		return nil, nil, FromStore(err)
	}
	for _, r := range refused {
		rejected = append(rejected, Rejected{TitleID: raws[r.Index], Code: placementCode(r.Err)})
	}
	if len(members) == 0 {
		return placed, rejected, nil
	}
	holds := make([]store.SeriesVolume, len(members))
	for i, m := range members {
		holds[i] = store.SeriesVolume{HoldID: m.HoldID, TitleID: m.TitleID, Pickup: m.Pickup}
	}
	if groupID == 0 { // one title left: a normal hold
		err = s.startHold(ctx, Hold{ID: members[0].HoldID, TitleID: members[0].TitleID, Pickup: members[0].Pickup, Origin: "web"})
	} else {
		err = s.startGroup(ctx, groupID, holds)
	}
	if err != nil {
		s.Log.ErrorContext(ctx, "start any-of hold", "group", groupID, "err", err)
		// Without its workflow the hold would never move: take it back and say so.
		derr := store.DeleteUnstartedHold(context.WithoutCancel(ctx), s.DB, members[0].HoldID)
		if groupID != 0 {
			derr = store.DeleteUnstartedGroup(context.WithoutCancel(ctx), s.DB, groupID)
		}
		if derr != nil {
			return nil, nil, errors.Join(err, derr)
		}
		for _, m := range members {
			rejected = append(rejected, Rejected{TitleID: raws[m.Index], Code: CodeUnavailable})
		}
		return placed, rejected, nil
	}
	for _, m := range members {
		if err := store.RemoveFromBasket(ctx, s.DB, p.PatronID, m.TitleID); err != nil {
			return nil, nil, err
		}
		h, err := store.GetHold(ctx, s.DB, m.HoldID, 0)
		if err != nil {
			return nil, nil, err
		}
		placed = append(placed, Placed{TitleID: raws[m.Index], Hold: h})
	}
	return placed, rejected, nil
}

// JoinSeries turns the patron's holds (IDs as given, in reading order) into one series hold, each keeping
// its place in its queue, and returns the series hold's ID with the holds as they are now.
func (s *Service) JoinSeries(ctx context.Context, patron int64, rawIDs []string) (int64, []store.HoldView, error) {
	if len(rawIDs) < 2 || len(rawIDs) > MaxPlace {
		return 0, nil, refuse(CodeInvalidSeries)
	}
	var ids []int64
	for _, raw := range rawIDs {
		id, ok := ParseID(raw)
		if !ok {
			return 0, nil, refuse(contract.ErrNotFound)
		}
		ids = append(ids, id)
	}
	seriesID, vols, err := store.JoinSeries(ctx, s.DB, patron, ids)
	switch {
	case errors.Is(err, store.ErrInvalidSeries):
		return 0, nil, refuse(CodeInvalidSeries)
	case errors.Is(err, store.ErrNotChangeable):
		return 0, nil, refuse(contract.ErrNotChangeable)
	case err != nil:
		return 0, nil, FromStore(err)
	}
	if err := s.startSeries(ctx, seriesID, vols, true); err != nil {
		s.Log.ErrorContext(ctx, "start series workflow", "series", seriesID, "err", err)
		if derr := store.LeaveSeriesAll(context.WithoutCancel(ctx), s.DB, seriesID); derr != nil {
			return 0, nil, errors.Join(err, derr)
		}
		return 0, nil, refuse(CodeUnavailable)
	}
	holds := make([]store.HoldView, 0, len(ids))
	for _, id := range ids {
		h, err := store.GetHold(ctx, s.DB, id, patron)
		if err != nil {
			return 0, nil, FromStore(err)
		}
		holds = append(holds, h)
	}
	return seriesID, holds, nil
}

// AddToBasket is AddedToBasket without the count.
func (s *Service) AddToBasket(ctx context.Context, patron int64, rawIDs []string) error {
	_, err := s.AddedToBasket(ctx, patron, rawIDs)
	return err
}

// AddedToBasket adds titles (raw IDs) to the patron's basket, all or nothing. A title already there is no
// error and is not added twice.
// It answers how many of the titles were new to the basket.
func (s *Service) AddedToBasket(ctx context.Context, patron int64, rawIDs []string) (int, error) {
	if len(rawIDs) == 0 {
		return 0, refuse(CodeInvalidRequest)
	}
	if len(rawIDs) > store.BasketLimit {
		return 0, refuse(CodeBasketFull)
	}
	ids := make([]int64, len(rawIDs))
	for i, raw := range rawIDs {
		id, ok := ParseID(raw)
		if !ok {
			return 0, refuse(contract.ErrNotFound)
		}
		ids[i] = id
	}
	added, err := store.AddedToBasket(ctx, s.DB, patron, ids, store.BasketLimit)
	switch {
	case errors.Is(err, store.ErrBasketFull):
		return 0, refuse(CodeBasketFull)
	case errors.Is(err, store.ErrNotHoldable):
		return 0, refuse(CodeNotHoldable)
	case err != nil:
		return 0, fmt.Errorf("add to basket: %w", FromStore(err))
	}
	return added, nil
}
