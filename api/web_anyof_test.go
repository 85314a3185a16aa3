package api

// いずれか予約 (any-of groups) on the patron pages: placed from the basket form (2 to 5 titles, else a red
// message and nothing placed), and shown on 予約状況 as one block per group, with 他の版で用意 explained, and
// on the hold page with the other members.

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"yoyaku/domain"
	"yoyaku/store"
)

// basketWith puts the titles into the patron's basket through 予約かごへ and returns a CSRF token of the basket.
func (b *browser) basketWith(t *testing.T, ids ...string) string {
	t.Helper()
	a := b.do(t, "POST", "/basket/add", url.Values{"_csrf": {csrfOf(t, b.do(t, "GET", "/search", nil))}, "title_id": ids, "back": {"/search"}})
	if a.Code != http.StatusSeeOther || !strings.HasPrefix(a.Header().Get("Location"), "/basket?added=") {
		t.Fatalf("予約かごへ %v = %d → %q", ids, a.Code, a.Header().Get("Location"))
	}
	return csrfOf(t, b.do(t, "GET", "/basket", nil))
}

// patronHoldCount is how many holds the patron has, whatever their status.
func (e *webEnv) patronHoldCount(t *testing.T, patron int64) int {
	t.Helper()
	var n int
	if err := e.db.GetContext(t.Context(), &n, `SELECT count(*) FROM holds WHERE patron_id = $1`, patron); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWebAnyOfRefusesTheWrongNumber: いずれか予約 with 1 or 6 titles ticked, from the basket's button or posted
// straight to the confirmation's action, is the red message いずれか予約は、資料を2点から5点まで選択してください。
// and places nothing; the titles stay ticked. No Temporal is needed: nothing gets that far.
func TestWebAnyOfRefusesTheWrongNumber(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	cp := e.copies(t, 6)
	patron := e.patron(t, "1000001")
	b := e.browser()
	b.login(t, "1000001")
	var all []string
	for _, c := range cp {
		all = append(all, c[1])
	}
	token := b.basketWith(t, all...)
	page := b.do(t, "GET", "/basket", nil)
	wantPage(t, page, http.StatusOK, `id="place-any"`, "いずれか予約（どれか1点）",
		"どれか1点が用意できたら、ほかの予約は「他の版で用意」で終わります。")

	for _, tc := range []struct {
		name string
		ids  []string
	}{{"one", all[:1]}, {"six", all}} {
		t.Run(tc.name, func(t *testing.T) {
			a := b.do(t, "POST", "/basket", url.Values{"_csrf": {token}, "action": {"any"}, "title_id": tc.ids, "pickup": {"chuo"}})
			wantPage(t, a, http.StatusUnprocessableEntity, "いずれか予約は、資料を2点から5点まで選択してください。",
				`id="pick-`+tc.ids[0]+`" checked`)
			a = b.do(t, "POST", "/holds/place", url.Values{"_csrf": {token}, "mode": {"any"}, "title_id": tc.ids, "pickup": {"chuo"}})
			if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/basket?err=any_count" {
				t.Fatalf("placing %d titles as いずれか予約 = %d → %q, want the basket with any_count", len(tc.ids), a.Code, a.Header().Get("Location"))
			}
			wantPage(t, b.do(t, "GET", "/basket?err=any_count", nil), http.StatusOK, "いずれか予約は、資料を2点から5点まで選択してください。")
			wantPage(t, b.do(t, "GET", "/basket?err=any_count&lang=en", nil), http.StatusOK, "For an any-of hold, select 2 to 5 titles.")
			b.do(t, "GET", "/basket?lang=ja", nil) // the language chosen sticks
		})
	}
	if n := e.patronHoldCount(t, patron); n != 0 {
		t.Fatalf("the refusals placed %d holds", n)
	}
	// Nothing ticked is the usual message, not the any-of one.
	wantPage(t, b.do(t, "POST", "/basket", url.Values{"_csrf": {token}, "action": {"any"}, "pickup": {"chuo"}}),
		http.StatusUnprocessableEntity, "資料を選択してください。")
}

