package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/domain"
	"yoyaku/library"
	"yoyaku/store"
)

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// parseID reads an opaque ID; anything that is not one of ours is simply not found.
func parseID(s string) (int64, bool) { return library.ParseID(s) }

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
const maxPlace = library.MaxPlace

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

// placeTitles is POST /api/v1/holds for the JSON API and the web pages alike (library.Place); rejection
// messages are in the request's language. A refusal of the whole request, or a failure of the system, is
// the *opError.
func (s *Server) placeTitles(c *gin.Context, patron int64, req placeRequest) ([]PlacedJSON, []RejectedJSON, *opError) {
	placed, rejected, err := s.lib().Place(c.Request.Context(), library.Placement{PatronID: patron, TitleIDs: req.TitleIDs,
		Pickup: req.PickupBranch, Mode: req.Mode})
	if err != nil {
		return nil, nil, opErr(err)
	}
	pj, rj := make([]PlacedJSON, len(placed)), make([]RejectedJSON, len(rejected))
	for i, p := range placed {
		pj[i] = PlacedJSON{HoldID: idString(p.Hold.ID), TitleID: p.TitleID, Status: string(p.Hold.Shown())}
	}
	for i, r := range rejected {
		rj[i] = RejectedJSON{TitleID: r.TitleID, Reason: r.Code, Message: message(c, r.Code)}
	}
	return pj, rj, nil
}

// checkPlacement checks a placement without the database (library.CheckPlacement).
func checkPlacement(req placeRequest) (placeRequest, *opError) {
	p, err := library.CheckPlacement(library.Placement{TitleIDs: req.TitleIDs, Pickup: req.PickupBranch, Mode: req.Mode})
	return placeRequest{TitleIDs: p.TitleIDs, PickupBranch: p.Pickup, Mode: p.Mode}, opErr(err)
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
	h, err := s.lib().OwnHold(ctx, raw, patron)
	return h, opErr(err)
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
	return opErr(s.lib().PickupAllowed(ctx, h, branch))
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
// 予約情報変更 page).
func (s *Server) changeOwnPickup(ctx context.Context, h store.HoldView, branch string) *opError {
	return opErr(s.lib().ChangePickup(ctx, h, branch, 0))
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
	h, status, err := s.lib().CancelOwn(ctx, h)
	if err != nil {
		return HoldJSON{}, opErr(err)
	}
	j := holdJSON(h)
	if status == domain.StatusCancelRequested && h.Status == domain.StatusCancelled {
		// The answer is the request's state: 取消申込. Approval may already have followed (see GET).
		j.Status, j.StatusLabel = string(domain.StatusCancelRequested), domain.Label(domain.StatusCancelRequested, "")
		j.CancelledAt, j.CancelReason = nil, nil
	}
	return j, nil
}
