package e2e_test

import (
	"testing"

	"yoyaku/domain"
)

// readyOnShelf places a hold for p on a new title with one copy at 中央図書館, pulls it onto the hold shelf
// and waits until the patron was told (a pickup deadline is set). It returns the hold and its title.
func (s *stack) readyOnShelf(p patron) (holdID, titleID string) {
	s.t.Helper()
	titleID, copies := s.title("book", copySpec{branch: "chuo"})
	holdID = s.placeOne(p, "chuo", titleID)
	s.waitStatus(p, holdID, "awaiting_pull")
	s.scan("pull", copies[0], "chuo")
	s.waitStatus(p, holdID, "ready")
	s.waitDeadline(p, holdID)
	return holdID, titleID
}

// TestBrowserExtend: a patron with three ready holds extends one from 予約状況 and one from its hold page
// (取置期限を延長, POST and redirect); the third has another patron waiting behind it and says why it cannot be
// extended. The extended holds show their new deadline, 延長済 and why not again, the timeline has the
// extension, and the console's 予約棚 marks them 延長済. Screenshots at 375 and 1280 px.
func TestBrowserExtend(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("email")
	fromList, _ := s.readyOnShelf(p)
	fromPage, _ := s.readyOnShelf(p)
	busy, busyTitle := s.readyOnShelf(p)
	other := s.newPatron("none")
	s.waitStatus(other, s.placeOne(other, "chuo", busyTitle), "awaiting_return")
	extended := s.todayPlus(domain.PickupDays - 1 + domain.ExtendDays)

	pp := s.patronBrowser(p)
	b := pp.b
	b.open("/holds", phoneWidth)
	b.wantText("#ready-"+fromList, "取置期限を延長", "1 回だけ 7 日間延長できます")
	b.wantText("#extend-why-"+busy, "この資料を待っている方がいるため")
	if b.exists("#extend-" + busy) {
		t.Fatal("a hold others wait behind offers 取置期限を延長")
	}
	b.shots("01-holds-extendable")

	b.clickNav("#extend-" + fromList)
	if got := b.path(); got != "/holds?done=extend" {
		t.Fatalf("after 取置期限を延長 the page is %s, want 予約状況", got)
	}
	b.wantText("#page-message", "取置期限を 7 日間延長しました")
	b.wantText("#ready-deadline-"+fromList, extended, "延長済")
	b.wantText("#extend-why-"+fromList, "1 回限り")
	b.shots("02-holds-extended")

	b.open("/holds/"+fromPage, phoneWidth)
	b.wantText("#hold-extend", "取置期限を延長")
	b.clickNav("#extend-" + fromPage)
	if got := b.path(); got != "/holds/"+fromPage+"?done=extend" {
		t.Fatalf("after 取置期限を延長 on the hold page the page is %s", got)
	}
	b.wantText("#page-message", "取置期限を 7 日間延長しました")
	b.wantText("#hold-deadline", extended, "延長済")
	b.wantText("#timeline", "取置期限を延長しました")
	b.shots("03-hold-extended")

	b.open("/holds/"+busy+"?lang=en", phoneWidth)
	b.wantText("#hold-extend", "Others are waiting for this title")
	b.shots("04-hold-others-waiting-en")

	staff := s.staffConsole()
	staff.open("/staff/hold-shelf", desktopWidth)
	for _, id := range []string{fromList, fromPage} {
		staff.wantText("#shelf-deadline-"+id, extended, "延長済")
	}
	if staff.exists("#shelf-extended-" + busy) {
		t.Error("the 予約棚 marks a hold 延長済 that was not extended")
	}
	staff.shots("05-hold-shelf-extended")
}
