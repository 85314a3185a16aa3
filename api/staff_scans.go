package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"yoyaku/activities"
	"yoyaku/domain"
	"yoyaku/store"
	"yoyaku/workflows"
)

func (s *Server) staffHoldRoutes(g *gin.RouterGroup) {
	g.POST("/checkin", s.checkin)
	g.GET("/pull-list", s.pullList)
	g.POST("/pull", s.pull)
	g.POST("/missing", s.missing)
	g.POST("/receive", s.receive)
	g.POST("/checkout", s.checkout)
	g.GET("/call-list", s.callList)
	g.GET("/hold-shelf", s.holdShelf)
	g.POST("/holds", s.counterHold)
	g.PATCH("/holds/:id", s.staffChangePickup)
	g.POST("/holds/:id/contacted", s.contacted)
	g.POST("/holds/:id/order", s.order)
	g.POST("/holds/:id/ill", s.ill)
	g.POST("/holds/:id/refuse", s.refuse)
	g.POST("/holds/:id/cancel", s.staffCancel)
	g.POST("/items", s.newItem)
}

// RoutingJSON is API.md's Routing.
type RoutingJSON struct {
	Action   string  `json:"action"`
	HoldID   *string `json:"hold_id"`
	ToBranch *string `json:"to_branch"`
}

func routingJSON(r activities.Routing) RoutingJSON {
	j := RoutingJSON{Action: string(r.Action)}
	if r.HoldID != 0 {
		id := idString(r.HoldID)
		j.HoldID = &id
	}
	if r.ToBranch != "" {
		to := r.ToBranch
		j.ToBranch = &to
	}
	return j
}

type scanRequest struct {
	Barcode string `json:"barcode"`
	Branch  string `json:"branch"`
}

var barcodePattern = regexp.MustCompile(`^[0-9A-Za-z-]{4,32}$`)

// bindScan reads a scan and checks the barcode's shape and the branch.
func (s *Server) bindScan(c *gin.Context) (scanRequest, bool) {
	var r scanRequest
	if !bindJSON(c, &r) {
		return r, false
	}
	r.Barcode, r.Branch = strings.TrimSpace(r.Barcode), strings.TrimSpace(r.Branch)
	if !barcodePattern.MatchString(r.Barcode) {
		fail(c, http.StatusUnprocessableEntity, CodeInvalidBarcode)
		return r, false
	}
	if _, err := store.BranchByCode(c.Request.Context(), s.DB, r.Branch); err != nil {
		s.failStore(c, err)
		return r, false
	}
	return r, true
}

// requestID is the scan's idempotency key: the Idempotency-Key or X-Request-ID header, or a fresh one.
func requestID(c *gin.Context) (string, bool) {
	for _, h := range []string{"Idempotency-Key", "X-Request-ID"} {
		if v := strings.TrimSpace(c.GetHeader(h)); v != "" {
			if len(v) > 100 || !regexp.MustCompile(`^[A-Za-z0-9._:-]+$`).MatchString(v) {
				return "", false
			}
			return v, true
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return hex.EncodeToString(b), true
}

// checkinID is the workflow ID of a scan: the key names one scan of one copy, so a key reused for another
// copy, or on the new-copy endpoint, is another scan.
func checkinID(c *gin.Context, in activities.CheckinInput) (string, bool) {
	reqID, ok := requestID(c)
	if !ok {
		fail(c, http.StatusBadRequest, CodeBadRequest)
		return "", false
	}
	kind := "return"
	if in.NewCopy {
		kind = "new"
	}
	return workflows.CheckinWorkflowID(kind + "-" + in.Barcode + "-" + reqID), true
}

// runCheckin runs the check-in workflow for a scan and waits for its routing. A retried request (same
// request ID) gets the answer of the first, and allocates nothing twice.
func (s *Server) runCheckin(c *gin.Context, id string, in activities.CheckinInput) (activities.CheckinResult, bool) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), temporalTimeout)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                s.Cfg.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.PickupBranchKey.ValueSet(in.Branch)),
	}, workflows.CheckinWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		run, err = s.Temporal.GetWorkflow(ctx, id, ""), nil
	}
	if err != nil {
		s.failWorkflow(c, err)
		return activities.CheckinResult{}, false
	}
	var res activities.CheckinResult
	if err := run.Get(ctx, &res); err != nil {
		s.failWorkflow(c, err)
		return activities.CheckinResult{}, false
	}
	return res, true
}

