package api

// 予約状況 explained (the guide's 状態表示/説明, ready holds first, why a button is absent, the guide's notices,
// staff's refusal reason) and the page of one hold with its timeline. The holds are written into the
// database as the lifecycle leaves them (the pages only read them): no Temporal is needed.

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// holdFixture writes the holds of one patron in several states and returns their IDs by name.
type holdFixture struct {
	e      *webEnv
	patron int64
	ids    map[string]int64
}

// copies are n on-shelf copies of distinct titles (barcode, title) no hold uses yet.
func (e *webEnv) copies(t *testing.T, n int) [][2]string {
	t.Helper()
	var rows []struct {
		Barcode string `db:"barcode"`
		TitleID int64  `db:"title_id"`
	}
	if err := e.db.SelectContext(t.Context(), &rows, `SELECT DISTINCT ON (i.title_id) i.barcode, i.title_id FROM items i
		JOIN titles t ON t.id = i.title_id
		WHERE i.status = 'on_shelf' AND NOT t.reference_only AND t.format = 'book'
		  AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.title_id = i.title_id)
		ORDER BY i.title_id, i.barcode LIMIT $1`, n); err != nil {
		t.Fatal(err)
	}
	if len(rows) < n {
		t.Fatalf("only %d free copies in the demo catalogue", len(rows))
	}
	out := make([][2]string, n)
	for i, r := range rows {
		out[i] = [2]string{r.Barcode, strconv.FormatInt(r.TitleID, 10)}
	}
	return out
}

func (f *holdFixture) exec(t *testing.T, name, query string, args ...any) {
	t.Helper()
	var id int64
	if err := f.e.db.GetContext(t.Context(), &id, query+` RETURNING id`, args...); err != nil {
		t.Fatalf("hold %s: %v", name, err)
	}
	f.ids[name] = id
}

func (f *holdFixture) event(t *testing.T, name string, n int, at time.Time, from, to, op string) {
	t.Helper()
	if _, err := f.e.db.ExecContext(t.Context(), `INSERT INTO hold_events (hold_id, at, from_status, to_status, transition, actor, detail)
		VALUES ($1, $2, $3, $4, $5, 'staff:staff', jsonb_build_object('op', $6::text))`, f.ids[name], at, from, to, n, op); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.db.ExecContext(t.Context(), `UPDATE holds SET transition = $2 WHERE id = $1`, f.ids[name], n); err != nil {
		t.Fatal(err)
	}
}

// newHoldFixture: for patron card, a hold waiting in the queue (the oldest), a ready one (placed later,
// contacted after a no-answer call and a voicemail), one in transit, a counter request under investigation,
// one staff refused with a note; and one hold of another patron.
func newHoldFixture(t *testing.T, e *webEnv, card string) *holdFixture {
	t.Helper()
	f := &holdFixture{e: e, patron: e.patron(t, card), ids: map[string]int64{}}
	other := e.patron(t, "1000002")
	cp := e.copies(t, 6)
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	f.exec(t, "queued", `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at)
		VALUES ($1, $2, 'chuo', 'web', 'queued', $3)`, f.patron, cp[0][1], day(1))
	f.exec(t, "ready", `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at, item_barcode, assigned_at,
			ready_at, contact_date, pickup_deadline)
		VALUES ($1, $2, 'chuo', 'web', 'ready', $3, $4, $5, $5, '2026-11-12', '2026-11-18')`, f.patron, cp[1][1], day(2), cp[1][0], day(10))
	f.event(t, "ready", 1, day(2).Add(time.Second), "requested", "queued", "approve")
	f.event(t, "ready", 2, day(10), "queued", "ready", "copy:secured")
	f.event(t, "ready", 3, day(11), "ready", "ready", "call:no_answer")
	f.event(t, "ready", 4, day(12), "ready", "ready", "call:voicemail")
	f.exec(t, "transit", `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at, item_barcode, assigned_at)
		VALUES ($1, $2, 'chuo', 'web', 'in_transit', $3, $4, $3)`, f.patron, cp[2][1], day(3), cp[2][0])
	f.exec(t, "counter", `INSERT INTO holds (patron_id, request_title, pickup_branch, origin, status, placed_at)
		VALUES ($1, '幻の本', 'chuo', 'counter', 'investigating', $2)`, f.patron, day(4))
	f.exec(t, "refused", `INSERT INTO holds (patron_id, request_title, pickup_branch, origin, status, placed_at, cancelled_at,
			cancel_reason, cancel_note)
		VALUES ($1, '手に入らない本', 'chuo', 'counter', 'cancelled', now() - interval '2 days', now() - interval '1 day', 'staff',
			'絶版のため入手できませんでした')`, f.patron)
	f.exec(t, "others", `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at)
		VALUES ($1, $2, 'chuo', 'web', 'queued', $3)`, other, cp[5][1], day(5))
	return f
}

