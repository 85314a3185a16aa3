package e2e_test

// Counter requests at the desk in headless Chromium (harness: browser_harness_test.go): the console's
// 窓口リクエスト page (console/requests.go) and the 窓口予約 form's owned-title refusal.

import (
	"fmt"
	"testing"

	"yoyaku/domain"
)

// wantRefusalReasonSeen checks that the patron is told why their request was refused: the hold is cancelled
// by staff with the reason as its cancel_note, in their own hold list (GET /api/v1/holds) and on the row of
// their 予約状況 page, in their own browser.
func (s *stack) wantRefusalReasonSeen(p patron, holdID, reason string) {
	s.t.Helper()
	s.waitStatus(p, holdID, "cancelled")
	h, ok := s.patronHolds(p)[holdID]
	if !ok || h.CancelReason == nil || *h.CancelReason != "staff" || h.CancelNote == nil || *h.CancelNote != reason {
		s.t.Fatalf("the patron's hold list shows the refused request %s as %+v (listed %v), want cancel_note %q", holdID, h, ok, reason)
	}
	b := s.patronBrowser(p).b
	b.open("/holds", desktopWidth)
	b.wantText("#hold-"+holdID+" .cancel-note", reason)
}

// counterRequest places a request for a title not owned through the 窓口予約 form and returns its hold ID.
func (b *browser) counterRequest(card, title, isbn string) string {
	b.t.Helper()
	b.open("/staff/counter", desktopWidth)
	b.fill("#card-request", card)
	b.fill("#req-title", title)
	b.fill("#req-author", "窓口 著者")
	if isbn != "" {
		b.fill("#req-isbn", isbn)
	}
	b.clickNav("#counter-submit-request")
	b.wantText("#placed-status", "調査中")
	return b.text("#placed-id")
}

