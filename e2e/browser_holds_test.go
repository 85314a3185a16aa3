package e2e_test

// 予約状況 explained, in headless Chromium on a real stack (harness: browser_harness_test.go): holds driven
// into several statuses through the real API and staff scans, the guide's explanation of every status word
// shown, the ready hold first, and the hold page's timeline.

import (
	"fmt"
	"strings"
	"testing"
)

// TestBrowserHoldsExplained: a phone patron holds four titles — one whose copy is on loan (返却待ち), one that
// becomes ready by a check-in and is called twice (不在, then 留守電), one that travels from 北図書館 (配送中),
// one free on the shelf (確認待ち) — and has a counter request staff refuse with a reason. 予約状況 lists the
// ready hold first, highlighted with its 受取館, 連絡日 and 取置期限; every status word shown is explained
// beside it and in the 状態表示/説明 list; holds without buttons say why; the refusal shows staff's reason;
// the hold waiting for the copy on loan shows 用意できる目安; the hold page shows the timeline with the calls. Screenshots at 375 and 1280 px, no sideways scrolling.
func TestBrowserHoldsExplained(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("phone")

	waitingTitle, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	waiting := s.placeOne(p, "chuo", waitingTitle)
	s.waitStatus(p, waiting, "awaiting_return")

	ready := s.readyByCheckin(p)
	s.waitCallListed(ready)
	for _, outcome := range []string{"no_answer", "voicemail"} {
		var h hold
		s.mustDo("POST", "/api/v1/staff/holds/"+ready+"/call", s.staff, map[string]string{"outcome": outcome}, 200, &h)
	}
	readyHold, _ := s.waitStatus(p, ready, "ready")
	if readyHold.ContactDate == nil || readyHold.PickupDeadline == nil {
		t.Fatalf("after 留守電 the ready hold has no contact date or deadline: %+v", readyHold)
	}

	transitTitle, transitCopies := s.title("book", copySpec{branch: "kita", onLoan: true})
	transit := s.placeOne(p, "chuo", transitTitle)
	s.waitStatus(p, transit, "awaiting_return")
	if r := s.scan("checkin", transitCopies[0], "kita"); r.Action != "transit" {
		t.Fatalf("check-in at kita = %+v, want transit", r)
	}
	s.waitStatus(p, transit, "in_transit")

	shelfTitle, _ := s.title("book", copySpec{branch: "chuo"})
	pull := s.placeOne(p, "chuo", shelfTitle)
	s.waitStatus(p, pull, "awaiting_pull")

	var refused hold
	s.mustDo("POST", "/api/v1/staff/holds", s.staff, map[string]any{"card_number": p.card, "pickup_branch": "chuo",
		"request": map[string]string{"title": "入手できない本 " + t.Name()}}, 200, &refused)
	s.waitStatus(p, refused.ID, "investigating")
	s.mustDo("POST", "/api/v1/staff/holds/"+refused.ID+"/refuse", s.staff, map[string]string{"reason": "絶版のため入手できませんでした"}, 200, &refused)
	s.waitStatus(p, refused.ID, "cancelled")

	pp := s.patronBrowser(p)
	b := pp.b
	b.open("/holds", phoneWidth)
	b.wantText("h1", "予約状況")

	// The ready hold first, highlighted, with its pickup place, contact date and deadline.
	if first := b.eval(`document.querySelector("#holds tbody tr").id`); first != "hold-"+ready {
		t.Fatalf("the first row is %s, want the ready hold %s", first, ready)
	}
	if !b.exists("#hold-" + ready + ".ready") {
		t.Fatal("the ready row is not highlighted")
	}
	b.wantText("#ready-"+ready, "中央図書館", *readyHold.ContactDate, *readyHold.PickupDeadline)

	// Every status word shown is explained beside it, in the guide's words, and in the list.
	explained := map[string]string{
		"利用可能": "受取館に用意されており、ご利用ができる状態です",
		"返却待ち": "予約待ち順位が 1 番目の表示です",
		"配送中":  "受取館に配送している状態です",
		"確認待ち": "資料を確保するまで表示されます",
		"取消":   "予約取消をした資料が表示されます",
	}
	rows := b.count("#holds tbody tr")
	if rows != 5 {
		t.Fatalf("%d rows on 予約状況, want 5", rows)
	}
	for i := 0; i < rows; i++ {
		row := fmt.Sprintf("#holds tbody tr:nth-child(%d)", i+1)
		word := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(b.text(row+" .status-label")), "(詳細)"))
		want, ok := explained[word]
		if !ok {
			t.Fatalf("row %d shows the status %q, not one this test expects", i+1, word)
		}
		b.wantText(row+" .cell-status", want)
		if !strings.Contains(b.eval(`document.querySelector("#status-explain").textContent`), word) {
			t.Errorf("the 状態表示/説明 list lacks %s", word)
		}
	}
	b.wantText("#hold-"+ready+" .cell-actions", "すでに「利用可能」として用意されている資料は")
	b.wantText("#hold-"+transit+" .cell-actions", "「配送中」の資料は")
	b.wantText("#hold-"+refused.ID+" .cell-status", "図書館からの連絡: 絶版のため入手できませんでした")
	// 用意できる目安 beside the hold waiting for the copy on loan, and no estimate on the others.
	b.wantText("#hold-"+waiting+" .estimate", "用意できる目安：", "ごろ", "前に 0 件の予約があり、貸出できる資料は 1 冊です。")
	if n := b.count("#holds .estimate"); n != 1 {
		t.Errorf("%d estimates on 予約状況, want 1 (the 返却待ち hold's)", n)
	}
	if !b.exists("#change-"+waiting) || !b.exists("#cancel-"+pull) {
		t.Fatal("a web hold still waiting has no 予約内容変更 / 予約取消")
	}
	b.wantPageText("資料の手配には、時間がかかります")
	b.click("#status-explain summary")
	b.wantText("#status-explain", "状態表示", "「本人取消」", "「期限切れ」")
	b.shots("01-holds")
	noSideways(b)

	// The hold page: the timeline from placement to the calls and the contact date.
	b.clickNav("#detail-" + ready)
	b.wantText("h1", "予約詳細")
	b.wantText("#hold-status", "利用可能")
	b.wantText("#timeline", "予約を受け付けました", "予約が承認されました", "返却された資料を確保しました",
		"電話をしましたが、ご不在でした", "電話をしました（留守番電話に伝言）", "連絡日")
	if n := b.count("#timeline li.call"); n != 2 {
		t.Errorf("%d calls on the timeline, want 2", n)
	}
	b.shots("02-hold")
	noSideways(b)

	// In English too.
	b.open("/holds?lang=en", phoneWidth)
	b.wantText("#hold-"+ready+" .cell-status", "Ready for you at your pickup place")
	b.wantText("#ready-holds", "Ready for you")
	b.shots("03-holds-en")
	b.open("/holds/"+ready, phoneWidth)
	b.wantText("#timeline", "We called; there was no answer", "We called and left a message")
	b.shots("04-hold-en")
}

// noSideways fails when the page scrolls sideways at 375 or 1280 px (the document wider than its viewport).
func noSideways(b *browser) {
	b.t.Helper()
	was := b.width
	for _, w := range []int{phoneWidth, desktopWidth} {
		b.setWidth(w)
		var sw, cw int
		fmt.Sscan(b.eval(`document.documentElement.scrollWidth + " " + document.documentElement.clientWidth`), &sw, &cw)
		if sw > cw {
			b.t.Errorf("%s scrolls sideways at %d px: scrollWidth %d > clientWidth %d", b.where(), w, sw, cw)
		}
	}
	b.setWidth(was)
}