func (s *Server) checkin(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	in := activities.CheckinInput{Barcode: r.Barcode, Branch: r.Branch, StaffID: staffID(c)}
	id, ok := checkinID(c, in)
	if !ok {
		return
	}
	res, ok := s.runCheckin(c, id, in)
	if ok {
		c.JSON(http.StatusOK, routingJSON(res.Routing))
	}
}

// branchParam reads and checks ?branch=.
func (s *Server) branchParam(c *gin.Context) (string, bool) {
	b := strings.TrimSpace(c.Query("branch"))
	if _, err := store.BranchByCode(c.Request.Context(), s.DB, b); err != nil {
		s.failStore(c, err)
		return "", false
	}
	return b, true
}

func (s *Server) pullList(c *gin.Context) {
	branch, ok := s.branchParam(c)
	if !ok {
		return
	}
	items, err := store.PullList(c.Request.Context(), s.DB, branch)
	if err != nil {
		s.internal(c, err)
		return
	}
	out := make([]gin.H, len(items))
	for i, it := range items {
		out[i] = gin.H{"barcode": it.Barcode, "title": it.Title, "hold_id": idString(it.HoldID), "pickup_branch": it.Pickup}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// scannedHold finds the open hold the scanned copy belongs to, or answers with code.
func (s *Server) scannedHold(c *gin.Context, barcode string, code Code) (store.HoldView, bool) {
	h, err := store.OpenHoldOfCopy(c.Request.Context(), s.DB, barcode)
	if errors.Is(err, store.ErrNoSuchHold) {
		fail(c, http.StatusConflict, code)
		return h, false
	}
	if err != nil {
		s.internal(c, err)
		return h, false
	}
	return h, true
}

func (s *Server) pull(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	h, ok := s.scannedHold(c, r.Barcode, CodeNotOnPullList)
	if !ok {
		return
	}
	res, err := s.updateHold(c.Request.Context(), h.ID, workflows.UpdatePull, workflows.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staffID(c)})
	if err != nil {
		s.failWorkflow(c, err)
		return
	}
	if res.Routing == nil {
		s.internal(c, errors.New("pull answered no routing"))
		return
	}
	c.JSON(http.StatusOK, routingJSON(*res.Routing))
}

func (s *Server) missing(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	h, ok := s.scannedHold(c, r.Barcode, CodeNotOnPullList)
	if !ok {
		return
	}
	if _, err := s.updateHold(c.Request.Context(), h.ID, workflows.UpdateMissing, workflows.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staffID(c)}); err != nil {
		s.failWorkflow(c, err)
		return
	}
	s.answerHold(c, http.StatusOK, h.ID, 0)
}

func (s *Server) receive(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	h, ok := s.scannedHold(c, r.Barcode, CodeNotExpectedHere)
	if !ok {
		return
	}
	res, err := s.updateHold(c.Request.Context(), h.ID, workflows.UpdateReceive, workflows.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staffID(c)})
	if err != nil {
		s.failWorkflow(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"hold_id": idString(h.ID), "status": res.Status})
}

type checkoutRequest struct {
	Barcode    string `json:"barcode"`
	CardNumber string `json:"card_number"`
	Branch     string `json:"branch"`
}