var holdRowRe = regexp.MustCompile(`(?s)<tr id="hold-(\d+)"[^>]*>(.*?)</tr>`)

// TestWebHoldsExplained: every status word shown on 予約状況 has the guide's explanation beside it and in the
// 状態表示/説明 list; the ready hold comes first, highlighted with its 受取館, 連絡日 and 取置期限; holds without
// buttons say why; the guide's notices; staff's reason for a refusal; the same in English.
func TestWebHoldsExplained(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	f := newHoldFixture(t, e, "1000001")
	b := e.browser()
	b.login(t, "1000001")
	page := b.do(t, "GET", "/holds", nil)
	wantPage(t, page, http.StatusOK, "状態表示の説明", "ご用意できている資料", "2026-11-12", "2026-11-18",
		"資料の手配には、時間がかかります", "貸出になってしまう場合もあります",
		"窓口にてリクエストカードでお申込みされた予約については、インターネットでの受取場所の変更・取消ができません",
		"図書館からの連絡: 絶版のため入手できませんでした")
	body := html.UnescapeString(page.Body.String())

	rows := holdRowRe.FindAllStringSubmatch(body, -1)
	if len(rows) != 5 {
		t.Fatalf("%d rows on 予約状況, want the patron's 5:\n%s", len(rows), body)
	}
	if rows[0][1] != strconv.FormatInt(f.ids["ready"], 10) || !strings.Contains(rows[0][0], `class="ready"`) {
		t.Errorf("first row is hold %s, want the ready hold %d highlighted:\n%s", rows[0][1], f.ids["ready"], rows[0][0])
	}
	if strings.Contains(body, `id="hold-`+strconv.FormatInt(f.ids["others"], 10)+`"`) {
		t.Error("another patron's hold is listed")
	}
	// Each row: its status word, the guide's explanation of it, a link to the hold page.
	want := map[string][2]string{
		"queued":  {"返却待ち", "予約待ち順位が 1 番目の表示です"},
		"ready":   {"利用可能", "受取館に用意されており、ご利用ができる状態です"},
		"transit": {"配送中", "受取館に配送している状態です"},
		"counter": {"調査中", "図書館に所蔵していない資料の予約を受け付けた場合に表示されます"},
		"refused": {"取消", "予約取消をした資料が表示されます"},
	}
	why := map[string]string{
		"ready":   "すでに「利用可能」として用意されている資料は、インターネットからの受取館変更・取消ができません",
		"transit": "「配送中」の資料は、インターネットからの受取館変更・取消ができません",
		"counter": "窓口にてリクエストカードでお申込みされた予約については",
	}
	for _, r := range rows {
		name := ""
		for n, id := range f.ids {
			if strconv.FormatInt(id, 10) == r[1] {
				name = n
			}
		}
		w := want[name]
		if !strings.Contains(r[2], `href="/holds/`+r[1]+`" title="詳細">`+w[0]+`<span`) || !strings.Contains(r[2], w[1]) {
			t.Errorf("row %s lacks its status %q explained (%q):\n%s", name, w[0], w[1], r[2])
		}
		if !strings.Contains(r[2], `href="/holds/`+r[1]+`"`) {
			t.Errorf("row %s has no link to its hold page", name)
		}
		hasButtons := strings.Contains(r[2], `id="change-`) || strings.Contains(r[2], `id="cancel-`)
		switch {
		case why[name] != "" && (hasButtons || !strings.Contains(r[2], why[name])):
			t.Errorf("row %s: buttons %v, want none and the reason %q:\n%s", name, hasButtons, why[name], r[2])
		case name == "queued" && (!hasButtons || strings.Contains(r[2], "why-no-button")):
			t.Errorf("the queued web hold has no buttons or a reason for none:\n%s", r[2])
		}
		// The 状態表示/説明 list explains the same word.
		if !regexp.MustCompile(`<dt id="explain-[a-z_]+">`+regexp.QuoteMeta(w[0])+`</dt><dd>`+regexp.QuoteMeta(w[1])).MatchString(body) &&
			!strings.Contains(body, ">"+w[0]+"</dt><dd>") {
			t.Errorf("the 状態表示/説明 list does not explain %q", w[0])
		}
	}
	for _, word := range []string{"予約申込", "確認待ち", "返却待ち", "順番待ち", "調査中", "配送中", "準備中", "選書中", "利用可能", "取消申込", "取消"} {
		if !strings.Contains(body, ">"+word+"</dt><dd>") {
			t.Errorf("the 状態表示/説明 list lacks %s", word)
		}
	}
	for _, sub := range []string{"「本人取消」: パスワードで自分が予約取消をした資料。", "「期限切れ」: 利用可能であったが、連絡してから 1 週間過ぎてもご利用がなく"} {
		if !strings.Contains(body, sub) {
			t.Errorf("the list lacks %q", sub)
		}
	}
	if strings.Contains(body, `id="notice-series"`) {
		t.Error("the series notice is shown without a series hold")
	}

	en := b.do(t, "GET", "/holds?lang=en", nil)
	wantPage(t, en, http.StatusOK, "What the statuses mean", "Ready for you", "Arranging a copy takes time",
		"Ready for you at your pickup place", "A copy in transit cannot be changed or cancelled online",
		"From the library: 絶版のため入手できませんでした", "Holds requested at the counter on a request card cannot be changed")
}

