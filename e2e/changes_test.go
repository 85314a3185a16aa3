package e2e_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"yoyaku/internal/apiclient"

	"google.golang.org/protobuf/proto"
)

// Test 4: cancel while queued → 取消申込 → 本人取消 within seconds; until approved the hold counts against
// the limit.
func TestCancelWhileQueued(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_CANCEL_APPROVAL_DELAY": "2s", "YOYAKU_HOLD_LIMIT_TOTAL": "1"})
	titleID, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	other, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	p := s.newPatron("email")
	id := s.placeOne(p, "chuo", titleID)
	s.waitStatus(p, id, "awaiting_return")

	var h hold
	s.mustDo("POST", "/api/v1/holds/"+id+"/cancel", p.token, nil, 202, &h)
	if h.Status != "cancel_requested" || h.StatusLabel != "取消申込" || h.CanCancel {
		t.Fatalf("after the cancel request: %+v", h)
	}
	if r := s.place(p, "chuo", other); len(r.Rejected) != 1 || r.Rejected[0].Reason != "hold_limit_exceeded" {
		t.Fatalf("取消申込 must still count against the limit: %+v", r)
	}
	h, took := s.waitStatus(p, id, "cancelled")
	t.Logf("取消申込 → 本人取消 in %s", took)
	if h.StatusLabel != "本人取消" || h.CancelReason == nil || *h.CancelReason != "patron" {
		t.Fatalf("approved cancellation: %+v", h)
	}
	if r := s.place(p, "chuo", other); len(r.Placed) != 1 {
		t.Fatalf("本人取消 must not count against the limit: %+v", r)
	}
	var list struct{ Holds []hold }
	s.mustDo("GET", "/api/v1/holds", p.token, nil, 200, &list)
	if len(list.Holds) != 2 || list.Holds[0].ID != id || list.Holds[0].Status != "cancelled" {
		t.Fatalf("a cancelled hold stays listed for a week: %+v", list.Holds)
	}
	s.wantError("POST", "/api/v1/holds/"+id+"/cancel", p.token, nil, 409, "not_cancellable")
}

