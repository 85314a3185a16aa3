package library

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
	"yoyaku/workflows"
)

// Scan is a copy scanned by staff at a branch.
type Scan struct {
	Barcode string
	Branch  string
}

// requestKeyPattern is what a scan's idempotency key may look like.
var requestKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// ValidRequestKey reports whether v may be a scan's idempotency key.
func ValidRequestKey(v string) bool { return len(v) <= 100 && requestKeyPattern.MatchString(v) }

// NewRequestKey is a fresh idempotency key.
func NewRequestKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return hex.EncodeToString(b)
}

var barcodePattern = regexp.MustCompile(`^[0-9A-Za-z-]{4,32}$`)

// validBarcode reports whether b has the shape of one of our barcodes.
func validBarcode(b string) bool { return barcodePattern.MatchString(b) }

// CheckScan trims a scan and checks the barcode's shape and the branch.
func (s *Service) CheckScan(ctx context.Context, r Scan) (Scan, error) {
	r, err := ScanShape(r)
	if err != nil {
		return r, err
	}
	if _, err := store.BranchByCode(ctx, s.DB, r.Branch); err != nil {
		return r, FromStore(err)
	}
	return r, nil
}

// ScanShape trims a scan and checks the barcode's shape, without the database.
func ScanShape(r Scan) (Scan, error) {
	r.Barcode, r.Branch = strings.TrimSpace(r.Barcode), strings.TrimSpace(r.Branch)
	if !validBarcode(r.Barcode) {
		return r, refuse(CodeInvalidBarcode)
	}
	return r, nil
}

// CheckinWorkflowID is the workflow ID of the scan of in with idempotency key reqID: the key names one
// scan of one copy, so a key reused for another copy, or for a new copy, is another scan.
func CheckinWorkflowID(in contract.CheckinInput, reqID string) string {
	kind := "return"
	if in.NewCopy {
		kind = "new"
	}
	return contract.CheckinWorkflowID(kind + "-" + in.Barcode + "-" + reqID)
}

// Checkin runs the check-in workflow id for a scanned return (or a new copy) and waits for its routing.
// A retried scan (the same id) gets the answer of the first and allocates nothing twice.
func (s *Service) Checkin(ctx context.Context, id string, in contract.CheckinInput) (contract.CheckinResult, error) {
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
		StaticSummary:            checkinSummary(in),
	}, workflows.CheckinWorkflow, in)
	if AlreadyStarted(err) {
		run, err = s.Temporal.GetWorkflow(ctx, id, ""), nil
	}
	return workflowResult[contract.CheckinResult](ctx, run, err)
}

// scannedHold finds the open hold the scanned copy belongs to, or refuses with code.
func (s *Service) scannedHold(ctx context.Context, barcode string, code domain.Code) (store.HoldView, error) {
	h, err := store.OpenHoldOfCopy(ctx, s.DB, barcode)
	if errors.Is(err, store.ErrNoSuchHold) {
		return h, refuse(code)
	}
	return h, err
}

// Pull: staff secured a copy of the pull list (a checked scan); the answer says where it goes.
func (s *Service) Pull(ctx context.Context, r Scan, staff int64) (contract.Routing, error) {
	h, err := s.scannedHold(ctx, r.Barcode, contract.ErrNotOnPullList)
	if err != nil {
		return contract.Routing{}, err
	}
	res, err := s.updateHold(ctx, h.ID, contract.UpdatePull, contract.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staff})
	if err != nil {
		return contract.Routing{}, err
	}
	if res.Routing == nil {
		return contract.Routing{}, errors.New("pull answered no routing")
	}
	return *res.Routing, nil
}

// Missing: a copy of the pull list is not on the shelf (a checked scan); its hold is re-targeted and
// returned as it is now.
func (s *Service) Missing(ctx context.Context, r Scan, staff int64) (store.HoldView, error) {
	h, err := s.scannedHold(ctx, r.Barcode, contract.ErrNotOnPullList)
	if err != nil {
		return h, err
	}
	return s.StaffUpdate(ctx, h.ID, contract.UpdateMissing, contract.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staff})
}

