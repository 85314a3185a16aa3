package library_test

import (
	"reflect"
	"strings"
	"testing"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/library"
	"yoyaku/store"
)

// holdSet is a patron's holds in every state the workflows refuse something in, and copies without holds.
type holdSet struct {
	patron      int64 // 1000002, notified by e-mail
	card        string
	pulling     store.HoldView // 確認待ち: its copy is on chuo's pull list, to be picked up at kita
	pullCopy    string
	dvd         store.HoldView // a DVD's hold, 確認待ち at chuo
	ready       store.HoldView // 利用可能 at chuo, the patron notified
	readyCopy   string
	transit     store.HoldView // 配送中 from chuo to kita
	transitCopy string
	counter     store.HoldView // a counter hold, 確認待ち at chuo
	request     store.HoldView // a counter request for a title the library does not own: 調査中
	cancelled   store.HoldView // 本人取消
	freeCopy    string         // on chuo's shelf, no hold
	loanedCopy  string         // on loan from kita, no hold
	withdrawn   string         // withdrawn at chuo
}

// holds builds a holdSet through the service, each hold settled in its state.
func (e *env) holds() holdSet {
	e.t.Helper()
	ctx := e.t.Context()
	s := holdSet{patron: e.patron("1000002"), card: "1000002"}

	title, copies := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	s.pulling, s.pullCopy = e.place(s.patron, "kita", title), copies[0]
	wantStatus(e.t, s.pulling, domain.StatusAwaitingPull)

	title, _ = e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	s.dvd = e.place(s.patron, "chuo", title)
	wantStatus(e.t, s.dvd, domain.StatusAwaitingPull)

	title, copies = e.title(domain.FormatBook, copyAt{branch: "chuo"})
	s.ready, s.readyCopy = e.place(s.patron, "chuo", title), copies[0]
	if r, err := e.svc.Pull(ctx, library.Scan{Barcode: s.readyCopy, Branch: "chuo"}, e.staff); err != nil || r.Action != contract.RouteHoldShelf {
		e.t.Fatalf("pull for the hold shelf = %+v %v", r, err)
	}
	// settled once the patron has been told (the pickup deadline is set)
	s.ready = e.waitHold(s.ready.ID, func(h store.HoldView) bool { return h.Status == domain.StatusReady && h.PickupDeadline.Valid })

	title, copies = e.title(domain.FormatBook, copyAt{branch: "chuo"})
	s.transit, s.transitCopy = e.place(s.patron, "kita", title), copies[0]
	if r, err := e.svc.Pull(ctx, library.Scan{Barcode: s.transitCopy, Branch: "chuo"}, e.staff); err != nil || r.Action != contract.RouteTransit || r.ToBranch != "kita" {
		e.t.Fatalf("pull for transit = %+v %v", r, err)
	}
	s.transit = e.waitHold(s.transit.ID, func(h store.HoldView) bool { return h.Status == domain.StatusInTransit })

	title, _ = e.title(domain.FormatBook, copyAt{branch: "chuo"})
	s.counter = e.counter(library.CounterHold{CardNumber: s.card, TitleID: title, Pickup: "chuo"})
	wantStatus(e.t, s.counter, domain.StatusAwaitingPull)

	s.request = e.counter(library.CounterHold{CardNumber: s.card, Pickup: "chuo", Request: &library.TitleRequest{Title: "所蔵のない本", Author: "著者"}})
	wantStatus(e.t, s.request, domain.StatusInvestigating)

	title, _ = e.title(domain.FormatBook, copyAt{branch: "chuo"})
	s.cancelled = e.place(s.patron, "chuo", title)
	if _, status, err := e.svc.CancelOwn(ctx, s.cancelled); err != nil || status != domain.StatusCancelRequested {
		e.t.Fatalf("cancel = %s %v", status, err)
	}
	s.cancelled = e.waitHold(s.cancelled.ID, func(h store.HoldView) bool { return h.Status == domain.StatusCancelled })

	_, copies = e.title(domain.FormatBook, copyAt{branch: "chuo"}, copyAt{branch: "kita", status: "on_loan"}, copyAt{branch: "chuo", status: "withdrawn"})
	s.freeCopy, s.loanedCopy, s.withdrawn = copies[0], copies[1], copies[2]
	return s
}