// Test 5: online change and cancel are refused (409) when the hold is ready, in transit, or was placed at
// the counter; staff may still.
func TestOnlineChangesRefusedWhenReadyInTransitOrCounter(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("none")

	// Ready.
	readyTitle, readyCopies := s.title("book", copySpec{branch: "chuo"})
	ready := s.placeOne(p, "chuo", readyTitle)
	s.waitStatus(p, ready, "awaiting_pull")
	if r := s.scan("pull", readyCopies[0], "chuo"); r.Action != "hold_shelf" {
		t.Fatalf("pull at the pickup branch: %+v", r)
	}
	h, _ := s.waitStatus(p, ready, "ready")
	if h.CanCancel || h.CanChangePickup {
		t.Fatalf("a ready hold offers online changes: %+v", h)
	}
	s.wantError("PATCH", "/api/v1/holds/"+ready, p.token, map[string]string{"pickup_branch": "kita"}, 409, "not_changeable")
	s.wantError("POST", "/api/v1/holds/"+ready+"/cancel", p.token, nil, 409, "not_cancellable")
	s.wantError("PATCH", "/api/v1/staff/holds/"+ready, s.staff, map[string]string{"pickup_branch": "kita"}, 409, "not_changeable")
	s.mustDo("POST", "/api/v1/staff/holds/"+ready+"/cancel", s.staff, map[string]string{}, 200, &h)
	if h.Status != "cancelled" || h.CancelReason == nil || *h.CancelReason != "staff" {
		t.Fatalf("staff cancellation of a ready hold: %+v", h)
	}

	// In transit.
	transitTitle, transitCopies := s.title("book", copySpec{branch: "kita"})
	transit := s.placeOne(p, "chuo", transitTitle)
	s.waitStatus(p, transit, "awaiting_pull")
	s.scan("pull", transitCopies[0], "kita")
	s.waitStatus(p, transit, "in_transit")
	s.wantError("PATCH", "/api/v1/holds/"+transit, p.token, map[string]string{"pickup_branch": "minami"}, 409, "not_changeable")
	s.wantError("POST", "/api/v1/holds/"+transit+"/cancel", p.token, nil, 409, "not_cancellable")
	s.mustDo("PATCH", "/api/v1/staff/holds/"+transit, s.staff, map[string]string{"pickup_branch": "minami"}, 200, &h)
	if h.PickupBranch != "minami" || h.Status != "in_transit" {
		t.Fatalf("staff change of a hold in transit: %+v", h)
	}
	// The copy, scanned in at the old pickup place, travels on to the new one.
	if r := s.scan("checkin", transitCopies[0], "chuo"); r.Action != "transit" || r.ToBranch == nil || *r.ToBranch != "minami" {
		t.Fatalf("check-in at the old pickup place: %+v", r)
	}
	s.mustDo("POST", "/api/v1/staff/receive", s.staff, map[string]string{"barcode": transitCopies[0], "branch": "minami"}, 200, nil)
	s.waitStatus(p, transit, "ready")

	// Counter.
	counterTitle, _ := s.title("book", copySpec{branch: "kita", onLoan: true})
	s.mustDo("POST", "/api/v1/staff/holds", s.staff, map[string]string{"card_number": p.card, "title_id": counterTitle, "pickup_branch": "chuo"}, 200, &h)
	if h.Origin != "counter" || h.CanCancel || h.CanChangePickup {
		t.Fatalf("counter hold: %+v", h)
	}
	counter := h.ID
	s.waitStatus(p, counter, "awaiting_return")
	s.wantError("PATCH", "/api/v1/holds/"+counter, p.token, map[string]string{"pickup_branch": "kita"}, 409, "not_changeable")
	s.wantError("POST", "/api/v1/holds/"+counter+"/cancel", p.token, nil, 409, "not_cancellable")
	s.mustDo("PATCH", "/api/v1/staff/holds/"+counter, s.staff, map[string]string{"pickup_branch": "kita"}, 200, &h)
	if h.PickupBranch != "kita" {
		t.Fatalf("staff change of a counter hold: %+v", h)
	}
	s.mustDo("POST", "/api/v1/staff/holds/"+counter+"/cancel", s.staff, map[string]string{}, 200, &h)
	if h.Status != "cancelled" {
		t.Fatalf("staff cancellation of a counter hold: %+v", h)
	}
}

// Test 6: a pickup change while 確認待ち re-targets the hold to a free copy at the new branch.
func TestPickupChangeRetargetsToACopyAtTheNewBranch(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "kita"}, copySpec{branch: "minami"})
	p := s.newPatron("email")
	id := s.placeOne(p, "kita", titleID)
	s.waitStatus(p, id, "awaiting_pull")
	if got := s.pullList("kita"); len(got) != 1 || got[0] != copies[0] {
		t.Fatalf("kita's pull list = %v, want the kita copy", got)
	}
	s.wantError("PATCH", "/api/v1/holds/"+id, p.token, map[string]string{"pickup_branch": "atlantis"}, 422, "unknown_branch")
	var h hold
	s.mustDo("PATCH", "/api/v1/holds/"+id, p.token, map[string]string{"pickup_branch": "minami"}, 200, &h)
	if h.PickupBranch != "minami" || h.Status != "awaiting_pull" {
		t.Fatalf("after the change: %+v", h)
	}
	if got := s.pullList("minami"); len(got) != 1 || got[0] != copies[1] {
		t.Fatalf("minami's pull list = %v, want the minami copy", got)
	}
	if got := s.pullList("kita"); len(got) != 0 {
		t.Fatalf("kita's copy is still set aside: %v", got)
	}
	if r := s.scan("pull", copies[1], "minami"); r.Action != "hold_shelf" {
		t.Fatalf("pull at the new pickup place: %+v", r)
	}
	s.waitStatus(p, id, "ready")
}

