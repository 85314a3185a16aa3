package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/contract"
	"yoyaku/holdstart"
	"yoyaku/store"
)

// Series holds (シリーズ予約): volumes provided one by one, in reading order.

// startSeries starts the series workflow, which runs the volumes' hold workflows as its children.
func (s *Server) startSeries(ctx context.Context, seriesID int64, vols []store.SeriesVolume, convert bool) error {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	var volumes []contract.Volume
	for _, v := range vols {
		volumes = append(volumes, contract.Volume{HoldID: v.HoldID, TitleID: v.TitleID, Pickup: v.Pickup})
	}
	return holdstart.StartSeries(ctx, s.Temporal, s.startSettings(), seriesID, volumes, convert)
}

// placeSeries places the titles, in the order given, as one series hold: all of them or none (placeTitles).
func (s *Server) placeSeries(c *gin.Context, patron int64, req placeRequest) ([]PlacedJSON, []RejectedJSON, *opError) {
	ctx := c.Request.Context()
	var titleIDs []int64
	placed, rejected := []PlacedJSON{}, []RejectedJSON{}
	for _, raw := range req.TitleIDs {
		id, ok := parseID(raw)
		if !ok {
			rejected = append(rejected, RejectedJSON{TitleID: raw, Reason: CodeNotFound, Message: message(c, CodeNotFound)})
			continue
		}
		titleIDs = append(titleIDs, id)
	}
	rejectAll := func(code Code, except map[int]bool) ([]PlacedJSON, []RejectedJSON, *opError) {
		for i, raw := range req.TitleIDs {
			if !except[i] {
				rejected = append(rejected, RejectedJSON{TitleID: raw, Reason: code, Message: message(c, code)})
			}
		}
		return placed, rejected, nil
	}
	if len(rejected) > 0 {
		bad := map[int]bool{}
		for i, raw := range req.TitleIDs {
			if _, ok := parseID(raw); !ok {
				bad[i] = true
			}
		}
		return rejectAll(CodeInvalidSeries, bad)
	}
	p := store.Placement{PatronID: patron, Pickup: req.PickupBranch, Origin: "web",
		Limits: store.Limits{Total: s.Cfg.HoldLimitTotal, AV: s.Cfg.HoldLimitAV}}
	seriesID, vols, refusals, err := store.PlaceSeries(ctx, s.DB, p, titleIDs)
	switch {
	case errors.Is(err, store.ErrInvalidSeries):
		return rejectAll(CodeInvalidSeries, nil)
	case errors.Is(err, store.ErrLimitExceeded):
		return rejectAll(CodeHoldLimitExceeded, nil)
	case err != nil:
		return nil, nil, storeError(err)
	case len(refusals) > 0:
		own := map[int]bool{}
		for _, r := range refusals {
			code := placementCode(r.Err)
			own[r.Index] = true
			rejected = append(rejected, RejectedJSON{TitleID: req.TitleIDs[r.Index], Reason: code, Message: message(c, code)})
		}
		return rejectAll(CodeInvalidSeries, own) // nothing of a series is placed when one volume cannot be
	}
	if err := s.startSeries(ctx, seriesID, vols, false); err != nil {
		s.Log.ErrorContext(ctx, "start series workflow", "series", seriesID, "err", err)
		if derr := store.DeleteUnstartedSeries(context.WithoutCancel(ctx), s.DB, seriesID); derr != nil {
			return nil, nil, internalError(errors.Join(err, derr))
		}
		return rejectAll(CodeUnavailable, nil)
	}
	for i, v := range vols {
		if _, err := s.DB.ExecContext(ctx, `DELETE FROM basket_items WHERE patron_id = $1 AND title_id = $2`, p.PatronID, v.TitleID); err != nil {
			return nil, nil, internalError(err)
		}
		h, err := store.GetHold(ctx, s.DB, v.HoldID, 0)
		if err != nil {
			return nil, nil, internalError(err)
		}
		placed = append(placed, PlacedJSON{HoldID: idString(v.HoldID), TitleID: req.TitleIDs[i], Status: string(h.Shown())})
	}
	return placed, rejected, nil
}

// placementCode is the rejection code of a refused title.
func placementCode(err error) Code {
	switch {
	case errors.Is(err, store.ErrLimitExceeded):
		return CodeHoldLimitExceeded
	case errors.Is(err, store.ErrPickupNotAllowed):
		return CodePickupNotAllowed
	case errors.Is(err, store.ErrNotHoldable):
		return CodeNotHoldable
	case errors.Is(err, store.ErrAlreadyHeld):
		return CodeAlreadyHeld
	case errors.Is(err, store.ErrTitleNotFound):
		return CodeNotFound
	case errors.Is(err, store.ErrUnknownBranch):
		return CodeUnknownBranch
	}
	return ""
}

type seriesRequest struct {
	HoldIDs []string `json:"hold_ids"`
}

// makeSeries turns existing online holds into a series hold, in the order given, keeping each hold's place
// in its queue (POST /api/v1/series).
func (s *Server) makeSeries(c *gin.Context) {
	var req seriesRequest
	if !bindJSON(c, &req) {
		return
	}
	seriesID, holds, oe := s.joinSeries(c.Request.Context(), patronID(c), req.HoldIDs)
	if oe != nil {
		s.failOp(c, oe)
		return
	}
	out := make([]HoldJSON, 0, len(holds))
	for _, h := range holds {
		out = append(out, holdJSON(h))
	}
	c.JSON(http.StatusOK, gin.H{"series_id": idString(seriesID), "holds": out})
}

// joinSeries turns the patron's holds (IDs as given, in reading order) into one series hold and returns
// it with the holds as they are now; for POST /api/v1/series and the 予約状況 page alike.
func (s *Server) joinSeries(ctx context.Context, patron int64, rawIDs []string) (int64, []store.HoldView, *opError) {
	if len(rawIDs) < 2 || len(rawIDs) > maxPlace {
		return 0, nil, refused(http.StatusUnprocessableEntity, CodeInvalidSeries)
	}
	var ids []int64
	for _, raw := range rawIDs {
		id, ok := parseID(raw)
		if !ok {
			return 0, nil, refused(http.StatusNotFound, CodeNotFound)
		}
		ids = append(ids, id)
	}
	seriesID, vols, err := store.JoinSeries(ctx, s.DB, patron, ids)
	switch {
	case errors.Is(err, store.ErrInvalidSeries):
		return 0, nil, refused(http.StatusUnprocessableEntity, CodeInvalidSeries)
	case errors.Is(err, store.ErrNotChangeable):
		return 0, nil, refused(http.StatusConflict, CodeNotChangeable)
	case err != nil:
		return 0, nil, storeError(err)
	}
	if err := s.startSeries(ctx, seriesID, vols, true); err != nil {
		s.Log.ErrorContext(ctx, "start series workflow", "series", seriesID, "err", err)
		if derr := store.LeaveSeriesAll(context.WithoutCancel(ctx), s.DB, seriesID); derr != nil {
			return 0, nil, internalError(errors.Join(err, derr))
		}
		return 0, nil, refused(http.StatusServiceUnavailable, CodeUnavailable)
	}
	holds := make([]store.HoldView, 0, len(ids))
	for _, id := range ids {
		h, err := store.GetHold(ctx, s.DB, id, patron)
		if err != nil {
			return 0, nil, storeError(err)
		}
		holds = append(holds, h)
	}
	return seriesID, holds, nil
}
