package api

// Fuzz targets of the JSON bodies that reach validation before any database call: a hold placement
// (POST /api/v1/holds), a staff scan (checkin, pull, missing, receive) and the contact settings
// (PUT /api/v1/me/contact). Each decodes the body as its handler does (bindJSON) and checks it with the
// library's own pure validation (CheckPlacement, ScanShape, ContactWanted).

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// fuzzBodyLimit is the body limit of the fuzz targets: smaller than maxBody, so that short inputs reach
// the 413 path too.
const fuzzBodyLimit = 2048

// bodySeeds are bodies every JSON target starts from: malformed, hostile, oversized and deeply nested.
func bodySeeds() [][]byte {
	return [][]byte{
		nil, []byte(""), []byte(" "), []byte("null"), []byte("{}"), []byte("[]"), []byte(`"x"`), []byte("0"),
		[]byte(`{"title_ids":["1","2"],"pickup_branch":"chuo","mode":"normal"}`),
		[]byte(`{"title_ids":["1"],"pickup_branch":" chuo\u3000","mode":"series"}`),
		[]byte(`{"title_ids":[1,2],"pickup_branch":5,"mode":true}`),
		[]byte(`{"title_ids":"1","mode":"SERIES"}`),
		[]byte(`{"title_ids":["1","2","3","4","5","6","7","8","9","10","11"]}`),
		[]byte(`{"title_ids":["-1","9223372036854775808","١٢٣","1 OR 1=1"]}`),
		[]byte(`{"barcode":"B-0001","branch":"chuo"}`), []byte(`{"barcode":"  B-0001\t","branch":"chuo"}`),
		[]byte(`{"barcode":"B_0001","branch":"chuo"}`), []byte(`{"barcode":"ＢＣ１２３４","branch":"chuo"}`),
		[]byte(`{"barcode":"abc","branch":"<script>"}`), []byte(`{"barcode":"` + strings.Repeat("9", 33) + `"}`),
		[]byte(`{"barcode":"1234\u0000","branch":"chuo\u0000"}`), []byte("{\"barcode\":\"1234\x00\"}"),
		[]byte(`{"method":"email","emails":["a@example.jp"]}`), []byte(`{"method":" EMAIL ","emails":["a@example.jp","b@example.jp"," "]}`),
		[]byte(`{"method":"email","emails":["a@example.jp","b@example.jp","c@example.jp"]}`),
		[]byte(`{"method":"email","emails":["Name <a@example.jp>"]}`), []byte(`{"method":"email","emails":["a@b@c.jp","a@example"]}`),
		[]byte(`{"method":"email","emails":["a\r\nBcc: x@evil.example@example.jp"]}`),
		[]byte(`{"method":"email","emails":["` + strings.Repeat("a", 250) + `@example.jp"]}`),
		[]byte(`{"method":"phone","phone":"０４７３－１２－３４５６"}`), []byte(`{"method":"none","phone":5}`),
		[]byte(`{"method":"fax"}`), []byte(`{"method":"📞"}`), []byte(`{"method":null,"emails":null}`),
		[]byte(`{"a":1}{"b":2}`), []byte(`{"a":1} x`), []byte(`{"a":`), []byte(`{"a":1,}`), []byte(`{'a':1}`),
		[]byte(`{"n":1e999999}`), []byte(`{"n":99999999999999999999999999999999999999}`), []byte(`{"n":-0.0e-0}`),
		[]byte("{\"mode\":\"\xff\xfe\"}"), []byte(`{"mode":"\ud800"}`), []byte("\xef\xbb\xbf{}"),
		[]byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000)), []byte(strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000)),
		[]byte(`{"pickup_branch":"` + strings.Repeat("x", fuzzBodyLimit) + `"}`),
		[]byte(`{"title_ids":["1"],"title_ids":["2"]}`), []byte(`{"TITLE_IDS":["1"]}`),
		[]byte("<?xml version=\"1.0\"?><a/>"), []byte("title_ids=1&pickup_branch=chuo"),
	}
}

