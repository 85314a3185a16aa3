package e2e_test

// The staff console in headless Chromium (harness: browser_harness_test.go): a desk's day with one hold,
// from the return of the copy at another branch to the pick-up, with the patron's view after each step.

import (
	"fmt"
	"strconv"
	"testing"

	"yoyaku/domain"
)

// patronHolds is the patron's hold list (GET /api/v1/holds), by hold ID.
func (s *stack) patronHolds(p patron) map[string]hold {
	s.t.Helper()
	var list struct{ Holds []hold }
	s.mustDo("GET", "/api/v1/holds", p.token, nil, 200, &list)
	out := map[string]hold{}
	for _, h := range list.Holds {
		out[h.ID] = h
	}
	return out
}

// wantPatronSees checks the patron's own hold list (GET /api/v1/holds) shows the hold with this status label.
func (s *stack) wantPatronSees(p patron, id, status, label string) {
	s.t.Helper()
	s.waitStatus(p, id, status)
	h, ok := s.patronHolds(p)[id]
	if !ok || h.StatusLabel != label {
		s.t.Fatalf("the patron's hold list shows hold %s as %+v (listed %v), want %s", id, h, ok, label)
	}
}

// patronPage is a patron's browser on the patron web pages (package opac), logged in.
type patronPage struct {
	b *browser
	p patron
}

func (s *stack) patronBrowser(p patron) patronPage {
	s.t.Helper()
	b := newBrowser(s.t, s.url)
	b.open("/login", phoneWidth)
	b.fill("#card", p.card)
	b.fill("#password", "test-pass-1")
	b.clickNav("#login-submit")
	return patronPage{b: b, p: p}
}

// sees checks the patron's 予約状況 page (/holds) shows the hold with this status label (label "" : the hold
// is not listed any more), and photographs it.
func (pp patronPage) sees(holdID, label, shot string) {
	pp.b.t.Helper()
	pp.b.open("/holds", phoneWidth)
	pp.b.wantText("h1", "予約状況")
	if label == "" {
		if pp.b.exists("#hold-" + holdID) {
			pp.b.t.Fatalf("the patron's 予約状況 still lists hold %s: %s", holdID, pp.b.text("#hold-"+holdID))
		}
	} else {
		pp.b.wantText("#hold-"+holdID+" .cell-status", label)
	}
	pp.b.screenshot(shot)
}

// fontPx is the computed font size of an element, in CSS pixels.
func (b *browser) fontPx(sel string) float64 {
	b.t.Helper()
	v, err := strconv.ParseFloat(b.eval(fmt.Sprintf(`String(parseFloat(getComputedStyle(document.querySelector(%q)).fontSize))`, sel)), 64)
	if err != nil {
		b.t.Fatalf("font size of %s: %v", sel, err)
	}
	return v
}

