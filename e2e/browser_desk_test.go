package e2e_test

// Shelf data in headless Chromium (harness: browser_harness_test.go): a 禁帯出 title's page for a patron, and
// the desk's pull list with its print view.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"yoyaku/domain"
)

// emulateMedia makes CSS media queries see this media type ("print"; "" for the screen again).
func (b *browser) emulateMedia(media string) {
	b.t.Helper()
	b.run("emulate media "+media, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	}))
}

// rowIDs are the ids of the rows of a table's body, in page order.
func (b *browser) rowIDs(table string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(r => r.id).join(",")`, table+" tbody tr"))
}

// TestBrowserDesk: a 禁帯出 title's page says 館内利用のみ and offers no basket (nor do search results where
// every title is 禁帯出), and shows each copy's 請求記号 and 配架場所. Copies registered through
// POST /api/v1/staff/items with a call number and a shelf location and then set aside for holds are on the
// desk's 確保リスト in shelf order — not in the order they were set aside — and its print view shows the
// desk, the date and the same rows, with no buttons or navigation; on paper (print media) its table stays a
// table and the screen's help line is gone. Screenshots at 375 and 1280 px.
func TestBrowserDesk(t *testing.T) {
	s := newStack(t, nil)
	ctx := t.Context()

	// --- the patron's side: a 禁帯出 title of the demo catalogue ---
	var ref struct {
		ID    string `db:"id"`
		Title string `db:"title"`
		Call  string `db:"call_number"`
		Shelf string `db:"shelf_location"`
	}
	if err := s.db.GetContext(ctx, &ref, `SELECT t.id::text AS id, t.title, i.call_number, i.shelf_location
		FROM titles t JOIN items i ON i.title_id = t.id
		WHERE t.reference_only AND t.format = 'book' AND i.shelf_location = '参考図書' ORDER BY t.id, i.barcode LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	p := s.newPatron("none")
	pp := s.patronBrowser(p)
	b := pp.b
	b.open("/titles/"+ref.ID, phoneWidth)
	b.wantText("#title-name", ref.Title)
	b.wantText("#library-use", "館内利用のみ")
	b.wantText("#not-holdable", "禁帯出")
	if b.exists("#to-basket") || b.exists(`form[action="/basket/add"]`) {
		t.Fatal("a 禁帯出 title offers the basket")
	}
	b.wantText("#copies", "請求記号", "配架場所", ref.Call, "参考図書")
	b.shots("01-title-library-use-only")

	b.open("/search?title="+url.QueryEscape("わかば市統計書"), phoneWidth)
	b.wantText("#result-count", "件")
	if n := b.count(".library-use"); n == 0 || n != b.count(".titles > li") {
		t.Fatalf("%d of %d results say 館内利用のみ", n, b.count(".titles > li"))
	}
	if b.exists("#to-basket") || b.exists(`input[name="title_id"]`) {
		t.Fatal("results of 禁帯出 titles only offer 予約かごへ or a checkbox")
	}
	b.shots("02-results-library-use-only")

	// --- the desk: three new copies at chuo, set aside for holds to be picked up at kita ---
	copies := []struct{ barcode, call, shelf, author string }{
		{"DESK-0001", "913.6/ワ", "一般書架", "若林 一郎"}, // set aside first, pulled last but one
		{"DESK-0002", "K913/ア", "児童書架", "青木 みどり"},
		{"DESK-0003", "913.6/ア", "一般書架", "秋山 修"}, // set aside last, pulled first
	}
	q := s.newPatron("none")
	for i, c := range copies {
		titleID, _ := s.title(domain.FormatBook)
		s.db.MustExecContext(ctx, `UPDATE titles SET author = $1 WHERE id = $2`, c.author, titleID)
		var routing struct{ Action string }
		s.mustDoHeader("POST", "/api/v1/staff/items", s.staff, map[string]string{"Idempotency-Key": fmt.Sprintf("desk-%d", i)},
			map[string]string{"title_id": titleID, "barcode": c.barcode, "branch": "chuo", "call_number": c.call, "shelf_location": c.shelf},
			201, &routing)
		if routing.Action != "reshelve" {
			t.Fatalf("the new copy %s went to %q, want the shelf", c.barcode, routing.Action)
		}
		id := s.placeOne(q, "kita", titleID)
		s.waitStatus(q, id, "awaiting_pull")
	}
	want := "pull-DESK-0003,pull-DESK-0001,pull-DESK-0002" // 一般書架 913.6/ア, 913.6/ワ, then 児童書架

	staff := s.staffConsole()
	staff.clickNav("#nav-pull_list")
	staff.wantText("#pull-list", "請求記号", "配架場所", "著者", "913.6/ア", "K913/ア", "児童書架", "秋山 修")
	if got := staff.rowIDs("#pull-list"); got != want {
		t.Fatalf("pull list rows %s, want shelf order %s", got, want)
	}
	staff.shots("03-pull-list")

	staff.clickNav("#pull-print")
	if got := staff.path(); got != "/staff/pull-list?print=1" {
		t.Fatalf("印刷 led to %s", got)
	}
	staff.wantText("#print-desk", "中央図書館")
	staff.wantText("#print-date", s.today())
	staff.wantText("#print-count", "3 件")
	staff.wantText("#pull-print-list", "913.6/ワ", "若林 一郎", "児童書架")
	want = strings.ReplaceAll(want, "pull-", "print-")
	if got := staff.rowIDs("#pull-print-list"); got != want {
		t.Fatalf("print view rows %s, want %s", got, want)
	}
	if n := staff.count("button, form, nav, input"); n != 0 {
		t.Fatalf("the print view has %d buttons, forms or navigation", n)
	}
	staff.shots("04-pull-list-print")

	// On paper, even as narrow as a phone: a table with its header row, and no screen help.
	staff.setWidth(phoneWidth)
	staff.emulateMedia("print")
	if got := staff.eval(`getComputedStyle(document.querySelector("#pull-print-list thead")).display + " " +
		getComputedStyle(document.querySelector("#pull-print-list tbody tr")).display + " " +
		getComputedStyle(document.querySelector(".print-help")).display`); got != "table-header-group table-row none" {
		t.Fatalf("print media: thead, row and help display %q", got)
	}
	staff.emulateMedia("")
	staff.setWidth(desktopWidth)
}