// TestHoldChangeRefusals: ChangePickup, CancelOwn, StaffUpdate and Refuse refuse, with the workflow's code
// or their own, what a hold's state does not allow, and change nothing.
func TestHoldChangeRefusals(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	s := e.holds()

	changes := []struct {
		name   string
		hold   store.HoldView
		branch string
		staff  bool
		code   domain.Code
	}{
		{"unknown branch", s.pulling, "atlantis", false, library.CodeUnknownBranch},
		{"no branch", s.pulling, " ", false, library.CodeUnknownBranch},
		{"unknown branch, staff", s.pulling, "atlantis", true, library.CodeUnknownBranch},
		{"DVD to a facility", s.dvd, "hikari", false, contract.ErrPickupNotAllowed},
		{"DVD to a facility, staff", s.dvd, " midori ", true, contract.ErrPickupNotAllowed},
		{"ready", s.ready, "kita", false, contract.ErrNotChangeable},
		{"ready, staff", s.ready, "kita", true, contract.ErrNotChangeable},
		{"in transit", s.transit, "minami", false, contract.ErrNotChangeable},
		{"counter hold, patron", s.counter, "kita", false, contract.ErrNotChangeable},
		{"counter request, patron", s.request, "kita", false, contract.ErrNotChangeable},
		{"cancelled", s.cancelled, "kita", false, contract.ErrNotChangeable},
		{"cancelled, staff", s.cancelled, "kita", true, contract.ErrNotChangeable},
	}
	for _, tc := range changes {
		t.Run("change pickup "+tc.name, func(t *testing.T) {
			var staff int64
			if tc.staff {
				staff = e.staff
			}
			before := e.snapshot()
			_, err := e.svc.ChangePickup(ctx, tc.hold, tc.branch, staff)
			refused(t, err, tc.code)
			e.unchanged(t, before)
		})
	}

	cancels := []struct {
		name string
		hold store.HoldView
	}{
		{"ready", s.ready}, {"in transit", s.transit}, {"counter hold", s.counter}, {"counter request", s.request}, {"cancelled", s.cancelled},
	}
	for _, tc := range cancels {
		t.Run("cancel own "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			h, status, err := e.svc.CancelOwn(ctx, tc.hold)
			refused(t, err, contract.ErrNotCancellable)
			if h.ID != 0 || status != "" {
				t.Errorf("a refusal answered %+v %q", h, status)
			}
			e.unchanged(t, before)
		})
	}

	staffReq := contract.StaffRequest{StaffID: e.staff}
	updates := []struct {
		name   string
		hold   store.HoldView
		update string
		arg    any
		code   domain.Code
	}{
		{"contacted, not ready", s.pulling, contract.UpdateContacted, staffReq, contract.ErrNotChangeable},
		{"contacted, ready but told by e-mail", s.ready, contract.UpdateContacted, staffReq, contract.ErrNotChangeable},
		{"order, not investigated", s.pulling, contract.UpdateOrder, staffReq, contract.ErrNotChangeable},
		{"order, ready", s.ready, contract.UpdateOrder, staffReq, contract.ErrNotChangeable},
		{"ILL, in transit", s.transit, contract.UpdateILL, staffReq, contract.ErrNotChangeable},
		{"ILL, cancelled", s.cancelled, contract.UpdateILL, staffReq, contract.ErrNotChangeable},
		{"contacted, cancelled", s.cancelled, contract.UpdateContacted, staffReq, contract.ErrNotChangeable},
		{"change pickup, ready", s.ready, contract.UpdateChangePickup, contract.PickupRequest{Branch: "kita", StaffID: e.staff}, contract.ErrNotChangeable},
		{"cancel, cancelled", s.cancelled, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelStaff, StaffID: e.staff}, contract.ErrNotCancellable},
		{"cancel for an unknown reason", s.pulling, contract.UpdateCancel, contract.CancelRequest{Reason: "lost", StaffID: e.staff}, contract.ErrBadRequest},
		{"cancel as expired", s.ready, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelExpired, StaffID: e.staff}, contract.ErrBadRequest},
		{"patron's cancel of a counter hold", s.counter, contract.UpdateCancel, contract.CancelRequest{Reason: domain.CancelPatron}, contract.ErrNotCancellable},
	}
	for _, tc := range updates {
		t.Run("staff update "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			h, err := e.svc.StaffUpdate(ctx, tc.hold.ID, tc.update, tc.arg)
			refused(t, err, tc.code)
			if h.ID != 0 {
				t.Errorf("a refusal answered %+v", h)
			}
			e.unchanged(t, before)
		})
	}

	refusals := []struct {
		name, reason string
		hold         store.HoldView
		code         domain.Code
	}{
		{"reason of 501 bytes", strings.Repeat("x", 501), s.request, library.CodeInvalidRequest},
		{"reason of 501 bytes in Japanese", strings.Repeat("理", 167), s.request, library.CodeInvalidRequest},
		{"reason with a NUL", "理由\x00", s.request, library.CodeInvalidRequest},
		{"reason not UTF-8", "理由\xff", s.request, library.CodeInvalidRequest},
		{"cancelled, with a reason", "在庫なし", s.cancelled, contract.ErrNotCancellable},
		{"cancelled, without a reason", "", s.cancelled, contract.ErrNotCancellable},
	}
	for _, tc := range refusals {
		t.Run("refuse "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			h, err := e.svc.Refuse(ctx, tc.hold, tc.reason, e.staff)
			refused(t, err, tc.code)
			if h.ID != 0 {
				t.Errorf("a refusal answered %+v", h)
			}
			e.unchanged(t, before) // hold_notes included: the refused update's note is dropped
		})
	}

	// What the states allow goes through.
	t.Run("allowed", func(t *testing.T) {
		if _, err := e.svc.ChangePickup(ctx, s.pulling, " minami ", 0); err != nil {
			t.Fatalf("patron's change of a 確認待ち hold: %v", err)
		}
		if h, _ := e.svc.AnyHold(ctx, idString(s.pulling.ID)); h.Pickup != "minami" {
			t.Fatalf("pickup %q, want minami", h.Pickup)
		}
		if _, err := e.svc.ChangePickup(ctx, s.counter, "kita", e.staff); err != nil {
			t.Fatalf("staff's change of a counter hold: %v", err)
		}
		h, err := e.svc.StaffUpdate(ctx, s.request.ID, contract.UpdateOrder, staffReq)
		if err != nil || h.Status != domain.StatusOnOrder {
			t.Fatalf("order = %+v %v", h, err)
		}
		h, err = e.svc.Refuse(ctx, s.request, " 絶版のため ", e.staff)
		if err != nil || h.Status != domain.StatusCancelled || h.CancelReason.String != string(domain.CancelStaff) {
			t.Fatalf("refuse = %+v %v", h, err)
		}
		var note string
		if err := e.db.GetContext(ctx, &note, `SELECT note FROM hold_notes WHERE hold_id = $1`, s.request.ID); err != nil || note != "絶版のため" {
			t.Fatalf("the refusal's note is %q (%v)", note, err)
		}
		h, status, err := e.svc.CancelOwn(ctx, s.dvd)
		if err != nil || status != domain.StatusCancelRequested || h.ID != s.dvd.ID {
			t.Fatalf("cancel own = %+v %s %v", h, status, err)
		}
	})
}

