package e2e_test

import (
	"maps"
	"sync"
	"testing"

	"yoyaku/domain"
)

// anyOfPlaced is the answer of POST /api/v1/holds as an any-of placement reads it: the placed entries carry
// the group's ID.
type anyOfPlaced struct {
	Placed []struct {
		HoldID  string  `json:"hold_id"`
		TitleID string  `json:"title_id"`
		Status  string  `json:"status"`
		GroupID *string `json:"group_id"`
	} `json:"placed"`
	Rejected []struct {
		TitleID string `json:"title_id"`
		Reason  string `json:"reason"`
	} `json:"rejected"`
}

// rejectedFor returns each rejected title's reason.
func (r anyOfPlaced) rejectedFor() map[string]string {
	out := map[string]string{}
	for _, rej := range r.Rejected {
		out[rej.TitleID] = rej.Reason
	}
	return out
}

// groupHold is the Hold with its any-of group.
type groupHold struct {
	hold
	GroupID *string `json:"group_id"`
}

func (s *stack) placeAny(p patron, pickup string, titleIDs ...string) anyOfPlaced {
	s.t.Helper()
	var r anyOfPlaced
	s.mustDo("POST", "/api/v1/holds", p.token, map[string]any{"title_ids": titleIDs, "pickup_branch": pickup, "mode": "any"}, 200, &r)
	return r
}

// placeGroup places an any-of group that must be accepted whole, and returns its group ID and the member
// holds in the order of the titles.
func (s *stack) placeGroup(p patron, pickup string, titleIDs ...string) (string, []string) {
	s.t.Helper()
	r := s.placeAny(p, pickup, titleIDs...)
	if len(r.Placed) != len(titleIDs) || len(r.Rejected) != 0 {
		s.t.Fatalf("any-of placement of %v: %+v", titleIDs, r)
	}
	gid := s.sameGroup(r)
	var ids []string
	for _, pl := range r.Placed {
		ids = append(ids, pl.HoldID)
	}
	return gid, ids
}

// sameGroup checks that every placed entry names one group, in the POST answer and in the patron's hold list
// (GET /api/v1/holds), and returns it.
func (s *stack) sameGroup(r anyOfPlaced) string {
	s.t.Helper()
	if len(r.Placed) < 2 || r.Placed[0].GroupID == nil || *r.Placed[0].GroupID == "" {
		s.t.Fatalf("an any-of group of %d holds without a group: %+v", len(r.Placed), r)
	}
	gid := *r.Placed[0].GroupID
	for _, pl := range r.Placed {
		if pl.GroupID == nil || *pl.GroupID != gid {
			s.t.Fatalf("members of one placement in different groups: %+v", r)
		}
	}
	return gid
}

// groupHolds is the patron's hold list (GET /api/v1/holds) with the holds' groups, by hold ID.
func (s *stack) groupHolds(p patron) map[string]groupHold {
	s.t.Helper()
	var list struct{ Holds []groupHold }
	s.mustDo("GET", "/api/v1/holds", p.token, nil, 200, &list)
	out := map[string]groupHold{}
	for _, h := range list.Holds {
		out[h.ID] = h
	}
	return out
}

// wantListedInGroup checks that the hold list shows each hold in group gid ("" for none).
func (s *stack) wantListedInGroup(p patron, gid string, ids ...string) {
	s.t.Helper()
	list := s.groupHolds(p)
	for _, id := range ids {
		h, ok := list[id]
		switch {
		case !ok:
			s.t.Fatalf("hold %s is not in the patron's hold list", id)
		case gid == "" && h.GroupID != nil:
			s.t.Fatalf("hold %s is in group %s, want none", id, *h.GroupID)
		case gid != "" && (h.GroupID == nil || *h.GroupID != gid):
			s.t.Fatalf("hold %s is in group %v, want %s", id, h.GroupID, gid)
		}
	}
}