func (s *stack) pullList(branch string) []string {
	s.t.Helper()
	var pl struct {
		Items []struct{ Barcode string } `json:"items"`
	}
	s.mustDo("GET", "/api/v1/staff/pull-list?branch="+branch, s.staff, nil, 200, &pl)
	var out []string
	for _, it := range pl.Items {
		out = append(out, it.Barcode)
	}
	return out
}

// Test 7: a set-aside shelf copy borrowed by a walk-in patron, or reported missing, re-targets the hold.
func TestTakenOrMissingCopyRetargetsTheHold(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "kita"}, copySpec{branch: "kita"})
	p, walkIn := s.newPatron("email"), s.newPatron("none")
	id := s.placeOne(p, "kita", titleID)
	s.waitStatus(p, id, "awaiting_pull")
	first := s.pullList("kita")[0]

	var co struct {
		Loan   struct{ Barcode string } `json:"loan"`
		HoldID *string                  `json:"hold_id"`
	}
	s.mustDo("POST", "/api/v1/staff/checkout", s.staff, map[string]string{"barcode": first, "card_number": walkIn.card, "branch": "kita"}, 200, &co)
	if co.Loan.Barcode != first || co.HoldID != nil {
		t.Fatalf("walk-in checkout = %+v", co)
	}
	h := s.getHold(p, id)
	second := s.pullList("kita")
	if h.Status != "awaiting_pull" || len(second) != 1 || second[0] == first {
		t.Fatalf("after the walk-in: %s, pull list %v (copies %v)", h.Status, second, copies)
	}

	s.mustDo("POST", "/api/v1/staff/missing", s.staff, map[string]string{"barcode": second[0], "branch": "kita"}, 200, nil)
	h, _ = s.waitStatus(p, id, "awaiting_return")
	if h.Position == nil || *h.Position != 1 {
		t.Fatalf("with no copy left the hold waits first in the queue: %+v", h)
	}
	s.wantError("POST", "/api/v1/staff/pull", s.staff, map[string]string{"barcode": second[0], "branch": "kita"}, 409, "not_on_pull_list")
	// The walk-in returns the book: it goes to the hold.
	if r := s.scan("checkin", first, "kita"); r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != id {
		t.Fatalf("return of the borrowed copy: %+v", r)
	}
	s.waitStatus(p, id, "ready")
}