// Receive: a copy delivered from another branch arrived (a checked scan); the answer is its hold and the
// hold's new status.
func (s *Service) Receive(ctx context.Context, r Scan, staff int64) (int64, domain.Status, error) {
	h, err := s.scannedHold(ctx, r.Barcode, contract.ErrNotExpectedHere)
	if err != nil {
		return 0, "", err
	}
	res, err := s.updateHold(ctx, h.ID, contract.UpdateReceive, contract.ScanRequest{Barcode: r.Barcode, Branch: r.Branch, StaffID: staff})
	if err != nil {
		return 0, "", err
	}
	return h.ID, res.Status, nil
}

// Checkout is a copy lent to the patron with a library card, at a branch.
type Checkout struct {
	Barcode    string
	CardNumber string
	Branch     string
}

// Lent is a checkout's result: the loan, and the hold it fulfilled (0 for none).
type Lent struct {
	Barcode string
	DueDate string // YYYY-MM-DD
	HoldID  int64
}

// Lend checks out a copy. A copy that belongs to a hold goes through the hold's workflow (pick-up, or a
// walk-in borrower taking a set-aside copy from the shelf); any other copy is simply lent.
func (s *Service) Lend(ctx context.Context, req Checkout, staff int64) (Lent, error) {
	card, err := domain.NormalizeCardNumber(req.CardNumber)
	if err != nil {
		return Lent{}, refuse(CodeInvalidCardNumber)
	}
	scan, err := s.CheckScan(ctx, Scan{Barcode: req.Barcode, Branch: req.Branch})
	if err != nil {
		return Lent{}, err
	}
	req.Barcode, req.Branch = scan.Barcode, scan.Branch
	patron, _, err := store.PatronByCard(ctx, s.DB, card)
	if err != nil {
		return Lent{}, FromStore(err)
	}
	h, err := store.OpenHoldOfCopy(ctx, s.DB, req.Barcode)
	switch {
	case errors.Is(err, store.ErrNoSuchHold):
		due, err := store.LendFree(ctx, s.DB, req.Barcode, patron, req.Branch, domain.DateOf(time.Now(), s.Cfg.Location).Time())
		if err != nil {
			return Lent{}, FromStore(err)
		}
		return Lent{Barcode: req.Barcode, DueDate: due.Format(time.DateOnly)}, nil
	case err != nil:
		return Lent{}, err
	}
	res, err := s.updateHold(ctx, h.ID, contract.UpdateCheckout, contract.CheckoutRequest{
		Barcode: req.Barcode, Branch: req.Branch, PatronID: patron, StaffID: staff})
	if err != nil {
		return Lent{}, err
	}
	if res.Loan == nil {
		return Lent{}, errors.New("checkout answered no loan")
	}
	out := Lent{Barcode: res.Loan.Barcode, DueDate: res.Loan.DueDate}
	if res.Status == domain.StatusFulfilled {
		out.HoldID = h.ID
	}
	return out, nil
}

// NewCopy is a copy registered by staff; with HoldID it is the copy ordered or borrowed for that counter
// request. CallNumber (請求記号) and ShelfLocation (配架場所) are optional.
type NewCopy struct {
	TitleID       string
	Barcode       string
	Branch        string
	HoldID        string
	CallNumber    string
	ShelfLocation string
}

// MaxShelfChars is the longest call number or shelf location a copy takes (items' checks).
const MaxShelfChars = 40

// CheckShelf trims a copy's call number and shelf location and checks them: at most MaxShelfChars
// characters each, no control characters (a spine label is one line). Either may be empty.
func CheckShelf(callNumber, location string) (contract.Shelf, error) {
	var sh contract.Shelf
	var ok bool
	if sh.CallNumber, ok = cleanText(callNumber); !ok || utf8.RuneCountInString(sh.CallNumber) > MaxShelfChars {
		return contract.Shelf{}, refuse(CodeInvalidCallNumber)
	}
	if sh.ShelfLocation, ok = cleanText(location); !ok || utf8.RuneCountInString(sh.ShelfLocation) > MaxShelfChars {
		return contract.Shelf{}, refuse(CodeInvalidShelf)
	}
	return sh, nil
}

