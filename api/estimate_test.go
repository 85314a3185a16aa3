package api

// 用意できる目安 as clients read it: in GET /api/v1/holds and GET /api/v1/holds/{id} on queued holds only, and
// on 予約状況 and the hold page in Japanese and English. The holds are written into the database as the
// lifecycle leaves them: no Temporal is needed.

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"yoyaku/domain"
)

func TestEstimateShown(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	ctx := t.Context()
	loc, err := time.LoadLocation("Asia/Tokyo") // YOYAKU_TIMEZONE's default
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	newTitle := func(name string) int64 {
		var id int64
		if err := e.db.GetContext(ctx, &id, `INSERT INTO titles (title, format, search_text) VALUES ($1, 'book', $2) RETURNING id`,
			name, domain.SearchKey(name)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	popular, lost, travelling := newTitle("目安の本"), newTitle("行方不明の本"), newTitle("配送中の本")
	// Two copies of the popular title on loan, due in 5 and 9 days; the lost title's only copy is missing.
	for i, due := range []int{5, 9} {
		barcode := fmt.Sprintf("EST-%d-%d", popular, i)
		e.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, 'chuo', 'chuo', 'on_loan')`,
			barcode, popular)
		e.db.MustExecContext(ctx, `INSERT INTO loans (barcode, patron_id, branch, due_date)
			VALUES ($1, (SELECT id FROM patrons WHERE card_number = '1000005'), 'chuo', $2::date)`, barcode, today.AddDate(0, 0, due).Format(time.DateOnly))
	}
	e.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, 'chuo', 'chuo', 'missing')`,
		fmt.Sprintf("EST-%d", lost), lost)
	e.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, 'kita', 'kita', 'in_transit')`,
		fmt.Sprintf("EST-%d", travelling), travelling)
	hold := func(card string, title int64, status string, hoursAgo int, item string) int64 {
		var id int64
		if err := e.db.GetContext(ctx, &id, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at, item_barcode, assigned_at)
			VALUES ((SELECT id FROM patrons WHERE card_number = $1), $2, 'chuo', 'web', $3, now() - $4 * interval '1 hour',
				NULLIF($5, ''), CASE WHEN $5 <> '' THEN now() END) RETURNING id`, card, title, status, hoursAgo, item); err != nil {
			t.Fatal(err)
		}
		return id
	}
	hold("1000002", popular, "queued", 3, "")
	hold("1000003", popular, "queued", 2, "")
	mine := hold("1000001", popular, "queued", 1, "")
	unknown := hold("1000001", lost, "queued", 1, "")
	transit := hold("1000001", travelling, "in_transit", 1, fmt.Sprintf("EST-%d", travelling))

	// The JSON API.
	a := e.api()
	token := a.login(t, "1000001")
	var list struct {
		Holds []map[string]any `json:"holds"`
	}
	a.call(t, "GET", "/api/v1/holds", token, nil).decode(&list)
	byID := map[string]map[string]any{}
	for _, h := range list.Holds {
		byID[h["id"].(string)] = h
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	est, ok := byID[id(mine)]["estimate"].(map[string]any)
	if !ok {
		t.Fatalf("the queued hold (3rd in line) has no estimate: %v", byID[id(mine)])
	}
	if est["basis"] != "2 holds ahead, 2 copies, loan period (no returns measured yet)" {
		t.Errorf("basis %q", est["basis"])
	}
	from, err1 := time.ParseInLocation(time.DateOnly, fmt.Sprint(est["from"]), loc)
	to, err2 := time.ParseInLocation(time.DateOnly, fmt.Sprint(est["to"]), loc)
	if err1 != nil || err2 != nil {
		t.Fatalf("estimate %v: dates do not parse", est)
	}
	// The first two holds take the two copies when they come back (within days of their due dates); this one
	// gets the copy the first of them returns, a loan (14 days) and a pickup later.
	if from.Before(today.AddDate(0, 0, 12)) || to.After(today.AddDate(0, 0, 28)) || to.Before(from) || to.Sub(from) > 14*24*time.Hour {
		t.Errorf("estimate %s..%s, want within %s..%s and at most 14 days wide", est["from"], est["to"],
			today.AddDate(0, 0, 12).Format(time.DateOnly), today.AddDate(0, 0, 28).Format(time.DateOnly))
	}
	if u, ok := byID[id(unknown)]["estimate"].(map[string]any); !ok || u["from"] != nil || u["to"] != nil || u["basis"] != "no copy circulates" {
		t.Errorf("the hold on a title with no copy that circulates: estimate %v, want null dates", byID[id(unknown)]["estimate"])
	}
	if _, ok := byID[id(transit)]["estimate"]; ok {
		t.Errorf("a hold in transit has an estimate: %v", byID[id(transit)])
	}
	var one map[string]any
	a.call(t, "GET", "/api/v1/holds/"+id(mine), token, nil).decode(&one)
	if fmt.Sprint(one["estimate"]) != fmt.Sprint(est) {
		t.Errorf("GET /api/v1/holds/{id} estimate %v, the list's %v", one["estimate"], est)
	}

	// The pages.
	jaDay := func(t time.Time) string {
		if t.Year() != today.Year() {
			return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
		}
		return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
	}
	enDay := func(t time.Time) string {
		if t.Year() != today.Year() {
			return t.Format("Jan 2, 2006")
		}
		return t.Format("Jan 2")
	}
	jaDates, enDates := jaDay(from)+"〜"+jaDay(to)+"ごろ", enDay(from)+" – "+enDay(to)
	jaBasis := "前に 2 件の予約があり、貸出できる資料は 2 冊です。貸出期間（14 日）から計算した目安です。"
	enBasis := "2 hold(s) ahead of yours and 2 copy(ies); estimated from the loan period (14 days)."
	b := e.browser()
	b.login(t, "1000001")
	for _, tc := range []struct {
		path string
		want []string
	}{
		// Japanese first: ?lang=en is remembered.
		{"/holds", []string{"用意できる目安：" + jaDates, jaBasis, "用意できる目安：未定", "貸出できる資料が今はないため、目安を計算できません。"}},
		{"/holds/" + id(mine), []string{"<dt>用意できる目安</dt>", jaDates, jaBasis}},
		{"/holds?lang=en", []string{"Estimated ready: " + enDates, enBasis, "Estimated ready: unknown"}},
		{"/holds/" + id(mine) + "?lang=en", []string{"<dt>Estimated ready</dt>", enDates, enBasis}},
	} {
		page := b.do(t, "GET", tc.path, nil)
		wantPage(t, page, http.StatusOK)
		body := html.UnescapeString(page.Body.String())
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s does not say %q", tc.path, w)
			}
		}
	}
	if body := b.do(t, "GET", "/holds/"+id(transit), nil).Body.String(); strings.Contains(body, "Estimated ready") {
		t.Error("the page of a hold in transit shows an estimate")
	}
}