// TestScanRefusals: the staff's scans refuse a malformed barcode, an unknown branch and a copy that is not
// where or what the scan says, and change nothing.
func TestScanRefusals(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	s := e.holds()

	shapes := []struct {
		name            string
		barcode, branch string
		code            domain.Code // "" valid
	}{
		{"barcode of 3 characters", "abc", "chuo", library.CodeInvalidBarcode},
		{"blank barcode", "   ", "chuo", library.CodeInvalidBarcode},
		{"barcode with a space", "12 34", "chuo", library.CodeInvalidBarcode},
		{"barcode of 33 characters", strings.Repeat("1", 33), "chuo", library.CodeInvalidBarcode},
		{"barcode in full width", "１２３４５", "chuo", library.CodeInvalidBarcode},
		{"barcode with a NUL", "1234\x00", "chuo", library.CodeInvalidBarcode},
		{"unknown branch", s.freeCopy, "atlantis", library.CodeUnknownBranch},
		{"no branch", s.freeCopy, "", library.CodeUnknownBranch},
		{"trimmed", " " + s.freeCopy + "\t", " chuo ", ""},
	}
	for _, tc := range shapes {
		t.Run("check "+tc.name, func(t *testing.T) {
			got, err := e.svc.CheckScan(ctx, library.Scan{Barcode: tc.barcode, Branch: tc.branch})
			shape, shapeErr := library.ScanShape(library.Scan{Barcode: tc.barcode, Branch: tc.branch})
			switch tc.code {
			case "":
				if err != nil || shapeErr != nil || got != (library.Scan{Barcode: s.freeCopy, Branch: "chuo"}) || shape != got {
					t.Fatalf("check = %+v %v, shape = %+v %v", got, err, shape, shapeErr)
				}
			case library.CodeUnknownBranch:
				refused(t, err, tc.code)
				if shapeErr != nil {
					t.Fatalf("the shape alone refused %v", shapeErr)
				}
			default:
				refused(t, err, tc.code)
				refused(t, shapeErr, tc.code)
			}
		})
	}

	scans := []struct {
		name            string
		barcode, branch string
		pull, receive   domain.Code // the refusals of Pull and Missing, and of Receive
	}{
		{"a copy with no hold", s.freeCopy, "chuo", contract.ErrNotOnPullList, contract.ErrNotExpectedHere},
		{"no such copy", "NOPE-0000", "chuo", contract.ErrNotOnPullList, contract.ErrNotExpectedHere},
		{"a 確認待ち copy at another branch", s.pullCopy, "kita", contract.ErrNotOnPullList, contract.ErrNotExpectedHere},
		{"a ready copy", s.readyCopy, "chuo", contract.ErrNotOnPullList, contract.ErrNotExpectedHere},
		{"a travelling copy at the wrong branch", s.transitCopy, "minami", contract.ErrNotOnPullList, contract.ErrNotExpectedHere},
		{"a travelling copy where it left", s.transitCopy, "chuo", contract.ErrNotOnPullList, contract.ErrNotExpectedHere},
		{"a withdrawn copy", s.withdrawn, "chuo", contract.ErrNotOnPullList, contract.ErrNotExpectedHere},
	}
	for _, tc := range scans {
		r := library.Scan{Barcode: tc.barcode, Branch: tc.branch}
		t.Run("pull "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			routing, err := e.svc.Pull(ctx, r, e.staff)
			refused(t, err, tc.pull)
			if routing != (contract.Routing{}) {
				t.Errorf("a refusal answered %+v", routing)
			}
			e.unchanged(t, before)
		})
		t.Run("missing "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			_, err := e.svc.Missing(ctx, r, e.staff)
			refused(t, err, tc.pull)
			e.unchanged(t, before)
		})
		t.Run("receive "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			id, status, err := e.svc.Receive(ctx, r, e.staff)
			refused(t, err, tc.receive)
			if id != 0 || status != "" {
				t.Errorf("a refusal answered %d %s", id, status)
			}
			e.unchanged(t, before)
		})
	}
	t.Run("receive a 確認待ち copy at its pickup place", func(t *testing.T) {
		before := e.snapshot()
		_, _, err := e.svc.Receive(ctx, library.Scan{Barcode: s.pullCopy, Branch: "kita"}, e.staff)
		refused(t, err, contract.ErrNotExpectedHere)
		e.unchanged(t, before)
	})

	checkins := []struct {
		name, barcode string
		code          domain.Code
	}{
		{"no such copy", "NOPE-0000", contract.ErrNotFound},
		{"a withdrawn copy", s.withdrawn, contract.ErrNotAvailable},
	}
	for i, tc := range checkins {
		t.Run("checkin "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			in := contract.CheckinInput{Barcode: tc.barcode, Branch: "chuo", StaffID: e.staff}
			_, err := e.svc.Checkin(ctx, library.CheckinWorkflowID(in, "refused-"+idString(int64(i))), in)
			refused(t, err, tc.code)
			e.unchanged(t, before)
		})
	}

	lends := []struct {
		name string
		req  library.Checkout
		code domain.Code
	}{
		{"card of letters", library.Checkout{Barcode: s.freeCopy, CardNumber: "abc", Branch: "chuo"}, library.CodeInvalidCardNumber},
		{"card of 6 digits", library.Checkout{Barcode: s.freeCopy, CardNumber: "100000", Branch: "chuo"}, library.CodeInvalidCardNumber},
		{"no card", library.Checkout{Barcode: s.freeCopy, Branch: "chuo"}, library.CodeInvalidCardNumber},
		{"malformed barcode", library.Checkout{Barcode: "x", CardNumber: s.card, Branch: "chuo"}, library.CodeInvalidBarcode},
		{"unknown branch", library.Checkout{Barcode: s.freeCopy, CardNumber: s.card, Branch: "atlantis"}, library.CodeUnknownBranch},
		{"no such patron", library.Checkout{Barcode: s.freeCopy, CardNumber: "9999999", Branch: "chuo"}, contract.ErrNotFound},
		{"no such copy", library.Checkout{Barcode: "NOPE-0000", CardNumber: s.card, Branch: "chuo"}, contract.ErrNotFound},
		{"a copy on loan", library.Checkout{Barcode: s.loanedCopy, CardNumber: s.card, Branch: "kita"}, contract.ErrNotAvailable},
		{"a withdrawn copy", library.Checkout{Barcode: s.withdrawn, CardNumber: s.card, Branch: "chuo"}, contract.ErrNotAvailable},
		{"a travelling copy", library.Checkout{Barcode: s.transitCopy, CardNumber: s.card, Branch: "kita"}, contract.ErrNotAvailable},
		{"a ready copy, another patron", library.Checkout{Barcode: s.readyCopy, CardNumber: "1000003", Branch: "chuo"}, contract.ErrHeldForAnother},
	}
	for _, tc := range lends {
		t.Run("lend "+tc.name, func(t *testing.T) {
			before := e.snapshot()
			lent, err := e.svc.Lend(ctx, tc.req, e.staff)
			refused(t, err, tc.code)
			if lent != (library.Lent{}) {
				t.Errorf("a refusal answered %+v", lent)
			}
			e.unchanged(t, before)
		})
	}

	t.Run("allowed", func(t *testing.T) {
		lent, err := e.svc.Lend(ctx, library.Checkout{Barcode: " " + s.readyCopy, CardNumber: "100-0002", Branch: "chuo "}, e.staff)
		if err != nil || lent.HoldID != s.ready.ID || lent.Barcode != s.readyCopy || lent.DueDate == "" {
			t.Fatalf("lend the ready copy to its patron = %+v %v", lent, err)
		}
		e.waitHold(s.ready.ID, func(h store.HoldView) bool { return h.Status == domain.StatusFulfilled })
		lent, err = e.svc.Lend(ctx, library.Checkout{Barcode: s.freeCopy, CardNumber: "1000003", Branch: "chuo"}, e.staff)
		if err != nil || lent.HoldID != 0 || lent.Barcode != s.freeCopy || lent.DueDate == "" {
			t.Fatalf("lend a free copy = %+v %v", lent, err)
		}
		in := contract.CheckinInput{Barcode: s.loanedCopy, Branch: "kita", StaffID: e.staff}
		id := library.CheckinWorkflowID(in, "return-1")
		res, err := e.svc.Checkin(ctx, id, in)
		if err != nil || res.Routing.Action != contract.RouteReshelve {
			t.Fatalf("checkin of a returned copy = %+v %v", res, err)
		}
		again, err := e.svc.Checkin(ctx, id, in) // a retried scan: the first one's answer
		if err != nil || again.Routing != res.Routing {
			t.Fatalf("retried checkin = %+v %v", again, err)
		}
		routing, err := e.svc.Pull(ctx, library.Scan{Barcode: s.pullCopy, Branch: "chuo"}, e.staff)
		if err != nil || routing.Action != contract.RouteTransit || routing.ToBranch != "kita" {
			t.Fatalf("pull = %+v %v", routing, err)
		}
		id2, status, err := e.svc.Receive(ctx, library.Scan{Barcode: s.transitCopy, Branch: "kita"}, e.staff)
		if err != nil || id2 != s.transit.ID || status != domain.StatusReady {
			t.Fatalf("receive = %d %s %v", id2, status, err)
		}
	})
}