// bindFuzz decodes body into v through bindJSON, behind a body limit, and checks what bindJSON answers: a
// success exactly when encoding/json accepts the body, with the same value; else 400 bad_request, or 413
// payload_too_large only for a body over the limit, in the error envelope.
func bindFuzz(t *testing.T, body []byte, v any) bool {
	t.Helper()
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("POST", "/api/v1/fuzz", bytes.NewReader(body))
	c.Request.Header.Set("Content-Type", "application/json")
	c.Request.Body = http.MaxBytesReader(w, c.Request.Body, fuzzBodyLimit)
	ok := httpkit.BindJSON(c, v)

	// encoding/json on the whole body is the reference.
	ref := reflect.New(reflect.TypeOf(v).Elem())
	refErr := json.Unmarshal(body, ref.Interface())
	if len(body) <= fuzzBodyLimit {
		if ok != (refErr == nil) {
			t.Fatalf("bindJSON(%q) = %v, encoding/json says %v", body, ok, refErr)
		}
		if ok && !reflect.DeepEqual(ref.Elem().Interface(), reflect.ValueOf(v).Elem().Interface()) {
			t.Fatalf("bindJSON(%q) = %+v, encoding/json %+v", body, v, ref.Elem().Interface())
		}
	} else if ok {
		t.Fatalf("bindJSON accepted %d bytes over a limit of %d", len(body), fuzzBodyLimit)
	}
	if ok {
		if w.Body.Len() != 0 || c.IsAborted() {
			t.Fatalf("bindJSON(%q) succeeded but answered %d %s", body, w.Code, w.Body)
		}
		return true
	}
	code := envelope(t, w.Code, w.Body.Bytes())
	switch {
	case w.Code == http.StatusBadRequest && code == httpkit.CodeBadRequest:
	case w.Code == http.StatusRequestEntityTooLarge && code == httpkit.CodeTooLarge && len(body) > fuzzBodyLimit:
	default:
		t.Fatalf("bindJSON(%q) = %d %s", body, w.Code, w.Body)
	}
	if !c.IsAborted() {
		t.Fatalf("bindJSON(%q) refused but did not abort", body)
	}
	return false
}

// envelope checks an error answer's body is the OpenAPI document's error envelope with a known code, and returns the code.
func envelope(t *testing.T, status int, body []byte) httpkit.Code {
	t.Helper()
	var b httpkit.ErrorBody
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("%d %q is not the error envelope: %v", status, body, err)
	}
	if _, known := httpkit.Codes[b.Error.Code]; !known || b.Error.Message == "" {
		t.Fatalf("%d %s: unknown code or empty message", status, body)
	}
	return b.Error.Code
}

// refusal checks a validation refusal: a 4xx with a known code among want.
func refusal(t *testing.T, e *httpkit.OpError, want ...httpkit.Code) {
	t.Helper()
	if e.Err != nil || e.Status < 400 || e.Status > 499 {
		t.Fatalf("refusal %v has status %d and error %v", e, e.Status, e.Err)
	}
	if _, known := httpkit.Codes[e.Code]; !known {
		t.Fatalf("refusal code %q has no message", e.Code)
	}
	for _, c := range want {
		if e.Code == c {
			return
		}
	}
	t.Fatalf("refusal code %q, want one of %v", e.Code, want)
}

func addBodySeeds(f *testing.F) {
	for _, b := range bodySeeds() {
		f.Add(b)
	}
}