// checkout lends a copy. A copy that belongs to a hold goes through the hold's workflow (pick-up, or a
// walk-in borrower taking a set-aside copy from the shelf); any other copy is simply lent.
func (s *Server) checkout(c *gin.Context) {
	var req checkoutRequest
	if !bindJSON(c, &req) {
		return
	}
	card, err := domain.NormalizeCardNumber(req.CardNumber)
	if err != nil {
		fail(c, http.StatusUnprocessableEntity, CodeInvalidCardNumber)
		return
	}
	req.Barcode, req.Branch = strings.TrimSpace(req.Barcode), strings.TrimSpace(req.Branch)
	if !barcodePattern.MatchString(req.Barcode) {
		fail(c, http.StatusUnprocessableEntity, CodeInvalidBarcode)
		return
	}
	ctx := c.Request.Context()
	if _, err := store.BranchByCode(ctx, s.DB, req.Branch); err != nil {
		s.failStore(c, err)
		return
	}
	patron, _, err := store.PatronByCard(ctx, s.DB, card)
	if err != nil {
		s.failStore(c, err)
		return
	}
	h, err := store.OpenHoldOfCopy(ctx, s.DB, req.Barcode)
	switch {
	case errors.Is(err, store.ErrNoSuchHold):
		due, err := store.LendFree(ctx, s.DB, req.Barcode, patron, req.Branch, domain.DateOf(time.Now(), s.Cfg.Location).Time())
		if err != nil {
			s.failStore(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"loan": gin.H{"barcode": req.Barcode, "due_date": due.Format(time.DateOnly)}, "hold_id": nil})
		return
	case err != nil:
		s.internal(c, err)
		return
	}
	res, err := s.updateHold(ctx, h.ID, workflows.UpdateCheckout, workflows.CheckoutRequest{
		Barcode: req.Barcode, Branch: req.Branch, PatronID: patron, StaffID: staffID(c)})
	if err != nil {
		s.failWorkflow(c, err)
		return
	}
	if res.Loan == nil {
		s.internal(c, errors.New("checkout answered no loan"))
		return
	}
	var holdID *string
	if res.Status == domain.StatusFulfilled {
		id := idString(h.ID)
		holdID = &id
	}
	c.JSON(http.StatusOK, gin.H{"loan": gin.H{"barcode": res.Loan.Barcode, "due_date": res.Loan.DueDate}, "hold_id": holdID})
}

func (s *Server) callList(c *gin.Context) {
	branch, ok := s.branchParam(c)
	if !ok {
		return
	}
	calls, err := store.CallList(c.Request.Context(), s.DB, branch)
	if err != nil {
		s.internal(c, err)
		return
	}
	out := make([]gin.H, len(calls))
	for i, call := range calls {
		out[i] = gin.H{"hold_id": idString(call.HoldID), "card_number": call.Card, "name": call.Name, "phone": call.Phone, "title": call.Title}
	}
	c.JSON(http.StatusOK, gin.H{"calls": out})
}

func (s *Server) holdShelf(c *gin.Context) {
	branch, ok := s.branchParam(c)
	if !ok {
		return
	}
	hs, err := store.HoldShelf(c.Request.Context(), s.DB, branch)
	if err != nil {
		s.internal(c, err)
		return
	}
	out := make([]gin.H, len(hs))
	for i, h := range hs {
		var deadline *string
		if h.Deadline.Valid {
			deadline = dateString(h.Deadline.Time)
		}
		out[i] = gin.H{"hold_id": idString(h.HoldID), "barcode": h.Barcode, "card_number": h.Card, "pickup_deadline": deadline, "expired": h.Expired}
	}
	c.JSON(http.StatusOK, gin.H{"holds": out})
}

// staffHold reads the hold named in the path (any patron's).
func (s *Server) staffHold(c *gin.Context) (store.HoldView, bool) {
	id, ok := parseID(c.Param("id"))
	if !ok {
		fail(c, http.StatusNotFound, CodeNotFound)
		return store.HoldView{}, false
	}
	h, err := store.GetHold(c.Request.Context(), s.DB, id, 0)
	if err != nil {
		s.failStore(c, err)
		return store.HoldView{}, false
	}
	return h, true
}

