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

	"yoyaku/contract"
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

func routingJSON(r contract.Routing) RoutingJSON {
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
	r, e := s.checkScan(c.Request.Context(), r)
	if e != nil {
		s.failOp(c, e)
		return r, false
	}
	return r, true
}

// checkScan trims a scan and checks the barcode's shape and the branch (the JSON scans and the staff console).
func (s *Server) checkScan(ctx context.Context, r scanRequest) (scanRequest, *opError) {
	r, e := scanShape(r)
	if e != nil {
		return r, e
	}
	if _, err := store.BranchByCode(ctx, s.DB, r.Branch); err != nil {
		return r, storeError(err)
	}
	return r, nil
}

// scanShape trims a scan and checks the barcode's shape, without the database.
func scanShape(r scanRequest) (scanRequest, *opError) {
	r.Barcode, r.Branch = strings.TrimSpace(r.Barcode), strings.TrimSpace(r.Branch)
	if !barcodePattern.MatchString(r.Barcode) {
		return r, refused(http.StatusUnprocessableEntity, CodeInvalidBarcode)
	}
	return r, nil
}

// requestIDPattern is what a scan's idempotency key may look like.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// requestID is the scan's idempotency key: the Idempotency-Key or X-Request-ID header, or a fresh one.
func requestID(c *gin.Context) (string, bool) {
	for _, h := range []string{"Idempotency-Key", "X-Request-ID"} {
		if v := strings.TrimSpace(c.GetHeader(h)); v != "" {
			return v, validRequestID(v)
		}
	}
	return newRequestID(), true
}

// validRequestID reports whether v may be a scan's idempotency key.
func validRequestID(v string) bool { return len(v) <= 100 && requestIDPattern.MatchString(v) }

// newRequestID is a fresh idempotency key.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return hex.EncodeToString(b)
}

// checkinID is the workflow ID of a scan: the key names one scan of one copy, so a key reused for another
// copy, or on the new-copy endpoint, is another scan.
func checkinID(c *gin.Context, in contract.CheckinInput) (string, bool) {
	reqID, ok := requestID(c)
	if !ok {
		fail(c, http.StatusBadRequest, CodeBadRequest)
		return "", false
	}
	return checkinWorkflowID(in, reqID), true
}

// checkinWorkflowID is the workflow ID of the scan of in with idempotency key reqID.
func checkinWorkflowID(in contract.CheckinInput, reqID string) string {
	kind := "return"
	if in.NewCopy {
		kind = "new"
	}
	return contract.CheckinWorkflowID(kind + "-" + in.Barcode + "-" + reqID)
}

// runCheckin runs the check-in workflow for a scan and waits for its routing. A retried request (same
// request ID) gets the answer of the first, and allocates nothing twice.
func (s *Server) runCheckin(c *gin.Context, id string, in contract.CheckinInput) (contract.CheckinResult, bool) {
	res, e := s.checkinRun(c.Request.Context(), id, in)
	if e != nil {
		s.failOp(c, e)
		return res, false
	}
	return res, true
}

// checkinRun is runCheckin for the JSON scans and the staff console alike.
func (s *Server) checkinRun(ctx context.Context, id string, in contract.CheckinInput) (contract.CheckinResult, *opError) {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: s.Cfg.TaskQueue,
		// A scan whose run completed gets that run's answer; one whose run failed (a database down past the
		// transition's 12 s) runs again, so the desk's retry with the same key can succeed.
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(contract.PickupBranchKey.ValueSet(in.Branch)),
	}, workflows.CheckinWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		run, err = s.Temporal.GetWorkflow(ctx, id, ""), nil
	}
	if err != nil {
		return contract.CheckinResult{}, workflowError(err)
	}
	var res contract.CheckinResult
	if err := run.Get(ctx, &res); err != nil {
		return contract.CheckinResult{}, workflowError(err)
	}
	return res, nil
}