// TestWebAnyOfPlacedFromTheBasket: two ticked titles on the shelf placed as いずれか予約 through the
// confirmation: the result lists both, says what いずれか予約 means, and the holds are one group; a copy is
// set aside for one of them at once (the shelf), which decides the group, and 予約状況 shows both in one block
// headed いずれか予約（2点のうちどれか1点）, the other as 他の版で用意 with its explanation.
func TestWebAnyOfPlacedFromTheBasket(t *testing.T) {
	e := newWorkerWebEnv(t)
	cp := e.copies(t, 2)
	patron := e.patron(t, "1000001")
	b := e.browser()
	b.login(t, "1000001")
	token := b.basketWith(t, cp[0][1], cp[1][1])

	confirm := b.do(t, "POST", "/basket", url.Values{"_csrf": {token}, "action": {"any"}, "title_id": {cp[0][1], cp[1][1]}, "pickup": {"chuo"}})
	wantPage(t, confirm, http.StatusOK, "予約内容確認", `<dd id="confirm-mode">いずれか予約（どれか1点）</dd>`, `name="mode" value="any"`,
		"どれか1点が用意できたら、ほかの予約は「他の版で用意」で終わります。")
	result := b.do(t, "POST", "/holds/place", url.Values{"_csrf": {csrfOf(t, confirm)}, "mode": {"any"}, "title_id": {cp[0][1], cp[1][1]}, "pickup": {"chuo"}})
	wantPage(t, result, http.StatusOK, "以下のタイトルについて予約を行いました", "いずれか予約として予約しました。")
	if strings.Contains(result.Body.String(), `id="rejected"`) {
		t.Fatalf("a title was rejected:\n%s", result.Body)
	}

	var holds []struct {
		ID      int64  `db:"id"`
		TitleID string `db:"title_id"`
		GroupID *int64 `db:"group_id"`
	}
	if err := e.db.SelectContext(t.Context(), &holds, `SELECT id, title_id::text, group_id FROM holds WHERE patron_id = $1 ORDER BY id`, patron); err != nil {
		t.Fatal(err)
	}
	if len(holds) != 2 || holds[0].GroupID == nil || holds[1].GroupID == nil || *holds[0].GroupID != *holds[1].GroupID {
		t.Fatalf("holds after いずれか予約: %+v, want two in one group", holds)
	}
	var left int
	if err := e.db.GetContext(t.Context(), &left, `SELECT count(*) FROM basket_items WHERE patron_id = $1`, patron); err != nil || left != 0 {
		t.Fatalf("%d titles left in the basket (%v), want none", left, err)
	}

	// One member takes its shelf copy, the other ends as 他の版で用意.
	var served, ended int64
	for deadline := time.Now().Add(20 * time.Second); served == 0 || ended == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the group was not decided after 20 s (served %d, ended %d)", served, ended)
		}
		served, ended = 0, 0
		for _, h := range holds {
			v, err := store.GetHold(t.Context(), e.db, h.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case v.Status == domain.StatusAwaitingPull:
				served = h.ID
			case v.Status == domain.StatusCancelled && v.CancelReason.String == string(domain.CancelOtherEdition):
				ended = h.ID
			}
		}
	}
	group := strconv.FormatInt(*holds[0].GroupID, 10)
	page := b.do(t, "GET", "/holds", nil)
	wantPage(t, page, http.StatusOK, `id="group-`+group+`"`, "いずれか予約（2点のうちどれか1点）")
	block := groupBlock(t, page, group)
	rows := holdRowRe.FindAllStringSubmatch(block, -1)
	if len(rows) != 2 {
		t.Fatalf("%d rows in the group's block, want 2:\n%s", len(rows), block)
	}
	for _, r := range rows {
		switch r[1] {
		case strconv.FormatInt(served, 10):
			if !strings.Contains(r[2], "確認待ち") {
				t.Errorf("the served member's row lacks 確認待ち:\n%s", r[2])
			}
		case strconv.FormatInt(ended, 10):
			if !strings.Contains(r[2], "他の版で用意") || !strings.Contains(r[2], "ほかの版（資料）が用意できたため終わった予約") {
				t.Errorf("the ended member's row lacks 他の版で用意 and its explanation:\n%s", r[2])
			}
		default:
			t.Errorf("hold %s in the group's block is not a member", r[1])
		}
	}
	// The ended member's timeline says why it ended.
	wantPage(t, b.do(t, "GET", "/holds/"+strconv.FormatInt(ended, 10), nil), http.StatusOK,
		"いずれか予約のほかの版が用意できたため、この予約は終わりました", `id="sibling-`+strconv.FormatInt(served, 10)+`"`)
}

