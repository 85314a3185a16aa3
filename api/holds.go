package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

type placeRequest struct {
	TitleIDs     []string `json:"title_ids"`
	PickupBranch string   `json:"pickup_branch"`
	Mode         string   `json:"mode"`
}

// PlacedJSON and RejectedJSON are the per-title results of a placement.
type PlacedJSON struct {
	HoldID  string  `json:"hold_id"`
	TitleID string  `json:"title_id"`
	Status  string  `json:"status"`
	GroupID *string `json:"group_id,omitempty"` // mode any: the group the hold is a member of
}

// RejectedJSON is a title that could not be held, with the reason.
type RejectedJSON struct {
	TitleID string       `json:"title_id"`
	Reason  httpkit.Code `json:"reason"`
	Message string       `json:"message"`
}

// placeHolds places one hold per title: each title gets its own decision, placed or rejected with a reason
// (mode any: the placed ones form one any-of group). Placed titles leave the basket; rejected ones stay.
func (s *Server) placeHolds(c *gin.Context) {
	var req placeRequest
	if !httpkit.BindJSON(c, &req) {
		return
	}
	placed, rejected, err := s.Lib.Place(c.Request.Context(), library.Placement{PatronID: httpkit.PatronID(c),
		TitleIDs: req.TitleIDs, Pickup: req.PickupBranch, Mode: req.Mode})
	if err != nil {
		s.FailErr(c, err)
		return
	}
	// Rejection messages are in the request's language.
	pj, rj := make([]PlacedJSON, len(placed)), make([]RejectedJSON, len(rejected))
	for i, p := range placed {
		pj[i] = PlacedJSON{HoldID: httpkit.IDString(p.Hold.ID), TitleID: p.TitleID, Status: string(p.Hold.Shown())}
		if p.Hold.GroupID.Valid {
			g := httpkit.IDString(p.Hold.GroupID.Int64)
			pj[i].GroupID = &g
		}
	}
	for i, r := range rejected {
		rj[i] = RejectedJSON{TitleID: r.TitleID, Reason: r.Code, Message: httpkit.Message(c, r.Code)}
	}
	c.JSON(http.StatusOK, gin.H{"placed": pj, "rejected": rj})
}

func (s *Server) listHolds(c *gin.Context) {
	ctx := c.Request.Context()
	hs, err := store.PatronHolds(ctx, s.DB, httpkit.PatronID(c))
	if err != nil {
		s.Internal(c, err)
		return
	}
	est, err := s.Lib.Estimates(ctx, hs)
	if err != nil {
		s.Internal(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"holds": httpkit.WithEstimates(hs, est)})
}

// ownHold reads the patron's own hold named in the path; another patron's is not found (404, not 403).
func (s *Server) ownHold(c *gin.Context) (store.HoldView, bool) {
	h, err := s.Lib.OwnHold(c.Request.Context(), c.Param("id"), httpkit.PatronID(c))
	if err != nil {
		s.FailErr(c, err)
		return store.HoldView{}, false
	}
	return h, true
}

func (s *Server) getHold(c *gin.Context) {
	h, ok := s.ownHold(c)
	if !ok {
		return
	}
	hs := []store.HoldView{h}
	est, err := s.Lib.Estimates(c.Request.Context(), hs)
	if err != nil {
		s.Internal(c, err)
		return
	}
	c.JSON(http.StatusOK, httpkit.WithEstimates(hs, est)[0])
}

type pickupRequest struct {
	PickupBranch string `json:"pickup_branch"`
}

// holdAndBody reads the hold in the path with hold (ownHold or staffHold), then the JSON body into req; on
// failure the request is already answered.
func holdAndBody(c *gin.Context, hold func(*gin.Context) (store.HoldView, bool), req any) (store.HoldView, bool) {
	h, ok := hold(c)
	return h, ok && httpkit.BindJSON(c, req)
}

func (s *Server) changePickup(c *gin.Context) {
	var req pickupRequest
	h, ok := holdAndBody(c, s.ownHold, &req)
	if !ok {
		return
	}
	h, err := s.Lib.ChangePickup(c.Request.Context(), h, req.PickupBranch, 0)
	s.answerHold(c, h, err)
}

func (s *Server) cancelHold(c *gin.Context) {
	h, ok := s.ownHold(c)
	if !ok {
		return
	}
	h, status, err := s.Lib.CancelOwn(c.Request.Context(), h)
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(http.StatusAccepted, httpkit.CancelRequestedJSON(h, status)) // the request's state: 取消申込
}

type suspendRequest struct {
	Until string `json:"until"`
}

// suspendHold pauses the patron's own waiting hold until a date (休止).
func (s *Server) suspendHold(c *gin.Context) {
	var req suspendRequest
	h, ok := holdAndBody(c, s.ownHold, &req)
	if !ok {
		return
	}
	h, err := s.Lib.Suspend(c.Request.Context(), h, req.Until)
	s.answerHold(c, h, err)
}

// resumeHold ends the suspension of the patron's own hold now (再開). No request body is read.
func (s *Server) resumeHold(c *gin.Context) {
	h, ok := s.ownHold(c)
	if !ok {
		return
	}
	h, err := s.Lib.Resume(c.Request.Context(), h)
	s.answerHold(c, h, err)
}

// extendHold moves the pickup deadline of the patron's own ready hold 7 days later, once (取置延長).
func (s *Server) extendHold(c *gin.Context) {
	h, ok := s.ownHold(c)
	if !ok {
		return
	}
	h, err := s.Lib.Extend(c.Request.Context(), h)
	s.answerHold(c, h, err)
}

// deferHold lets the next active hold in line go before the patron's own hold (順位の繰下げ). No request body
// is read.
func (s *Server) deferHold(c *gin.Context) {
	h, ok := s.ownHold(c)
	if !ok {
		return
	}
	h, err := s.Lib.Defer(c.Request.Context(), h)
	s.answerHold(c, h, err)
}

// answerHold answers an operation that leaves a hold: the hold as it is now, or the operation's error.
func (s *Server) answerHold(c *gin.Context, h store.HoldView, err error) {
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(http.StatusOK, httpkit.HoldOf(h))
}