func (s *Server) checkin(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	in := contract.CheckinInput{Barcode: r.Barcode, Branch: r.Branch, StaffID: staffID(c)}
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

// scannedHold finds the open hold the scanned copy belongs to, or refuses with code.
func (s *Server) scannedHold(ctx context.Context, barcode string, code Code) (store.HoldView, *opError) {
	h, err := store.OpenHoldOfCopy(ctx, s.DB, barcode)
	if errors.Is(err, store.ErrNoSuchHold) {
		return h, refused(http.StatusConflict, code)
	}
	if err != nil {
		return h, internalError(err)
	}
	return h, nil
}

func (s *Server) pull(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	routing, e := s.pullCopy(c.Request.Context(), r, staffID(c))
	if e != nil {
		s.failOp(c, e)
		return
	}
	c.JSON(http.StatusOK, routingJSON(routing))
}

// pullCopy: staff secured a copy of the pull list (a checked scan); the answer says where it goes.
func (s *Server) pullCopy(ctx context.Context, r scanRequest, staff int64) (contract.Routing, *opError) {
	h, e := s.scannedHold(ctx, r.Barcode, CodeNotOnPullList)
	if e != nil {
		return contract.Routing{}, e
	}
	res, err := s.updateHold(ctx, h.ID, contract.UpdatePull, contract.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staff})
	if err != nil {
		return contract.Routing{}, workflowError(err)
	}
	if res.Routing == nil {
		return contract.Routing{}, internalError(errors.New("pull answered no routing"))
	}
	return *res.Routing, nil
}

func (s *Server) missing(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	h, e := s.reportMissing(c.Request.Context(), r, staffID(c))
	if e != nil {
		s.failOp(c, e)
		return
	}
	c.JSON(http.StatusOK, holdJSON(h))
}

// reportMissing: a copy of the pull list is not on the shelf (a checked scan); its hold is re-targeted and
// answered as it is now.
func (s *Server) reportMissing(ctx context.Context, r scanRequest, staff int64) (store.HoldView, *opError) {
	h, e := s.scannedHold(ctx, r.Barcode, CodeNotOnPullList)
	if e != nil {
		return h, e
	}
	return s.sendStaffUpdate(ctx, h.ID, contract.UpdateMissing, contract.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staff})
}

func (s *Server) receive(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	id, status, e := s.receiveCopy(c.Request.Context(), r, staffID(c))
	if e != nil {
		s.failOp(c, e)
		return
	}
	c.JSON(http.StatusOK, gin.H{"hold_id": idString(id), "status": status})
}

// receiveCopy: a copy delivered from another branch arrived (a checked scan); the answer is its hold and
// the hold's new status.
func (s *Server) receiveCopy(ctx context.Context, r scanRequest, staff int64) (int64, domain.Status, *opError) {
	h, e := s.scannedHold(ctx, r.Barcode, CodeNotExpectedHere)
	if e != nil {
		return 0, "", e
	}
	res, err := s.updateHold(ctx, h.ID, contract.UpdateReceive, contract.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staff})
	if err != nil {
		return 0, "", workflowError(err)
	}
	return h.ID, res.Status, nil
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
	out, e := s.lend(c.Request.Context(), req, staffID(c))
	if e != nil {
		s.failOp(c, e)
		return
	}
	var holdID *string
	if out.HoldID != 0 {
		id := idString(out.HoldID)
		holdID = &id
	}
	c.JSON(http.StatusOK, gin.H{"loan": gin.H{"barcode": out.Barcode, "due_date": out.DueDate}, "hold_id": holdID})
}

// lent is a checkout's result: the loan, and the hold it fulfilled (0 for none).
type lent struct {
	Barcode string
	DueDate string // YYYY-MM-DD
	HoldID  int64
}

