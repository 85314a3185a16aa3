package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// parseID reads an opaque ID; anything that is not one of ours is simply not found.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// HoldJSON is API.md's Hold.
type HoldJSON struct {
	ID              string      `json:"id"`
	TitleID         *string     `json:"title_id"`
	Title           string      `json:"title"`
	Status          string      `json:"status"`
	StatusLabel     string      `json:"status_label"`
	Position        *int64      `json:"position"`
	PickupBranch    string      `json:"pickup_branch"`
	Origin          string      `json:"origin"`
	PlacedAt        time.Time   `json:"placed_at"`
	ReadyAt         *time.Time  `json:"ready_at"`
	ContactDate     *string     `json:"contact_date"`
	PickupDeadline  *string     `json:"pickup_deadline"`
	CancelledAt     *time.Time  `json:"cancelled_at"`
	CancelReason    *string     `json:"cancel_reason"`
	Series          *SeriesJSON `json:"series"`
	CanChangePickup bool        `json:"can_change_pickup"`
	CanCancel       bool        `json:"can_cancel"`
}

// SeriesJSON places a hold in its series hold.
type SeriesJSON struct {
	ID  string `json:"id"`
	Seq int64  `json:"seq"`
}

func dateString(t time.Time) *string {
	s := t.Format(time.DateOnly)
	return &s
}

func holdJSON(h store.HoldView) HoldJSON {
	shown := h.Shown()
	j := HoldJSON{
		ID: idString(h.ID), Title: h.Title, Status: string(shown),
		StatusLabel:     domain.Label(shown, domain.CancelReason(h.CancelReason.String)),
		PickupBranch:    h.Pickup,
		Origin:          h.Origin,
		PlacedAt:        h.PlacedAt,
		CanChangePickup: domain.PatronMayChange(h.Status, h.Origin),
		CanCancel:       domain.PatronMayChange(h.Status, h.Origin),
	}
	if h.TitleID.Valid {
		id := idString(h.TitleID.Int64)
		j.TitleID = &id
	}
	if h.Position.Valid {
		p := h.Position.Int64
		j.Position = &p
	}
	if h.ReadyAt.Valid {
		j.ReadyAt = &h.ReadyAt.Time
	}
	if h.ContactDate.Valid {
		j.ContactDate = dateString(h.ContactDate.Time)
	}
	if h.PickupDeadline.Valid {
		j.PickupDeadline = dateString(h.PickupDeadline.Time)
	}
	if h.CancelledAt.Valid {
		j.CancelledAt = &h.CancelledAt.Time
		r := h.CancelReason.String
		j.CancelReason = &r
	}
	if h.SeriesID.Valid {
		j.Series = &SeriesJSON{ID: idString(h.SeriesID.Int64), Seq: h.SeriesSeq.Int64}
	}
	return j
}

func (s *Server) patronHoldRoutes(g *gin.RouterGroup) {
	g.POST("/holds", s.placeHolds)
	g.GET("/holds", s.listHolds)
	g.GET("/holds/:id", s.getHold)
	g.PATCH("/holds/:id", s.changePickup)
	g.POST("/holds/:id/cancel", s.cancelHold)
	g.POST("/series", s.makeSeries)
}

type placeRequest struct {
	TitleIDs     []string `json:"title_ids"`
	PickupBranch string   `json:"pickup_branch"`
	Mode         string   `json:"mode"`
}

// PlacedJSON and RejectedJSON are the per-title results of a placement.
type PlacedJSON struct {
	HoldID  string `json:"hold_id"`
	TitleID string `json:"title_id"`
	Status  string `json:"status"`
}

// RejectedJSON is a title that could not be held, with the reason.
type RejectedJSON struct {
	TitleID string `json:"title_id"`
	Reason  Code   `json:"reason"`
	Message string `json:"message"`
}

// maxPlace bounds one placement request (the basket holds 10 titles).
const maxPlace = 10

// placeHolds places one hold per title: each title gets its own decision, placed or rejected with a reason.
// Placed titles leave the basket; rejected ones stay.
func (s *Server) placeHolds(c *gin.Context) {
	var req placeRequest
	if !bindJSON(c, &req) {
		return
	}
	placed, rejected, oe := s.placeTitles(c, patronID(c), req)
	if oe != nil {
		s.failOp(c, oe)
		return
	}
	c.JSON(http.StatusOK, gin.H{"placed": placed, "rejected": rejected})
}