// TestCounterHoldRefusals: a counter hold is refused for a malformed or unknown card, a request that is
// neither a title nor a described request, and a title that cannot be held there; nothing changes.
func TestCounterHoldRefusals(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	const card = "1000005"
	reference := e.seedTitle(`reference_only`)
	etext := e.seedTitle(`format = 'etext'`)
	book, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	dvd, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	held, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	heldDVD, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	e.counter(library.CounterHold{CardNumber: card, TitleID: held, Pickup: "chuo"})
	e.counter(library.CounterHold{CardNumber: card, TitleID: heldDVD, Pickup: "chuo"})
	req := func(title, author, isbn string) *library.TitleRequest {
		return &library.TitleRequest{Title: title, Author: author, ISBN: isbn}
	}

	tests := []struct {
		name string
		svc  *library.Service
		in   library.CounterHold
		code domain.Code
	}{
		{"card of letters", nil, library.CounterHold{CardNumber: "abcdefg", TitleID: book, Pickup: "chuo"}, library.CodeInvalidCardNumber},
		{"no card", nil, library.CounterHold{TitleID: book, Pickup: "chuo"}, library.CodeInvalidCardNumber},
		{"no such patron", nil, library.CounterHold{CardNumber: "9999999", TitleID: book, Pickup: "chuo"}, contract.ErrNotFound},
		{"neither title nor request", nil, library.CounterHold{CardNumber: card, Pickup: "chuo"}, library.CodeInvalidRequest},
		{"both title and request", nil, library.CounterHold{CardNumber: card, TitleID: book, Pickup: "chuo", Request: req("本", "", "")}, library.CodeInvalidRequest},
		{"request without a title", nil, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req(" \t ", "著者", "")}, library.CodeInvalidRequest},
		{"request title of 501 bytes", nil, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req(strings.Repeat("x", 501), "", "")}, library.CodeInvalidRequest},
		{"request title with a NUL", nil, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req("本\x00", "", "")}, library.CodeInvalidRequest},
		{"request author not UTF-8", nil, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req("本", "\xff", "")}, library.CodeInvalidRequest},
		{"request author of 201 bytes", nil, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req("本", strings.Repeat("x", 201), "")}, library.CodeInvalidRequest},
		{"request ISBN of 21 bytes", nil, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req("本", "", strings.Repeat("9", 21))}, library.CodeInvalidRequest},
		{"title not an ID", nil, library.CounterHold{CardNumber: card, TitleID: "abc", Pickup: "chuo"}, contract.ErrNotFound},
		{"no such title", nil, library.CounterHold{CardNumber: card, TitleID: "999999999999", Pickup: "chuo"}, contract.ErrNotFound},
		{"reference only", nil, library.CounterHold{CardNumber: card, TitleID: reference, Pickup: "chuo"}, library.CodeNotHoldable},
		{"e-text", nil, library.CounterHold{CardNumber: card, TitleID: etext, Pickup: "chuo"}, library.CodeNotHoldable},
		{"unknown branch", nil, library.CounterHold{CardNumber: card, TitleID: book, Pickup: "atlantis"}, library.CodeUnknownBranch},
		{"unknown branch, request", nil, library.CounterHold{CardNumber: card, Pickup: "atlantis", Request: req("本", "", "")}, library.CodeUnknownBranch},
		{"DVD at a facility", nil, library.CounterHold{CardNumber: card, TitleID: dvd, Pickup: "hikari"}, contract.ErrPickupNotAllowed},
		{"already held", nil, library.CounterHold{CardNumber: card, TitleID: held, Pickup: "kita"}, library.CodeAlreadyHeld},
		{"total limit", e.withLimits(2, 5), library.CounterHold{CardNumber: card, TitleID: book, Pickup: "chuo"}, library.CodeHoldLimitExceeded},
		{"total limit, request", e.withLimits(2, 5), library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req("本", "", "")}, library.CodeHoldLimitExceeded},
		{"AV limit", e.withLimits(10, 1), library.CounterHold{CardNumber: card, TitleID: dvd, Pickup: "chuo"}, library.CodeHoldLimitExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.svc
			if svc == nil {
				svc = e.svc
			}
			before := e.snapshot()
			h, err := svc.PlaceCounterHold(ctx, tc.in, e.staff)
			refused(t, err, tc.code)
			if h.ID != 0 {
				t.Errorf("a refusal answered %+v", h)
			}
			e.unchanged(t, before)
		})
	}

	t.Run("placed", func(t *testing.T) {
		h, err := e.svc.PlaceCounterHold(ctx, library.CounterHold{CardNumber: " 100-0005 ", TitleID: book, Pickup: " kita "}, e.staff)
		if err != nil || h.Origin != "counter" || h.Pickup != "kita" || idString(h.TitleID.Int64) != book || h.PatronID != e.patron(card) {
			t.Fatalf("counter hold = %+v %v", h, err)
		}
		e.waitHold(h.ID, func(h store.HoldView) bool { return h.Status == domain.StatusAwaitingPull })
		h, err = e.svc.PlaceCounterHold(ctx, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: req(" 未所蔵の本 ", "著者", "4101010013")}, e.staff)
		if err != nil || h.TitleID.Valid || h.Title != "未所蔵の本" {
			t.Fatalf("counter request = %+v %v", h, err)
		}
		e.waitHold(h.ID, func(h store.HoldView) bool { return h.Status == domain.StatusInvestigating })
	})
}

