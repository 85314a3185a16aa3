package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// RoutingJSON is the OpenAPI document's Routing.
type RoutingJSON struct {
	Action   string  `json:"action"`
	HoldID   *string `json:"hold_id"`
	ToBranch *string `json:"to_branch"`
}

func routingJSON(r contract.Routing) RoutingJSON {
	j := RoutingJSON{Action: string(r.Action)}
	if r.HoldID != 0 {
		id := httpkit.IDString(r.HoldID)
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

// bindScan reads a scan and checks the barcode's shape and the branch.
func (s *Server) bindScan(c *gin.Context) (scanRequest, bool) {
	var r scanRequest
	if !httpkit.BindJSON(c, &r) {
		return r, false
	}
	got, err := s.Lib.CheckScan(c.Request.Context(), library.Scan(r))
	if err != nil {
		s.FailErr(c, err)
		return r, false
	}
	return scanRequest(got), true
}

// requestKey is the scan's idempotency key: the Idempotency-Key or X-Request-ID header, or a fresh one.
func requestKey(c *gin.Context) string {
	for _, h := range []string{"Idempotency-Key", "X-Request-ID"} {
		if v := strings.TrimSpace(c.GetHeader(h)); v != "" {
			return v
		}
	}
	return library.NewRequestKey()
}

// checkinID is the workflow ID of a scan: the key names one scan of one copy, so a key reused for another
// copy, or on the new-copy endpoint, is another scan.
func checkinID(c *gin.Context, in contract.CheckinInput) (string, bool) {
	key := requestKey(c)
	if !library.ValidRequestKey(key) {
		httpkit.Fail(c, http.StatusBadRequest, httpkit.CodeBadRequest)
		return "", false
	}
	return library.CheckinWorkflowID(in, key), true
}

func (s *Server) checkin(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	in := contract.CheckinInput{Barcode: r.Barcode, Branch: r.Branch, StaffID: httpkit.StaffID(c)}
	id, ok := checkinID(c, in)
	if !ok {
		return
	}
	res, err := s.Lib.Checkin(c.Request.Context(), id, in)
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(http.StatusOK, routingJSON(res.Routing))
}

// branchParam reads and checks ?branch=.
func (s *Server) branchParam(c *gin.Context) (string, bool) {
	b := strings.TrimSpace(c.Query("branch"))
	if _, err := store.BranchByCode(c.Request.Context(), s.DB, b); err != nil {
		s.FailStore(c, err)
		return "", false
	}
	return b, true
}

func (s *Server) pullList(c *gin.Context) {
	branch, ok := s.branchParam(c)
	if !ok {
		return
	}
	items, err := store.PullListOn(c.Request.Context(), s.DB, branch, domain.DateOf(time.Now(), s.Cfg.Location))
	if err != nil {
		s.Internal(c, err)
		return
	}
	out := make([]gin.H, len(items))
	for i, it := range items {
		out[i] = gin.H{"barcode": it.Barcode, "title": it.Title, "author": it.Author, "call_number": it.CallNumber,
			"shelf_location": it.ShelfLocation, "hold_id": httpkit.IDString(it.HoldID), "pickup_branch": it.Pickup}
		if it.PickupReopens != "" {
			out[i]["pickup_reopens"] = it.PickupReopens
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

func (s *Server) pull(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	routing, err := s.Lib.Pull(c.Request.Context(), library.Scan(r), httpkit.StaffID(c))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(http.StatusOK, routingJSON(routing))
}

func (s *Server) missing(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	h, err := s.Lib.Missing(c.Request.Context(), library.Scan(r), httpkit.StaffID(c))
	s.answerHold(c, h, err)
}

func (s *Server) receive(c *gin.Context) {
	r, ok := s.bindScan(c)
	if !ok {
		return
	}
	id, status, err := s.Lib.Receive(c.Request.Context(), library.Scan(r), httpkit.StaffID(c))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"hold_id": httpkit.IDString(id), "status": status})
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
	if !httpkit.BindJSON(c, &req) {
		return
	}
	out, err := s.Lib.Lend(c.Request.Context(), library.Checkout(req), httpkit.StaffID(c))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	var holdID *string
	if out.HoldID != 0 {
		id := httpkit.IDString(out.HoldID)
		holdID = &id
	}
	c.JSON(http.StatusOK, gin.H{"loan": gin.H{"barcode": out.Barcode, "due_date": out.DueDate}, "hold_id": holdID})
}

func (s *Server) callList(c *gin.Context) {
	branch, ok := s.branchParam(c)
	if !ok {
		return
	}
	calls, err := store.CallList(c.Request.Context(), s.DB, branch)
	if err != nil {
		s.Internal(c, err)
		return
	}
	out := make([]gin.H, len(calls))
	now := time.Now()
	for i, call := range calls {
		attempts := call.Attempts
		if attempts == nil {
			attempts = []store.CallAttempt{}
		}
		out[i] = gin.H{"hold_id": httpkit.IDString(call.HoldID), "card_number": call.Card, "name": call.Name, "phone": call.Phone, "title": call.Title,
			"mail_refused": call.MailRefused, "ready_at": call.ReadyAt, "days_waiting": domain.DaysWaiting(call.ReadyAt, now, s.Cfg.Location),
			"attempts": attempts}
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
		s.Internal(c, err)
		return
	}
	out := make([]gin.H, len(hs))
	for i, h := range hs {
		var deadline *string
		if h.Deadline.Valid {
			deadline = httpkit.DateString(h.Deadline.Time)
		}
		var contact *string
		if h.Contact.Valid {
			contact = httpkit.DateString(h.Contact.Time)
		}
		out[i] = gin.H{"hold_id": httpkit.IDString(h.HoldID), "barcode": h.Barcode, "card_number": h.Card, "pickup_deadline": deadline,
			"contact_date": contact, "expired": h.Expired, "extended": h.Extended}
	}
	c.JSON(http.StatusOK, gin.H{"holds": out})
}

// staffHold reads the hold named in the path (any patron's).
func (s *Server) staffHold(c *gin.Context) (store.HoldView, bool) {
	h, err := s.Lib.AnyHold(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.FailErr(c, err)
		return h, false
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
	h, err := s.Lib.StaffUpdate(c.Request.Context(), h.ID, name, a)
	s.answerHold(c, h, err)
}

func (s *Server) contacted(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateContacted, func(store.HoldView) (any, bool) {
		return contract.StaffRequest{StaffID: httpkit.StaffID(c)}, true
	})
}

func (s *Server) order(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateOrder, func(store.HoldView) (any, bool) {
		return contract.StaffRequest{StaffID: httpkit.StaffID(c)}, true
	})
}

func (s *Server) ill(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateILL, func(store.HoldView) (any, bool) {
		return contract.StaffRequest{StaffID: httpkit.StaffID(c)}, true
	})
}

type refuseRequest struct {
	Reason string `json:"reason"`
}

// refuse cancels a counter request the library will not serve, with the staff's reason (library.Refuse).
func (s *Server) refuse(c *gin.Context) {
	var r refuseRequest
	h, ok := holdAndBody(c, s.staffHold, &r)
	if !ok {
		return
	}
	h, err := s.Lib.Refuse(c.Request.Context(), h, r.Reason, httpkit.StaffID(c))
	s.answerHold(c, h, err)
}

func (s *Server) staffCancel(c *gin.Context) {
	s.staffUpdate(c, contract.UpdateCancel, func(store.HoldView) (any, bool) {
		return contract.CancelRequest{Reason: domain.CancelStaff, StaffID: httpkit.StaffID(c)}, true
	})
}

func (s *Server) staffChangePickup(c *gin.Context) {
	var r pickupRequest
	h, ok := holdAndBody(c, s.staffHold, &r)
	if !ok {
		return
	}
	h, err := s.Lib.ChangePickup(c.Request.Context(), h, r.PickupBranch, httpkit.StaffID(c))
	s.answerHold(c, h, err)
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
	if !httpkit.BindJSON(c, &req) {
		return
	}
	in := library.CounterHold{CardNumber: req.CardNumber, TitleID: req.TitleID, Pickup: req.PickupBranch,
		Request: (*library.TitleRequest)(req.Request)}
	h, err := s.Lib.PlaceCounterHold(c.Request.Context(), in, httpkit.StaffID(c))
	s.answerHold(c, h, err)
}

type newItemRequest struct {
	TitleID       string `json:"title_id"`
	Barcode       string `json:"barcode"`
	Branch        string `json:"branch"`
	HoldID        string `json:"hold_id"`
	CallNumber    string `json:"call_number"`
	ShelfLocation string `json:"shelf_location"`
}

// newItem registers a new copy (library.RegisterCopy); the request's idempotency key names its check-in.
func (s *Server) newItem(c *gin.Context) {
	bindRun(s, c, http.StatusCreated, func(req newItemRequest) (any, error) {
		routing, err := s.Lib.RegisterCopy(c.Request.Context(), library.NewCopy{TitleID: req.TitleID, Barcode: req.Barcode,
			Branch: req.Branch, HoldID: req.HoldID, CallNumber: req.CallNumber, ShelfLocation: req.ShelfLocation}, httpkit.StaffID(c), requestKey(c))
		return routingJSON(routing), err
	})
}
