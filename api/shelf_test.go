package api

// Shelf data (issue 14): a copy's call number (請求記号) and shelf location (配架場所) when staff register it,
// on the title's copies and the title page, and on the desk's pull list in shelf order; 禁帯出 titles for
// use in the library only.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
)

// TestNewItemShelfRefusals: POST /api/v1/staff/items refuses a call number or shelf location that is too
// long or has control characters with 422 and a code, and registers nothing; with a counter request too.
func TestNewItemShelfRefusals(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	api := e.api()
	staff := api.staffLogin(t)
	var titleID string
	if err := e.db.GetContext(t.Context(), &titleID, `SELECT id::text FROM titles WHERE format = 'book' ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	items := e.count(t, `SELECT count(*) FROM items`)
	item := func(call, shelf string) map[string]string {
		return map[string]string{"title_id": titleID, "barcode": "SHELF-0001", "branch": "chuo", "call_number": call, "shelf_location": shelf}
	}
	withHold := item("\x07913", "")
	withHold["hold_id"] = "1"
	for _, tc := range []struct {
		name string
		body map[string]string
		code httpkit.Code
	}{
		{"call number of 41 characters", item(strings.Repeat("9", 41), "一般書架"), library.CodeInvalidCallNumber},
		{"call number over two lines", item("913.6\nナ", "一般書架"), library.CodeInvalidCallNumber},
		{"shelf of 41 characters", item("913.6/ナ", strings.Repeat("棚", 41)), library.CodeInvalidShelf},
		{"shelf with a control character", item("913.6/ナ", "一般\u0000書架"), library.CodeInvalidShelf},
		{"for a counter request", withHold, library.CodeInvalidCallNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := api.call(t, "POST", "/api/v1/staff/items", staff, tc.body, "Idempotency-Key", "shelf-1")
			if a.Code != http.StatusUnprocessableEntity || a.code() != tc.code {
				t.Fatalf("= %d %s, want 422 %s", a.Code, a.Body, tc.code)
			}
			if n := e.count(t, `SELECT count(*) FROM items`); n != items {
				t.Fatalf("%d items after the refusal, want %d", n, items)
			}
		})
	}
	a := api.call(t, "POST", "/api/v1/staff/items", staff, item("913.6/ナ", strings.Repeat("棚", 41)), "Accept-Language", "en", "Idempotency-Key", "shelf-2")
	if a.Code != http.StatusUnprocessableEntity || !strings.Contains(a.Body.String(), "shelf location of at most 40 characters") {
		t.Fatalf("in English = %d %s", a.Code, a.Body)
	}
}

// TestPullListInShelfOrder: the pull list — JSON, the console page and its print view — lists the copies
// set aside at the desk's branch with author, 請求記号 and 配架場所, by shelf location then call number (not
// by when they were set aside), copies with no shelf location last.
func TestPullListInShelfOrder(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	ctx := t.Context()
	var titles []struct {
		ID     int64  `db:"id"`
		Title  string `db:"title"`
		Author string `db:"author"`
	}
	if err := e.db.SelectContext(ctx, &titles, `SELECT id, title, author FROM titles
		WHERE format = 'book' AND NOT reference_only AND author <> '' ORDER BY id LIMIT 5`); err != nil || len(titles) != 5 {
		t.Fatalf("%d titles (%v)", len(titles), err)
	}
	// Set aside newest first in shelf order, so that the age order would be the reverse.
	rows := []struct{ barcode, call, shelf string }{
		{"PULL-E", "", ""}, {"PULL-C", "913/カ", "文庫"}, {"PULL-D", "K913/ミ", "児童書架"},
		{"PULL-B", "913.6/ア", "一般書架"}, {"PULL-A", "913.6/ナ", "一般書架"},
	}
	for i, r := range rows {
		e.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status, call_number, shelf_location)
			VALUES ($1, $2, 'chuo', 'chuo', 'on_shelf', $3, $4)`, r.barcode, titles[i].ID, r.call, r.shelf)
		e.db.MustExecContext(ctx, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, item_barcode, assigned_at)
			VALUES ((SELECT id FROM patrons WHERE card_number = '1000001'), $1, 'kita', 'web', 'awaiting_pull', $2,
			        now() - make_interval(mins => $3))`, titles[i].ID, r.barcode, 10-i)
	}
	want := []string{"PULL-B", "PULL-A", "PULL-D", "PULL-C", "PULL-E"} // 一 < 児 < 文 in code point order
	byBarcode := map[string]int{}
	for i, r := range rows {
		byBarcode[r.barcode] = i
	}

	api := e.api()
	a := api.call(t, "GET", "/api/v1/staff/pull-list?branch=chuo", api.staffLogin(t), nil)
	var list struct {
		Items []struct {
			Barcode       string `json:"barcode"`
			Title         string `json:"title"`
			Author        string `json:"author"`
			CallNumber    string `json:"call_number"`
			ShelfLocation string `json:"shelf_location"`
			HoldID        string `json:"hold_id"`
			PickupBranch  string `json:"pickup_branch"`
		} `json:"items"`
	}
	a.decode(&list)
	if a.Code != http.StatusOK || len(list.Items) != len(want) {
		t.Fatalf("pull list = %d %s", a.Code, a.Body)
	}
	for i, it := range list.Items {
		r := rows[byBarcode[want[i]]]
		ti := titles[byBarcode[want[i]]]
		if it.Barcode != want[i] || it.CallNumber != r.call || it.ShelfLocation != r.shelf || it.Title != ti.Title ||
			it.Author != ti.Author || it.PickupBranch != "kita" || it.HoldID == "" {
			t.Errorf("item %d = %+v, want %s (%q %q) of %+v", i, it, want[i], r.call, r.shelf, ti)
		}
	}

	b := e.browser()
	b.staffLoginWeb(t)
	inOrder := func(t *testing.T, body string, prefix string) {
		t.Helper()
		last := -1
		for _, bc := range want {
			at := strings.Index(body, prefix+bc+`"`)
			if at < 0 || at < last {
				t.Fatalf("%s at %d, after %d: not in shelf order %v", bc, at, last, want)
			}
			last = at
		}
	}
	page := b.do(t, "GET", "/staff/pull-list", nil)
	wantPage(t, page, http.StatusOK, "確保リスト", "請求記号", "配架場所", "著者", "913.6/ア", "児童書架", titles[4].Author,
		`href="/staff/pull-list?print=1"`, ">印刷<", `id="pull-btn-PULL-A"`)
	inOrder(t, page.Body.String(), `id="pull-`)

	print := b.do(t, "GET", "/staff/pull-list?print=1", nil)
	today := domain.DateOf(time.Now(), e.s.Cfg.Location).String()
	wantPage(t, print, http.StatusOK, "確保リスト", `id="print-desk">中央図書館<`, today+" 現在", "5 件", "請求記号", "配架場所",
		"K913/ミ", "文庫", titles[1].Author)
	inOrder(t, print.Body.String(), `id="print-`)
	for _, absent := range []string{"<form", "<button", "staff-nav", "所在不明"} {
		if strings.Contains(print.Body.String(), absent) {
			t.Errorf("the print view has %q", absent)
		}
	}
	wantPage(t, b.do(t, "GET", "/staff/pull-list?print=1&lang=en", nil), http.StatusOK, "Pull list", "Call number", "Shelf", "As of "+today)
}