// TestWebHoldPage: the patron's own hold with its timeline from the event log (placed, approved, the copy
// secured, the phone calls, the contact date), the deadline; another patron's hold and unknown IDs are the
// not-found page.
func TestWebHoldPage(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	f := newHoldFixture(t, e, "1000001")
	b := e.browser()
	b.login(t, "1000001")
	id := strconv.FormatInt(f.ids["ready"], 10)
	page := b.do(t, "GET", "/holds/"+id, nil)
	wantPage(t, page, http.StatusOK, "予約詳細", "予約の経過", "利用可能", "受取館に用意されており", "2026-11-18")
	body := html.UnescapeString(page.Body.String())
	// In order, each with its date and time in the library's zone (Asia/Tokyo by default).
	steps := []string{"2026-11-02 19:00", "予約を受け付けました", "2026-11-02 19:00", "予約が承認されました",
		"2026-11-10 19:00", "返却された資料を確保しました", "2026-11-11 19:00", "電話をしましたが、ご不在でした",
		"2026-11-12 19:00", "電話をしました（留守番電話に伝言）", "2026-11-12", "連絡日"}
	at := 0
	for _, s := range steps {
		i := strings.Index(body[at:], s)
		if i < 0 {
			t.Fatalf("the timeline lacks %q after position %d:\n%s", s, at, body)
		}
		at += i + len(s)
	}
	if strings.Contains(body, "staff:staff") {
		t.Error("the timeline shows a staff login")
	}
	wantPage(t, b.do(t, "GET", "/holds/"+id+"?lang=en", nil), http.StatusOK, "History", "We called; there was no answer",
		"We called and left a message", "Contact date (the week to collect counts from it)")

	// The counter request explains why it cannot be changed online; the refusal shows staff's note.
	wantPage(t, b.do(t, "GET", "/holds/"+strconv.FormatInt(f.ids["counter"], 10)+"?lang=ja", nil), http.StatusOK, "幻の本", "調査中",
		"窓口にてリクエストカードでお申込みされた予約については")
	wantPage(t, b.do(t, "GET", "/holds/"+strconv.FormatInt(f.ids["refused"], 10), nil), http.StatusOK, "絶版のため入手できませんでした")

	for _, path := range []string{"/holds/" + strconv.FormatInt(f.ids["others"], 10), "/holds/999999999", "/holds/abc", "/holds/-1"} {
		a := b.do(t, "GET", path, nil)
		wantPage(t, a, http.StatusNotFound, "お探しのものは見つかりません")
		if strings.Contains(a.Body.String(), "予約の経過") {
			t.Errorf("%s shows a hold", path)
		}
	}
}