// holdCount counts the patron's holds in the database, whatever their status.
func (s *stack) holdCount(p patron) int {
	s.t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT count(*) FROM holds WHERE patron_id = $1`, p.id); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// wantOtherEdition waits until the hold has ended because another member of its group was served.
func (s *stack) wantOtherEdition(p patron, id string) {
	s.t.Helper()
	h, _ := s.waitStatus(p, id, "cancelled")
	if h.CancelReason == nil || *h.CancelReason != string(domain.CancelOtherEdition) || h.StatusLabel != "他の版で用意" || h.CanCancel {
		s.t.Fatalf("hold %s ended as %+v, want other_edition 他の版で用意", id, h)
	}
}

// TestAnyOfPlacement: いずれか予約's refusals and limits. 1 or 6 titles are refused whole; a member that
// cannot be held is rejected with its own code while the rest form the group; one left is a normal hold; a
// group counts once against the total limit, and once against the AV limit when any member is AV.
func TestAnyOfPlacement(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_HOLD_LIMIT_TOTAL": "4", "YOYAKU_HOLD_LIMIT_AV": "1"})
	book := func() string {
		id, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
		return id
	}
	p := s.newPatron("none")

	// 1 title, or 6: refused whole, nothing placed.
	six := []string{book(), book(), book(), book(), book(), book()}
	for _, ids := range [][]string{six[:1], six} {
		s.wantError("POST", "/api/v1/holds", p.token, map[string]any{"title_ids": ids, "pickup_branch": "chuo", "mode": "any"}, 422, "invalid_request")
	}
	if n := s.holdCount(p); n != 0 {
		t.Fatalf("refused any-of placements left %d holds", n)
	}

	// Members that cannot be held are rejected with their normal codes; the rest form one group.
	reference := book()
	s.db.MustExec(`UPDATE titles SET reference_only = true WHERE id = $1`, reference)
	held := book()
	normal := s.placeOne(p, "chuo", held)
	a, b := book(), book()
	r := s.placeAny(p, "chuo", reference, a, held, "999999999", b)
	if got, want := r.rejectedFor(), map[string]string{reference: "not_holdable", held: "already_held", "999999999": "not_found"}; !maps.Equal(got, want) {
		t.Fatalf("rejected %v, want %v", got, want)
	}
	if len(r.Placed) != 2 || r.Placed[0].TitleID != a || r.Placed[1].TitleID != b {
		t.Fatalf("placed %+v, want titles %s and %s", r.Placed, a, b)
	}
	gid := s.sameGroup(r)
	s.wantListedInGroup(p, gid, r.Placed[0].HoldID, r.Placed[1].HoldID)
	s.wantListedInGroup(p, "", normal)
	s.waitWorkflowRunning("group-" + gid)

	// Only one title left: a normal hold, in no group.
	c := book()
	r = s.placeAny(p, "chuo", reference, c)
	if len(r.Placed) != 1 || r.Placed[0].GroupID != nil || r.rejectedFor()[reference] != "not_holdable" {
		t.Fatalf("an any-of placement with one holdable title: %+v", r)
	}
	s.wantListedInGroup(p, "", r.Placed[0].HoldID)
	s.waitStatus(p, r.Placed[0].HoldID, "awaiting_return")

	// The patron has 3 of 4 (a normal hold, a group of two, another normal hold): a group of three fits, as
	// one; then the patron is at the limit and every title of a group is refused, as is a normal hold.
	s.placeGroup(p, "chuo", book(), book(), book())
	d, e := book(), book()
	r = s.placeAny(p, "chuo", d, e)
	if got := r.rejectedFor(); len(r.Placed) != 0 || got[d] != "hold_limit_exceeded" || got[e] != "hold_limit_exceeded" {
		t.Fatalf("a group at the limit: %+v", r)
	}
	if res := s.place(p, "chuo", book()); len(res.Placed) != 0 || res.Rejected[0].Reason != "hold_limit_exceeded" {
		t.Fatalf("a normal hold at the limit: %+v", res)
	}
	if n := s.holdCount(p); n != 7 {
		t.Fatalf("the patron has %d holds, want 7 (1 + 2 + 1 + 3)", n)
	}

	// AV limit 1: a group of two DVDs and a book counts once against it; another group with a DVD is refused
	// whole, a book on its own is not.
	q := s.newPatron("none")
	dvd := func() string {
		id, _ := s.title("dvd", copySpec{branch: "chuo", onLoan: true})
		return id
	}
	s.placeGroup(q, "chuo", dvd(), dvd(), book())
	f, g := dvd(), book()
	r = s.placeAny(q, "chuo", f, g)
	if got := r.rejectedFor(); len(r.Placed) != 0 || got[f] != "hold_limit_exceeded" || got[g] != "hold_limit_exceeded" {
		t.Fatalf("a second group with a DVD over the AV limit of 1: %+v", r)
	}
	s.placeOne(q, "chuo", book())
	if n := s.holdCount(q); n != 4 {
		t.Fatalf("the AV patron has %d holds, want 4 (3 + 1)", n)
	}
}

// TestAnyOfServesOneEdition: the first copy for one member decides the group: the member moves on
// (配送中 → 利用可能, or 確認待ち) and the others end at once as other_edition (他の版で用意). Should the served
// member's copy then go missing, it waits again while the others stay ended.
func TestAnyOfServesOneEdition(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("email")

	// Both editions on loan at kita, picked up at chuo: the second comes back first and travels.
	a, aCopies := s.title("book", copySpec{branch: "kita", onLoan: true})
	b, bCopies := s.title("book", copySpec{branch: "kita", onLoan: true})
	gid, ids := s.placeGroup(p, "chuo", a, b)
	ha, hb := ids[0], ids[1]
	s.waitStatus(p, ha, "awaiting_return")
	s.waitStatus(p, hb, "awaiting_return")
	if rt := s.scan("checkin", bCopies[0], "kita"); rt.Action != "transit" || rt.HoldID == nil || *rt.HoldID != hb {
		t.Fatalf("the second edition's return: %+v, want transit for %s", rt, hb)
	}
	if h, _ := s.waitStatus(p, hb, "in_transit"); h.StatusLabel != "配送中" {
		t.Fatalf("served member: %+v", h)
	}
	s.wantOtherEdition(p, ha)
	s.scan("receive", bCopies[0], "chuo")
	if h, _ := s.waitStatus(p, hb, "ready"); h.StatusLabel != "利用可能" {
		t.Fatalf("served member at the pickup place: %+v", h)
	}
	// The ended member's copy comes back: it is nobody's now.
	if rt := s.scan("checkin", aCopies[0], "kita"); rt.HoldID != nil {
		t.Fatalf("a copy of an ended member's title went to hold %s: %+v", *rt.HoldID, rt)
	}
	s.wantOtherEdition(p, ha)
	s.wantListedInGroup(p, gid, ha, hb)

	// A shelf copy of one edition is set aside at once (確認待ち); it goes missing: the member waits again, for
	// the copy on loan, and the other stays ended.
	c, cCopies := s.title("book", copySpec{branch: "chuo"}, copySpec{branch: "chuo", onLoan: true})
	d, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	gid2, ids := s.placeGroup(p, "chuo", d, c)
	hd, hc := ids[0], ids[1]
	if h, _ := s.waitStatus(p, hc, "awaiting_pull"); h.StatusLabel != "確認待ち" {
		t.Fatalf("member with a shelf copy: %+v", h)
	}
	s.wantOtherEdition(p, hd)
	if got := s.pullList("chuo"); len(got) != 1 || got[0] != cCopies[0] {
		t.Fatalf("pull list %v, want the shelf copy %s", got, cCopies[0])
	}
	s.mustDo("POST", "/api/v1/staff/missing", s.staff, map[string]string{"barcode": cCopies[0], "branch": "chuo"}, 200, nil)
	if h, _ := s.waitStatus(p, hc, "awaiting_return"); h.Position == nil || *h.Position != 1 {
		t.Fatalf("the served member after its copy went missing: %+v", h)
	}
	s.wantOtherEdition(p, hd)
	s.waitWorkflowRunning("group-" + gid2)
	if rt := s.scan("checkin", cCopies[1], "chuo"); rt.Action != "hold_shelf" || rt.HoldID == nil || *rt.HoldID != hc {
		t.Fatalf("the served member's title's other copy: %+v, want the hold shelf for %s", rt, hc)
	}
	s.waitStatus(p, hc, "ready")
	s.wantOtherEdition(p, hd)
	s.wantListedInGroup(p, gid2, hc, hd)
}

// TestAnyOfRaceGivesTheOtherCopyOn: a group's two editions each have a copy on loan and another patron
// waiting behind the group's member. Both copies are checked in at the same instant: exactly one member is
// served, the other copy goes to the other patron next in line, and the losing member ends as other_edition.
// Five groups race, so that a claim lost between the two check-ins shows.
func TestAnyOfRaceGivesTheOtherCopyOn(t *testing.T) {
	s := newStack(t, nil)
	for round := range 5 {
		t.Logf("round %d", round+1)
		a, aCopies := s.title("book", copySpec{branch: "chuo", onLoan: true})
		b, bCopies := s.title("book", copySpec{branch: "chuo", onLoan: true})
		p, qa, qb := s.newPatron("none"), s.newPatron("none"), s.newPatron("none")
		_, ids := s.placeGroup(p, "chuo", a, b)
		members := map[string]string{ids[0]: a, ids[1]: b}
		next := map[string]string{a: s.placeOne(qa, "chuo", a), b: s.placeOne(qb, "chuo", b)}
		nextOwner := map[string]patron{a: qa, b: qb}
		for _, id := range ids {
			s.waitStatus(p, id, "awaiting_return")
		}
		s.waitStatus(qa, next[a], "waiting")
		s.waitStatus(qb, next[b], "waiting")

		rs := s.simultaneousCheckins("chuo", aCopies[0], bCopies[0])
		var served, handedOn []string
		for i, rt := range rs {
			if rt.Action != "hold_shelf" || rt.HoldID == nil {
				t.Fatalf("round %d: check-in %d answered %+v, want the hold shelf", round+1, i, rt)
			}
			title := []string{a, b}[i]
			switch *rt.HoldID {
			case next[title]:
				handedOn = append(handedOn, title)
			case map[string]string{a: ids[0], b: ids[1]}[title]:
				served = append(served, *rt.HoldID)
			default:
				t.Fatalf("round %d: title %s's copy went to hold %s", round+1, title, *rt.HoldID)
			}
		}
		if len(served) != 1 || len(handedOn) != 1 {
			t.Fatalf("round %d: served members %v, copies handed on for titles %v; want one each", round+1, served, handedOn)
		}
		s.waitStatus(p, served[0], "ready")
		for id := range members {
			if id != served[0] {
				s.wantOtherEdition(p, id)
			}
		}
		s.waitStatus(nextOwner[handedOn[0]], next[handedOn[0]], "ready")
		winnerTitle := members[served[0]]
		if h := s.getHold(nextOwner[winnerTitle], next[winnerTitle]); h.Status != "awaiting_return" {
			t.Fatalf("round %d: the other patron behind the served member: %+v, want awaiting_return", round+1, h)
		}
	}
}

// simultaneousCheckins checks the copies in at once, one goroutine each released together, and returns their
// routings in the copies' order.
func (s *stack) simultaneousCheckins(branch string, copies ...string) []routing {
	s.t.Helper()
	rs := make([]routing, len(copies))
	errs := make([]error, len(copies))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, bc := range copies {
		wg.Go(func() {
			<-start
			errs[i] = s.hotCall("POST", "/api/v1/staff/checkin", s.staff, map[string]string{"barcode": bc, "branch": branch}, &rs[i])
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			s.t.Fatalf("check-in of %s: %v", copies[i], err)
		}
	}
	return rs
}

// TestAnyOfMemberCancelledBeforeTheGroupIsDecided: a patron cancels one member while none is served. The
// group is not decided by it: the other member keeps waiting and is served by the next copy of its title,
// and the group's workflow ends once both members have closed.
func TestAnyOfMemberCancelledBeforeTheGroupIsDecided(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("email")
	a, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	b, bCopies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	gid, ids := s.placeGroup(p, "chuo", a, b)
	ha, hb := ids[0], ids[1]
	s.waitStatus(p, ha, "awaiting_return")
	s.waitStatus(p, hb, "awaiting_return")
	s.mustDo("POST", "/api/v1/holds/"+ha+"/cancel", p.token, struct{}{}, 202, nil)
	if h, _ := s.waitStatus(p, ha, "cancelled"); h.CancelReason == nil || *h.CancelReason != string(domain.CancelPatron) {
		t.Fatalf("the cancelled member: %+v, want cancel_reason patron", h)
	}
	// The group's workflow told the other member to look again: it was not served by anyone, so it waits on.
	if h := s.getHold(p, hb); h.Status != "awaiting_return" {
		t.Fatalf("the other member after its sibling was cancelled: %+v", h)
	}
	s.waitWorkflowRunning("group-" + gid)
	if rt := s.scan("checkin", bCopies[0], "chuo"); rt.Action != "hold_shelf" || rt.HoldID == nil || *rt.HoldID != hb {
		t.Fatalf("the other member's title came back: %+v, want the hold shelf for %s", rt, hb)
	}
	s.waitStatus(p, hb, "ready")
	s.mustDo("POST", "/api/v1/staff/checkout", s.staff, map[string]string{"barcode": bCopies[0], "card_number": p.card, "branch": "chuo"}, 200, nil)
	s.waitStatus(p, hb, "fulfilled")
	s.waitWorkflowClosed("group-" + gid)
}