// TestTitleShelfAndLibraryUse: a title's copies (JSON and 資料詳細) show their 請求記号 and 配架場所; a 禁帯出
// title says 館内利用のみ on its page and in search results, with no basket control — no 予約かごへ at all
// when nothing in the results can be ticked — and the basket refuses it if it is posted anyway.
func TestTitleShelfAndLibraryUse(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	ctx := t.Context()
	type copyRow struct {
		TitleID string `db:"title_id"`
		Barcode string `db:"barcode"`
		Call    string `db:"call_number"`
		Shelf   string `db:"shelf_location"`
	}
	var ref, lendable copyRow
	if err := e.db.GetContext(ctx, &ref, `SELECT i.title_id::text AS title_id, i.barcode, i.call_number, i.shelf_location
		FROM items i JOIN titles t ON t.id = i.title_id WHERE t.reference_only AND t.format = 'book' AND t.publisher <> 'わかば市' ORDER BY i.barcode LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := e.db.GetContext(ctx, &lendable, `SELECT i.title_id::text AS title_id, i.barcode, i.call_number, i.shelf_location
		FROM items i JOIN titles t ON t.id = i.title_id WHERE NOT t.reference_only AND t.format = 'book' ORDER BY i.barcode LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if ref.Call == "" || ref.Shelf != "参考図書" || lendable.Call == "" || lendable.Shelf == "" {
		t.Fatalf("the seed's copies have no shelf data: %+v %+v", ref, lendable)
	}

	// JSON: every copy carries its shelf data.
	api := e.api()
	for _, c := range []copyRow{ref, lendable} {
		var d TitleDetailJSON
		a := api.call(t, "GET", "/api/v1/titles/"+c.TitleID, "", nil)
		a.decode(&d)
		found := false
		for _, cp := range d.Copies {
			if cp.Barcode == c.Barcode {
				found = cp.CallNumber == c.Call && cp.ShelfLocation == c.Shelf
			}
		}
		if a.Code != http.StatusOK || !found {
			t.Errorf("title %s's copy %s = %s, want call number %q shelf %q", c.TitleID, c.Barcode, a.Body, c.Call, c.Shelf)
		}
	}

	b := e.browser()
	b.login(t, "1000001")
	page := b.do(t, "GET", "/titles/"+ref.TitleID, nil)
	wantPage(t, page, http.StatusOK, "禁帯出", `id="library-use">館内利用のみ<`, "請求記号", "配架場所", ref.Call, "参考図書")
	for _, absent := range []string{`action="/basket/add"`, `id="to-basket"`, "予約かごへ", `id="holds-queued"`} {
		if strings.Contains(page.Body.String(), absent) {
			t.Errorf("the 禁帯出 title's page has %q", absent)
		}
	}
	wantPage(t, b.do(t, "GET", "/titles/"+ref.TitleID+"?lang=en", nil), http.StatusOK, "Library use only", "Call number", "Shelf")
	wantPage(t, b.do(t, "GET", "/titles/"+lendable.TitleID+"?lang=ja", nil), http.StatusOK, `action="/basket/add"`, "予約かごへ", `id="holds-queued"`, lendable.Call, lendable.Shelf)

	// Search results where every title is 禁帯出: each says so, nothing to tick, no 予約かごへ.
	var found SearchJSON
	api.call(t, "GET", "/api/v1/titles?title="+url.QueryEscape("わかば市統計書"), "", nil).decode(&found)
	if found.Total == 0 {
		t.Fatal("no わかば市統計書 in the demo catalogue")
	}
	results := b.do(t, "GET", "/search?title="+url.QueryEscape("わかば市統計書"), nil)
	wantPage(t, results, http.StatusOK, "館内利用のみ")
	for _, ti := range found.Titles {
		if ti.Holdable {
			t.Fatalf("%s is holdable: the search must find 禁帯出 titles only", ti.Title)
		}
		wantPage(t, results, http.StatusOK, `id="library-use-`+ti.ID+`">館内利用のみ<`)
		if strings.Contains(results.Body.String(), `id="pick-`+ti.ID+`"`) {
			t.Errorf("%s can be ticked", ti.Title)
		}
	}
	if body := results.Body.String(); strings.Contains(body, `id="to-basket"`) || strings.Contains(body, "貸出可") {
		t.Errorf("results of 禁帯出 titles offer 予約かごへ or say 貸出可:\n%s", body)
	}

	// Posted anyway: refused, the basket unchanged.
	a := b.do(t, "POST", "/basket/add", url.Values{"_csrf": {csrfOf(t, page)}, "title_id": {ref.TitleID}, "back": {"/titles/" + ref.TitleID}})
	if a.Code != http.StatusSeeOther || !strings.Contains(a.Header().Get("Location"), "err="+string(library.CodeNotHoldable)) {
		t.Errorf("a 禁帯出 title posted to the basket = %d → %q", a.Code, a.Header().Get("Location"))
	}
	if n := e.count(t, `SELECT count(*) FROM basket_items WHERE title_id = $1`, ref.TitleID); n != 0 {
		t.Errorf("the 禁帯出 title is in %d baskets", n)
	}
}