// TestBrowserStaffJourney: a patron (phone contact) holds a title whose only copy is on loan, for pick-up
// at the central library. Staff log in to the console; at 北図書館 they check the returned copy in and the
// console says in large type 「中央図書館 へ配送」; at 中央図書館 they receive it (利用可能), call the patron
// (連絡済), see it on the hold shelf with its deadline, refuse it to another patron, and check it out to the
// holder with a full-width card number (the due date shows). The patron's 予約状況 page (in a second
// browser, on a phone) and hold list (GET /api/v1/holds) follow each step: 返却待ち → 配送中 → 利用可能 → gone. On the way: the pull list (確保 of a set-aside copy) and a counter
// request for a title the library does not own (調査中). Every screen is photographed at 1280 and 375 px.
func TestBrowserStaffJourney(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title(domain.FormatBook, copySpec{branch: "kita", onLoan: true})
	barcode := copies[0]
	p := s.newPatron("phone")
	holdID := s.placeOne(p, "chuo", titleID)
	s.wantPatronSees(p, holdID, "awaiting_return", "返却待ち")
	patronView := s.patronBrowser(p) // the patron follows the hold on 予約状況, on a phone
	patronView.sees(holdID, "返却待ち", "patron-1-awaiting-return")

	// A second title with a free copy on chuo's shelf, held for pick-up at kita: it is on chuo's pull list.
	pullTitle, pullCopies := s.title(domain.FormatBook, copySpec{branch: "chuo"})
	q := s.newPatron("none")
	pullHold := s.placeOne(q, "kita", pullTitle)
	s.waitStatus(q, pullHold, "awaiting_pull")

	b := newBrowser(t, s.url)

	// 職員ログイン: the console sends a browser without a session to its login page.
	b.open("/staff/", desktopWidth)
	b.wantText("h1", "職員ログイン")
	b.shots("01-login")
	b.fill("#login", "staff")
	b.fill("#password", "wrong-password")
	b.allowProblems() // Chromium logs the 401 document as a console error
	if st := b.clickNav("#staff-login-submit"); st != 401 {
		t.Fatalf("wrong password = %d, want 401", st)
	}
	b.allowProblems()
	b.wantText(".staff-error", "職員IDまたはパスワードが正しくありません。")
	if got := b.eval(`document.activeElement.id`); got != "password" {
		t.Errorf("after a wrong password the focus is on %q, want the password field", got)
	}
	b.shots("02-login-refused")
	b.fill("#password", "staff-demo")
	b.clickNav("#staff-login-submit")
	b.wantText("h1", "業務メニュー")
	b.wantText("#desk-branch-name", "中央図書館") // the staff member's own branch

	// The desk is at 北図書館.
	b.clickNav("#branch-kita")
	b.wantText("#desk-branch-name", "北図書館")
	b.wantText("#branch-changed", "北図書館")
	b.shots("03-home-kita")

	// 返却処理 at kita: the copy travels to the pickup place.
	b.clickNav("#nav-checkin")
	b.wantText("h1", "返却処理")
	if got := b.eval(`document.activeElement.id`); got != "barcode" {
		t.Errorf("the barcode field has no focus on the check-in page (focus on %q)", got)
	}
	b.fill("#barcode", barcode)
	b.clickNav("#checkin-submit")
	b.wantText("#routing-headline", "中央図書館 へ配送")
	b.wantText("#routing-hold", holdID)
	if px := b.fontPx("#routing-headline"); px < 40 {
		t.Errorf("the routing answer is %.0f px at 1280 px, want large type (≥ 40 px)", px)
	}
	if got := b.eval(`document.activeElement.id`); got != "barcode" {
		t.Errorf("after a scan the barcode field has no focus (focus on %q)", got)
	}
	b.shots("04-checkin-transit")
	s.wantPatronSees(p, holdID, "in_transit", "配送中")
	patronView.sees(holdID, "配送中", "patron-2-in-transit")

	// An unknown barcode is refused in red, with the API's message.
	b.fill("#barcode", "NOSUCH-0001")
	b.allowProblems()
	if st := b.clickNav("#checkin-submit"); st != 200 || b.eval(`document.querySelector("#error").dataset.code`) != "not_found" {
		t.Errorf("unknown copy = %d, want the page again (after a 303) with not_found", st)
	}
	b.allowProblems()
	b.wantText(".staff-error", "お探しのものは見つかりません。")
	if color := b.eval(`getComputedStyle(document.querySelector(".staff-error")).color`); color != "rgb(196, 30, 30)" {
		t.Errorf("the refusal is in %s, want red", color)
	}
	b.shots("05-checkin-refused")

	// The desk moves to 中央図書館.
	b.clickNav("#desk-branch")
	b.clickNav("#branch-chuo")
	b.wantText("#desk-branch-name", "中央図書館")
	b.wantText("#op-pull_list", "確保待ち 1 件")
	b.shots("06-home-chuo")

	// 確保リスト: the set-aside copy of the other hold is secured and goes to kita.
	b.clickNav("#nav-pull_list")
	b.wantText("#pull-list", pullCopies[0], pullHold, "北図書館")
	b.shots("07-pull-list")
	b.clickNav("#pull-btn-" + pullCopies[0])
	b.wantText("#routing-headline", "北図書館 へ配送")
	b.wantText("#routing-hold", pullHold)
	if b.exists("#pull-" + pullCopies[0]) {
		t.Error("the secured copy is still on the pull list")
	}
	b.shots("08-pull-secured")
	s.waitStatus(q, pullHold, "in_transit")

	// 配送受入: the copy from kita arrives; the hold is ready.
	b.clickNav("#nav-receive")
	b.fill("#barcode", barcode)
	b.clickNav("#receive-submit")
	b.wantText("#received-headline", "この館の予約棚へ")
	b.wantText("#received-status", holdID, "利用可能")
	b.shots("09-receive")
	s.wantPatronSees(p, holdID, "ready", "利用可能")
	patronView.sees(holdID, "利用可能", "patron-3-ready")

	// 連絡リスト: the patron wants a phone call.
	b.clickNav("#nav-call_list")
	b.wantText("#call-"+holdID, p.card, p.name, p.phone)
	b.shots("10-call-list")
	b.clickNav("#contacted-btn-" + holdID)
	b.wantText("#contacted-done", holdID, s.today())
	if b.exists("#call-" + holdID) {
		t.Error("the called patron is still on the call list")
	}
	b.shots("11-call-list-contacted")
	if h := s.getHold(p, holdID); h.ContactDate == nil || *h.ContactDate != s.today() {
		t.Fatalf("contact date %v after the call, want %s", h.ContactDate, s.today())
	}

	// 予約棚: the copy with its deadline (1 week counting the contact date).
	b.clickNav("#nav-hold_shelf")
	b.wantText("#shelf-"+holdID, barcode, p.card, s.todayPlus(6))
	b.shots("12-hold-shelf")

	// 貸出: another patron may not take it; the holder may, with a full-width card number.
	b.clickNav("#nav-checkout")
	b.fill("#card_number", fullWidthDigits(q.card))
	b.fill("#barcode", barcode)
	b.allowProblems()
	if st := b.clickNav("#checkout-submit"); st != 200 || b.eval(`document.querySelector("#error").dataset.code`) == "" {
		t.Errorf("checkout to another patron = %d, want the page again (after a 303) with the refusal's code", st)
	}
	b.allowProblems()
	b.wantText(".staff-error", "この資料は他の利用者の予約資料です。")
	b.shots("13-checkout-refused")
	b.fill("#card_number", fullWidthDigits(p.card))
	b.fill("#barcode", barcode)
	b.clickNav("#checkout-submit")
	b.wantText("#due-date", "返却期限 20")
	b.wantText("#loan-message", holdID)
	if b.value("#card_number") != p.card {
		t.Errorf("the card number field reads %q after the checkout, want %s kept for the next item", b.value("#card_number"), p.card)
	}
	b.shots("14-checkout")
	s.waitStatus(p, holdID, "fulfilled")
	if h, listed := s.patronHolds(p)[holdID]; listed {
		t.Fatalf("the picked-up hold is still in the patron's list: %+v", h)
	}
	patronView.sees(holdID, "", "patron-4-picked-up")
	b.clickNav("#nav-hold_shelf")
	if b.exists("#shelf-" + holdID) {
		t.Error("the picked-up hold is still on the hold shelf")
	}

	// 窓口予約: a request for a title the library does not own is investigated (調査中).
	b.clickNav("#nav-counter")
	b.shots("15-counter")
	b.fill("#card-request", fullWidthDigits(p.card))
	b.fill("#req-title", "図書館にない本 "+t.Name())
	b.fill("#req-author", "未所蔵 著者")
	b.clickNav("#counter-submit-request")
	b.wantText("#placed-status", "調査中")
	b.wantText("#placed-card", p.card)
	b.wantText("#placed-pickup", "中央図書館")
	b.shots("16-counter-placed")
	counterHold := b.text("#placed-id")
	if h := s.getHold(p, counterHold); h.Status != "investigating" || h.Origin != "counter" {
		t.Fatalf("counter hold %s: %+v", counterHold, h)
	}
}