var groupBlockRe = regexp.MustCompile(`(?s)<tbody class="any-group" id="group-(\d+)">(.*?)</tbody>`)

// groupBlock is the HTML of the block of group id on 予約状況 (entities unescaped).
func groupBlock(t *testing.T, a answer, id string) string {
	t.Helper()
	body := html.UnescapeString(a.Body.String())
	for _, m := range groupBlockRe.FindAllStringSubmatch(body, -1) {
		if m[1] == id {
			return m[2]
		}
	}
	t.Fatalf("no block for group %s on 予約状況:\n%s", id, body)
	return ""
}

// TestWebAnyOfGrouped: a group of three (two waiting, one ended as 他の版で用意 an hour after a normal hold
// was placed between them) is one block on 予約状況 — its members together under いずれか予約（3点のうちどれか1点）,
// each with its own status, the normal hold outside — and no member is offered for シリーズ予約に変更; 他の版で用意
// is in the 状態表示/説明 list; the hold page says the hold is one of an any-of group and links the others; the
// same in English. The holds are written as the lifecycle leaves them: no Temporal is needed.
func TestWebAnyOfGrouped(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	f := &holdFixture{e: e, patron: e.patron(t, "1000001"), ids: map[string]int64{}}
	cp := e.copies(t, 5)
	var group int64
	if err := e.db.GetContext(t.Context(), &group, `INSERT INTO hold_groups (patron_id) VALUES ($1) RETURNING id`, f.patron); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	member := func(name string, i, d int) {
		f.exec(t, name, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at, group_id)
			VALUES ($1, $2, 'chuo', 'web', 'queued', $3, $4)`, f.patron, cp[i][1], day(d), group)
	}
	member("first", 0, 1)
	f.exec(t, "normal", `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at)
		VALUES ($1, $2, 'chuo', 'web', 'queued', $3)`, f.patron, cp[1][1], day(2))
	f.exec(t, "normal2", `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at)
		VALUES ($1, $2, 'chuo', 'web', 'queued', $3)`, f.patron, cp[4][1], day(2))
	member("second", 2, 3)
	f.exec(t, "ended", `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at, group_id, cancelled_at, cancel_reason)
		VALUES ($1, $2, 'chuo', 'web', 'cancelled', $3, $4, now() - interval '1 hour', 'other_edition')`, f.patron, cp[3][1], day(4), group)
	id := func(name string) string { return strconv.FormatInt(f.ids[name], 10) }

	b := e.browser()
	b.login(t, "1000001")
	page := b.do(t, "GET", "/holds", nil)
	wantPage(t, page, http.StatusOK, "いずれか予約（3点のうちどれか1点）", `id="explain-cancelled"`, "「他の版で用意」: いずれか予約で、ほかの版（資料）が用意できたため終わった予約。")
	block := groupBlock(t, page, strconv.FormatInt(group, 10))
	var inBlock []string
	for _, r := range holdRowRe.FindAllStringSubmatch(block, -1) {
		inBlock = append(inBlock, r[1])
	}
	if want := []string{id("first"), id("second"), id("ended")}; strings.Join(inBlock, ",") != strings.Join(want, ",") {
		t.Fatalf("the group's block lists holds %v, want its members %v in order", inBlock, want)
	}
	body := html.UnescapeString(page.Body.String())
	rows := map[string]string{}
	var order []string
	for _, r := range holdRowRe.FindAllStringSubmatch(body, -1) {
		rows[r[1]] = r[2]
		order = append(order, r[1])
	}
	if want := []string{id("first"), id("second"), id("ended"), id("normal"), id("normal2")}; strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("予約状況 lists %v, want the group's members together where the first is, then the others: %v", order, want)
	}
	for name, want := range map[string]string{"first": "返却待ち", "second": "返却待ち", "ended": "他の版で用意", "normal": "返却待ち"} {
		if !strings.Contains(rows[id(name)], want) {
			t.Errorf("row %s lacks %q:\n%s", name, want, rows[id(name)])
		}
	}
	if !strings.Contains(body, `<tr id="hold-`+id("ended")+`" class="cancelled">`) {
		t.Errorf("the ended member is not shown as cancelled")
	}
	// シリーズ予約に変更 offers the two normal holds, never a member of the group.
	for _, name := range []string{"first", "second"} {
		if strings.Contains(body, `id="series-`+id(name)+`"`) {
			t.Errorf("member %s is offered for シリーズ予約に変更", name)
		}
	}
	if !strings.Contains(body, `id="series-`+id("normal")+`"`) {
		t.Error("the normal holds are no longer offered for シリーズ予約に変更")
	}

	hold := b.do(t, "GET", "/holds/"+id("first"), nil)
	wantPage(t, hold, http.StatusOK, `id="hold-group"`, "3点のうちどれか1点を用意する予約の1つです。",
		`<a href="/holds/`+id("second")+`">`, `<a href="/holds/`+id("ended")+`">`, "他の版で用意")
	if strings.Contains(hold.Body.String(), `id="sibling-`+id("first")+`"`) {
		t.Error("the hold page lists the hold among its own siblings")
	}
	if strings.Contains(b.do(t, "GET", "/holds/"+id("normal"), nil).Body.String(), `id="hold-group"`) {
		t.Error("a normal hold's page speaks of an any-of group")
	}

	// Decided for the first member, the second waits for its workflow to end it: meanwhile it holds no place
	// in its queue, so it shows no position and no estimate (a position of 0 once broke the estimate: a 500).
	if _, err := e.db.ExecContext(t.Context(), `UPDATE hold_groups SET served_hold_id = $2, decided_at = now() WHERE id = $1`,
		group, f.ids["first"]); err != nil {
		t.Fatal(err)
	}
	page = b.do(t, "GET", "/holds", nil)
	wantPage(t, page, http.StatusOK, "いずれか予約（3点のうちどれか1点）")
	for _, r := range holdRowRe.FindAllStringSubmatch(html.UnescapeString(page.Body.String()), -1) {
		if r[1] == id("second") && (!strings.Contains(r[2], `data-label="順位"></td>`) || strings.Contains(r[2], "用意できる目安")) {
			t.Errorf("the member the group was not decided for shows a position or an estimate:\n%s", r[2])
		}
	}
	wantPage(t, b.do(t, "GET", "/holds/"+id("second"), nil), http.StatusOK, "いずれか予約")

	wantPage(t, b.do(t, "GET", "/holds?lang=en", nil), http.StatusOK, "Any-of hold (any one of 3)", "Another edition provided",
		"another edition was provided for you")
	wantPage(t, b.do(t, "GET", "/holds/"+id("ended")+"?lang=en", nil), http.StatusOK, "One of 3 holds of which any one is provided.")
}