// FuzzPlaceBody: a placement body is refused with a code, or it is 1..10 titles, mode normal or series,
// and a pickup place without surrounding white space.
func FuzzPlaceBody(f *testing.F) {
	addBodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var req placeRequest
		if !bindFuzz(t, body, &req) {
			return
		}
		p, e := httpkit.Op(library.CheckPlacement(library.Placement{TitleIDs: req.TitleIDs, Pickup: req.PickupBranch, Mode: req.Mode}))
		got := placeRequest{TitleIDs: p.TitleIDs, PickupBranch: p.Pickup, Mode: p.Mode}
		if e != nil {
			refusal(t, e, library.CodeInvalidRequest)
			if len(req.TitleIDs) >= 1 && len(req.TitleIDs) <= library.MaxPlace && (req.Mode == "" || req.Mode == "normal" || req.Mode == "series") {
				t.Fatalf("valid placement %+v refused", req)
			}
			return
		}
		if len(got.TitleIDs) < 1 || len(got.TitleIDs) > library.MaxPlace || !reflect.DeepEqual(got.TitleIDs, req.TitleIDs) {
			t.Fatalf("placement %+v accepted as %+v", req, got)
		}
		if got.Mode != "normal" && got.Mode != "series" || req.Mode != "" && got.Mode != req.Mode {
			t.Fatalf("mode %q accepted as %q", req.Mode, got.Mode)
		}
		if got.PickupBranch != strings.TrimSpace(got.PickupBranch) || !strings.Contains(req.PickupBranch, got.PickupBranch) {
			t.Fatalf("pickup %q accepted as %q", req.PickupBranch, got.PickupBranch)
		}
	})
}

// FuzzScanBody: a staff scan is refused with invalid_barcode, or its barcode is 4 to 32 ASCII letters,
// digits and hyphens, and barcode and branch are what was sent without surrounding white space.
func FuzzScanBody(f *testing.F) {
	addBodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var req scanRequest
		if !bindFuzz(t, body, &req) {
			return
		}
		sc, e := httpkit.Op(library.ScanShape(library.Scan(req)))
		got := scanRequest(sc)
		if e != nil {
			refusal(t, e, library.CodeInvalidBarcode)
			return
		}
		if n := len(got.Barcode); n < 4 || n > 32 || strings.ContainsFunc(got.Barcode, func(r rune) bool {
			return r > unicode.MaxASCII || !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r))
		}) {
			t.Fatalf("barcode %q accepted as %q", req.Barcode, got.Barcode)
		}
		if got.Barcode != strings.TrimSpace(req.Barcode) || got.Branch != strings.TrimSpace(req.Branch) {
			t.Fatalf("scan %+v accepted as %+v", req, got)
		}
	})
}

// FuzzContactBody: contact settings are refused with invalid_contact or invalid_email, or they are one of
// the three methods with, for e-mail, every non-blank address given, each a plain address (one @, no
// display name, no white space or control characters, at most 254 bytes) that normalizes to itself.
func FuzzContactBody(f *testing.F) {
	addBodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var req contactRequest
		if !bindFuzz(t, body, &req) {
			return
		}
		got, e := httpkit.Op(library.ContactWanted(library.Contact(req)))
		method := strings.ToLower(strings.TrimSpace(req.Method))
		if e != nil {
			refusal(t, e, library.CodeInvalidContact, library.CodeInvalidEmail)
			if e.Code == library.CodeInvalidContact && (method == store.ContactEmail || method == store.ContactPhone || method == store.ContactNone) {
				t.Fatalf("method %q refused as invalid", req.Method)
			}
			if e.Code == library.CodeInvalidEmail && method != store.ContactEmail {
				t.Fatalf("addresses checked for method %q", req.Method)
			}
			return
		}
		if got.Method != method {
			t.Fatalf("method %q accepted as %q", req.Method, got.Method)
		}
		switch got.Method {
		case store.ContactEmail:
			given := 0
			for _, a := range req.Emails {
				if strings.TrimSpace(a) != "" {
					given++
				}
			}
			if len(got.Emails) != given {
				t.Fatalf("addresses %q accepted as %q", req.Emails, got.Emails)
			}
			for _, a := range got.Emails {
				if strings.Count(a, "@") != 1 || len(a) > library.MaxEmailBytes || !utf8.ValidString(a) ||
					strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' }) {
					t.Fatalf("address %q accepted", a)
				}
				if again, ok := library.NormalizeEmail(a); !ok || again != a {
					t.Fatalf("address %q normalizes to %q, %v", a, again, ok)
				}
			}
		case store.ContactPhone, store.ContactNone:
			if len(got.Emails) != 0 {
				t.Fatalf("method %q with addresses %q", got.Method, got.Emails)
			}
			if got.Phone != req.Phone {
				t.Fatalf("phone %q became %q", req.Phone, got.Phone)
			}
		default:
			t.Fatalf("method %q accepted", got.Method)
		}
	})
}