// TestRegisterCopyRefusals: a new copy is refused for a malformed or taken barcode, an unknown branch or
// title, a bad idempotency key, or a hold that is not waiting for it; nothing changes. A retry of the same
// request gets the first answer.
func TestRegisterCopyRefusals(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	s := e.holds()
	title, copies := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	missing := idString(s.request.ID)

	tests := []struct {
		name string
		req  library.NewCopy
		key  string
		code domain.Code
	}{
		{"title not an ID", library.NewCopy{TitleID: "abc", Barcode: "NEW-0001", Branch: "chuo"}, "k1", contract.ErrNotFound},
		{"no title", library.NewCopy{Barcode: "NEW-0001", Branch: "chuo"}, "k1", contract.ErrNotFound},
		{"no such title", library.NewCopy{TitleID: "999999999999", Barcode: "NEW-0001", Branch: "chuo"}, "k1", contract.ErrNotFound},
		{"malformed barcode", library.NewCopy{TitleID: title, Barcode: "NEW 1", Branch: "chuo"}, "k1", library.CodeInvalidBarcode},
		{"unknown branch", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "atlantis"}, "k1", library.CodeUnknownBranch},
		{"barcode of another title", library.NewCopy{TitleID: title, Barcode: s.pullCopy, Branch: "chuo"}, "k1", contract.ErrBarcodeTaken},
		{"barcode of this title", library.NewCopy{TitleID: title, Barcode: copies[0], Branch: "chuo"}, "k1", contract.ErrBarcodeTaken},
		{"no key", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo"}, "", contract.ErrBadRequest},
		{"key with a space", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo"}, "k 1", contract.ErrBadRequest},
		{"key of 101 bytes", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo"}, strings.Repeat("k", 101), contract.ErrBadRequest},
		{"hold not an ID", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", HoldID: "abc"}, "k1", contract.ErrNotFound},
		{"no such hold", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", HoldID: "999999999999"}, "k1", contract.ErrNotFound},
		{"for a request, a taken barcode", library.NewCopy{TitleID: title, Barcode: s.freeCopy, Branch: "chuo", HoldID: missing}, "k1", contract.ErrBarcodeTaken},
		{"for a hold not waiting for a copy", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", HoldID: idString(s.pulling.ID)}, "k1", contract.ErrNotChangeable},
		{"for a ready hold", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", HoldID: idString(s.ready.ID)}, "k1", contract.ErrNotChangeable},
		{"for a cancelled hold", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", HoldID: idString(s.cancelled.ID)}, "k1", contract.ErrNotChangeable},
		{"call number of 41 characters", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", CallNumber: strings.Repeat("9", 41)}, "k1", library.CodeInvalidCallNumber},
		{"call number with a newline", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", CallNumber: "913.6\nナ"}, "k1", library.CodeInvalidCallNumber},
		{"call number with a NUL", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", CallNumber: "913\x00"}, "k1", library.CodeInvalidCallNumber},
		{"shelf of 41 characters", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", ShelfLocation: strings.Repeat("棚", 41)}, "k1", library.CodeInvalidShelf},
		{"shelf with a tab", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", ShelfLocation: "一般\t書架"}, "k1", library.CodeInvalidShelf},
		{"shelf not UTF-8", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", ShelfLocation: "\xff"}, "k1", library.CodeInvalidShelf},
		{"for a request, a bad call number", library.NewCopy{TitleID: title, Barcode: "NEW-0001", Branch: "chuo", HoldID: missing, CallNumber: "\a"}, "k1", library.CodeInvalidCallNumber},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			routing, err := e.svc.RegisterCopy(ctx, tc.req, e.staff, tc.key)
			refused(t, err, tc.code)
			if routing != (contract.Routing{}) {
				t.Errorf("a refusal answered %+v", routing)
			}
			e.unchanged(t, before)
		})
	}

	t.Run("registered", func(t *testing.T) {
		req := library.NewCopy{TitleID: title, Barcode: " NEW-0002 ", Branch: " kita ", CallNumber: " 913.6/ナ ", ShelfLocation: "一般書架"}
		routing, err := e.svc.RegisterCopy(ctx, req, e.staff, "register-1")
		if err != nil || routing.Action != contract.RouteReshelve {
			t.Fatalf("register = %+v %v", routing, err)
		}
		before := e.snapshot()
		again, err := e.svc.RegisterCopy(ctx, req, e.staff, "register-1")
		if err != nil || again != routing {
			t.Fatalf("the retry = %+v %v, want %+v", again, err, routing)
		}
		e.unchanged(t, before)
		_, err = e.svc.RegisterCopy(ctx, req, e.staff, "register-2")
		refused(t, err, contract.ErrBarcodeTaken)
		e.unchanged(t, before)

		routing, err = e.svc.RegisterCopy(ctx, library.NewCopy{TitleID: title, Barcode: "NEW-0003", Branch: "chuo", HoldID: missing,
			CallNumber: strings.Repeat("K", 40), ShelfLocation: "児童書架"}, e.staff, "")
		if err != nil || routing.Action != contract.RouteHoldShelf || routing.HoldID != s.request.ID {
			t.Fatalf("the copy of a counter request = %+v %v", routing, err)
		}
		h := e.waitHold(s.request.ID, func(h store.HoldView) bool { return h.Status == domain.StatusReady })
		if h.ItemBarcode.String != "NEW-0003" || idString(h.TitleID.Int64) != title {
			t.Fatalf("the counter request got %+v", h)
		}

		// Both copies carry the shelf data they were registered with (trimmed), the title's first copy none.
		id, _ := library.ParseID(title)
		d, err := store.GetTitle(ctx, e.db, id)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][2]string{}
		for _, cp := range d.Copies {
			got[cp.Barcode] = [2]string{cp.CallNumber, cp.ShelfLocation}
		}
		want := map[string][2]string{copies[0]: {"", ""}, "NEW-0002": {"913.6/ナ", "一般書架"}, "NEW-0003": {strings.Repeat("K", 40), "児童書架"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("copies' shelf data = %v, want %v", got, want)
		}
	})
}