// TestBrowserStaffHoldShelfExpiry: with a short pickup window a ready hold expires on the shelf; the hold
// shelf shows it as 期限切れ (highlighted), and clearing it checks the copy in, which sends it to the next
// patron's hold on this branch's shelf.
func TestBrowserStaffHoldShelfExpiry(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_PICKUP_WINDOW": "3s"})
	titleID, copies := s.title(domain.FormatBook, copySpec{branch: "chuo", onLoan: true})
	a, next := s.newPatron("none"), s.newPatron("none")
	ha := s.placeOne(a, "chuo", titleID)
	hn := s.placeOne(next, "chuo", titleID)
	s.waitStatus(next, hn, "waiting")

	b := s.staffConsole()

	// The return goes to this branch's hold shelf for the first hold.
	b.clickNav("#op-checkin")
	b.fill("#barcode", copies[0])
	b.clickNav("#checkin-submit")
	b.wantText("#routing-headline", "この館の予約棚へ")
	b.wantText("#routing-hold", ha)
	b.shots("01-checkin-hold-shelf")
	s.waitStatus(a, ha, "ready")

	// Not collected in time: 期限切れ, highlighted on the shelf.
	h, _ := s.waitStatus(a, ha, "cancelled")
	if h.StatusLabel != "期限切れ" {
		t.Fatalf("expired hold: %+v", h)
	}
	s.waitStatus(next, hn, "awaiting_pull")
	b.clickNav("#nav-hold_shelf")
	b.wantText("#shelf-"+ha, "期限切れ", copies[0], a.card)
	b.wantText("#expired-count", "期限切れ 1 件")
	if bg := b.eval(`getComputedStyle(document.querySelector("#shelf-` + ha + ` td")).backgroundColor`); bg != "rgb(253, 238, 238)" {
		t.Errorf("the expired row's background is %s, want the error highlight", bg)
	}
	b.shots("02-hold-shelf-expired")

	// Meanwhile the copy is set aside for the next hold: it is on the pull list too.
	b.clickNav("#nav-pull_list")
	b.wantText("#pull-list", copies[0], hn)
	b.shots("03-pull-list")

	// Clearing the shelf checks the copy in: it is set aside for the next hold, on this shelf.
	b.clickNav("#nav-hold_shelf")
	b.clickNav("#clear-btn-" + ha)
	b.wantText("h1", "返却処理")
	b.wantText("#routing-headline", "この館の予約棚へ")
	b.wantText("#routing-hold", hn)
	b.shots("04-cleared")
	s.waitStatus(next, hn, "ready")
	b.clickNav("#nav-hold_shelf")
	if b.exists("#shelf-" + ha) {
		t.Error("the cleared expired hold is still on the hold shelf")
	}
	b.wantText("#shelf-"+hn, copies[0], next.card)
	b.shots("05-hold-shelf-next")
}
