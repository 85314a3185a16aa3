package api

// Tests of the staff catalogue and patron maintenance endpoints (staff_catalogue.go). They reuse
// session_test.go's sessionEnv: PostgreSQL with the demo data, no Temporal.

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"yoyaku/auth"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
)

// title is a valid POST /staff/titles body, changed by the options.
func title(opts ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"title":          "試験の猫である",
		"title_reading":  "シケン ノ ネコ デ アル",
		"author":         "夏目 漱石",
		"author_reading": "ナツメ ソウセキ",
		"publisher":      "試験書房",
		"year":           1905,
		"isbn":           "978-4-00-000000-2",
		"format":         "book",
		"series":         map[string]any{"name": "試験叢書", "volume": 1},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

func with(k string, v any) func(map[string]any) { return func(b map[string]any) { b[k] = v } }
func without(k string) func(map[string]any)     { return func(b map[string]any) { delete(b, k) } }

func TestStaffCatalogueCreatesATitleInASeries(t *testing.T) {
	e := newSessionEnv(t)
	staff := e.staffLogin(t)

	a := e.call(t, "POST", "/api/v1/staff/titles", staff, title())
	if a.Code != http.StatusCreated {
		t.Fatalf("create = %d %s, want 201", a.Code, a.Body)
	}
	var created struct {
		ID string `json:"id"`
	}
	a.decode(&created)
	id, err := strconv.ParseInt(created.ID, 10, 64)
	if err != nil {
		t.Fatalf("id %q is not a numeric string: %s", created.ID, a.Body)
	}

	var row struct {
		Title      string  `db:"title"`
		ISBN       *string `db:"isbn"`
		Format     string  `db:"format"`
		Year       *int    `db:"year"`
		SeriesName string  `db:"series_name"`
		Volume     *int    `db:"volume"`
		URL        *string `db:"url"`
		RefOnly    bool    `db:"reference_only"`
		SearchText string  `db:"search_text"`
	}
	if err := e.db.GetContext(t.Context(), &row, `
		SELECT t.title, t.isbn, t.format, t.year, s.name AS series_name, t.volume, t.url, t.reference_only, t.search_text
		FROM titles t JOIN series s ON s.id = t.series_id WHERE t.id = $1`, id); err != nil {
		t.Fatalf("the title is not in the database with its series: %v", err)
	}
	if row.Title != "試験の猫である" || row.ISBN == nil || *row.ISBN != "9784000000002" || row.Format != "book" ||
		row.Year == nil || *row.Year != 1905 || row.SeriesName != "試験叢書" || row.Volume == nil || *row.Volume != 1 ||
		row.URL != nil || row.RefOnly {
		t.Fatalf("stored %+v", row)
	}
	// The readings are searchable in hiragana without spaces, like the seed's titles.
	for _, want := range []string{"しけんのねこである", "なつめそうせき", domain.SearchKey("試験叢書"), domain.SearchKey("試験書房")} {
		if !strings.Contains(row.SearchText, want) {
			t.Errorf("search_text %q lacks %q", row.SearchText, want)
		}
	}
	if want := domain.SearchText("試験の猫である", "シケン ノ ネコ デ アル", "夏目 漱石", "ナツメ ソウセキ", "試験書房", "試験叢書"); row.SearchText != want {
		t.Errorf("search_text = %q, want %q", row.SearchText, want)
	}

	// Volume 2 joins the same series (found by name, surrounding spaces ignored) ...
	a = e.call(t, "POST", "/api/v1/staff/titles", staff, title(with("series", map[string]any{"name": " 試験叢書 ", "volume": 2}), without("isbn")))
	if a.Code != http.StatusCreated {
		t.Fatalf("volume 2 = %d %s, want 201", a.Code, a.Body)
	}
	var series, volumes int
	if err := e.db.GetContext(t.Context(), &series, `SELECT count(*) FROM series WHERE name = '試験叢書'`); err != nil || series != 1 {
		t.Fatalf("%d series named 試験叢書 (%v), want 1", series, err)
	}
	if err := e.db.GetContext(t.Context(), &volumes, `SELECT count(*) FROM titles t JOIN series s ON s.id = t.series_id WHERE s.name = '試験叢書'`); err != nil || volumes != 2 {
		t.Fatalf("%d volumes (%v), want 2", volumes, err)
	}
	// ... and volume 1 again is a conflict that adds nothing.
	a = e.call(t, "POST", "/api/v1/staff/titles", staff, title(with("title", "別の本")), "Accept-Language", "en")
	if a.Code != http.StatusConflict || a.code() != library.CodeDuplicateVolume || !strings.Contains(a.Body.String(), "already registered") {
		t.Fatalf("duplicate volume = %d %s, want 409 duplicate_volume in English", a.Code, a.Body)
	}
	if err := e.db.GetContext(t.Context(), &volumes, `SELECT count(*) FROM titles WHERE title = '別の本'`); err != nil || volumes != 0 {
		t.Fatalf("%d titles stored by the refused request (%v), want 0", volumes, err)
	}
}

func TestStaffCatalogueAcceptsEveryKindOfTitle(t *testing.T) {
	e := newSessionEnv(t)
	staff := e.staffLogin(t)
	tests := []struct {
		name string
		body map[string]any
	}{
		{"only the required fields", map[string]any{"title": "題名だけ", "format": "magazine"}},
		{"e-text with a URL", title(with("format", "etext"), with("url", "https://www.aozora.gr.jp/cards/000148/card789.html"), without("series"))},
		{"DVD, reference only", title(with("format", "DVD"), with("reference_only", true), with("series", nil))},
		{"ISBN-10 ending in x, with spaces", title(with("isbn", "4 10 101001 x"), without("series"))},
		{"full-width ISBN-13", title(with("isbn", "９７８－４－１０－１０１００１－３"), without("series"))},
		{"empty series object", title(with("series", map[string]any{"name": "", "volume": nil}))},
		{"blank ISBN and null year", title(with("isbn", ""), with("year", nil), without("series"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a := e.call(t, "POST", "/api/v1/staff/titles", staff, tc.body); a.Code != http.StatusCreated {
				t.Fatalf("= %d %s, want 201", a.Code, a.Body)
			}
		})
	}
	var isbns []string
	if err := e.db.SelectContext(t.Context(), &isbns, `SELECT isbn FROM titles WHERE source_key IS NULL AND isbn IS NOT NULL ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(isbns, ",") != "9784000000002,9784000000002,410101001X,9784101010013,9784000000002" {
		t.Fatalf("stored ISBNs %v", isbns)
	}
}

func TestStaffCatalogueTitleRefusals(t *testing.T) {
	e := newSessionEnv(t)
	staff := e.staffLogin(t)
	tests := []struct {
		name   string
		body   any
		status int
		code   httpkit.Code
	}{
		{"no title", title(without("title")), 422, library.CodeInvalidTitle},
		{"blank title", title(with("title", " \u3000 ")), 422, library.CodeInvalidTitle},
		{"title of 501 characters", title(with("title", strings.Repeat("猫", 501))), 422, library.CodeInvalidTitle},
		{"NUL in the title", title(with("title", "猫\u0000")), 422, library.CodeInvalidTitle},
		{"NUL in the author", title(with("author", "漱石\u0000")), 400, httpkit.CodeBadRequest},
		{"no format", title(without("format")), 422, library.CodeInvalidFormat},
		{"unknown format", title(with("format", "scroll")), 422, library.CodeInvalidFormat},
		{"e-text without a URL", title(with("format", "etext"), without("series")), 422, library.CodeInvalidURL},
		{"e-text with an ftp URL", title(with("format", "etext"), with("url", "ftp://example.jp/x")), 422, library.CodeInvalidURL},
		{"e-text with an upper-case scheme", title(with("format", "etext"), with("url", "HTTPS://example.jp/x")), 422, library.CodeInvalidURL},
		{"e-text with a URL without host", title(with("format", "etext"), with("url", "https://")), 422, library.CodeInvalidURL},
		{"CD with a URL", title(with("format", "cd"), with("url", "https://example.jp/listen")), 422, library.CodeInvalidURL},
		{"book with a URL", title(with("url", "https://example.jp/read")), 422, library.CodeInvalidURL},
		{"ISBN of 12 digits", title(with("isbn", "978-4-00-000000")), 422, library.CodeInvalidISBN},
		{"ISBN with a letter", title(with("isbn", "978400000000A")), 422, library.CodeInvalidISBN},
		{"ISBN-13 ending in X", title(with("isbn", "978400000000X")), 422, library.CodeInvalidISBN},
		{"ISBN-10 with X inside", title(with("isbn", "41010X1001")), 422, library.CodeInvalidISBN},
		{"year 0", title(with("year", 0)), 422, library.CodeInvalidYear},
		{"year 10000", title(with("year", 10000)), 422, library.CodeInvalidYear},
		{"year as a string", title(with("year", "1905")), 400, httpkit.CodeBadRequest},
		{"series without a name", title(with("series", map[string]any{"volume": 1})), 422, library.CodeInvalidSeries},
		{"series without a volume", title(with("series", map[string]any{"name": "試験叢書"})), 422, library.CodeInvalidSeries},
		{"series volume 0", title(with("series", map[string]any{"name": "試験叢書", "volume": 0})), 422, library.CodeInvalidSeries},
		{"series volume too large for the column", title(with("series", map[string]any{"name": "試験叢書", "volume": 1 << 40})), 422, library.CodeInvalidSeries},
		{"malformed JSON", `{"title":`, 400, httpkit.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "POST", "/api/v1/staff/titles", staff, tc.body)
			if a.Code != tc.status || a.code() != tc.code {
				t.Fatalf("= %d %.300s, want %d %s", a.Code, a.Body, tc.status, tc.code)
			}
		})
	}
	var n int
	if err := e.db.GetContext(t.Context(), &n, `SELECT count(*) FROM titles WHERE source_key IS NULL`); err != nil || n != 0 {
		t.Fatalf("%d titles stored by refused requests (%v), want 0", n, err)
	}
}

// patron is a valid POST /staff/patrons body, changed by the options.
func patron(opts ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"card_number": "１２３４５６７",
		"name":        "試験 太郎",
		"password":    "correct horse",
		"emails":      []string{"taro@example.jp", "taro.work@example.com"},
		"phones":      []string{"0473-11-2233"},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

func TestStaffCatalogueRegistersAPatron(t *testing.T) {
	e := newSessionEnv(t)
	staff := e.staffLogin(t)

	a := e.call(t, "POST", "/api/v1/staff/patrons", staff, patron())
	if a.Code != http.StatusCreated {
		t.Fatalf("register = %d %s, want 201", a.Code, a.Body)
	}
	var resp staffPatronResponse
	a.decode(&resp)
	if resp.CardNumber != "1234567" || resp.Name != "試験 太郎" {
		t.Fatalf("answer %s, want card 1234567 試験 太郎", a.Body)
	}

	var p struct {
		ID     int64  `db:"id"`
		Method string `db:"contact_method"`
		Hash   string `db:"password_hash"`
	}
	if err := e.db.GetContext(t.Context(), &p, `SELECT id, contact_method, password_hash FROM patrons WHERE card_number = '1234567'`); err != nil {
		t.Fatal(err)
	}
	if p.Method != "email" || !auth.CheckPassword(p.Hash, "correct horse") {
		t.Fatalf("contact method %q, password stored right: %v", p.Method, auth.CheckPassword(p.Hash, "correct horse"))
	}
	var emails []struct {
		Slot    int    `db:"slot"`
		Address string `db:"address"`
		Notify  bool   `db:"notify"`
	}
	if err := e.db.SelectContext(t.Context(), &emails, `SELECT slot, address, notify FROM patron_emails WHERE patron_id = $1 ORDER BY slot`, p.ID); err != nil {
		t.Fatal(err)
	}
	if len(emails) != 2 || emails[0].Slot != 1 || emails[0].Address != "taro@example.jp" || !emails[0].Notify ||
		emails[1].Slot != 2 || emails[1].Address != "taro.work@example.com" || !emails[1].Notify {
		t.Fatalf("e-mails %+v", emails)
	}
	var phones []string
	if err := e.db.SelectContext(t.Context(), &phones, `SELECT number FROM patron_phones WHERE patron_id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if len(phones) != 1 || phones[0] != "0473-11-2233" {
		t.Fatalf("phones %v", phones)
	}

	// The new patron can log in with the card number as typed.
	if a := e.call(t, "POST", "/api/v1/session", "", patronLogin("１２３４５６７", "correct horse")); a.Code != http.StatusOK {
		t.Fatalf("the new patron's login = %d %s", a.Code, a.Body)
	}

	// The same card number again, typed differently, is taken.
	a = e.call(t, "POST", "/api/v1/staff/patrons", staff, patron(with("card_number", "123-4567"), with("name", "別人")))
	if a.Code != http.StatusConflict || a.code() != library.CodeCardNumberTaken {
		t.Fatalf("duplicate card = %d %s, want 409 card_number_taken", a.Code, a.Body)
	}
	// A demo patron's too.
	a = e.call(t, "POST", "/api/v1/staff/patrons", staff, patron(with("card_number", "1000001")))
	if a.Code != http.StatusConflict || a.code() != library.CodeCardNumberTaken {
		t.Fatalf("demo patron's card = %d %s, want 409 card_number_taken", a.Code, a.Body)
	}

	// Without e-mail the contact method is none; the same address or number twice is stored once.
	a = e.call(t, "POST", "/api/v1/staff/patrons", staff, map[string]any{
		"card_number": "7654321", "name": " 試験 花子 ", "password": "12345678", "phones": []string{"０９０－１２３４－５６７８", "090-1234-5678"}})
	if a.Code != http.StatusCreated {
		t.Fatalf("register without e-mail = %d %s", a.Code, a.Body)
	}
	var method string
	var nPhones int
	if err := e.db.GetContext(t.Context(), &method, `SELECT contact_method FROM patrons WHERE card_number = '7654321' AND name = '試験 花子'`); err != nil || method != "none" {
		t.Fatalf("contact method %q (%v), want none", method, err)
	}
	if err := e.db.GetContext(t.Context(), &nPhones, `SELECT count(*) FROM patron_phones f JOIN patrons p ON p.id = f.patron_id WHERE p.card_number = '7654321' AND f.number = '090-1234-5678'`); err != nil || nPhones != 1 {
		t.Fatalf("%d phones (%v), want 1", nPhones, err)
	}
	a = e.call(t, "POST", "/api/v1/staff/patrons", staff, patron(with("card_number", "7654322"), with("emails", []string{"same@example.jp", "SAME@example.jp"})))
	if a.Code != http.StatusCreated {
		t.Fatalf("the same address twice = %d %s, want 201", a.Code, a.Body)
	}
}

func TestStaffCataloguePatronRefusals(t *testing.T) {
	e := newSessionEnv(t)
	staff := e.staffLogin(t)
	tests := []struct {
		name   string
		body   any
		status int
		code   httpkit.Code
	}{
		{"card of 6 digits", patron(with("card_number", "123456")), 422, library.CodeInvalidCardNumber},
		{"card with letters", patron(with("card_number", "12345a7")), 422, library.CodeInvalidCardNumber},
		{"no card", patron(without("card_number")), 422, library.CodeInvalidCardNumber},
		{"no name", patron(without("name")), 422, library.CodeInvalidName},
		{"blank name", patron(with("name", "\u3000")), 422, library.CodeInvalidName},
		{"name with a newline", patron(with("name", "試験\n太郎")), 422, library.CodeInvalidName},
		{"password of 7 bytes", patron(with("password", "1234567")), 422, library.CodeInvalidPassword},
		{"password of 73 bytes", patron(with("password", strings.Repeat("p", 73))), 422, library.CodeInvalidPassword},
		{"3 e-mails", patron(with("emails", []string{"a@example.jp", "b@example.jp", "c@example.jp"})), 422, library.CodeTooManyEmails},
		{"e-mail without @", patron(with("emails", []string{"taro.example.jp"})), 422, library.CodeInvalidEmail},
		{"e-mail with a display name", patron(with("emails", []string{"Taro <taro@example.jp>"})), 422, library.CodeInvalidEmail},
		{"e-mail without a dot in the domain", patron(with("emails", []string{"taro@localhost"})), 422, library.CodeInvalidEmail},
		{"blank e-mail", patron(with("emails", []string{""})), 422, library.CodeInvalidEmail},
		{"e-mail too long", patron(with("emails", []string{strings.Repeat("a", 250) + "@example.jp"})), 422, library.CodeInvalidEmail},
		{"phone with letters", patron(with("phones", []string{"0473-AB-2233"})), 422, library.CodeInvalidPhone},
		{"phone too short", patron(with("phones", []string{"12345"})), 422, library.CodeInvalidPhone},
		{"phone too long", patron(with("phones", []string{strings.Repeat("1", 21)})), 422, library.CodeInvalidPhone},
		{"phone starting with a hyphen", patron(with("phones", []string{"-0473112233"})), 422, library.CodeInvalidPhone},
		{"emails not a list", patron(with("emails", "a@example.jp")), 400, httpkit.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "POST", "/api/v1/staff/patrons", staff, tc.body)
			if a.Code != tc.status || a.code() != tc.code {
				t.Fatalf("= %d %.300s, want %d %s", a.Code, a.Body, tc.status, tc.code)
			}
		})
	}
	var n int
	if err := e.db.GetContext(t.Context(), &n, `SELECT count(*) FROM patrons WHERE card_number = '1234567'`); err != nil || n != 0 {
		t.Fatalf("%d patrons stored by refused requests (%v), want 0", n, err)
	}
}

func TestStaffCatalogueAddsAPhone(t *testing.T) {
	e := newSessionEnv(t)
	staff := e.staffLogin(t)
	var before []string
	if err := e.db.SelectContext(t.Context(), &before, `
		SELECT f.number FROM patron_phones f JOIN patrons p ON p.id = f.patron_id WHERE p.card_number = '1000002' ORDER BY f.id`); err != nil {
		t.Fatal(err)
	}
	want := append(before, "043-999-0000")

	// Twice, the second time typed in full width with spaces: the same number, registered once.
	for _, phone := range []string{"043-999-0000", " ０４３－９９９－００００ "} {
		a := e.call(t, "POST", "/api/v1/staff/patrons/100-0002/phones", staff, map[string]string{"phone": phone})
		if a.Code != http.StatusOK {
			t.Fatalf("add %q = %d %s, want 200", phone, a.Code, a.Body)
		}
		var resp staffPhonesResponse
		a.decode(&resp)
		if resp.CardNumber != "1000002" || strings.Join(resp.Phones, ",") != strings.Join(want, ",") {
			t.Fatalf("add %q answered %s, want card 1000002 with %v", phone, a.Body, want)
		}
	}

	tests := []struct {
		name, path string
		body       any
		status     int
		code       httpkit.Code
	}{
		{"unknown card", "/api/v1/staff/patrons/9999999/phones", map[string]string{"phone": "043-999-0000"}, 404, httpkit.CodeNotFound},
		{"not a card number", "/api/v1/staff/patrons/abc/phones", map[string]string{"phone": "043-999-0000"}, 404, httpkit.CodeNotFound},
		{"invalid phone", "/api/v1/staff/patrons/1000002/phones", map[string]string{"phone": "call me"}, 422, library.CodeInvalidPhone},
		{"no phone", "/api/v1/staff/patrons/1000002/phones", map[string]string{}, 422, library.CodeInvalidPhone},
		{"no body", "/api/v1/staff/patrons/1000002/phones", nil, 400, httpkit.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "POST", tc.path, staff, tc.body)
			if a.Code != tc.status || a.code() != tc.code {
				t.Fatalf("= %d %s, want %d %s", a.Code, a.Body, tc.status, tc.code)
			}
		})
	}
}

