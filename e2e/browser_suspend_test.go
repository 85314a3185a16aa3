package e2e_test

// 休止 and 再開 from the patron pages, in headless Chromium on a real stack (harness: browser_harness_test.go).

import (
	"fmt"
	"testing"
	"time"
)

// TestBrowserSuspendAndResume: a patron first in line suspends the hold from 予約状況 with the form's date
// (two weeks ahead by default, changed to 10 days), is told so, and sees 休止中（○月○日まで） with no position
// and its explanation, while the patron behind moves up to 返却待ち; then resumes it from the hold page, whose
// timeline shows both, and it is 返却待ち again. Screenshots at 375 and 1280 px, no sideways scrolling.
func TestBrowserSuspendAndResume(t *testing.T) {
	s := newStack(t, nil)
	titleID, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	p, behind := s.newPatron("email"), s.newPatron("email")
	id := s.placeOne(p, "chuo", titleID)
	next := s.placeOne(behind, "chuo", titleID)
	s.waitStatus(p, id, "awaiting_return")
	s.waitStatus(behind, next, "waiting")

	pp := s.patronBrowser(p)
	b := pp.b
	b.open("/holds", phoneWidth)
	b.wantText("h1", "予約状況")
	if got, want := b.value("#until-"+id), s.todayPlus(14); got != want {
		t.Errorf("the 休止 form proposes %s, want %s (two weeks ahead)", got, want)
	}
	b.shots("01-holds-waiting")
	until := s.todayPlus(10)
	b.fill("#until-"+id, until)
	b.clickNav("#suspend-" + id)
	if b.path() != "/holds?done=suspended" {
		t.Fatalf("after 休止 the page is %s, want 予約状況", b.path())
	}
	b.wantText("#page-message", "予約を休止しました")
	d, _ := time.Parse(time.DateOnly, until)
	label := fmt.Sprintf("休止中（%d月%d日まで）", d.Month(), d.Day())
	b.wantText("#hold-"+id+" .cell-status", label, "ご自身で予約を休止している状態です")
	if pos := b.text(fmt.Sprintf("#hold-%s td:nth-child(3)", id)); pos != "" {
		t.Errorf("a suspended hold shows the position %q", pos)
	}
	if b.exists("#suspend-"+id) || !b.exists("#resume-"+id) {
		t.Error("a suspended hold offers 休止 again, or no 再開")
	}
	b.click("#status-explain summary")
	b.wantText("#status-explain", "休止中")
	b.shots("02-holds-suspended")
	noSideways(b)

	var h suspendedHold
	s.mustDo("GET", "/api/v1/holds/"+id, p.token, nil, 200, &h)
	if h.Status != "suspended" || h.SuspendedUntil == nil || *h.SuspendedUntil != until {
		t.Fatalf("after 休止 on the page the API shows %+v", h)
	}
	if n := s.getHold(behind, next); n.Status != "awaiting_return" || n.Position == nil || *n.Position != 1 {
		t.Fatalf("the hold behind a suspended first hold: %+v, want 返却待ち 1", n)
	}

	// 再開 from the hold page, which comes back to itself.
	b.clickNav("#detail-" + id)
	b.wantText("#hold-status", label)
	b.shots("03-hold-suspended")
	b.clickNav("#resume-" + id)
	if b.path() != "/holds/"+id+"?done=resumed" {
		t.Fatalf("after 再開 the page is %s, want the hold page", b.path())
	}
	b.wantText("#page-message", "予約を再開しました")
	b.wantText("#hold-status", "返却待ち", "1")
	b.wantText("#timeline", "予約を休止しました", "予約を再開しました")
	if !b.exists("#suspend-" + id) {
		t.Error("the resumed hold offers no 休止")
	}
	b.shots("04-hold-resumed")
	if n := s.getHold(behind, next); n.Status != "waiting" || n.Position == nil || *n.Position != 2 {
		t.Fatalf("the hold behind after 再開: %+v, want 順番待ち 2", n)
	}

	// In English too.
	b.open("/holds?lang=en", phoneWidth)
	b.wantText("#hold-"+id+" .cell-actions", "Suspend")
}
