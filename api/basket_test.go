package api

// Tests of the reservation basket (予約かご) over PostgreSQL (no Temporal).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
)

// basketTitles creates n holdable books and returns their IDs.
func (e *sessionEnv) basketTitles(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.basketTitle(t, domain.FormatBook, false)
	}
	return ids
}

var basketTitleSeq atomic.Int64

func (e *sessionEnv) basketTitle(t *testing.T, format domain.Format, referenceOnly bool) string {
	t.Helper()
	name := fmt.Sprintf("かご試験資料%d", basketTitleSeq.Add(1))
	var url *string
	if format == domain.FormatEText {
		u := "https://www.aozora.gr.jp/cards/000000/card1.html"
		url = &u
	}
	var id int64
	if err := e.db.GetContext(t.Context(), &id, `INSERT INTO titles (title, format, reference_only, url, search_text)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, name, format, referenceOnly, url, domain.SearchKey(name)); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}

func (e *sessionEnv) basket(t *testing.T, token string) BasketJSON {
	t.Helper()
	a := e.call(t, "GET", "/api/v1/basket", token, nil)
	if a.Code != http.StatusOK {
		t.Fatalf("GET /basket = %d %s", a.Code, a.Body)
	}
	var b BasketJSON
	a.decode(&b)
	return b
}

func basketIDs(b BasketJSON) []string {
	ids := make([]string, len(b.Titles))
	for i, it := range b.Titles {
		ids[i] = it.TitleID
	}
	return ids
}

// basketRows is the patron's basket as stored, with the times, to see that a refusal changed nothing.
func (e *sessionEnv) basketRows(t *testing.T, patronID int64) string {
	t.Helper()
	var rows []string
	if err := e.db.SelectContext(t.Context(), &rows, `SELECT title_id || '@' || added_at FROM basket_items WHERE patron_id = $1 ORDER BY title_id`, patronID); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(rows)
}

func (e *sessionEnv) addToBasket(t *testing.T, token string, ids ...string) answer {
	t.Helper()
	return e.call(t, "POST", "/api/v1/basket", token, map[string]any{"title_ids": ids})
}

func TestBasketAdd(t *testing.T) {
	e := newSessionEnv(t)
	ti := e.basketTitles(t, 12)
	reference := e.basketTitle(t, domain.FormatBook, true)
	etext := e.basketTitle(t, domain.FormatEText, false)
	tests := []struct {
		name   string
		before []string // in the basket first, added one by one
		body   any
		status int
		code   httpkit.Code
		want   []string // the basket afterwards, oldest first
	}{
		{"one title", nil, map[string]any{"title_ids": ti[:1]}, 200, "", ti[:1]},
		{"several at once", nil, map[string]any{"title_ids": ti[:3]}, 200, "", ti[:3]},
		{"ten at once", nil, map[string]any{"title_ids": ti[:10]}, 200, "", ti[:10]},
		{"up to exactly ten", ti[:7], map[string]any{"title_ids": ti[7:10]}, 200, "", ti[:10]},
		{"a title already in the basket", ti[:2], map[string]any{"title_ids": ti[1:2]}, 200, "", ti[:2]},
		{"titles in the basket and new ones", ti[:2], map[string]any{"title_ids": []string{ti[2], ti[0], ti[1], ti[3]}}, 200, "", ti[:4]},
		{"a title already in a full basket", ti[:10], map[string]any{"title_ids": ti[9:10]}, 200, "", ti[:10]},
		{"the same title twice in one request", nil, map[string]any{"title_ids": []string{ti[0], ti[0], ti[1]}}, 200, "", ti[:2]},
		{"one over the limit", ti[:8], map[string]any{"title_ids": ti[8:11]}, 422, library.CodeBasketFull, ti[:8]},
		{"a full basket", ti[:10], map[string]any{"title_ids": ti[10:11]}, 422, library.CodeBasketFull, ti[:10]},
		{"eleven at once", nil, map[string]any{"title_ids": ti[:11]}, 422, library.CodeBasketFull, nil},
		{"more than ten IDs, all in the basket", ti[:10], map[string]any{"title_ids": append(ti[:10:10], ti[0])}, 422, library.CodeBasketFull, ti[:10]},
		{"an unknown title among known ones", ti[:1], map[string]any{"title_ids": []string{ti[1], "999999999999"}}, 404, httpkit.CodeNotFound, ti[:1]},
		{"a malformed ID", nil, map[string]any{"title_ids": []string{ti[0], "abc"}}, 404, httpkit.CodeNotFound, nil},
		{"a negative ID", nil, map[string]any{"title_ids": []string{"-1"}}, 404, httpkit.CodeNotFound, nil},
		{"a reference-only title (禁帯出)", nil, map[string]any{"title_ids": []string{ti[0], reference}}, 422, library.CodeNotHoldable, nil},
		{"an e-text", ti[:1], map[string]any{"title_ids": []string{etext}}, 422, library.CodeNotHoldable, ti[:1]},
		{"no titles", nil, map[string]any{"title_ids": []string{}}, 422, library.CodeInvalidRequest, nil},
		{"no title_ids", nil, map[string]any{}, 422, library.CodeInvalidRequest, nil},
		{"IDs as numbers", nil, `{"title_ids": [1, 2]}`, 400, httpkit.CodeBadRequest, nil},
		{"malformed JSON", nil, `{"title_ids": [`, 400, httpkit.CodeBadRequest, nil},
		{"no body", nil, nil, 400, httpkit.CodeBadRequest, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, token := e.newMePatron(t, mePatron{})
			for _, tid := range tc.before {
				if a := e.addToBasket(t, token, tid); a.Code != http.StatusOK {
					t.Fatalf("adding %s first = %d %s", tid, a.Code, a.Body)
				}
			}
			before := e.basketRows(t, id)
			a := e.call(t, "POST", "/api/v1/basket", token, tc.body)
			if a.Code != tc.status || a.code() != tc.code {
				t.Fatalf("= %d %s, want %d %q", a.Code, a.Body, tc.status, tc.code)
			}
			got := basketIDs(e.basket(t, token))
			if fmt.Sprint(got) != fmt.Sprint(append([]string{}, tc.want...)) {
				t.Fatalf("basket %v, want %v", got, tc.want)
			}
			if tc.status == http.StatusOK {
				var b BasketJSON
				a.decode(&b)
				if fmt.Sprint(basketIDs(b)) != fmt.Sprint(got) || b.Limit != 10 {
					t.Fatalf("answer %s, want the basket %v with limit 10", a.Body, got)
				}
			} else if after := e.basketRows(t, id); after != before {
				t.Fatalf("a refused add changed the basket:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestBasketShape(t *testing.T) {
	e := newSessionEnv(t)
	ti := e.basketTitles(t, 3)
	_, token := e.newMePatron(t, mePatron{})
	a := e.call(t, "GET", "/api/v1/basket", token, nil)
	if a.Code != http.StatusOK || compactJSON(t, a.Body.Bytes()) != `{"limit":10,"titles":[]}` {
		t.Fatalf("empty basket = %d %s", a.Code, a.Body)
	}
	start := time.Now()
	e.addToBasket(t, token, ti[2])
	a = e.addToBasket(t, token, ti[0], ti[1])
	var raw struct {
		Limit  int              `json:"limit"`
		Titles []map[string]any `json:"titles"`
	}
	a.decode(&raw)
	if raw.Limit != 10 || len(raw.Titles) != 3 {
		t.Fatalf("basket %s", a.Body)
	}
	var title string
	if err := e.db.Get(&title, `SELECT title FROM titles WHERE id = $1`, ti[2]); err != nil {
		t.Fatal(err)
	}
	if first := raw.Titles[0]; first["title_id"] != ti[2] || first["title"] != title || len(first) != 3 {
		t.Fatalf("first title %v, want title_id %s, title %s, added_at", first, ti[2], title)
	}
	b := e.basket(t, token)
	if fmt.Sprint(basketIDs(b)) != fmt.Sprint([]string{ti[2], ti[0], ti[1]}) {
		t.Fatalf("basket %v, want the oldest first and titles added together in the order given", basketIDs(b))
	}
	for i, it := range b.Titles {
		if it.AddedAt.Before(start.Add(-time.Minute)) || it.AddedAt.After(time.Now().Add(time.Minute)) ||
			(i > 0 && it.AddedAt.Before(b.Titles[i-1].AddedAt)) {
			t.Fatalf("added_at %v", b.Titles)
		}
	}
	if a := e.call(t, "GET", "/api/v1/basket", "", nil); a.Code != http.StatusUnauthorized {
		t.Fatalf("GET /basket without a token = %d", a.Code)
	}
	if a := e.call(t, "POST", "/api/v1/basket", e.staffLogin(t), map[string]any{"title_ids": ti[:1]}); a.Code != http.StatusUnauthorized {
		t.Fatalf("POST /basket with a staff token = %d", a.Code)
	}
}

func TestBasketDelete(t *testing.T) {
	e := newSessionEnv(t)
	ti := e.basketTitles(t, 3)
	_, token := e.newMePatron(t, mePatron{})
	e.addToBasket(t, token, ti...)
	tests := []struct {
		name   string
		id     string
		status int
		want   []string
	}{
		{"a title in the basket", ti[1], 204, []string{ti[0], ti[2]}},
		{"again", ti[1], 204, []string{ti[0], ti[2]}},
		{"a title not in the basket", "999999999999", 204, []string{ti[0], ti[2]}},
		{"a malformed ID", "abc", 404, []string{ti[0], ti[2]}},
		{"zero", "0", 404, []string{ti[0], ti[2]}},
		{"the first", ti[0], 204, []string{ti[2]}},
		{"the last", ti[2], 204, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "DELETE", "/api/v1/basket/"+tc.id, token, nil)
			if a.Code != tc.status || (tc.status == 404 && a.code() != httpkit.CodeNotFound) || (tc.status == 204 && a.Body.Len() != 0) {
				t.Fatalf("= %d %s, want %d", a.Code, a.Body, tc.status)
			}
			if got := basketIDs(e.basket(t, token)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("basket %v, want %v", got, tc.want)
			}
		})
	}
	// A removed title can be added again, at the end.
	e.addToBasket(t, token, ti[1])
	e.addToBasket(t, token, ti[0])
	if got := basketIDs(e.basket(t, token)); fmt.Sprint(got) != fmt.Sprint([]string{ti[1], ti[0]}) {
		t.Fatalf("basket %v", got)
	}
}

func TestBasketSurvivesLogout(t *testing.T) {
	e := newSessionEnv(t)
	ti := e.basketTitles(t, 2)
	token := e.login(t, "1000004")
	if a := e.addToBasket(t, token, ti...); a.Code != http.StatusOK {
		t.Fatalf("add = %d %s", a.Code, a.Body)
	}
	if a := e.call(t, "DELETE", "/api/v1/session", token, nil); a.Code != http.StatusNoContent {
		t.Fatalf("logout = %d %s", a.Code, a.Body)
	}
	if a := e.call(t, "GET", "/api/v1/basket", token, nil); a.Code != http.StatusUnauthorized {
		t.Fatalf("the basket after logout with the old token = %d", a.Code)
	}
	again := e.login(t, "1000004")
	if got := basketIDs(e.basket(t, again)); fmt.Sprint(got) != fmt.Sprint(ti) {
		t.Fatalf("basket after logging in again %v, want %v", got, ti)
	}
}

func TestBasketIsThePatronsOwn(t *testing.T) {
	e := newSessionEnv(t)
	ti := e.basketTitles(t, 3)
	aID, aToken := e.newMePatron(t, mePatron{})
	_, bToken := e.newMePatron(t, mePatron{})
	e.addToBasket(t, aToken, ti[0], ti[1])
	aBefore := e.basketRows(t, aID)

	if got := e.basket(t, bToken); len(got.Titles) != 0 {
		t.Fatalf("B sees %v", basketIDs(got))
	}
	if a := e.call(t, "DELETE", "/api/v1/basket/"+ti[0], bToken, nil); a.Code != http.StatusNoContent {
		t.Fatalf("B's delete = %d %s", a.Code, a.Body)
	}
	if a := e.addToBasket(t, bToken, ti[1], ti[2]); a.Code != http.StatusOK {
		t.Fatalf("B's add = %d %s", a.Code, a.Body)
	}
	if got := basketIDs(e.basket(t, bToken)); fmt.Sprint(got) != fmt.Sprint(ti[1:]) {
		t.Fatalf("B's basket %v, want %v", got, ti[1:])
	}
	if after := e.basketRows(t, aID); after != aBefore {
		t.Fatalf("B changed A's basket:\nbefore %s\nafter  %s", aBefore, after)
	}
	// B filling their basket does not count against A's.
	more := e.basketTitles(t, 8)
	if a := e.addToBasket(t, bToken, more...); a.Code != http.StatusOK {
		t.Fatalf("B fills the basket: %d %s", a.Code, a.Body)
	}
	if a := e.addToBasket(t, aToken, more...); a.Code != http.StatusOK {
		t.Fatalf("A adds 8 to 2: %d %s", a.Code, a.Body)
	}
}

// TestBasketConcurrentAddsNeverPassTheLimit: requests racing for the last places of one basket are each
// all or nothing, and together never pass 10.
func TestBasketConcurrentAddsNeverPassTheLimit(t *testing.T) {
	e := newSessionEnv(t)
	ti := e.basketTitles(t, 4+2*8)
	id, token := e.newMePatron(t, mePatron{})
	if a := e.addToBasket(t, token, ti[:4]...); a.Code != http.StatusOK {
		t.Fatalf("add = %d %s", a.Code, a.Body)
	}
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		pair := ti[4+2*i : 6+2*i]
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{"title_ids": pair})
			req := httptest.NewRequest("POST", "/api/v1/basket", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			codes[i] = w.Code
		})
	}
	wg.Wait()
	ok := 0
	for i, code := range codes {
		switch code {
		case http.StatusOK:
			ok++
		case http.StatusUnprocessableEntity:
		default:
			t.Fatalf("request %d = %d", i, code)
		}
	}
	in := map[string]bool{}
	for _, tid := range basketIDs(e.basket(t, token)) {
		in[tid] = true
	}
	if ok != 3 || len(in) != 10 {
		t.Fatalf("%d requests passed, the basket holds %d titles (%s); want 3 and 10", ok, len(in), e.basketRows(t, id))
	}
	for i := range codes {
		if in[ti[4+2*i]] != in[ti[5+2*i]] || in[ti[4+2*i]] != (codes[i] == http.StatusOK) {
			t.Fatalf("request %d (%d) was not all or nothing", i, codes[i])
		}
	}
}