func TestStaffCatalogueNeedsAStaffTokenAndASmallBody(t *testing.T) {
	e := newSessionEnv(t)
	patronToken, staff := e.login(t, "1000001"), e.staffLogin(t)
	oversized := func() io.Reader { // chunked: only reading finds the size
		return io.MultiReader(strings.NewReader(`{"title":"`), strings.NewReader(strings.Repeat("x", httpkit.MaxBody)), strings.NewReader(`"}`))
	}
	routes := []struct {
		path string
		body any
	}{
		{"/api/v1/staff/titles", title()},
		{"/api/v1/staff/patrons", patron()},
		{"/api/v1/staff/patrons/1000001/phones", map[string]string{"phone": "043-999-0000"}},
	}
	for _, r := range routes {
		t.Run(r.path, func(t *testing.T) {
			for _, tok := range []struct{ name, token string }{{"patron token", patronToken}, {"no token", ""}} {
				if a := e.call(t, "POST", r.path, tok.token, r.body); a.Code != http.StatusUnauthorized || a.code() != httpkit.CodeUnauthenticated {
					t.Errorf("%s = %d %s, want 401 unauthenticated", tok.name, a.Code, a.Body)
				}
			}
			if a := e.call(t, "POST", r.path, staff, oversized()); a.Code != http.StatusRequestEntityTooLarge || a.code() != httpkit.CodeTooLarge {
				t.Errorf("oversized body = %d %.200s, want 413 payload_too_large", a.Code, a.Body)
			}
		})
	}
	var n int
	if err := e.db.GetContext(t.Context(), &n, `
		SELECT (SELECT count(*) FROM titles WHERE source_key IS NULL) + (SELECT count(*) FROM patrons WHERE card_number = '1234567')
		     + (SELECT count(*) FROM patron_phones WHERE number = '043-999-0000')`); err != nil || n != 0 {
		t.Fatalf("%d rows written by refused requests (%v), want 0", n, err)
	}
}

// TestStaffCatalogueCodesHaveMessages: every code these endpoints answer has a Japanese and an English message.
func TestStaffCatalogueCodesHaveMessages(t *testing.T) {
	for _, code := range []httpkit.Code{library.CodeInvalidTitle, library.CodeInvalidFormat, library.CodeInvalidISBN, library.CodeInvalidURL, library.CodeInvalidYear,
		library.CodeInvalidSeries, library.CodeDuplicateVolume, library.CodeInvalidName, library.CodeInvalidPassword, library.CodeInvalidEmail, library.CodeTooManyEmails,
		library.CodeInvalidPhone, library.CodeCardNumberTaken, library.CodeInvalidCallNumber, library.CodeInvalidShelf} {
		if m, ok := httpkit.Codes[code]; !ok || m.Ja == "" || m.En == "" {
			t.Errorf("%s has messages %q, %q", code, m.Ja, m.En)
		}
	}
}
