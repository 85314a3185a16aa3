package api

// Tests of PUT /api/v1/me/emails (replace or remove the registered addresses) over PostgreSQL.

import (
	"encoding/json"
	"net/http"
	"testing"

	"yoyaku/httpkit"
	"yoyaku/library"
)

func TestReplaceEmailsRefusals(t *testing.T) {
	e := newSessionEnv(t)
	twoByEmail := mePatron{emails: []string{"a@example.jp", "b@example.jp"}, notify: []bool{true, false}, method: "email"}
	oneByEmail := mePatron{emails: []string{"one@example.jp"}, notify: []bool{true}, method: "email"}
	tests := []struct {
		name   string
		start  mePatron
		body   any
		status int
		code   httpkit.Code
	}{
		{"three addresses", twoByEmail, map[string]any{"emails": []string{"a@example.jp", "b@example.jp", "c@example.jp"}}, 422, library.CodeTooManyEmails},
		{"three new addresses", mePatron{}, map[string]any{"emails": []string{"x@example.jp", "y@example.jp", "z@example.jp"}}, 422, library.CodeTooManyEmails},
		{"a malformed address", twoByEmail, map[string]any{"emails": []string{"a@example.jp", "not-an-address"}}, 422, library.CodeInvalidEmail},
		{"a display name", oneByEmail, map[string]any{"emails": []string{"Taro <taro@example.jp>"}}, 422, library.CodeInvalidEmail},
		{"remove the last address of an e-mail contact", oneByEmail, map[string]any{"emails": []string{}}, 422, library.CodeEmailRequired},
		{"remove both of an e-mail contact", twoByEmail, map[string]any{"emails": []string{" ", ""}}, 422, library.CodeEmailRequired},
		{"no emails field", twoByEmail, map[string]any{}, 422, library.CodeInvalidRequest},
		{"emails null", twoByEmail, `{"emails": null}`, 422, library.CodeInvalidRequest},
		{"emails as a string", twoByEmail, `{"emails": "a@example.jp"}`, 400, httpkit.CodeBadRequest},
		{"malformed JSON", twoByEmail, `{"emails": [`, 400, httpkit.CodeBadRequest},
		{"no body", twoByEmail, nil, 400, httpkit.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, token := e.newMePatron(t, tc.start)
			before := e.contactState(t, id)
			a := e.call(t, "PUT", "/api/v1/me/emails", token, tc.body)
			var b httpkit.ErrorBody
			a.decode(&b)
			if a.Code != tc.status || b.Error.Code != tc.code {
				t.Fatalf("= %d %s, want %d %s", a.Code, a.Body, tc.status, tc.code)
			}
			if after := e.contactState(t, id); after != before {
				t.Fatalf("a refused change changed the patron:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestReplaceEmails covers the accepted replacements: the answer and what is registered and chosen after.
func TestReplaceEmails(t *testing.T) {
	e := newSessionEnv(t)
	ab := []string{"a@example.jp", "b@example.jp"}
	tests := []struct {
		name   string
		start  mePatron
		emails []string
		after  string // contactState afterwards, from method on
	}{
		{"replace the unchosen address", mePatron{emails: ab, notify: []bool{true, false}, method: "email"},
			[]string{"a@example.jp", "c@example.jp"}, "method=email phone=- emails=[1:a@example.jp:true 2:c@example.jp:false]"},
		{"remove the chosen one of two: the other is chosen", mePatron{emails: ab, notify: []bool{true, false}, method: "email"},
			[]string{"b@example.jp"}, "method=email phone=- emails=[2:b@example.jp:true]"},
		{"remove one of two chosen", mePatron{emails: ab, notify: []bool{true, true}, method: "email"},
			[]string{"B@Example.jp"}, "method=email phone=- emails=[2:b@example.jp:true]"},
		{"replace both of an e-mail contact", mePatron{emails: ab, notify: []bool{false, true}, method: "email"},
			[]string{"x@example.jp", "y@example.jp"}, "method=email phone=- emails=[1:x@example.jp:true 2:y@example.jp:true]"},
		{"remove every address without e-mail contact", mePatron{emails: ab, notify: []bool{true, true}, method: "none"},
			[]string{}, "method=none phone=- emails=[]"},
		{"register two without e-mail contact: none chosen", mePatron{method: "none"},
			[]string{"x@example.jp", " ", "X@example.JP", "y@example.jp"}, "method=none phone=- emails=[1:x@example.jp:false 2:y@example.jp:false]"},
		{"the same list changes nothing", mePatron{emails: ab, notify: []bool{false, true}, method: "email"},
			ab, "method=email phone=- emails=[1:a@example.jp:false 2:b@example.jp:true]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, token := e.newMePatron(t, tc.start)
			a := e.call(t, "PUT", "/api/v1/me/emails", token, map[string]any{"emails": tc.emails})
			if a.Code != http.StatusOK {
				t.Fatalf("= %d %s", a.Code, a.Body)
			}
			var got EmailsJSON
			a.decode(&got)
			after := e.contactState(t, id)
			if want := tc.after + " phones=[]"; after != want {
				t.Fatalf("after: %s\nwant   %s", after, want)
			}
			raw, err := json.Marshal(got.Emails)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := compactJSON(t, e.me(t, token)["emails"]), string(raw); g != w {
				t.Fatalf("GET /me emails %s, the answer said %s", g, w)
			}
		})
	}
}
