package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// journeyTitle is a title the patron journey creates through the staff API, with its copies.
type journeyTitle struct {
	id       string
	barcodes []string
}

// journeyFixture creates a title (POST /api/v1/staff/titles) and its copies: one per branch, on the shelf,
// or on loan with onLoan.
func (s *stack) journeyFixture(body map[string]any, onLoan bool, branches ...string) journeyTitle {
	s.t.Helper()
	var created struct{ ID string }
	s.mustDo("POST", "/api/v1/staff/titles", s.staff, body, 201, &created)
	jt := journeyTitle{id: created.ID}
	ctx := s.t.Context()
	var lender int64
	if err := s.db.GetContext(ctx, &lender, `SELECT id FROM patrons WHERE card_number = '1000100'`); err != nil {
		s.t.Fatal(err)
	}
	for i, b := range branches {
		bc := fmt.Sprintf("J%s-%d", created.ID, i)
		status := "on_shelf"
		if onLoan {
			status = "on_loan"
		}
		s.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, $3, $3, $4)`,
			bc, created.ID, b, status)
		if onLoan {
			s.db.MustExecContext(ctx, `INSERT INTO loans (barcode, patron_id, branch, due_date) VALUES ($1, $2, $3, now() + interval '7 days')`,
				bc, lender, b)
		}
		jt.barcodes = append(jt.barcodes, bc)
	}
	return jt
}

// fullWidthDigits writes ASCII digits as full-width ones (１２３), as a patron's phone keyboard may.
func fullWidthDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r += '０' - '0'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// webHoldsByTitle is the patron's holds (JSON API) keyed by title ID.
func (s *stack) webHoldsByTitle(p patron) map[string]hold {
	s.t.Helper()
	var r struct{ Holds []hold }
	s.mustDo("GET", "/api/v1/holds", p.token, nil, 200, &r)
	out := map[string]hold{}
	for _, h := range r.Holds {
		if h.TitleID != nil {
			out[*h.TitleID] = h
		}
	}
	return out
}

// TestBrowserPatronJourney walks the library guide's patron journey in headless Chromium on a real stack
// (API, worker, Temporal, PostgreSQL): log in with a full-width card number, search in Japanese, add
// titles to the basket from the results and from 資料詳細, place normal holds (a DVD refused at a facility:
// 指定の館では受け取れません。) and a series hold, follow 予約状況, change the pickup place, cancel, turn
// holds into a series hold, and set the contact method. Every screen is photographed at 375 and 1280 px
// (screenshots/TestBrowserPatronJourney/) and checked for sideways scrolling at 375 px.
func TestBrowserPatronJourney(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_CANCEL_APPROVAL_DELAY": "1h"})
	p := s.newPatron("none")

	book := func(title, reading string, series string, vol int) map[string]any {
		m := map[string]any{"title": title, "title_reading": reading, "author": "夢見 太郎", "author_reading": "ゆめみ たろう",
			"publisher": "ゆめみ書房", "year": 2021, "format": "book"}
		if series != "" {
			m["series"] = map[string]any{"name": series, "volume": vol}
		}
		return m
	}
	cook1 := s.journeyFixture(book("ゆめみる料理帖 一", "ゆめみるりょうりちょう 1", "ゆめみる料理帖", 1), false, "chuo")
	cook2 := s.journeyFixture(book("ゆめみる料理帖 二", "ゆめみるりょうりちょう 2", "ゆめみる料理帖", 2), false, "kita")
	diary := s.journeyFixture(book("ゆめみる日記", "ゆめみるにっき", "", 0), true, "minami")
	poems := s.journeyFixture(book("ゆめみる詩集", "ゆめみるししゅう", "", 0), false, "hikari")
	adv1 := s.journeyFixture(book("ゆめみる図書館の冒険 上", "ゆめみるとしょかんのぼうけん じょう", "ゆめみる図書館の冒険", 1), false, "chuo")
	adv2 := s.journeyFixture(book("ゆめみる図書館の冒険 下", "ゆめみるとしょかんのぼうけん げ", "ゆめみる図書館の冒険", 2), false, "chuo")
	dvd := s.journeyFixture(map[string]any{"title": "ゆめみる図書館の冒険 映像版", "title_reading": "ゆめみるとしょかんのぼうけん えいぞうばん",
		"publisher": "ゆめみ映像", "year": 2022, "format": "dvd"}, false, "chuo")
	ref := s.journeyFixture(map[string]any{"title": "ゆめみる大事典", "title_reading": "ゆめみるだいじてん", "publisher": "ゆめみ書房",
		"year": 2019, "format": "book", "reference_only": true}, false, "chuo")
	etext := s.journeyFixture(map[string]any{"title": "ゆめみる物語 電子版", "title_reading": "ゆめみるものがたり でんしばん",
		"format": "etext", "url": "https://example.jp/yumemiru"}, false)

	b := newBrowser(t, s.url)

	// The top page, logged out: ログイン, and a search box.
	b.open("/", phoneWidth)
	b.wantText("#login-link", "ログイン")
	b.wantPageText("資料検索", "詳細蔵書検索", "予約かご", "予約状況", "利用者情報変更")
	b.shots("01-top")

	// ログイン with the card number in full-width digits.
	b.clickNav("#login-link")
	b.wantText("h1", "ログイン")
	b.wantPageText("図書館利用券番号は7桁の数字です。")
	b.fill("#card", "1234")
	b.fill("#password", "test-pass-1")
	b.clickNav("#login-submit")
	b.wantText("#page-message", "7桁")
	b.shots("02-login-error")
	b.fill("#card", fullWidthDigits(p.card))
	b.fill("#password", "test-pass-1")
	b.clickNav("#login-submit")
	if got := b.path(); got != "/" {
		t.Fatalf("after login at %s, want the top page", got)
	}
	b.wantText("#logout", "ログアウト")
	b.wantPageText(p.name)
	b.shots("03-top-logged-in")

	// 資料検索 in Japanese: 検索結果一覧 with a checkbox per holdable title; 禁帯出 and the e-text have none.
	b.fill("#q", "ゆめみる")
	b.clickNav("#search-submit")
	b.wantText("h1", "検索結果一覧")
	b.wantText("#result-count", "9 件")
	for _, id := range []string{cook1.id, cook2.id, diary.id, poems.id, adv1.id, adv2.id, dvd.id} {
		if !b.exists("#pick-" + id) {
			t.Fatalf("no checkbox for title %s in the results", id)
		}
	}
	if b.exists("#pick-"+ref.id) || b.exists("#pick-"+etext.id) {
		t.Fatal("a reference-only title or an e-text has a checkbox")
	}
	b.wantPageText("禁帯出", "電子テキスト")
	b.shots("04-results")

	// 予約かごへ with nothing checked: red message on the results.
	b.clickNav("#to-basket")
	b.wantText("#page-message", "資料を選択してください。")

	// Bulk add from the results.
	for _, id := range []string{cook1.id, cook2.id, diary.id, dvd.id, adv1.id, adv2.id} {
		b.setChecked("#pick-"+id, true)
	}
	b.clickNav("#to-basket")
	b.wantText("h1", "予約かご")
	b.wantText("#page-message", "6 点を予約かごに入れました。")

	// 資料詳細: copies per branch; 予約かごへ for a holdable title, 禁帯出 and the e-text's link otherwise.
	b.open("/titles/"+ref.id, phoneWidth)
	b.wantText("#not-holdable", "禁帯出")
	if b.exists("#to-basket") {
		t.Fatal("a reference-only title has 予約かごへ")
	}
	b.shots("05-detail-reference-only")
	b.open("/titles/"+etext.id, phoneWidth)
	if b.exists("#to-basket") || !b.exists("#etext-link") {
		t.Fatal("an e-text must have its link and no 予約かごへ")
	}
	b.open("/titles/"+poems.id, phoneWidth)
	b.wantText("#title-name", "ゆめみる詩集")
	b.wantText("#copies", "ひかり公民館図書室", "貸出可")
	b.shots("06-detail")
	b.clickNav("#to-basket")
	b.wantText("#page-message", "1 点を予約かごに入れました。")

	// 予約かご: the guide's red messages when the patron cannot go on.
	b.shots("07-basket")
	b.clickNav("#place-normal")
	b.wantText("#page-message", "資料を選択してください。")
	b.setChecked("#pick-"+cook1.id, true)
	b.clickNav("#place-normal")
	b.wantText("#page-message", "予約受取館/場所を選択してください。")
	b.shots("08-basket-error")

	// 全選択 works without JavaScript: the page comes back with every title checked.
	b.clickNav("#select-all")
	for _, id := range []string{cook1.id, cook2.id, diary.id, poems.id, dvd.id, adv1.id, adv2.id} {
		if !b.checked("#pick-" + id) {
			t.Fatalf("全選択 left %s unchecked", id)
		}
	}
	// 通常予約 of four books and the DVD at a facility: the DVD is refused there.
	b.setChecked("#pick-"+adv1.id, false)
	b.setChecked("#pick-"+adv2.id, false)
	b.selectOption("#pickup", "hikari")
	b.clickNav("#place-normal")
	b.wantText("h1", "予約内容確認")
	b.wantText("#confirm-pickup", "ひかり公民館図書室")
	b.wantText("#confirm-mode", "通常予約")
	b.shots("09-confirm")
	b.clickNav("#place-confirm")
	b.wantText("h1", "予約結果")
	b.wantText("#placed", "以下のタイトルについて予約を行いました", "ゆめみる料理帖 一", "ゆめみる料理帖 二", "ゆめみる日記", "ゆめみる詩集")
	b.wantText("#rejected", "以下のタイトルは予約を行うことができません", "ゆめみる図書館の冒険 映像版", "【理由】", "指定の館では受け取れません。")
	b.shots("10-result")

	// The refused DVD stays in the basket; the held titles left it.
	b.open("/basket", phoneWidth)
	if !b.exists("#pick-"+dvd.id) || b.exists("#pick-"+cook1.id) || b.count(`input[name="title_id"]`) != 3 {
		t.Fatalf("basket after placing: %s", b.text("#basket-form"))
	}
	// シリーズ予約 of 上・下 at a library, in reading order.
	b.setChecked("#pick-"+adv1.id, true)
	b.setChecked("#pick-"+adv2.id, true)
	b.selectOption("#pickup", "chuo")
	b.clickNav("#place-series")
	b.wantText("#confirm-mode", "シリーズ予約")
	if b.value("#order-"+adv1.id) != "1" || b.value("#order-"+adv2.id) != "2" {
		t.Fatalf("series order on the confirmation: 上 %s, 下 %s", b.value("#order-"+adv1.id), b.value("#order-"+adv2.id))
	}
	b.shots("11-confirm-series")
	b.clickNav("#place-confirm")
	b.wantText("#placed", "ゆめみる図書館の冒険 上", "ゆめみる図書館の冒険 下")
	b.noPageText("以下のタイトルは予約を行うことができません")

	// Make the poems ready (a staff member secures the copy at the pickup place), so that 予約状況 shows
	// 利用可能日, 連絡日 and 取置期限.
	holds := s.webHoldsByTitle(p)
	s.waitStatus(p, holds[poems.id].ID, "awaiting_pull")
	s.scan("pull", poems.barcodes[0], "hikari")
	s.waitStatus(p, holds[poems.id].ID, "ready")
	for deadline := time.Now().Add(10 * time.Second); s.getHold(p, holds[poems.id].ID).ContactDate == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the ready hold has no contact date after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.waitStatus(p, holds[adv2.id].ID, "preparing")
	s.waitStatus(p, holds[diary.id].ID, "awaiting_return")

	// 予約状況: the guide's labels, position, dates, and the buttons only where allowed.
	b.open("/holds", phoneWidth)
	b.wantText("h1", "予約状況")
	b.wantText("#hold-"+holds[poems.id].ID, "利用可能", s.today(), s.todayPlus(6))
	b.wantText("#hold-"+holds[diary.id].ID, "返却待ち", "ひかり公民館図書室")
	b.wantText("#hold-"+holds[adv2.id].ID, "準備中")
	if b.exists("#change-"+holds[poems.id].ID) || b.exists("#cancel-"+holds[poems.id].ID) {
		t.Fatal("a ready hold offers 予約内容変更 or 予約取消")
	}
	if !b.exists("#change-"+holds[diary.id].ID) || !b.exists("#cancel-"+holds[diary.id].ID) {
		t.Fatal("a queued online hold lacks 予約内容変更 or 予約取消")
	}
	b.wantPageText("順位", "利用可能日", "連絡日", "取置期限")
	b.shots("12-holds")

	// 予約内容変更: 予約情報変更 → 予約情報変更確認 → 予約情報変更申込を受付ました → 予約状況を確認する.
	diaryID := holds[diary.id].ID
	b.clickNav("#change-" + diaryID)
	b.wantText("h1", "予約情報変更")
	b.shots("13-change")
	b.selectOption("#pickup", "kita")
	b.clickNav("#change-submit")
	b.wantText("h1", "予約情報変更確認")
	b.wantText("#new-pickup", "北図書館")
	b.shots("14-change-confirm")
	b.clickNav("#change-confirm")
	b.wantText("#page-message", "予約情報変更申込を受付ました")
	b.shots("15-changed")
	b.clickNav("#to-holds")
	b.wantText("#hold-"+diaryID, "北図書館")

	// 予約取消: 予約取消確認 → 予約取消を申込みました; the status becomes 取消申込.
	b.clickNav("#cancel-" + diaryID)
	b.wantText("h1", "予約取消確認")
	b.shots("16-cancel")
	b.clickNav("#cancel-confirm")
	b.wantText("#page-message", "予約取消を申込みました")
	b.wantText("#hold-status", "取消申込")
	b.shots("17-cancelled")
	b.clickNav("#to-holds")
	b.wantText("#hold-"+diaryID, "取消申込")
	if b.exists("#cancel-" + diaryID) {
		t.Fatal("a cancellation request can be cancelled again")
	}

	// シリーズ予約に変更: the two 料理帖 volumes, placed normally, become a series hold.
	b.clickNav("#make-series")
	b.wantText("#page-message", "2点以上選択してください。")
	b.setChecked("#series-"+holds[cook1.id].ID, true)
	b.setChecked("#series-"+holds[cook2.id].ID, true)
	b.selectOption("#order-"+holds[cook1.id].ID, "1")
	b.selectOption("#order-"+holds[cook2.id].ID, "2")
	b.clickNav("#make-series")
	b.wantText("#page-message", "シリーズ予約に変更しました。")
	b.wantText("#hold-"+holds[cook2.id].ID, "シリーズ 2")
	b.shots("18-holds-series")
	after := s.webHoldsByTitle(p)
	if after[cook2.id].Status != "preparing" && after[cook2.id].Status != "awaiting_pull" {
		t.Errorf("the second 料理帖 volume is %s after the series change", after[cook2.id].Status)
	}

	// 利用者情報変更: E-mail without an address → 該当する E-mail アドレスが存在しません, then an address.
	b.open("/account", phoneWidth)
	b.wantText("h1", "利用者情報変更")
	b.shots("19-account")
	// With no address registered the form answers at once (no confirmation that could only fail).
	b.selectOption("#method", "email")
	b.clickNav("#account-submit")
	b.wantText("#page-message", "該当する E-mail アドレスが存在しません")
	b.shots("21-account-email-missing")
	b.fill("#new-email-0", "yumemi@example.jp")
	b.clickNav("#account-submit")
	b.wantText("h1", "利用者情報変更確認")
	b.wantText("#confirm-emails", "yumemi@example.jp")
	b.shots("20-account-confirm")
	b.clickNav("#account-confirm")
	b.wantText("#page-message", "利用者情報を更新しました。")
	if !b.checked("#email-0") {
		t.Error("the new address is not chosen on 利用者情報変更")
	}
	b.shots("22-account-done")
	var me struct {
		Contact struct {
			Method string
			Emails []string
		}
	}
	s.mustDo("GET", "/api/v1/me", p.token, nil, 200, &me)
	if me.Contact.Method != "email" || len(me.Contact.Emails) != 1 || me.Contact.Emails[0] != "yumemi@example.jp" {
		t.Errorf("contact after the page: %+v", me.Contact)
	}

	// English with ?lang=en; it stays English on the next page.
	b.open("/holds?lang=en", phoneWidth)
	b.wantText("h1", "My holds")
	b.wantText("#hold-"+holds[poems.id].ID, "Ready for pickup")
	b.shots("23-holds-en")
	b.open("/basket", phoneWidth)
	b.wantText("h1", "Basket")
	b.open("/?lang=ja", phoneWidth)

	// ログアウト: the top page shows ログイン again, and the pages that need a patron send to ログイン.
	b.clickNav("#logout")
	b.wantText("#login-link", "ログイン")
	b.open("/holds", phoneWidth)
	if got := b.path(); !strings.HasPrefix(got, "/login?next=") {
		t.Errorf("/holds after logout went to %s, want the login page", got)
	}

	// The error page (404) is HTML in the site's layout.
	b.open("/titles/999999999", phoneWidth)
	b.wantText("#error-message", "見つかりません")
	b.shots("24-not-found")
	b.allowProblems() // Chromium logs the 404 document as a console error
}
