package api

// Ready mail refused by the SMTP server, as patrons and staff see it: 利用者情報変更 and GET /api/v1/me show
// the refused address until it is chosen again; the 連絡リスト (page and JSON) shows why an e-mail patron
// is on it.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"yoyaku/auth"
	"yoyaku/httpkit"
)

const refusedText = "このアドレスにメールが届きませんでした"

// The seeded patron 1000001 chose both addresses; the mail server refused the second.
func TestContactRefusedAddressShown(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	ctx := t.Context()
	patron := e.patron(t, "1000001")
	const good, typo = "hanako.yamada@example.jp", "hanako@mobile.example.jp"
	e.db.MustExecContext(ctx, `UPDATE patron_emails SET refused_at = now(), refusal = '550 5.1.1 recipient-1: Recipient address rejected'
		WHERE patron_id = $1 AND address = $2`, patron, typo)
	token, err := auth.Issue(ctx, e.db, auth.KindPatron, patron, auth.PatronTokenTTL)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login(t, "1000001")

	// The mark sits right under the refused address, and nowhere else.
	page := b.do(t, "GET", "/account", nil)
	wantPage(t, page, http.StatusOK, "利用者情報変更", good, typo, refusedText)
	body := page.Body.String()
	if n := strings.Count(body, refusedText); n != 1 {
		t.Fatalf("%q shown %d times, want once", refusedText, n)
	}
	next := regexp.MustCompile(`<label for="email-(\d)">([^<]+)</label></div>\s*<p class="error-text email-refused" id="email-refused-(\d)">` + refusedText + `</p>`)
	if m := next.FindStringSubmatch(body); m == nil || m[2] != typo || m[1] != m[3] {
		t.Fatalf("the mark is not next to %s (%v):\n%s", typo, m, body)
	}
	wantPage(t, b.do(t, "GET", "/account?lang=en", nil), http.StatusOK, "Mail to this address could not be delivered")

	me := func() []map[string]string {
		t.Helper()
		a := b.do(t, "GET", "/api/v1/me", nil, "Authorization", "Bearer "+token)
		if a.Code != http.StatusOK {
			t.Fatalf("GET /me = %d %s", a.Code, a.Body)
		}
		var got struct {
			Refused []map[string]string `json:"refused_emails"`
		}
		if err := json.Unmarshal(a.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		return got.Refused
	}
	if got := me(); len(got) != 1 || got[0]["address"] != typo || !strings.HasPrefix(got[0]["reply"], "550 ") || got[0]["refused_at"] == "" {
		t.Fatalf("GET /me refused_emails = %v", got)
	}

	// Keeping the choice without naming addresses keeps the mark; choosing the address again clears it.
	put := func(body string) {
		t.Helper()
		req := httptest.NewRequest("PUT", "/api/v1/me/contact", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("PUT /me/contact %s = %d %s", body, w.Code, w.Body)
		}
	}
	put(`{"method":"email"}`)
	if got := me(); len(got) != 1 {
		t.Fatalf("after keeping the choice refused_emails = %v, want the mark kept", got)
	}
	put(`{"method":"email","emails":["` + good + `","` + typo + `"]}`)
	if got := me(); len(got) != 0 {
		t.Fatalf("after choosing the address again refused_emails = %v", got)
	}
	page = b.do(t, "GET", "/account", nil)
	wantPage(t, page, http.StatusOK, typo)
	if strings.Contains(page.Body.String(), refusedText) {
		t.Fatalf("the page still shows %q", refusedText)
	}

	// The same through the page's own 更新 (both addresses ticked, as the form shows them).
	e.db.MustExecContext(ctx, `UPDATE patron_emails SET refused_at = now(), refusal = '550 refused' WHERE patron_id = $1 AND address = $2`, patron, typo)
	page = b.do(t, "GET", "/account", nil)
	a := b.do(t, "POST", "/account", url.Values{"_csrf": {csrfOf(t, page)}, "method": {"email"}, "email": {good, typo}})
	if a.Code != http.StatusSeeOther {
		t.Fatalf("更新 = %d %s", a.Code, a.Body)
	}
	if got := me(); len(got) != 0 {
		t.Fatalf("after 更新 with the address ticked refused_emails = %v", got)
	}
}

// The 連絡リスト shows why an e-mail patron is on it: the refused addresses with the server's replies, the
// first registered number to call, or that there is none. A patron who chose a call shows no such mark.
func TestStaffCallListShowsRefusedMail(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	ctx := t.Context()
	var titleID int64
	if err := e.db.GetContext(ctx, &titleID, `SELECT id FROM titles WHERE format = 'book' AND NOT reference_only ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	// 1000005 chose e-mail and has a phone; 1000001 chose e-mail and has none; 1000003 chose a phone call.
	ready := func(card, barcode string) int64 {
		t.Helper()
		e.db.MustExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, 'chuo', 'chuo', 'hold_shelf')`, barcode, titleID)
		var id int64
		if err := e.db.GetContext(ctx, &id, `INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, transition, item_barcode, assigned_at, ready_at)
			VALUES ((SELECT id FROM patrons WHERE card_number = $1), $2, 'chuo', 'web', 'ready', 4, $3, now(), now()) RETURNING id`, card, titleID, barcode); err != nil {
			t.Fatal(err)
		}
		e.db.MustExecContext(ctx, `INSERT INTO notifications (hold_id, channel, idempotency_key) VALUES ($1::bigint, 'phone', 'ready:' || $1::bigint || ':4:phone')`, id)
		return id
	}
	refuse := func(hold int64, addr, reply string) {
		e.db.MustExecContext(ctx, `INSERT INTO notifications (hold_id, channel, address, idempotency_key, refused_at, refusal)
			VALUES ($1::bigint, 'email', $2::text, 'ready:' || $1::bigint || ':4:' || $2::text, now(), $3)`, hold, addr, reply)
	}
	withPhone := ready("1000005", "REFUSED-1")
	refuse(withPhone, "k.tanaka@work.example.jp", "550 5.1.1 recipient-1: User unknown")
	noPhone := ready("1000001", "REFUSED-2")
	refuse(noPhone, "hanako.yamada@example.jp", "550 5.1.1 recipient-1: User unknown")
	refuse(noPhone, "hanako@mobile.example.jp", "552 5.2.2 recipient-1: Mailbox full")
	called := ready("1000003", "REFUSED-3")

	b := e.browser()
	b.staffLoginWeb(t)
	page := b.do(t, "GET", "/staff/call-list", nil)
	wantPage(t, page, http.StatusOK, "連絡リスト", "メール不達", "k.tanaka@work.example.jp", "550 5.1.1 recipient-1: User unknown",
		`href="tel:080-9876-5432"`, "hanako@mobile.example.jp", "552 5.2.2 recipient-1: Mailbox full", "電話番号の登録なし", `href="tel:090-1234-5678"`,
		"選択したアドレスのメールがすべて受け取りを拒否された")
	rows := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<tr id="call-(\d+)">(.*?)</tr>`).FindAllStringSubmatch(page.Body.String(), -1) {
		rows[m[1]] = m[2]
	}
	if r := rows[httpkit.IDString(withPhone)]; strings.Count(r, "メール不達") != 1 || !strings.Contains(r, "080-9876-5432") {
		t.Errorf("row of hold %d:\n%s", withPhone, r)
	}
	if r := rows[httpkit.IDString(noPhone)]; strings.Count(r, "メール不達") != 2 || !strings.Contains(r, "電話番号の登録なし") || strings.Contains(r, "tel:") {
		t.Errorf("row of hold %d:\n%s", noPhone, r)
	}
	if r := rows[httpkit.IDString(called)]; r == "" || strings.Contains(r, "メール不達") {
		t.Errorf("row of the phone patron's hold %d:\n%s", called, r)
	}

	var staff int64
	if err := e.db.GetContext(ctx, &staff, `SELECT id FROM staff_users WHERE login = 'staff'`); err != nil {
		t.Fatal(err)
	}
	token, err := auth.Issue(ctx, e.db, auth.KindStaff, staff, auth.StaffTokenTTL)
	if err != nil {
		t.Fatal(err)
	}
	a := b.do(t, "GET", "/api/v1/staff/call-list?branch=chuo", nil, "Authorization", "Bearer "+token)
	if a.Code != http.StatusOK {
		t.Fatalf("GET call-list = %d %s", a.Code, a.Body)
	}
	var got struct {
		Calls []struct {
			HoldID  string              `json:"hold_id"`
			Phone   string              `json:"phone"`
			Refused []map[string]string `json:"mail_refused"`
		} `json:"calls"`
	}
	if err := json.Unmarshal(a.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		httpkit.IDString(withPhone): "080-9876-5432 k.tanaka@work.example.jp",
		httpkit.IDString(noPhone):   " hanako.yamada@example.jp hanako@mobile.example.jp",
		httpkit.IDString(called):    "090-1234-5678",
	}
	if len(got.Calls) != len(want) {
		t.Fatalf("calls %+v, want %d", got.Calls, len(want))
	}
	for _, c := range got.Calls {
		s := c.Phone
		for _, r := range c.Refused {
			s += " " + r["address"]
			if !strings.HasPrefix(r["reply"], "55") || r["refused_at"] == "" {
				t.Errorf("hold %s: refusal %v", c.HoldID, r)
			}
		}
		if c.Refused == nil {
			t.Errorf("hold %s: mail_refused is null, want a list", c.HoldID)
		}
		if s != want[c.HoldID] {
			t.Errorf("hold %s: %q, want %q", c.HoldID, s, want[c.HoldID])
		}
	}
}