// TestBrowserCounterRequests: staff take two requests for titles the library does not own; the
// 窓口リクエスト page lists them with their age, the patron's 図書館利用券番号 and what was asked. One is
// ordered (選書中), then received as a newly catalogued title with its copy: the request is served and the
// hold goes on (利用可能 at the pickup branch). The other is refused with a reason — first without one,
// which is refused in red — and the patron sees the reason. A request for a title the library owns is
// refused with a normal hold on that title offered, which places it. Every screen at 1280 and 375 px.
func TestBrowserCounterRequests(t *testing.T) {
	s := newStack(t, nil)
	p, q := s.newPatron("none"), s.newPatron("none")
	b := s.staffConsole()

	ordered := b.counterRequest(fullWidthDigits(p.card), "発注して届く本 "+t.Name(), "978-4-999-00002-8")
	refused := b.counterRequest(q.card, "謝絶される本 "+t.Name(), "")
	s.wantPatronSees(p, ordered, "investigating", "調査中")

	// The list.
	b.clickNav("#nav-requests")
	b.wantText("h1", "窓口リクエスト", "中央図書館")
	b.wantText("#request-list thead", "図書館利用券番号")
	b.wantText("#request-"+ordered, "発注して届く本", "窓口 著者", "978-4-999-00002-8", p.card, "0日", "調査中")
	b.wantText("#request-"+refused, "謝絶される本", q.card)
	b.shots("01-requests")

	// 発注: 選書中, told once; a reload does not order again.
	b.clickNav("#order-btn-" + ordered)
	b.wantText("#request-done", ordered, "選書中")
	b.wantText("#request-status-"+ordered, "選書中")
	b.shots("02-ordered")
	b.open("/staff/requests", desktopWidth)
	if b.exists("#request-done") {
		t.Error("the order's answer is shown again after a reload")
	}
	s.wantPatronSees(p, ordered, "on_order", "選書中")

	// 受入 as a new title: the form is prefilled from the request.
	b.clickNav("#receive-btn-" + ordered)
	b.wantText("h1", "リクエストの受入")
	if got := b.value("#new-title"); got != "発注して届く本 "+t.Name() {
		t.Errorf("the new title's form reads %q", got)
	}
	b.fill("#new-publisher", "窓口出版")
	b.fill("#new-year", "2025")
	barcode := fmt.Sprintf("REQ-%d", p.id)
	b.fill("#new-barcode", barcode)
	b.shots("03-receive-form")
	b.clickNav("#receive-new-submit")
	b.wantText("#request-received", ordered)
	b.wantText("#routing-headline", "この館の予約棚へ")
	b.wantText("#routing-barcode", barcode)
	if b.exists("#request-" + ordered) {
		t.Error("the served request is still listed")
	}
	b.shots("04-received")
	served, _ := s.waitStatus(p, ordered, "ready")
	if served.TitleID == nil || served.StatusLabel != "利用可能" {
		t.Fatalf("the served request: %+v", served)
	}
	var linked string
	if err := s.db.GetContext(t.Context(), &linked, `SELECT title FROM titles WHERE id = $1`, *served.TitleID); err != nil || linked != "発注して届く本 "+t.Name() {
		t.Fatalf("the request was linked to %q (%v)", linked, err)
	}

	// 謝絶: a reason is required (refused in red, nothing changed), then given.
	b.allowProblems()
	if st := b.clickNav("#refuse-btn-" + refused); st != 200 || b.eval(`document.querySelector("#error").dataset.code`) != "invalid_request" {
		t.Errorf("a refusal without a reason = %d, want the list again (after a 303) with invalid_request", st)
	}
	b.allowProblems()
	b.wantText(".staff-error", "入力内容に誤りがあります。")
	b.shots("05-refuse-without-reason")
	s.wantPatronSees(q, refused, "investigating", "調査中")
	const reason = "絶版のため購入・相互貸借ともにできませんでした。"
	b.fill("#reason-"+refused, reason)
	b.clickNav("#refuse-btn-" + refused)
	b.wantText("#request-done", refused)
	b.wantText("#request-done-reason", reason)
	b.wantText("#request-empty", "該当する資料はありません。")
	b.shots("06-refused")
	s.wantRefusalReasonSeen(q, refused, reason)

	// A request for a title the library owns (by its ISBN-10, typed with hyphens): refused, the normal
	// hold offered and placed.
	owned, copies := s.title(domain.FormatBook, copySpec{branch: "chuo"})
	if _, err := s.db.ExecContext(t.Context(), `UPDATE titles SET isbn = '9784003101018' WHERE id = $1`, owned); err != nil {
		t.Fatal(err)
	}
	b.open("/staff/counter", desktopWidth)
	b.fill("#card-request", p.card)
	b.fill("#req-title", "持っている本")
	isbn10 := domain.ISBNForms("9784003101018")[1]
	b.fill("#req-isbn", isbn10[:1]+"-"+isbn10[1:3]+"-"+isbn10[3:9]+"-"+isbn10[9:])
	b.allowProblems()
	if st := b.clickNav("#counter-submit-request"); st != 200 || b.eval(`document.querySelector("#error").dataset.code`) != "owned_title" {
		t.Errorf("a request for an owned title = %d, want the form again (after a 303) with owned_title", st)
	}
	b.allowProblems()
	b.wantText(".staff-error", "この資料は所蔵しています")
	b.wantText("#owned-offer", owned, "試験資料")
	b.shots("07-owned-title")
	b.clickNav("#owned-hold-submit")
	b.wantText("#placed-card", p.card)
	b.wantText("#placed-title", "試験資料")
	b.wantText("#placed-status", "確認待ち")
	b.shots("08-owned-title-held")
	var placed string
	if err := s.db.GetContext(t.Context(), &placed, `SELECT id::text FROM holds WHERE title_id = $1 AND patron_id = $2 AND origin = 'counter'`, owned, p.id); err != nil {
		t.Fatalf("the normal hold on the owned title: %v", err)
	}
	s.wantPatronSees(p, placed, "awaiting_pull", "確認待ち")

	// The 窓口予約 form finds a title by a copy's barcode and holds the one chosen.
	b.open("/staff/counter", desktopWidth)
	b.fill("#counter-find-q", copies[0])
	b.fill("#counter-find-card", q.card)
	b.clickNav("#counter-find-submit")
	b.wantText("#found-"+owned, "試験資料")
	b.shots("09-counter-find")
	b.clickNav("#choose-" + owned)
	b.wantText("#chosen-title", "試験資料")
	if b.value("#title-id") != owned || b.value("#card-title") != q.card {
		t.Fatalf("the chosen title's form reads title %q, card %q", b.value("#title-id"), b.value("#card-title"))
	}
	b.clickNav("#counter-submit-title")
	b.wantText("#placed-card", q.card)
	b.wantText("#placed-status", "返却待ち") // the only copy is set aside for the first hold
}