// lend checks out a copy to a patron (the JSON checkout and the staff console).
func (s *Server) lend(ctx context.Context, req checkoutRequest, staff int64) (lent, *opError) {
	card, err := domain.NormalizeCardNumber(req.CardNumber)
	if err != nil {
		return lent{}, refused(http.StatusUnprocessableEntity, CodeInvalidCardNumber)
	}
	req.Barcode, req.Branch = strings.TrimSpace(req.Barcode), strings.TrimSpace(req.Branch)
	if !barcodePattern.MatchString(req.Barcode) {
		return lent{}, refused(http.StatusUnprocessableEntity, CodeInvalidBarcode)
	}
	if _, err := store.BranchByCode(ctx, s.DB, req.Branch); err != nil {
		return lent{}, storeError(err)
	}
	patron, _, err := store.PatronByCard(ctx, s.DB, card)
	if err != nil {
		return lent{}, storeError(err)
	}
	h, err := store.OpenHoldOfCopy(ctx, s.DB, req.Barcode)
	switch {
	case errors.Is(err, store.ErrNoSuchHold):
		due, err := store.LendFree(ctx, s.DB, req.Barcode, patron, req.Branch, domain.DateOf(time.Now(), s.Cfg.Location).Time())
		if err != nil {
			return lent{}, storeError(err)
		}
		return lent{Barcode: req.Barcode, DueDate: due.Format(time.DateOnly)}, nil
	case err != nil:
		return lent{}, internalError(err)
	}
	res, err := s.updateHold(ctx, h.ID, contract.UpdateCheckout, contract.CheckoutRequest{
		Barcode: req.Barcode, Branch: req.Branch, PatronID: patron, StaffID: staff})
	if err != nil {
		return lent{}, workflowError(err)
	}
	if res.Loan == nil {
		return lent{}, internalError(errors.New("checkout answered no loan"))
	}
	out := lent{Barcode: res.Loan.Barcode, DueDate: res.Loan.DueDate}
	if res.Status == domain.StatusFulfilled {
		out.HoldID = h.ID
	}
	return out, nil
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
		out[i] = gin.H{"hold_id": idString(call.HoldID), "card_number": call.Card, "name": call.Name, "phone": call.Phone, "title": call.Title,
			"mail_refused": call.MailRefused}
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
	h, e := s.anyHold(c.Request.Context(), c.Param("id"))
	if e != nil {
		s.failOp(c, e)
		return h, false
	}
	return h, true
}

// anyHold reads a hold by its ID (any patron's), for staff.
func (s *Server) anyHold(ctx context.Context, rawID string) (store.HoldView, *opError) {
	id, ok := parseID(rawID)
	if !ok {
		return store.HoldView{}, refused(http.StatusNotFound, CodeNotFound)
	}
	h, err := store.GetHold(ctx, s.DB, id, 0)
	if err != nil {
		return store.HoldView{}, storeError(err)
	}
	return h, nil
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
	h, e := s.sendStaffUpdate(c.Request.Context(), h.ID, name, a)
	if e != nil {
		s.failOp(c, e)
		return
	}
	c.JSON(http.StatusOK, holdJSON(h))
}

// sendStaffUpdate sends an update to a hold's workflow and reads the hold again.
func (s *Server) sendStaffUpdate(ctx context.Context, id int64, name string, arg any) (store.HoldView, *opError) {
	if _, err := s.updateHold(ctx, id, name, arg); err != nil {
		return store.HoldView{}, workflowError(err)
	}
	h, err := store.GetHold(ctx, s.DB, id, 0)
	if err != nil {
		return store.HoldView{}, storeError(err)
	}
	return h, nil
}

func (s *Server) contacted(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateContacted, func(store.HoldView) (any, bool) {
		return contract.StaffRequest{StaffID: staffID(c)}, true
	})
}

func (s *Server) order(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateOrder, func(store.HoldView) (any, bool) {
		return contract.StaffRequest{StaffID: staffID(c)}, true
	})
}

func (s *Server) ill(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateILL, func(store.HoldView) (any, bool) {
		return contract.StaffRequest{StaffID: staffID(c)}, true
	})
}

type refuseRequest struct {
	Reason string `json:"reason"`
}

// refuse cancels a counter request the library will not serve. The staff's reason is free text that may
// name the patron: it is kept in hold_notes and the Update carries only its ID.
func (s *Server) refuse(c *gin.Context) {
	h, ok := s.staffHold(c)
	if !ok {
		return
	}
	var r refuseRequest
	if !bindJSON(c, &r) {
		return
	}
	if len(r.Reason) > 500 {
		fail(c, http.StatusUnprocessableEntity, CodeInvalidRequest)
		return
	}
	ctx := c.Request.Context()
	req := contract.CancelRequest{Reason: domain.CancelStaff, StaffID: staffID(c)}
	if note := strings.TrimSpace(r.Reason); note != "" {
		id, err := store.AddHoldNote(ctx, s.DB, h.ID, req.StaffID, note)
		if err != nil {
			s.internal(c, err)
			return
		}
		req.NoteID = id
	}
	h, e := s.sendStaffUpdate(ctx, h.ID, contract.UpdateCancel, req)
	if e != nil {
		if req.NoteID != 0 && e.status < 500 {
			// refused: the note belongs to nothing (after a 503 the refusal may still have gone through)
			if err := store.DeleteHoldNote(context.WithoutCancel(ctx), s.DB, req.NoteID); err != nil {
				s.Log.ErrorContext(ctx, "drop the note of a refused update", "note", req.NoteID, "err", err)
			}
		}
		s.failOp(c, e)
		return
	}
	c.JSON(http.StatusOK, holdJSON(h))
}