// placeTitles is POST /api/v1/holds for the JSON API and the web pages alike: it checks the request
// (1..10 titles, mode normal or series, a known pickup place) and places the titles for patron, each title
// with its own decision (normal) or all of them as one series hold, in the order given, or none (series).
// Rejection messages are in the request's language. A refusal of the whole request, or a failure of the
// system, is the *opError.
func (s *Server) placeTitles(c *gin.Context, patron int64, req placeRequest) ([]PlacedJSON, []RejectedJSON, *opError) {
	req, oe := checkPlacement(req)
	if oe != nil {
		return nil, nil, oe
	}
	ctx := c.Request.Context()
	if _, err := store.BranchByCode(ctx, s.DB, req.PickupBranch); err != nil {
		return nil, nil, storeError(err)
	}
	if req.Mode == "series" {
		return s.placeSeries(c, patron, req)
	}
	placed, rejected := []PlacedJSON{}, []RejectedJSON{}
	seen := map[string]bool{}
	for _, raw := range req.TitleIDs {
		if seen[raw] {
			continue
		}
		seen[raw] = true
		titleID, ok := parseID(raw)
		if !ok {
			rejected = append(rejected, RejectedJSON{TitleID: raw, Reason: CodeNotFound, Message: message(c, CodeNotFound)})
			continue
		}
		h, code, err := s.place(ctx, store.Placement{PatronID: patron, TitleID: titleID, Pickup: req.PickupBranch, Origin: "web",
			Limits: store.Limits{Total: s.Cfg.HoldLimitTotal, AV: s.Cfg.HoldLimitAV}})
		if err != nil {
			return nil, nil, internalError(err)
		}
		if code != "" {
			rejected = append(rejected, RejectedJSON{TitleID: raw, Reason: code, Message: message(c, code)})
			continue
		}
		placed = append(placed, PlacedJSON{HoldID: idString(h.ID), TitleID: raw, Status: string(h.Shown())})
	}
	return placed, rejected, nil
}

// checkPlacement checks a placement without the database: 1..10 titles, mode normal (the default) or
// series; the pickup place is trimmed (whether it exists is placeTitles' to check).
func checkPlacement(req placeRequest) (placeRequest, *opError) {
	if req.Mode == "" {
		req.Mode = "normal"
	}
	req.PickupBranch = strings.TrimSpace(req.PickupBranch)
	if len(req.TitleIDs) == 0 || len(req.TitleIDs) > maxPlace || (req.Mode != "normal" && req.Mode != "series") {
		return req, refused(http.StatusUnprocessableEntity, CodeInvalidRequest)
	}
	return req, nil
}

// place records one hold and starts its workflow. A refusal comes back as a code; only failures of the
// system are errors.
func (s *Server) place(ctx context.Context, p store.Placement) (store.HoldView, Code, error) {
	id, err := store.PlaceHold(ctx, s.DB, p)
	if code := placementCode(err); code != "" {
		return store.HoldView{}, code, nil
	}
	if err != nil {
		return store.HoldView{}, "", err
	}
	if err := s.startHold(ctx, id, p.TitleID, p.Pickup, p.Origin); err != nil {
		s.Log.ErrorContext(ctx, "start hold workflow", "hold", id, "err", err)
		// Without its workflow the hold would never move: take it back and say so.
		if derr := store.DeleteUnstartedHold(context.WithoutCancel(ctx), s.DB, id); derr != nil {
			return store.HoldView{}, "", errors.Join(err, derr)
		}
		return store.HoldView{}, CodeUnavailable, nil
	}
	if p.Origin == "web" && p.TitleID != 0 {
		if _, err := s.DB.ExecContext(ctx, `DELETE FROM basket_items WHERE patron_id = $1 AND title_id = $2`, p.PatronID, p.TitleID); err != nil {
			return store.HoldView{}, "", err
		}
	}
	h, err := store.GetHold(ctx, s.DB, id, 0)
	return h, "", err
}

func (s *Server) listHolds(c *gin.Context) {
	hs, err := store.PatronHolds(c.Request.Context(), s.DB, patronID(c))
	if err != nil {
		s.internal(c, err)
		return
	}
	out := make([]HoldJSON, len(hs))
	for i, h := range hs {
		out[i] = holdJSON(h)
	}
	c.JSON(http.StatusOK, gin.H{"holds": out})
}

// ownHold reads the patron's own hold named in the path; another patron's is not found (404, not 403).
func (s *Server) ownHold(c *gin.Context) (store.HoldView, bool) {
	h, oe := s.findOwnHold(c.Request.Context(), c.Param("id"), patronID(c))
	if oe != nil {
		s.failOp(c, oe)
		return store.HoldView{}, false
	}
	return h, true
}