// staffUpdate sends an update to the hold in the path and answers the hold.
func (s *Server) staffUpdate(c *gin.Context, name string, arg func(h store.HoldView) (any, bool)) {
	h, ok := s.staffHold(c)
	if !ok {
		return
	}
	a, ok := arg(h)
	if !ok {
		return
	}
	if _, err := s.updateHold(c.Request.Context(), h.ID, name, a); err != nil {
		s.failWorkflow(c, err)
		return
	}
	s.answerHold(c, http.StatusOK, h.ID, 0)
}

func (s *Server) contacted(c *gin.Context) {
	s.staffUpdate(c, workflows.UpdateContacted, func(store.HoldView) (any, bool) {
		return workflows.StaffRequest{StaffID: staffID(c)}, true
	})
}

func (s *Server) order(c *gin.Context) {
	s.staffUpdate(c, workflows.UpdateOrder, func(store.HoldView) (any, bool) {
		return workflows.StaffRequest{StaffID: staffID(c)}, true
	})
}

func (s *Server) ill(c *gin.Context) {
	s.staffUpdate(c, workflows.UpdateILL, func(store.HoldView) (any, bool) {
		return workflows.StaffRequest{StaffID: staffID(c)}, true
	})
}

type refuseRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) refuse(c *gin.Context) {
	s.staffUpdate(c, workflows.UpdateCancel, func(store.HoldView) (any, bool) {
		var r refuseRequest
		if !bindJSON(c, &r) {
			return nil, false
		}
		if len(r.Reason) > 500 {
			fail(c, http.StatusUnprocessableEntity, CodeInvalidRequest)
			return nil, false
		}
		return workflows.CancelRequest{Reason: domain.CancelStaff, Note: strings.TrimSpace(r.Reason), StaffID: staffID(c)}, true
	})
}

func (s *Server) staffCancel(c *gin.Context) {
	s.staffUpdate(c, workflows.UpdateCancel, func(store.HoldView) (any, bool) {
		return workflows.CancelRequest{Reason: domain.CancelStaff, StaffID: staffID(c)}, true
	})
}

func (s *Server) staffChangePickup(c *gin.Context) {
	s.staffUpdate(c, workflows.UpdateChangePickup, func(h store.HoldView) (any, bool) {
		var r pickupRequest
		if !bindJSON(c, &r) || !s.checkPickup(c, h, r.PickupBranch) {
			return nil, false
		}
		return workflows.PickupRequest{Branch: strings.TrimSpace(r.PickupBranch), StaffID: staffID(c)}, true
	})
}

type counterRequest struct {
	CardNumber   string `json:"card_number"`
	TitleID      string `json:"title_id"`
	PickupBranch string `json:"pickup_branch"`
	Request      *struct {
		Title  string `json:"title"`
		Author string `json:"author"`
		ISBN   string `json:"isbn"`
	} `json:"request"`
}

// counterHold takes a hold at the counter (窓口予約): for a title in the catalogue, or a request for one the
// library does not own, which is investigated (調査中).
func (s *Server) counterHold(c *gin.Context) {
	var req counterRequest
	if !bindJSON(c, &req) {
		return
	}
	card, err := domain.NormalizeCardNumber(req.CardNumber)
	if err != nil {
		fail(c, http.StatusUnprocessableEntity, CodeInvalidCardNumber)
		return
	}
	ctx := c.Request.Context()
	patron, _, err := store.PatronByCard(ctx, s.DB, card)
	if err != nil {
		s.failStore(c, err)
		return
	}
	p := store.Placement{PatronID: patron, Pickup: strings.TrimSpace(req.PickupBranch), Origin: "counter", PlacedBy: staffID(c),
		Limits: store.Limits{Total: s.Cfg.HoldLimitTotal, AV: s.Cfg.HoldLimitAV}}
	switch {
	case req.TitleID != "" && req.Request == nil:
		id, ok := parseID(req.TitleID)
		if !ok {
			fail(c, http.StatusNotFound, CodeNotFound)
			return
		}
		p.TitleID = id
	case req.TitleID == "" && req.Request != nil && strings.TrimSpace(req.Request.Title) != "" && len(req.Request.Title) <= 500 &&
		len(req.Request.Author) <= 200 && len(req.Request.ISBN) <= 20:
		p.Request = &store.Request{Title: strings.TrimSpace(req.Request.Title), Author: strings.TrimSpace(req.Request.Author),
			ISBN: strings.TrimSpace(req.Request.ISBN)}
	default:
		fail(c, http.StatusUnprocessableEntity, CodeInvalidRequest)
		return
	}
	h, code, err := s.place(ctx, p)
	if err != nil {
		s.internal(c, err)
		return
	}
	if code != "" {
		status := http.StatusUnprocessableEntity
		switch code {
		case CodeNotFound:
			status = http.StatusNotFound
		case CodeAlreadyHeld:
			status = http.StatusConflict
		case CodeUnavailable:
			status = http.StatusServiceUnavailable
		}
		fail(c, status, code)
		return
	}
	c.JSON(http.StatusOK, holdJSON(h))
}