// TestWebBasketCountsNewTitles: 予約かごへ says how many titles were new to the basket, not how many were ticked.
func TestWebBasketCountsNewTitles(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	cp := e.copies(t, 6)
	b := e.browser()
	b.login(t, "1000001")
	add := func(ids ...string) answer {
		t.Helper()
		return b.do(t, "POST", "/basket/add", url.Values{"_csrf": {csrfOf(t, b.do(t, "GET", "/search", nil))}, "title_id": ids, "back": {"/search"}})
	}
	a := add(cp[0][1])
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/basket?added=1" {
		t.Fatalf("first title = %d → %q", a.Code, a.Header().Get("Location"))
	}
	a = add(cp[0][1], cp[1][1], cp[2][1], cp[3][1], cp[4][1], cp[5][1])
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/basket?added=5" {
		t.Fatalf("6 ticked, 1 already there = %d → %q, want added=5", a.Code, a.Header().Get("Location"))
	}
	wantPage(t, b.do(t, "GET", a.Header().Get("Location"), nil), http.StatusOK, "5 点を予約かごに入れました。")
	a = add(cp[0][1], cp[1][1])
	if a.Header().Get("Location") != "/basket?added=0" {
		t.Fatalf("all already there → %q", a.Header().Get("Location"))
	}
	wantPage(t, b.do(t, "GET", a.Header().Get("Location"), nil), http.StatusOK, "選んだ資料はすでに予約かごに入っています。")
	var n int
	if err := e.db.GetContext(t.Context(), &n, `SELECT count(*) FROM basket_items WHERE patron_id = $1`, e.patron(t, "1000001")); err != nil || n != 6 {
		t.Fatalf("basket holds %d titles (%v), want 6", n, err)
	}
}

// TestWebBasketTicksSurviveLogin: 予約かごへ while logged out leads to the login with the ticked titles, which
// are in the basket once the patron has logged in; a wrong password keeps them on the form.
func TestWebBasketTicksSurviveLogin(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	cp := e.copies(t, 3)
	b := e.browser()
	a := b.do(t, "POST", "/basket/add", url.Values{"_csrf": {csrfOf(t, b.do(t, "GET", "/login", nil))},
		"title_id": {cp[0][1], cp[1][1], cp[2][1]}, "back": {"/search?q=x"}})
	loc := a.Header().Get("Location")
	if a.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?") {
		t.Fatalf("logged out 予約かごへ = %d → %q, want the login", a.Code, loc)
	}
	login := b.do(t, "GET", loc, nil)
	wantPage(t, login, http.StatusOK, "選んだ資料 3 点を予約かごへ入れます", `name="add" value="`+cp[2][1]+`"`)
	form := url.Values{"_csrf": {csrfOf(t, login)}, "card_number": {"1000001"}, "password": {"wrong"}, "next": {"/basket"},
		"add": {cp[0][1], cp[1][1], cp[2][1]}}
	wantPage(t, b.do(t, "POST", "/login", form), http.StatusUnauthorized, `name="add" value="`+cp[1][1]+`"`)
	form.Set("password", "yoyaku-demo")
	a = b.do(t, "POST", "/login", form)
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/basket?added=3" {
		t.Fatalf("login = %d → %q, want the basket with 3 added", a.Code, a.Header().Get("Location"))
	}
	page := b.do(t, "GET", "/basket?added=3", nil)
	wantPage(t, page, http.StatusOK, "3 点を予約かごに入れました。")
	var got []string
	if err := e.db.SelectContext(t.Context(), &got, `SELECT title_id::text FROM basket_items WHERE patron_id = $1 ORDER BY added_at`,
		e.patron(t, "1000001")); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != cp[0][1]+","+cp[1][1]+","+cp[2][1] {
		t.Fatalf("basket %v after the login", got)
	}
}