// findOwnHold reads the patron's own hold by its (raw) ID; another patron's is not found.
func (s *Server) findOwnHold(ctx context.Context, raw string, patron int64) (store.HoldView, *opError) {
	id, ok := parseID(raw)
	if !ok {
		return store.HoldView{}, refused(http.StatusNotFound, CodeNotFound)
	}
	h, err := store.GetHold(ctx, s.DB, id, patron)
	if err != nil {
		return store.HoldView{}, storeError(err)
	}
	return h, nil
}

func (s *Server) getHold(c *gin.Context) {
	if h, ok := s.ownHold(c); ok {
		c.JSON(http.StatusOK, holdJSON(h))
	}
}

// answerHold reads the hold again after a change and answers it.
func (s *Server) answerHold(c *gin.Context, status int, id, patron int64) {
	h, err := store.GetHold(c.Request.Context(), s.DB, id, patron)
	if err != nil {
		s.failStore(c, err)
		return
	}
	c.JSON(status, holdJSON(h))
}

type pickupRequest struct {
	PickupBranch string `json:"pickup_branch"`
}

// checkPickup refuses an unknown branch or one where the hold's format cannot be picked up.
func (s *Server) checkPickup(c *gin.Context, h store.HoldView, branch string) bool {
	if oe := s.pickupAllowed(c.Request.Context(), h, branch); oe != nil {
		s.failOp(c, oe)
		return false
	}
	return true
}

// pickupAllowed refuses an unknown branch or one where the hold's format cannot be picked up.
func (s *Server) pickupAllowed(ctx context.Context, h store.HoldView, branch string) *opError {
	b, err := store.BranchByCode(ctx, s.DB, strings.TrimSpace(branch))
	if err != nil {
		return storeError(err)
	}
	if !domain.CanPickUp(b.Kind, domain.Format(h.Format.String)) {
		return refused(http.StatusUnprocessableEntity, CodePickupNotAllowed)
	}
	return nil
}

func (s *Server) changePickup(c *gin.Context) {
	h, ok := s.ownHold(c)
	if !ok {
		return
	}
	var req pickupRequest
	if !bindJSON(c, &req) {
		return
	}
	if oe := s.changeOwnPickup(c.Request.Context(), h, req.PickupBranch); oe != nil {
		s.failOp(c, oe)
		return
	}
	s.answerHold(c, http.StatusOK, h.ID, h.PatronID)
}

// changeOwnPickup changes the pickup place of the patron's own hold h (PATCH /api/v1/holds/{id} and the
// 予約情報変更 page): the place must take the hold's format, and the hold's workflow decides whether the
// hold can still be changed online (409 not_changeable).
func (s *Server) changeOwnPickup(ctx context.Context, h store.HoldView, branch string) *opError {
	branch = strings.TrimSpace(branch)
	if oe := s.pickupAllowed(ctx, h, branch); oe != nil {
		return oe
	}
	if _, err := s.updateHold(ctx, h.ID, contract.UpdateChangePickup, contract.PickupRequest{Branch: branch}); err != nil {
		return workflowError(err)
	}
	return nil
}

func (s *Server) cancelHold(c *gin.Context) {
	h, ok := s.ownHold(c)
	if !ok {
		return
	}
	j, oe := s.cancelOwnHold(c.Request.Context(), h)
	if oe != nil {
		s.failOp(c, oe)
		return
	}
	c.JSON(http.StatusAccepted, j)
}

// cancelOwnHold asks the workflow of the patron's own hold h to cancel it (POST /api/v1/holds/{id}/cancel
// and the 予約取消 page) and returns the hold as the request left it: 取消申込.
func (s *Server) cancelOwnHold(ctx context.Context, h store.HoldView) (HoldJSON, *opError) {
	res, err := s.updateHold(ctx, h.ID, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelPatron})
	if err != nil {
		return HoldJSON{}, workflowError(err)
	}
	h, err = store.GetHold(ctx, s.DB, h.ID, h.PatronID)
	if err != nil {
		return HoldJSON{}, storeError(err)
	}
	j := holdJSON(h)
	if res.Status == domain.StatusCancelRequested && h.Status == domain.StatusCancelled {
		// The answer is the request's state: 取消申込. Approval may already have followed (see GET).
		j.Status, j.StatusLabel = string(domain.StatusCancelRequested), domain.Label(domain.StatusCancelRequested, "")
		j.CancelledAt, j.CancelReason = nil, nil
	}
	return j, nil
}