type newItemRequest struct {
	TitleID string `json:"title_id"`
	Barcode string `json:"barcode"`
	Branch  string `json:"branch"`
	HoldID  string `json:"hold_id"`
}

// newItem registers a new copy. It is allocated like a return; with hold_id it is the copy that was ordered
// or borrowed for that counter request, and goes to it.
func (s *Server) newItem(c *gin.Context) {
	var req newItemRequest
	if !bindJSON(c, &req) {
		return
	}
	req.Barcode, req.Branch = strings.TrimSpace(req.Barcode), strings.TrimSpace(req.Branch)
	titleID, ok := parseID(req.TitleID)
	if !ok {
		fail(c, http.StatusNotFound, CodeNotFound)
		return
	}
	if !barcodePattern.MatchString(req.Barcode) {
		fail(c, http.StatusUnprocessableEntity, CodeInvalidBarcode)
		return
	}
	ctx := c.Request.Context()
	if _, err := store.BranchByCode(ctx, s.DB, req.Branch); err != nil {
		s.failStore(c, err)
		return
	}
	var exists bool
	if err := s.DB.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM titles WHERE id = $1)`, titleID); err != nil {
		s.internal(c, err)
		return
	}
	if !exists {
		fail(c, http.StatusNotFound, CodeNotFound)
		return
	}
	if req.HoldID != "" {
		holdID, ok := parseID(req.HoldID)
		if !ok {
			fail(c, http.StatusNotFound, CodeNotFound)
			return
		}
		if _, err := store.GetHold(ctx, s.DB, holdID, 0); err != nil {
			s.failStore(c, err)
			return
		}
		var taken bool
		if err := s.DB.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM items WHERE barcode = $1)`, req.Barcode); err != nil {
			s.internal(c, err)
			return
		}
		if taken {
			fail(c, http.StatusConflict, CodeBarcodeTaken)
			return
		}
		res, err := s.updateHold(ctx, holdID, workflows.UpdateArrived, workflows.ArrivedRequest{
			TitleID: titleID, Barcode: req.Barcode, Branch: req.Branch, StaffID: staffID(c)})
		if err != nil {
			s.failWorkflow(c, err)
			return
		}
		routing := activities.Routing{Action: activities.RouteHoldShelf, HoldID: holdID}
		if res.Routing != nil {
			routing = *res.Routing
		}
		c.JSON(http.StatusCreated, routingJSON(routing))
		return
	}
	var taken bool
	if err := s.DB.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM items WHERE barcode = $1)`, req.Barcode); err != nil {
		s.internal(c, err)
		return
	}
	in := activities.CheckinInput{TitleID: titleID, Barcode: req.Barcode, Branch: req.Branch, StaffID: staffID(c), NewCopy: true}
	id, ok := checkinID(c, in)
	if !ok {
		return
	}
	if taken {
		// Only a retry of the request that registered this copy (same key) may find it registered.
		if _, err := s.Temporal.DescribeWorkflow(ctx, id, ""); err != nil {
			fail(c, http.StatusConflict, CodeBarcodeTaken)
			return
		}
	}
	res, ok := s.runCheckin(c, id, in)
	if ok {
		c.JSON(http.StatusCreated, routingJSON(res.Routing))
	}
}
