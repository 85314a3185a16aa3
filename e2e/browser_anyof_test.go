package e2e_test

// いずれか予約 (any-of groups) from the patron pages, in headless Chromium on a real stack (harness:
// browser_harness_test.go).

import (
	"testing"
)

// groupOf is the any-of group a hold is a member of, as GET /api/v1/holds/{id} says.
func (s *stack) groupOf(p patron, id string) string {
	s.t.Helper()
	var h struct {
		GroupID *string `json:"group_id"`
	}
	s.mustDo("GET", "/api/v1/holds/"+id, p.token, nil, 200, &h)
	if h.GroupID == nil {
		s.t.Fatalf("hold %s is in no any-of group", id)
	}
	return *h.GroupID
}

// TestBrowserAnyOf: a patron with two editions in the basket, all their copies on loan, first ticks only one
// for いずれか予約 (red message, nothing placed), then both, places them through the confirmation and sees
// the result say what いずれか予約 means; 予約状況 shows both members in one block headed
// いずれか予約（2点のうちどれか1点）, each 返却待ち with its own position, and the hold page lists the other
// member. Staff check in a copy of the first edition: it goes to the hold shelf for the patron, and 予約状況
// shows it 利用可能 and the other edition 他の版で用意, explained, in the same block. Screenshots at 375 and
// 1280 px, no sideways scrolling.
func TestBrowserAnyOf(t *testing.T) {
	s := newStack(t, nil)
	first, firstCopies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	second, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	p := s.newPatron("email")
	s.mustDo("POST", "/api/v1/basket", p.token, map[string]any{"title_ids": []string{first, second}}, 200, nil)

	pp := s.patronBrowser(p)
	b := pp.b
	b.open("/basket", phoneWidth)
	b.wantText("#place-any", "いずれか予約（どれか1点）")
	b.wantText("#any-hint", "どれか1点が用意できたら、ほかの予約は「他の版で用意」で終わります。")
	b.selectOption("#pickup", "chuo")

	// One title ticked is refused on the basket itself.
	b.setChecked("#pick-"+first, true)
	b.clickNav("#place-any")
	b.wantText("#page-message", "いずれか予約は、資料を2点から5点まで選択してください。")
	if n := len(s.webHoldsByTitle(p)); n != 0 {
		t.Fatalf("one title ticked for いずれか予約 placed %d holds", n)
	}
	b.shots("01-basket-one-ticked")

	b.setChecked("#pick-"+first, true)
	b.setChecked("#pick-"+second, true)
	b.selectOption("#pickup", "chuo")
	b.clickNav("#place-any")
	b.wantText("h1", "予約内容確認")
	b.wantText("#confirm-mode", "いずれか予約（どれか1点）")
	b.wantText("#confirm-any", "ほかの予約は「他の版で用意」で終わります")
	b.shots("02-confirm")
	b.clickNav("#place-confirm")
	b.wantText("h1", "予約結果")
	b.wantText("#placed", "以下のタイトルについて予約を行いました", "いずれか予約として予約しました。")
	if b.exists("#rejected") {
		t.Fatalf("a title was rejected: %s", b.text("#rejected"))
	}
	b.shots("03-result")

	holds := s.webHoldsByTitle(p)
	a, o := holds[first].ID, holds[second].ID
	if a == "" || o == "" {
		t.Fatalf("the holds placed: %+v, want one per edition", holds)
	}
	s.waitStatus(p, a, "awaiting_return")
	s.waitStatus(p, o, "awaiting_return")
	group := s.groupOf(p, a)
	if g := s.groupOf(p, o); g != group {
		t.Fatalf("the editions are in groups %s and %s, want one", group, g)
	}

	// 予約状況: one block for the group, each member with its own status and position.
	b.open("/holds", phoneWidth)
	b.wantText("#group-"+group, "いずれか予約（2点のうちどれか1点）", "どれか1点が用意できたら")
	if n := b.count("#group-" + group + ` tr[id^="hold-"]`); n != 2 {
		t.Fatalf("%d holds in the group's block, want 2", n)
	}
	for _, id := range []string{a, o} {
		b.wantText("#group-"+group+" #hold-"+id+" .cell-status", "返却待ち")
		if pos := b.text("#hold-" + id + " td:nth-child(3)"); pos != "1" {
			t.Errorf("member %s shows position %q, want 1", id, pos)
		}
	}
	b.shots("04-holds-grouped")
	noSideways(b)

	// The hold page names the group and links the other member.
	b.clickNav("#detail-" + a)
	b.wantText("#hold-group", "2点のうちどれか1点を用意する予約の1つです。", "返却待ち")
	b.shots("05-hold-member")
	b.clickNav("#sibling-" + o + " a")
	if b.path() != "/holds/"+o {
		t.Fatalf("the sibling's link leads to %s", b.path())
	}

	// A copy of the first edition is returned: it is set aside for the patron, the other edition ends.
	if r := s.scan("checkin", firstCopies[0], "chuo"); r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != a {
		t.Fatalf("check-in of the first edition = %+v, want hold_shelf for hold %s", r, a)
	}
	s.waitStatus(p, a, "ready")
	if h, _ := s.waitStatus(p, o, "cancelled"); h.CancelReason == nil || *h.CancelReason != "other_edition" || h.StatusLabel != "他の版で用意" {
		t.Fatalf("the other edition after the check-in: %+v, want 他の版で用意", h)
	}

	b.open("/holds", phoneWidth)
	b.wantText("#group-"+group+" #hold-"+a+" .cell-status", "利用可能")
	b.wantText("#group-"+group+" #hold-"+o+" .cell-status", "他の版で用意", "ほかの版（資料）が用意できたため終わった予約")
	b.wantText("#ready-"+a, "中央図書館")
	b.click("#status-explain summary")
	b.wantText("#status-explain", "他の版で用意")
	b.shots("06-holds-decided")
	noSideways(b)
	b.open("/holds/"+o, phoneWidth)
	b.wantText("#hold-status", "他の版で用意")
	b.wantText("#timeline", "いずれか予約のほかの版が用意できたため、この予約は終わりました")
	b.wantText("#sibling-"+a, "利用可能")
	b.shots("07-hold-other-edition")
	noSideways(b)

	// In English too.
	b.open("/holds?lang=en", phoneWidth)
	b.wantText("#group-"+group, "Any-of hold (any one of 2)")
	b.wantText("#hold-"+o+" .cell-status", "Another edition provided")
}