// RegisterCopy registers a new copy. It is allocated like a return, by the check-in workflow of the
// request's idempotency key; with a hold it is the copy that was ordered or borrowed for that counter
// request, and goes to it. Only a retry of the request that registered the copy (the same key) may find
// its barcode taken.
func (s *Service) RegisterCopy(ctx context.Context, req NewCopy, staff int64, key string) (contract.Routing, error) {
	titleID, ok := ParseID(req.TitleID)
	if !ok {
		return contract.Routing{}, refuse(contract.ErrNotFound)
	}
	shelf, err := CheckShelf(req.CallNumber, req.ShelfLocation)
	if err != nil {
		return contract.Routing{}, err
	}
	scan, err := s.CheckScan(ctx, Scan{Barcode: req.Barcode, Branch: req.Branch})
	if err != nil {
		return contract.Routing{}, err
	}
	req.Barcode, req.Branch = scan.Barcode, scan.Branch
	exists, err := store.TitleExists(ctx, s.DB, titleID)
	if err != nil {
		return contract.Routing{}, err
	}
	if !exists {
		return contract.Routing{}, refuse(contract.ErrNotFound)
	}
	if req.HoldID != "" {
		return s.arrived(ctx, titleID, req, shelf, staff)
	}
	taken, err := store.BarcodeTaken(ctx, s.DB, req.Barcode)
	if err != nil {
		return contract.Routing{}, err
	}
	in := contract.CheckinInput{TitleID: titleID, Barcode: req.Barcode, Branch: req.Branch, StaffID: staff, NewCopy: true,
		Shelf: shelf}
	if !ValidRequestKey(key) {
		return contract.Routing{}, refuse(contract.ErrBadRequest)
	}
	id := CheckinWorkflowID(in, key)
	if taken {
		if _, err := s.Temporal.DescribeWorkflow(ctx, id, ""); err != nil {
			return contract.Routing{}, refuse(contract.ErrBarcodeTaken)
		}
	}
	res, err := s.Checkin(ctx, id, in)
	if err != nil {
		return contract.Routing{}, err
	}
	return res.Routing, nil
}

// arrived registers the copy that arrived for a counter request and sends it to the request's hold.
func (s *Service) arrived(ctx context.Context, titleID int64, req NewCopy, shelf contract.Shelf, staff int64) (contract.Routing, error) {
	holdID, ok := ParseID(req.HoldID)
	if !ok {
		return contract.Routing{}, refuse(contract.ErrNotFound)
	}
	if _, err := store.GetHold(ctx, s.DB, holdID, 0); err != nil {
		return contract.Routing{}, FromStore(err)
	}
	taken, err := store.BarcodeTaken(ctx, s.DB, req.Barcode)
	if err != nil {
		return contract.Routing{}, err
	}
	if taken {
		return contract.Routing{}, refuse(contract.ErrBarcodeTaken)
	}
	res, err := s.updateHold(ctx, holdID, contract.UpdateArrived, contract.ArrivedRequest{
		TitleID: titleID, Barcode: req.Barcode, Branch: req.Branch, StaffID: staff, Shelf: shelf})
	if err != nil {
		return contract.Routing{}, fmt.Errorf("counter request %d: %w", holdID, err)
	}
	routing := contract.Routing{Action: contract.RouteHoldShelf, HoldID: holdID}
	if res.Routing != nil {
		routing = *res.Routing
	}
	return routing, nil
}

// checkinSummary is a check-in workflow's one-line summary in the Temporal UI.
func checkinSummary(in contract.CheckinInput) string {
	if in.NewCopy {
		return "new copy " + in.Barcode + " of title " + strconv.FormatInt(in.TitleID, 10) + " at " + in.Branch
	}
	return "return of copy " + in.Barcode + " at " + in.Branch
}
