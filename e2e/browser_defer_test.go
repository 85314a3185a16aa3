package e2e_test

// 順番を譲る (順位の繰下げ) from the patron pages, in headless Chromium on a real stack (harness:
// browser_harness_test.go).

import (
	"fmt"
	"testing"
	"time"
)

// TestBrowserDefer: a patron whose hold is ready lets the next go first from the hold page: the copy goes to
// the next patron (ready at once, one ready mail) and the hold is 返却待ち again, its timeline saying
// 次の方に順番を譲りました; then, from 予約状況, the patron lets the last one in line go first too and is
// 順番待ち 2, with no 順番を譲る left (nobody behind). Screenshots at 375 and 1280 px, no sideways scrolling.
func TestBrowserDefer(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "kita", onLoan: true})
	p, next, last := s.newPatron("email"), s.newPatron("email"), s.newPatron("email")
	id := s.placeOne(p, "chuo", titleID)
	hn := s.placeOne(next, "chuo", titleID)
	hl := s.placeOne(last, "chuo", titleID)
	s.waitStatus(last, hl, "waiting")
	s.scan("checkin", copies[0], "chuo")
	s.waitStatus(p, id, "ready")
	s.waitDeadline(p, id)

	pp := s.patronBrowser(p)
	b := pp.b
	b.open("/holds/"+id, phoneWidth)
	b.wantText("#hold-status", "利用可能")
	b.wantText("#hold-defer", "順番を譲る", "後ろで待っている方に先を譲り")
	b.shots("01-hold-ready")
	b.clickNav("#defer-" + id)
	if b.path() != "/holds/"+id+"?done=defer" {
		t.Fatalf("after 順番を譲る the page is %s, want the hold page", b.path())
	}
	b.wantText("#page-message", "次の方に順番を譲りました")
	b.wantText("#hold-status", "返却待ち", "1")
	b.wantText("#timeline", "次の方に順番を譲りました")
	b.shots("02-hold-deferred")
	noSideways(b)
	s.waitStatus(next, hn, "ready")
	s.mail.WaitFor(t, `to:"`+next.emails[0]+`"`, 1, 15*time.Second)

	// From 予約状況: behind the last one in line as well.
	b.open("/holds", phoneWidth)
	b.wantText("#hold-"+id+" .cell-actions", "順番を譲る")
	b.shots("03-holds-before")
	b.clickNav("#defer-" + id)
	if b.path() != "/holds?done=defer" {
		t.Fatalf("after 順番を譲る the page is %s, want 予約状況", b.path())
	}
	b.wantText("#page-message", "次の方に順番を譲りました")
	b.wantText("#hold-"+id+" .cell-status", "順番待ち")
	if pos := b.text(fmt.Sprintf("#hold-%s td:nth-child(3)", id)); pos != "2" {
		t.Errorf("position after letting the last one go first: %q, want 2", pos)
	}
	if b.exists("#defer-" + id) {
		t.Error("順番を譲る is offered with nobody behind")
	}
	b.shots("04-holds-deferred")
	noSideways(b)
	if h := s.getHold(last, hl); h.Status != "awaiting_return" || h.Position == nil || *h.Position != 1 {
		t.Fatalf("the hold let go first: %+v, want 返却待ち 1", h)
	}
	if n := len(s.mail.Messages(t, `to:"`+next.emails[0]+`"`)); n != 1 {
		t.Fatalf("%d ready mails to the next patron, want 1", n)
	}

	// In English too.
	b.open("/holds/"+id+"?lang=en", phoneWidth)
	b.wantText("#timeline", "You let the next in line go first")
}