// TestWebPagesFollowTheTimezone: page dates are in YOYAKU_TIMEZONE, not a zone of the pages' own.
func TestWebPagesFollowTheTimezone(t *testing.T) {
	e := newWebEnv(t, map[string]string{"YOYAKU_TIMEZONE": "Pacific/Honolulu"}, nil)
	cp := e.copies(t, 1)
	var id int64
	// 2026-11-02 05:00 UTC is 14:00 on the 2nd in Tokyo and 19:00 on the 1st in Honolulu.
	if err := e.db.GetContext(t.Context(), &id, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, placed_at)
		VALUES ($1, $2, 'chuo', 'web', 'queued', '2026-11-02 05:00:00+00') RETURNING id`, e.patron(t, "1000001"), cp[0][1]); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login(t, "1000001")
	list := b.do(t, "GET", "/holds", nil)
	wantPage(t, list, http.StatusOK, `data-label="予約日">2026-11-01</td>`)
	page := b.do(t, "GET", "/holds/"+strconv.FormatInt(id, 10), nil)
	wantPage(t, page, http.StatusOK, "2026-11-01 19:00", "<dd>2026-11-01</dd>")
	for _, a := range []answer{list, page} {
		if strings.Contains(a.Body.String(), "2026-11-02") {
			t.Errorf("a page shows the Tokyo date:\n%s", a.Body)
		}
	}
}

// The change page names its pull-down 予約受取館 once (the hold's current place is 現在の予約受取館), and the
// 利用者情報変更 confirmation shows the addresses mail will go to, or sends a patron without one back to the
// form with the guide's message.
func TestWebChangeLabelsAndAccountConfirm(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	f := newHoldFixture(t, e, "1000001")
	b := e.browser()
	b.login(t, "1000001")
	page := b.do(t, "GET", "/holds/"+strconv.FormatInt(f.ids["queued"], 10)+"/change", nil)
	wantPage(t, page, http.StatusOK, "現在の予約受取館")
	if n := strings.Count(html.UnescapeString(page.Body.String()), ">予約受取館<"); n != 1 {
		t.Fatalf("the change page has %d 「予約受取館」 labels, want 1", n)
	}

	confirm := func(b *browser) answer {
		return b.do(t, "POST", "/account/confirm", url.Values{"_csrf": {csrfOf(t, b.do(t, "GET", "/account", nil))}, "method": {"email"}})
	}
	a := confirm(b) // 1000001 has both addresses registered and chosen
	wantPage(t, a, http.StatusOK, "hanako.yamada@example.jp", "hanako@mobile.example.jp")
	if strings.Contains(a.Body.String(), "（登録済みのアドレス）") {
		t.Error("the confirmation shows a placeholder for the addresses")
	}
	var none string
	if err := e.db.GetContext(t.Context(), &none, `SELECT card_number FROM patrons p
		WHERE NOT EXISTS (SELECT 1 FROM patron_emails m WHERE m.patron_id = p.id) ORDER BY card_number LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	other := e.browser()
	other.login(t, none)
	wantPage(t, confirm(other), http.StatusUnprocessableEntity, "該当する E-mail アドレスが存在しません")
}

// TestWebHoldsSeriesNotice: a series hold's later volume shows 準備中 explained, and the guide's series
// caveats (前の順番の資料が用意されないと…, 後の巻から読む場合は窓口へ) appear on 予約状況 in both languages.
func TestWebHoldsSeriesNotice(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	patron := e.patron(t, "1000003")
	cp := e.copies(t, 2)
	var series int64
	if err := e.db.GetContext(t.Context(), &series, `INSERT INTO series_holds (patron_id) VALUES ($1) RETURNING id`, patron); err != nil {
		t.Fatal(err)
	}
	for i, st := range []string{"queued", "preparing"} {
		if _, err := e.db.ExecContext(t.Context(), `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, series_hold_id, series_seq)
			VALUES ($1, $2, 'chuo', 'web', $3, $4, $5)`, patron, cp[i][1], st, series, i+1); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser()
	b.login(t, "1000003")
	wantPage(t, b.do(t, "GET", "/holds", nil), http.StatusOK, "準備中", "前の巻が用意できるまで、後の巻について表示されます",
		"前の順番の資料が用意されないと、次の順番の資料は在庫があっても用意されません", "後の巻から読むのをご希望する場合は、受取館の窓口にお尋ねください")
	wantPage(t, b.do(t, "GET", "/holds?lang=en", nil), http.StatusOK, "a volume is not prepared until the one before it is ready",
		"To read a later volume first, please ask at the counter")
}
