package api

// 利用者情報変更's form that replaces or removes the registered e-mail addresses (POST /account/emails).

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAccountPageReplacesAndRemovesAddresses(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	patron := e.patron(t, "1000001") // chose e-mail, both addresses registered and chosen
	registered := func() string {
		t.Helper()
		var got []string
		if err := e.db.SelectContext(t.Context(), &got, `SELECT slot || ':' || address || ':' || notify FROM patron_emails
			WHERE patron_id = $1 ORDER BY slot`, patron); err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, " ")
	}
	b := e.browser()
	b.login(t, "1000001")
	page := b.do(t, "GET", "/account", nil)
	wantPage(t, page, http.StatusOK, "登録アドレスの変更・削除", `value="hanako.yamada@example.jp"`, `value="hanako@mobile.example.jp"`)
	start := registered()

	post := func(slots ...string) answer {
		t.Helper()
		return b.do(t, "POST", "/account/emails", url.Values{"_csrf": {csrfOf(t, b.do(t, "GET", "/account", nil))}, "registered": slots})
	}
	// Both emptied: e-mail contact needs one; the page says why and keeps what was typed; nothing changes.
	a := post("", "")
	wantPage(t, a, http.StatusUnprocessableEntity, "アドレスをすべて削除することはできません")
	// A malformed address: the guide's message, the typed text kept.
	a = post("hanako.yamada@example.jp", "not-an-address")
	wantPage(t, a, http.StatusUnprocessableEntity, "E-mail アドレスが正しくありません。", `value="not-an-address"`)
	if got := registered(); got != start {
		t.Fatalf("refused changes changed %s to %s", start, got)
	}

	// Replace the second address, then remove the first: each answers with a redirect (no re-post on refresh).
	a = post("hanako.yamada@example.jp", "new@example.jp")
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/account?emails=1" {
		t.Fatalf("replace = %d %s", a.Code, a.Header())
	}
	if got := registered(); got != "1:hanako.yamada@example.jp:true 2:new@example.jp:false" {
		t.Fatalf("after replacing: %s", got)
	}
	wantPage(t, b.do(t, "GET", "/account?emails=1", nil), http.StatusOK, "登録アドレスを更新しました。", "new@example.jp")
	if a = post("", "new@example.jp"); a.Code != http.StatusSeeOther {
		t.Fatalf("remove = %d %s", a.Code, a.Body)
	}
	// The chosen address is gone, so the one left is chosen: mail still goes somewhere.
	if got := registered(); got != "2:new@example.jp:true" {
		t.Fatalf("after removing: %s", got)
	}
	wantPage(t, b.do(t, "GET", "/account?lang=en", nil), http.StatusOK, "Change or remove registered addresses")
}