// Test 8: phone contact: the hold is on the call list; the recorded call sets the contact date and the
// deadline counts from it.
func TestPhoneContactFromTheCallList(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	p := s.newPatron("phone")
	id := s.placeOne(p, "chuo", titleID)
	s.waitStatus(p, id, "awaiting_return")
	s.scan("checkin", copies[0], "chuo")
	h, _ := s.waitStatus(p, id, "ready")

	var calls struct {
		Calls []struct {
			HoldID     string `json:"hold_id"`
			CardNumber string `json:"card_number"`
			Name       string `json:"name"`
			Phone      string `json:"phone"`
			Title      string `json:"title"`
		} `json:"calls"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(calls.Calls) == 0 && time.Now().Before(deadline) {
		s.mustDo("GET", "/api/v1/staff/call-list?branch=chuo", s.staff, nil, 200, &calls)
		time.Sleep(50 * time.Millisecond)
	}
	if len(calls.Calls) != 1 || calls.Calls[0].HoldID != id || calls.Calls[0].Phone != p.phone || calls.Calls[0].CardNumber != p.card {
		t.Fatalf("call list = %+v", calls.Calls)
	}
	if h = s.getHold(p, id); h.ContactDate != nil || h.PickupDeadline != nil {
		t.Fatalf("no contact date before the call: %+v", h)
	}
	s.mustDo("POST", "/api/v1/staff/holds/"+id+"/contacted", s.staff, map[string]string{}, 200, &h)
	if h.ContactDate == nil || *h.ContactDate != s.today() || h.PickupDeadline == nil || *h.PickupDeadline != s.todayPlus(6) {
		t.Fatalf("after the call: contact %s deadline %s", deref(h.ContactDate), deref(h.PickupDeadline))
	}
	s.mustDo("GET", "/api/v1/staff/call-list?branch=chuo", s.staff, nil, 200, &calls)
	if len(calls.Calls) != 0 {
		t.Fatalf("the call stays on the list: %+v", calls.Calls)
	}
	var shelf struct {
		Holds []struct {
			HoldID         string `json:"hold_id"`
			PickupDeadline string `json:"pickup_deadline"`
			Expired        bool   `json:"expired"`
		} `json:"holds"`
	}
	s.mustDo("GET", "/api/v1/staff/hold-shelf?branch=chuo", s.staff, nil, 200, &shelf)
	if len(shelf.Holds) != 1 || shelf.Holds[0].HoldID != id || shelf.Holds[0].PickupDeadline != s.todayPlus(6) || shelf.Holds[0].Expired {
		t.Fatalf("hold shelf = %+v", shelf.Holds)
	}
}

// Test 9: a counter hold for a title the library does not own: 調査中 → ordered 選書中 → the new copy → 利用可能.
func TestCounterRequestForAnUnownedTitle(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("email")
	var h hold
	s.mustDo("POST", "/api/v1/staff/holds", s.staff, map[string]any{"card_number": p.card, "pickup_branch": "chuo",
		"request": map[string]string{"title": "未所蔵の本 " + t.Name(), "author": "著者 太郎", "isbn": "9784000000000"}}, 200, &h)
	if h.Origin != "counter" || h.TitleID != nil {
		t.Fatalf("counter request: %+v", h)
	}
	h, _ = s.waitStatus(p, h.ID, "investigating")
	if h.StatusLabel != "調査中" {
		t.Fatalf("label %s", h.StatusLabel)
	}
	s.mustDo("POST", "/api/v1/staff/holds/"+h.ID+"/order", s.staff, map[string]string{}, 200, &h)
	if h.Status != "on_order" || h.StatusLabel != "選書中" {
		t.Fatalf("after ordering: %+v", h)
	}
	var title struct{ ID string }
	s.mustDo("POST", "/api/v1/staff/titles", s.staff, map[string]any{"title": "未所蔵の本 " + t.Name(), "author": "著者 太郎", "format": "book"}, 201, &title)
	barcode := fmt.Sprintf("NEW-%s", title.ID)
	var r routing
	s.mustDo("POST", "/api/v1/staff/items", s.staff, map[string]string{"title_id": title.ID, "barcode": barcode, "branch": "chuo", "hold_id": h.ID}, 201, &r)
	if r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != h.ID {
		t.Fatalf("new copy routing = %+v", r)
	}
	h, _ = s.waitStatus(p, h.ID, "ready")
	if h.TitleID == nil || *h.TitleID != title.ID {
		t.Fatalf("the hold is linked to the new title: %+v", h)
	}
	s.mail.WaitFor(t, `to:"`+p.emails[0]+`"`, 1, 15*time.Second)

	// An inter-library loan stays 調査中 and is marked ILL.
	s.mustDo("POST", "/api/v1/staff/holds", s.staff, map[string]any{"card_number": p.card, "pickup_branch": "chuo",
		"request": map[string]string{"title": "他市の本 " + t.Name()}}, 200, &h)
	s.waitStatus(p, h.ID, "investigating")
	s.mustDo("POST", "/api/v1/staff/holds/"+h.ID+"/ill", s.staff, map[string]string{}, 200, &h)
	if h.Status != "investigating" {
		t.Fatalf("ILL: %+v", h)
	}
	var ill bool
	if err := s.db.Get(&ill, `SELECT ill FROM holds WHERE id = $1`, h.ID); err != nil || !ill {
		t.Fatalf("ILL mark: %v %v", ill, err)
	}
	// Free text typed by staff may name the patron: it is kept in PostgreSQL, never in the workflow history.
	reason := "貸出不可（" + p.name + " 様へ電話済）"
	s.mustDo("POST", "/api/v1/staff/holds/"+h.ID+"/refuse", s.staff, map[string]string{"reason": reason}, 200, &h)
	if h.Status != "cancelled" || h.CancelReason == nil || *h.CancelReason != "staff" {
		t.Fatalf("refused: %+v", h)
	}
	var note string
	if err := s.db.Get(&note, `SELECT cancel_note FROM holds WHERE id = $1`, h.ID); err != nil || note != reason {
		t.Fatalf("cancel note %q (%v), want %q", note, err, reason)
	}
	// The patron is told why (the note is theirs to read, not the workflow's).
	if seen := s.getHold(p, h.ID); seen.CancelNote == nil || *seen.CancelNote != reason {
		t.Fatalf("the patron's view of the refused hold: cancel_note %v, want %q", seen.CancelNote, reason)
	}
	it := s.tc.GetWorkflowHistory(t.Context(), "hold-"+h.ID, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := proto.Marshal(e) // payloads stay raw bytes on the wire: UTF-8 text is findable as is
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(p.name)) || bytes.Contains(raw, []byte("電話済")) {
			t.Fatalf("the refusal's text is in hold-%s's history: event %d %s", h.ID, e.GetEventId(), e.GetEventType())
		}
	}
}

// Test 10: an AV title cannot be picked up at a facility; limits in total and per format hold, also when
// placements race at the limit.
func TestPickupPlaceAndLimits(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_HOLD_LIMIT_TOTAL": "3", "YOYAKU_HOLD_LIMIT_AV": "1"})
	p := s.newPatron("none")
	dvd, _ := s.title("dvd", copySpec{branch: "chuo", onLoan: true})
	dvd2, _ := s.title("dvd", copySpec{branch: "chuo", onLoan: true})
	if r := s.place(p, "hikari", dvd); len(r.Rejected) != 1 || r.Rejected[0].Reason != "pickup_not_allowed" || r.Rejected[0].Message != "指定の館では受け取れません。" {
		t.Fatalf("DVD at a facility: %+v", r)
	}
	s.placeOne(p, "chuo", dvd)
	if r := s.place(p, "chuo", dvd2); len(r.Rejected) != 1 || r.Rejected[0].Reason != "hold_limit_exceeded" || r.Rejected[0].Message != "予約可能点数を越えています。" {
		t.Fatalf("second DVD over the AV limit of 1: %+v", r)
	}
	if r := s.place(p, "chuo", dvd); len(r.Rejected) != 1 || r.Rejected[0].Reason != "already_held" {
		t.Fatalf("the same title again: %+v", r)
	}

	// Six placements race for the two places left under the total limit of 3.
	var titles []string
	for i := 0; i < 6; i++ {
		id, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
		titles = append(titles, id)
	}
	var wg sync.WaitGroup
	results := make([]apiclient.PlaceResult, len(titles))
	for i, id := range titles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.place(p, "hikari", id)
		}()
	}
	wg.Wait()
	placed := 0
	for _, r := range results {
		placed += len(r.Placed)
		for _, rej := range r.Rejected {
			if rej.Reason != "hold_limit_exceeded" {
				t.Errorf("unexpected rejection %+v", rej)
			}
		}
	}
	var open int
	if err := s.db.Get(&open, `SELECT count(*) FROM holds WHERE patron_id = $1 AND status NOT IN ('cancelled', 'fulfilled')`, p.id); err != nil {
		t.Fatal(err)
	}
	if placed != 2 || open != 3 {
		t.Fatalf("racing placements: %d placed, %d open holds; want 2 and 3", placed, open)
	}
}