func (s *Server) staffCancel(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateCancel, func(store.HoldView) (any, bool) {
		return contract.CancelRequest{Reason: domain.CancelStaff, StaffID: staffID(c)}, true
	})
}

func (s *Server) staffChangePickup(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateChangePickup, func(h store.HoldView) (any, bool) {
		var r pickupRequest
		if !bindJSON(c, &r) || !s.checkPickup(c, h, r.PickupBranch) {
			return nil, false
		}
		return contract.PickupRequest{Branch: strings.TrimSpace(r.PickupBranch), StaffID: staffID(c)}, true
	})
}

type counterRequest struct {
	CardNumber   string           `json:"card_number"`
	TitleID      string           `json:"title_id"`
	PickupBranch string           `json:"pickup_branch"`
	Request      *counterTitleReq `json:"request"`
}

// counterTitleReq describes a title the library does not own, asked for at the counter.
type counterTitleReq struct {
	Title  string `json:"title"`
	Author string `json:"author"`
	ISBN   string `json:"isbn"`
}

// counterHold takes a hold at the counter (窓口予約): for a title in the catalogue, or a request for one the
// library does not own, which is investigated (調査中).
func (s *Server) counterHold(c *gin.Context) {
	var req counterRequest
	if !bindJSON(c, &req) {
		return
	}
	h, e := s.placeCounterHold(c.Request.Context(), req, staffID(c))
	if e != nil {
		s.failOp(c, e)
		return
	}
	c.JSON(http.StatusOK, holdJSON(h))
}

// placeCounterHold places a counter hold (the JSON endpoint and the staff console).
func (s *Server) placeCounterHold(ctx context.Context, req counterRequest, staff int64) (store.HoldView, *opError) {
	card, err := domain.NormalizeCardNumber(req.CardNumber)
	if err != nil {
		return store.HoldView{}, refused(http.StatusUnprocessableEntity, CodeInvalidCardNumber)
	}
	patron, _, err := store.PatronByCard(ctx, s.DB, card)
	if err != nil {
		return store.HoldView{}, storeError(err)
	}
	p := store.Placement{PatronID: patron, Pickup: strings.TrimSpace(req.PickupBranch), Origin: "counter", PlacedBy: staff,
		Limits: store.Limits{Total: s.Cfg.HoldLimitTotal, AV: s.Cfg.HoldLimitAV}}
	switch {
	case req.TitleID != "" && req.Request == nil:
		id, ok := parseID(req.TitleID)
		if !ok {
			return store.HoldView{}, refused(http.StatusNotFound, CodeNotFound)
		}
		p.TitleID = id
	case req.TitleID == "" && req.Request != nil && strings.TrimSpace(req.Request.Title) != "" && len(req.Request.Title) <= 500 &&
		len(req.Request.Author) <= 200 && len(req.Request.ISBN) <= 20:
		p.Request = &store.Request{Title: strings.TrimSpace(req.Request.Title), Author: strings.TrimSpace(req.Request.Author),
			ISBN: strings.TrimSpace(req.Request.ISBN)}
	default:
		return store.HoldView{}, refused(http.StatusUnprocessableEntity, CodeInvalidRequest)
	}
	h, code, err := s.place(ctx, p)
	if err != nil {
		return store.HoldView{}, internalError(err)
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
		return store.HoldView{}, refused(status, code)
	}
	return h, nil
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
		res, err := s.updateHold(ctx, holdID, contract.UpdateArrived, contract.ArrivedRequest{
			TitleID: titleID, Barcode: req.Barcode, Branch: req.Branch, StaffID: staffID(c)})
		if err != nil {
			s.failWorkflow(c, err)
			return
		}
		routing := contract.Routing{Action: contract.RouteHoldShelf, HoldID: holdID}
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
	in := contract.CheckinInput{TitleID: titleID, Barcode: req.Barcode, Branch: req.Branch, StaffID: staffID(c), NewCopy: true}
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
