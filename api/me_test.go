package api

// Tests of GET /api/v1/me and PUT /api/v1/me/contact over PostgreSQL (no Temporal). Each case gets its own
// patron, made directly in the database with the contact settings it starts from.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"yoyaku/auth"
	"yoyaku/httpkit"
	"yoyaku/library"
)

// mePatron is what a test patron starts with: registered addresses (slot order) and whether each is
// chosen, registered numbers, and the method (phone means phones[phone]).
type mePatron struct {
	emails []string
	notify []bool
	phones []string
	method string
	phone  int
}

var meCards atomic.Int64

// newMePatron creates a patron with the settings of p and returns its ID and a live token.
func (e *sessionEnv) newMePatron(t *testing.T, p mePatron) (int64, string) {
	t.Helper()
	ctx := t.Context()
	card := fmt.Sprintf("%07d", 3000000+meCards.Add(1))
	var id int64
	if err := e.db.GetContext(ctx, &id, `INSERT INTO patrons (card_number, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
		card, "試験 "+card); err != nil {
		t.Fatal(err)
	}
	for i, addr := range p.emails {
		notify := i < len(p.notify) && p.notify[i]
		e.db.MustExecContext(ctx, `INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, $2, $3, $4)`, id, i+1, addr, notify)
	}
	var phoneIDs []int64
	for _, number := range p.phones {
		var pid int64
		if err := e.db.GetContext(ctx, &pid, `INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2) RETURNING id`, id, number); err != nil {
			t.Fatal(err)
		}
		phoneIDs = append(phoneIDs, pid)
	}
	switch p.method {
	case "email":
		e.db.MustExecContext(ctx, `UPDATE patrons SET contact_method = 'email' WHERE id = $1`, id)
	case "phone":
		e.db.MustExecContext(ctx, `UPDATE patrons SET contact_method = 'phone', contact_phone_id = $2 WHERE id = $1`, id, phoneIDs[p.phone])
	}
	token, err := auth.Issue(ctx, e.db, auth.KindPatron, id, auth.PatronTokenTTL)
	if err != nil {
		t.Fatal(err)
	}
	return id, token
}

// contactState is everything PUT /me/contact may change, as one comparable string.
func (e *sessionEnv) contactState(t *testing.T, id int64) string {
	t.Helper()
	ctx := t.Context()
	var p struct {
		Method string `db:"contact_method"`
		Phone  *int64 `db:"contact_phone_id"`
	}
	if err := e.db.GetContext(ctx, &p, `SELECT contact_method, contact_phone_id FROM patrons WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	var emails []string
	if err := e.db.SelectContext(ctx, &emails, `SELECT slot || ':' || address || ':' || notify FROM patron_emails WHERE patron_id = $1 ORDER BY slot`, id); err != nil {
		t.Fatal(err)
	}
	var phones []string
	if err := e.db.SelectContext(ctx, &phones, `SELECT id || ':' || number FROM patron_phones WHERE patron_id = $1 ORDER BY id`, id); err != nil {
		t.Fatal(err)
	}
	phone := "-"
	if p.Phone != nil {
		phone = fmt.Sprint(*p.Phone)
	}
	return fmt.Sprintf("method=%s phone=%s emails=%v phones=%v", p.Method, phone, emails, phones)
}

// me reads GET /api/v1/me as raw JSON fields.
func (e *sessionEnv) me(t *testing.T, token string) map[string]json.RawMessage {
	t.Helper()
	a := e.call(t, "GET", "/api/v1/me", token, nil)
	if a.Code != http.StatusOK {
		t.Fatalf("GET /me = %d %s", a.Code, a.Body)
	}
	var m map[string]json.RawMessage
	a.decode(&m)
	return m
}

func compactJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMeShowsThePatronsOwnRecord(t *testing.T) {
	e := newSessionEnv(t)
	tests := []struct {
		card string
		want string // the whole answer, keys sorted
	}{
		{"1000001", `{"card_number":"1000001","contact":{"emails":["hanako.yamada@example.jp","hanako@mobile.example.jp"],"method":"email"},` +
			`"emails":["hanako.yamada@example.jp","hanako@mobile.example.jp"],"name":"山田 花子","phones":[],"refused_emails":[]}`},
		{"1000003", `{"card_number":"1000003","contact":{"method":"phone","phone":"090-1234-5678"},"emails":[],"name":"鈴木 一郎",` +
			`"phones":["090-1234-5678","03-1234-5678"],"refused_emails":[]}`},
		{"1000004", `{"card_number":"1000004","contact":{"method":"none"},"emails":[],"name":"高橋 美咲","phones":[],"refused_emails":[]}`},
		{"1000005", `{"card_number":"1000005","contact":{"emails":["k.tanaka@work.example.jp"],"method":"email"},` +
			`"emails":["kenta.tanaka@example.jp","k.tanaka@work.example.jp"],"name":"田中 健太","phones":["080-9876-5432"],"refused_emails":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.card, func(t *testing.T) {
			a := e.call(t, "GET", "/api/v1/me", e.login(t, tc.card), nil)
			if a.Code != http.StatusOK {
				t.Fatalf("GET /me = %d %s", a.Code, a.Body)
			}
			if got := compactJSON(t, a.Body.Bytes()); got != tc.want {
				t.Fatalf("GET /me =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	t.Run("unauthenticated", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{{"GET", "/api/v1/me"}, {"PUT", "/api/v1/me/contact"}} {
			if a := e.call(t, r.method, r.path, "", map[string]string{"method": "none"}); a.Code != http.StatusUnauthorized || a.code() != httpkit.CodeUnauthenticated {
				t.Errorf("%s %s without a token = %d %s", r.method, r.path, a.Code, a.Body)
			}
		}
		if a := e.call(t, "GET", "/api/v1/me", e.staffLogin(t), nil); a.Code != http.StatusUnauthorized {
			t.Errorf("GET /me with a staff token = %d %s", a.Code, a.Body)
		}
	})
}

// TestContactRefusals covers every 422 of PUT /me/contact (and the malformed bodies): each answers its code
// and changes nothing.
func TestContactRefusals(t *testing.T) {
	e := newSessionEnv(t)
	noEmail := mePatron{phones: []string{"047-111-2222"}, method: "phone"}
	oneEmail := mePatron{emails: []string{"one@example.jp"}, notify: []bool{true}, method: "email"}
	twoEmails := mePatron{emails: []string{"a@example.jp", "b@example.jp"}, notify: []bool{false, true}, phones: []string{"0473-33-4444"}, method: "email"}
	tests := []struct {
		name   string
		start  mePatron
		body   any
		lang   string
		status int
		code   httpkit.Code
		msg    string
	}{
		{"email, none registered, no emails field", noEmail, map[string]any{"method": "email"}, "", 422, library.CodeEmailRequired, "該当する E-mail アドレスが存在しません"},
		{"email, none registered, empty list", noEmail, map[string]any{"method": "email", "emails": []string{}}, "", 422, library.CodeEmailRequired, "該当する E-mail アドレスが存在しません"},
		{"email, none registered, blank field", noEmail, map[string]any{"method": "email", "emails": []string{"  "}}, "", 422, library.CodeEmailRequired, ""},
		{"email, none registered, English", mePatron{}, map[string]any{"method": "email", "emails": nil}, "en", 422, library.CodeEmailRequired, "No e-mail address is registered: enter an address."},
		{"not an address", noEmail, map[string]any{"method": "email", "emails": []string{"not-an-address"}}, "", 422, library.CodeInvalidEmail, "E-mail アドレスが正しくありません。"},
		{"no dot in the domain", oneEmail, map[string]any{"method": "email", "emails": []string{"a@localhost"}}, "", 422, library.CodeInvalidEmail, ""},
		{"a display name", oneEmail, map[string]any{"method": "email", "emails": []string{"Taro <taro@example.jp>"}}, "", 422, library.CodeInvalidEmail, ""},
		{"a space inside", oneEmail, map[string]any{"method": "email", "emails": []string{"ta ro@example.jp"}}, "", 422, library.CodeInvalidEmail, ""},
		{"two at signs", oneEmail, map[string]any{"method": "email", "emails": []string{"a@b@example.jp"}}, "", 422, library.CodeInvalidEmail, ""},
		{"a valid and an invalid one", noEmail, map[string]any{"method": "email", "emails": []string{"ok@example.jp", "bad@"}}, "", 422, library.CodeInvalidEmail, ""},
		{"a third address", twoEmails, map[string]any{"method": "email", "emails": []string{"c@example.jp"}}, "", 422, library.CodeTooManyEmails, "E-mail アドレスは2件まで登録できます。"},
		{"a registered and a third address", twoEmails, map[string]any{"method": "email", "emails": []string{"a@example.jp", "c@example.jp"}}, "", 422, library.CodeTooManyEmails, ""},
		{"three addresses", noEmail, map[string]any{"method": "email", "emails": []string{"x@example.jp", "y@example.jp", "z@example.jp"}}, "", 422, library.CodeTooManyEmails, ""},
		{"three, all registered or not", twoEmails, map[string]any{"method": "email", "emails": []string{"a@example.jp", "b@example.jp", "c@example.jp"}}, "", 422, library.CodeTooManyEmails, ""},
		{"one registered, two new", oneEmail, map[string]any{"method": "email", "emails": []string{"x@example.jp", "y@example.jp"}}, "", 422, library.CodeTooManyEmails, ""},
		{"an unregistered number", twoEmails, map[string]any{"method": "phone", "phone": "0473-99-9999"}, "", 422, library.CodeUnknownPhone, "図書館に登録している電話連絡先のみ選択できます。連絡先電話番号を追加する場合は、図書館窓口で手続きをしてください。"},
		{"no number registered", oneEmail, map[string]any{"method": "phone", "phone": "0473-33-4444"}, "", 422, library.CodeUnknownPhone, ""},
		{"no number given", twoEmails, map[string]any{"method": "phone"}, "", 422, library.CodeUnknownPhone, ""},
		{"a prefix of a registered number", twoEmails, map[string]any{"method": "phone", "phone": "0473-33"}, "", 422, library.CodeUnknownPhone, ""},
		{"a number in international form", twoEmails, map[string]any{"method": "phone", "phone": "+81-473-33-4444"}, "", 422, library.CodeUnknownPhone, ""},
		{"an unknown method", twoEmails, map[string]any{"method": "fax"}, "", 422, library.CodeInvalidContact, "予約連絡方法が正しくありません。"},
		{"no method", twoEmails, map[string]any{"emails": []string{"a@example.jp"}}, "", 422, library.CodeInvalidContact, ""},
		{"malformed JSON", twoEmails, `{"method": "none"`, "", 400, httpkit.CodeBadRequest, ""},
		{"emails as a string", twoEmails, `{"method": "email", "emails": "a@example.jp"}`, "", 400, httpkit.CodeBadRequest, ""},
		{"phone as a number", twoEmails, `{"method": "phone", "phone": 4733344444}`, "", 400, httpkit.CodeBadRequest, ""},
		{"not an object", twoEmails, `["none"]`, "", 400, httpkit.CodeBadRequest, ""},
		{"no body", twoEmails, nil, "", 400, httpkit.CodeBadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, token := e.newMePatron(t, tc.start)
			before := e.contactState(t, id)
			a := e.call(t, "PUT", "/api/v1/me/contact", token, tc.body, "Accept-Language", tc.lang)
			var b httpkit.ErrorBody
			a.decode(&b)
			if a.Code != tc.status || b.Error.Code != tc.code || (tc.msg != "" && b.Error.Message != tc.msg) {
				t.Fatalf("= %d %s, want %d %s %q", a.Code, a.Body, tc.status, tc.code, tc.msg)
			}
			if after := e.contactState(t, id); after != before {
				t.Fatalf("a refused change changed the patron:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestContactChanges covers the accepted changes: the answer, what GET /me shows afterwards and which
// addresses are notified.
func TestContactChanges(t *testing.T) {
	e := newSessionEnv(t)
	ab := []string{"a@example.jp", "b@example.jp"}
	phones := []string{"047-111-2222", "090-3333-4444"}
	tests := []struct {
		name    string
		start   mePatron
		body    any
		want    string   // the answer
		emails  []string // registered afterwards, in slot order
		notify  []string // chosen afterwards
		phoneID int      // index of the chosen phone, -1 for none
	}{
		{"choose one of two", mePatron{emails: ab, notify: []bool{true, true}, method: "email"},
			map[string]any{"method": "email", "emails": []string{"b@example.jp"}},
			`{"emails":["b@example.jp"],"method":"email"}`, ab, []string{"b@example.jp"}, -1},
		{"choose both", mePatron{emails: ab, notify: []bool{true, false}, method: "none"},
			map[string]any{"method": "email", "emails": []string{"b@example.jp", "a@example.jp"}},
			`{"emails":["a@example.jp","b@example.jp"],"method":"email"}`, ab, ab, -1},
		{"register the first address", mePatron{method: "none"},
			map[string]any{"method": "email", "emails": []string{"new@example.jp"}},
			`{"emails":["new@example.jp"],"method":"email"}`, []string{"new@example.jp"}, []string{"new@example.jp"}, -1},
		{"register two at once", mePatron{phones: phones, method: "phone"},
			map[string]any{"method": "email", "emails": []string{"x@example.jp", "y@example.jp"}},
			`{"emails":["x@example.jp","y@example.jp"],"method":"email"}`, []string{"x@example.jp", "y@example.jp"}, []string{"x@example.jp", "y@example.jp"}, -1},
		{"register a second and choose both", mePatron{emails: ab[:1], notify: []bool{true}, method: "email"},
			map[string]any{"method": "email", "emails": []string{"a@example.jp", " new@example.jp "}},
			`{"emails":["a@example.jp","new@example.jp"],"method":"email"}`, []string{"a@example.jp", "new@example.jp"}, []string{"a@example.jp", "new@example.jp"}, -1},
		{"register a second, choose only it", mePatron{emails: ab[:1], notify: []bool{true}, method: "email"},
			map[string]any{"method": "email", "emails": []string{"new@example.jp"}},
			`{"emails":["new@example.jp"],"method":"email"}`, []string{"a@example.jp", "new@example.jp"}, []string{"new@example.jp"}, -1},
		{"a registered address in another case", mePatron{emails: ab, notify: []bool{true, false}, method: "email"},
			map[string]any{"method": "email", "emails": []string{"B@Example.JP"}},
			`{"emails":["b@example.jp"],"method":"email"}`, ab, []string{"b@example.jp"}, -1},
		{"the same address twice", mePatron{emails: ab[:1], method: "none"},
			map[string]any{"method": "email", "emails": []string{"a@example.jp", "a@example.jp"}},
			`{"emails":["a@example.jp"],"method":"email"}`, ab[:1], ab[:1], -1},
		{"blank fields are ignored", mePatron{emails: ab, method: "none"},
			map[string]any{"method": "email", "emails": []string{"", "b@example.jp", " "}},
			`{"emails":["b@example.jp"],"method":"email"}`, ab, []string{"b@example.jp"}, -1},
		{"email without addresses keeps the chosen one", mePatron{emails: ab, notify: []bool{false, true}, phones: phones, method: "phone"},
			map[string]any{"method": "email"},
			`{"emails":["b@example.jp"],"method":"email"}`, ab, []string{"b@example.jp"}, -1},
		{"email without addresses, none chosen: all", mePatron{emails: ab, method: "none"},
			map[string]any{"method": "email", "emails": []string{}},
			`{"emails":["a@example.jp","b@example.jp"],"method":"email"}`, ab, ab, -1},
		{"phone as registered", mePatron{emails: ab, notify: []bool{true, true}, phones: phones, method: "email"},
			map[string]any{"method": "phone", "phone": "090-3333-4444"},
			`{"method":"phone","phone":"090-3333-4444"}`, ab, ab, 1},
		{"phone in full-width digits", mePatron{phones: phones, method: "none"},
			map[string]any{"method": "phone", "phone": "０４７－１１１－２２２２"},
			`{"method":"phone","phone":"047-111-2222"}`, nil, nil, 0},
		{"phone without hyphens", mePatron{phones: phones, method: "phone", phone: 0},
			map[string]any{"method": "phone", "phone": "09033334444"},
			`{"method":"phone","phone":"090-3333-4444"}`, nil, nil, 1},
		{"phone with other dashes and spaces", mePatron{phones: phones, method: "none"},
			map[string]any{"method": "phone", "phone": " 090ー3333‐4444 "},
			`{"method":"phone","phone":"090-3333-4444"}`, nil, nil, 1},
		{"phone ignores the emails field", mePatron{phones: phones, method: "none"},
			map[string]any{"method": "phone", "phone": "047-111-2222", "emails": []string{"not an address"}},
			`{"method":"phone","phone":"047-111-2222"}`, nil, nil, 0},
		{"none from phone", mePatron{phones: phones, method: "phone", phone: 1},
			map[string]any{"method": "none"}, `{"method":"none"}`, nil, nil, -1},
		{"none keeps the chosen addresses for later", mePatron{emails: ab, notify: []bool{false, true}, method: "email"},
			map[string]any{"method": "none", "phone": "047-111-2222"}, `{"method":"none"}`, ab, []string{"b@example.jp"}, -1},
		{"the method in capitals", mePatron{method: "email"},
			map[string]any{"method": " NONE "}, `{"method":"none"}`, nil, nil, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, token := e.newMePatron(t, tc.start)
			a := e.call(t, "PUT", "/api/v1/me/contact", token, tc.body)
			if a.Code != http.StatusOK {
				t.Fatalf("= %d %s, want 200", a.Code, a.Body)
			}
			if got := compactJSON(t, a.Body.Bytes()); got != tc.want {
				t.Fatalf("answer %s, want %s", got, tc.want)
			}
			me := e.me(t, token)
			if got := compactJSON(t, me["contact"]); got != tc.want {
				t.Errorf("GET /me contact %s, want %s", got, tc.want)
			}
			var registered []string
			if err := json.Unmarshal(me["emails"], &registered); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(registered, tc.emails) && (len(registered) != 0 || len(tc.emails) != 0) {
				t.Errorf("registered addresses %v, want %v", registered, tc.emails)
			}
			var notify []string
			if err := e.db.SelectContext(t.Context(), &notify, `SELECT address FROM patron_emails WHERE patron_id = $1 AND notify ORDER BY slot`, id); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(notify, tc.notify) && (len(notify) != 0 || len(tc.notify) != 0) {
				t.Errorf("notified addresses %v, want %v", notify, tc.notify)
			}
			var phone *string
			if err := e.db.GetContext(t.Context(), &phone, `SELECT ph.number FROM patrons p LEFT JOIN patron_phones ph ON ph.id = p.contact_phone_id WHERE p.id = $1`, id); err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.phoneID < 0 && phone != nil:
				t.Errorf("contact phone %s, want none", *phone)
			case tc.phoneID >= 0 && (phone == nil || *phone != phones[tc.phoneID]):
				t.Errorf("contact phone %v, want %s", phone, phones[tc.phoneID])
			}
		})
	}
}

// TestContactSwitchingBetweenMethods walks one patron through every method and back.
func TestContactSwitchingBetweenMethods(t *testing.T) {
	e := newSessionEnv(t)
	_, token := e.newMePatron(t, mePatron{phones: []string{"0473-11-2222", "080-5555-6666"}, method: "none"})
	steps := []struct {
		body any
		want string
	}{
		{map[string]any{"method": "email"}, "email_required"},
		{map[string]any{"method": "email", "emails": []string{"first@example.jp"}}, `{"emails":["first@example.jp"],"method":"email"}`},
		{map[string]any{"method": "phone", "phone": "0473-11-2222"}, `{"method":"phone","phone":"0473-11-2222"}`},
		{map[string]any{"method": "phone", "phone": "080-5555-6666"}, `{"method":"phone","phone":"080-5555-6666"}`},
		{map[string]any{"method": "email", "emails": []string{"first@example.jp", "second@example.jp"}}, `{"emails":["first@example.jp","second@example.jp"],"method":"email"}`},
		{map[string]any{"method": "none"}, `{"method":"none"}`},
		{map[string]any{"method": "email"}, `{"emails":["first@example.jp","second@example.jp"],"method":"email"}`}, // the previous choice
		{map[string]any{"method": "email", "emails": []string{"second@example.jp"}}, `{"emails":["second@example.jp"],"method":"email"}`},
		{map[string]any{"method": "email", "emails": []string{"third@example.jp"}}, "too_many_emails"},
		{map[string]any{"method": "phone", "phone": "０８０５５５５６６６６"}, `{"method":"phone","phone":"080-5555-6666"}`},
		{map[string]any{"method": "email"}, `{"emails":["second@example.jp"],"method":"email"}`},
		{map[string]any{"method": "none"}, `{"method":"none"}`},
	}
	for i, st := range steps {
		a := e.call(t, "PUT", "/api/v1/me/contact", token, st.body)
		got := string(a.code())
		if a.Code == http.StatusOK {
			got = compactJSON(t, a.Body.Bytes())
		}
		if got != st.want {
			t.Fatalf("step %d %v = %d %s, want %s", i, st.body, a.Code, a.Body, st.want)
		}
		want := st.want
		if a.Code != http.StatusOK {
			continue
		}
		if c := compactJSON(t, e.me(t, token)["contact"]); c != want {
			t.Fatalf("step %d: GET /me contact %s, want %s", i, c, want)
		}
	}
	var me struct {
		Emails []string `json:"emails"`
		Phones []string `json:"phones"`
	}
	e.call(t, "GET", "/api/v1/me", token, nil).decode(&me)
	if !slices.Equal(me.Emails, []string{"first@example.jp", "second@example.jp"}) || !slices.Equal(me.Phones, []string{"0473-11-2222", "080-5555-6666"}) {
		t.Fatalf("registered at the end: %+v", me)
	}
}

// TestContactIsThePatronsOwn: a patron cannot choose another patron's number or see their data, and
// registering an address another patron has is no business of theirs (each patron has their own).
func TestContactIsThePatronsOwn(t *testing.T) {
	e := newSessionEnv(t)
	aID, aToken := e.newMePatron(t, mePatron{emails: []string{"shared@example.jp"}, notify: []bool{true}, phones: []string{"047-777-8888"}, method: "phone"})
	bID, bToken := e.newMePatron(t, mePatron{method: "none"})
	aBefore := e.contactState(t, aID)

	if a := e.call(t, "PUT", "/api/v1/me/contact", bToken, map[string]any{"method": "phone", "phone": "047-777-8888"}); a.Code != 422 || a.code() != library.CodeUnknownPhone {
		t.Fatalf("choosing another patron's number = %d %s, want 422 unknown_phone", a.Code, a.Body)
	}
	if a := e.call(t, "PUT", "/api/v1/me/contact", bToken, map[string]any{"method": "email", "emails": []string{"shared@example.jp"}}); a.Code != 200 {
		t.Fatalf("B registering an address A also has = %d %s", a.Code, a.Body)
	}
	if after := e.contactState(t, aID); after != aBefore {
		t.Fatalf("B's changes changed A:\nbefore %s\nafter  %s", aBefore, after)
	}
	var aMe, bMe MeJSON
	e.call(t, "GET", "/api/v1/me", aToken, nil).decode(&aMe)
	e.call(t, "GET", "/api/v1/me", bToken, nil).decode(&bMe)
	if len(bMe.Phones) != 0 || !slices.Equal(bMe.Emails, []string{"shared@example.jp"}) || bMe.CardNumber == aMe.CardNumber {
		t.Fatalf("B sees %+v (A is %+v)", bMe, aMe)
	}
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM patron_emails WHERE patron_id = $1`, bID); err != nil || n != 1 {
		t.Fatalf("B has %d addresses (%v), want 1", n, err)
	}
}
