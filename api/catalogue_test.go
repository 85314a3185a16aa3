package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"yoyaku/api"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
)

// catalogueEnv is a server over the demo catalogue.
type catalogueEnv struct {
	db *sqlx.DB
	h  http.Handler
}

func newCatalogueEnv(t *testing.T) catalogueEnv {
	t.Helper()
	db := seeded(t)
	_, h := newServer(t, db)
	return catalogueEnv{db: db, h: h}
}

// search runs GET /api/v1/titles with the given parameters and wants 200.
func (e catalogueEnv) search(t *testing.T, params url.Values) api.SearchJSON {
	t.Helper()
	w := do(t, e.h, "GET", "/api/v1/titles?"+params.Encode(), nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /titles?%s = %d %s", params.Encode(), w.Code, w.Body)
	}
	var res api.SearchJSON
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func (e catalogueEnv) detail(t *testing.T, id string) api.TitleDetailJSON {
	t.Helper()
	w := do(t, e.h, "GET", "/api/v1/titles/"+id, nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /titles/%s = %d %s", id, w.Code, w.Body)
	}
	var d api.TitleDetailJSON
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// count counts titles in the database, to compare totals with.
func (e catalogueEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func titlesOf(res api.SearchJSON) []string {
	out := make([]string, len(res.Titles))
	for i, x := range res.Titles {
		out[i] = x.Title
	}
	return out
}

// searchable is what q matches: every searchable field and reading, normalised.
func searchable(x api.TitleSummaryJSON) string {
	s := x.Title + " " + x.TitleReading + " " + x.Author + " " + x.AuthorReading + " " + x.Publisher
	if x.Series != nil {
		s += " " + x.Series.Name
	}
	return domain.SearchKey(s)
}

func TestCatalogueSearch(t *testing.T) {
	e := newCatalogueEnv(t)
	authorCount := func(author string) int {
		return e.count(t, `SELECT count(*) FROM titles WHERE author = $1`, author)
	}
	tests := []struct {
		name   string
		params url.Values
		// Each result must pass check; want lists titles that must be among the results; total is the exact
		// total when not 0.
		check func(x api.TitleSummaryJSON) bool
		want  []string
		total int
	}{
		{name: "1 kanji", params: url.Values{"q": {"海"}}, want: []string{"海をわたる", "海の中にて", "海豹"},
			check: func(x api.TitleSummaryJSON) bool { return strings.Contains(searchable(x), "海") }},
		{name: "2 kanji", params: url.Values{"q": {"上巻"}}, want: []string{"二都物語 : 01 上巻"},
			check: func(x api.TitleSummaryJSON) bool { return strings.Contains(searchable(x), "上巻") }},
		{name: "3 kanji", params: url.Values{"q": {"伊良湖"}}, want: []string{"伊良湖岬"}},
		{name: "long mixed scripts", params: url.Values{"q": {"ウェストミンスター寺院"}}, want: []string{"ウェストミンスター寺院"}},
		{name: "half-width katakana", params: url.Values{"q": {"ｳｪｽﾄﾐﾝｽﾀｰ"}}, want: []string{"ウェストミンスター寺院"}},
		{name: "hiragana for katakana", params: url.Values{"q": {"うぇすとみんすたー"}}, want: []string{"ウェストミンスター寺院"}},
		{name: "full-width latin", params: url.Values{"q": {"ＤＶＤで学ぶ"}}, want: []string{"DVDで学ぶ家庭料理", "DVDで学ぶ囲碁"},
			check: func(x api.TitleSummaryJSON) bool { return strings.HasPrefix(x.Title, "DVDで学ぶ") }},
		{name: "lower-case latin", params: url.Values{"q": {"dvdで学ぶ"}}, want: []string{"DVDで学ぶ家庭料理"}},
		{name: "full-width title, half-width query", params: url.Values{"q": {"m侯爵"}}, want: []string{"Ｍ侯爵と写真師"}},
		{name: "title reading", params: url.Values{"q": {"かふとそのこ"}}, want: []string{"寡婦とその子"}},
		{name: "title reading in katakana", params: url.Values{"q": {"カフトソノコ"}}, want: []string{"寡婦とその子"}},
		{name: "author reading, two terms", params: url.Values{"q": {"たやま かたい"}}, total: authorCount("田山 花袋"),
			check: func(x api.TitleSummaryJSON) bool { return x.Author == "田山 花袋" }},
		{name: "author reading, full-width space", params: url.Values{"q": {"たやま　かたい"}}, total: authorCount("田山 花袋")},
		{name: "author reading without space", params: url.Values{"q": {"みやざわけんじ"}}, want: []string{"イギリス海岸"},
			check: func(x api.TitleSummaryJSON) bool { return strings.Contains(x.Author, "宮沢 賢治") }},
		{name: "author name", params: url.Values{"q": {"田山 花袋"}}, total: authorCount("田山 花袋")},
		{name: "keywords AND", params: url.Values{"q": {"海 わたる"}}, want: []string{"海をわたる"},
			check: func(x api.TitleSummaryJSON) bool {
				return strings.Contains(searchable(x), "海") && strings.Contains(searchable(x), "わたる")
			}},
		{name: "publisher in q", params: url.Values{"q": {"臨川書店"}},
			check: func(x api.TitleSummaryJSON) bool { return x.Publisher == "臨川書店" }},
		{name: "series in q", params: url.Values{"q": {"霧島探偵事務所"}}, total: 6},
		{name: "author field", params: url.Values{"author": {"宮沢 賢治"}}, total: e.count(t, `SELECT count(*) FROM titles WHERE author LIKE '%宮沢 賢治%'`),
			check: func(x api.TitleSummaryJSON) bool { return strings.Contains(x.Author, "宮沢 賢治") }},
		{name: "author field by reading", params: url.Values{"author": {"ミヤザワ"}}, total: e.count(t, `SELECT count(*) FROM titles WHERE author LIKE '%宮沢 賢治%'`)},
		{name: "author field, 1 character", params: url.Values{"author": {"鏡"}},
			check: func(x api.TitleSummaryJSON) bool { return strings.Contains(x.Author, "鏡") }, want: []string{}},
		{name: "title field ignores authors", params: url.Values{"title": {"たやま"}}, total: 0},
		{name: "title field", params: url.Values{"title": {"海"}},
			check: func(x api.TitleSummaryJSON) bool {
				return strings.Contains(domain.SearchKey(x.Title+" "+x.TitleReading), "海")
			}, want: []string{"海をわたる"}},
		{name: "publisher field", params: url.Values{"publisher": {"青空文庫"}}, total: e.count(t, `SELECT count(*) FROM titles WHERE publisher = '青空文庫'`),
			check: func(x api.TitleSummaryJSON) bool { return x.Format == "etext" }},
		{name: "series field", params: url.Values{"series": {"わかば"}}, total: 5,
			check: func(x api.TitleSummaryJSON) bool { return x.Series != nil && x.Series.Name == "わかば市史" }},
		{name: "series field by reading", params: url.Values{"series": {"わかばしし"}}, total: 5},
		{name: "format filter", params: url.Values{"format": {"cd"}}, total: e.count(t, `SELECT count(*) FROM titles WHERE format = 'cd'`),
			check: func(x api.TitleSummaryJSON) bool { return x.Format == "cd" }},
		{name: "format with keyword", params: url.Values{"q": {"日本"}, "format": {"dvd"}},
			check: func(x api.TitleSummaryJSON) bool {
				return x.Format == "dvd" && strings.Contains(searchable(x), "日本")
			},
			want: []string{"映像で見る日本の歴史 1 縄文から平安まで"}},
		{name: "year", params: url.Values{"author": {"田山"}, "year": {"1994"}},
			check: func(x api.TitleSummaryJSON) bool { return x.Year != nil && *x.Year == 1994 }, want: []string{"本能"}},
		{name: "percent is literal", params: url.Values{"q": {"%"}}, total: 0},
		{name: "underscore is literal", params: url.Values{"q": {"_"}}, total: 0},
		{name: "SQL injection", params: url.Values{"q": {"'; DROP TABLE titles; --"}}, total: 0},
		{name: "SQL injection in a field", params: url.Values{"title": {"' OR '1'='1"}, "author": {`\'; DELETE FROM items; --`}}, total: 0},
		{name: "200 characters", params: url.Values{"q": {strings.Repeat("あい", 100)}}, total: 0},
		{name: "16 keywords", params: url.Values{"q": {"の い う え お か き く け こ さ し す せ そ た"}}, total: 0},
		{name: "only a middle dot", params: url.Values{"q": {"・"}},
			total: min(e.count(t, `SELECT count(*) FROM titles`), 10000)}, // no term: every title
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.params.Set("per_page", "100")
			res := e.search(t, tc.params)
			if tc.total != 0 && res.Total != tc.total || tc.total == 0 && tc.want == nil && tc.check == nil && res.Total != 0 {
				t.Errorf("total = %d, want %d (%q)", res.Total, tc.total, titlesOf(res))
			}
			if tc.total == 0 && tc.want != nil && res.Total == 0 {
				t.Errorf("nothing found")
			}
			if res.Total <= 100 && len(res.Titles) != res.Total {
				t.Errorf("%d titles listed of %d", len(res.Titles), res.Total)
			}
			got := titlesOf(res)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%q not found in %q", w, got)
				}
			}
			for _, x := range res.Titles {
				if tc.check != nil && !tc.check(x) {
					t.Errorf("unexpected result %+v", x)
				}
			}
		})
	}
	// The injection attempts left the catalogue alone.
	if n := e.count(t, `SELECT count(*) FROM titles`); n < 2000 {
		t.Fatalf("%d titles left", n)
	}
	if n := e.count(t, `SELECT count(*) FROM items`); n < 2000 {
		t.Fatalf("%d items left", n)
	}
}

// TestCatalogueSearchRanking: an exact title match first, then titles that start with the query, then
// titles that contain it, then the rest (matches in authors, publishers ...), each group by ID.
func TestCatalogueSearchRanking(t *testing.T) {
	e := newCatalogueEnv(t)
	for _, q := range []string{"短歌", "白", "タンカ", "海", "の 海"} {
		t.Run(q, func(t *testing.T) {
			res := e.search(t, url.Values{"q": {q}, "per_page": {"100"}})
			if res.Total == 0 || res.Total > 100 {
				t.Fatalf("total %d: pick another query", res.Total)
			}
			var terms []string
			for _, f := range strings.Fields(q) {
				terms = append(terms, domain.SearchKey(f))
			}
			key := strings.Join(terms, "")
			tier := func(x api.TitleSummaryJSON) int {
				tk, rk := domain.SearchKey(x.Title), domain.SearchKey(x.TitleReading)
				switch {
				case tk == key || rk == key:
					return 0
				case strings.HasPrefix(tk, key) || strings.HasPrefix(rk, key):
					return 1
				}
				for _, term := range terms {
					if !strings.Contains(tk, term) && !strings.Contains(rk, term) {
						return 3
					}
				}
				return 2
			}
			seen := map[int]bool{}
			for i := 1; i < len(res.Titles); i++ {
				a, b := res.Titles[i-1], res.Titles[i]
				seen[tier(a)] = true
				ida, idb := mustAtoi(t, a.ID), mustAtoi(t, b.ID)
				if tier(a) > tier(b) || tier(a) == tier(b) && ida >= idb {
					t.Errorf("%q (tier %d, id %d) before %q (tier %d, id %d)", a.Title, tier(a), ida, b.Title, tier(b), idb)
				}
			}
			if q == "短歌" || q == "タンカ" {
				if res.Titles[0].Title != "短歌" || !seen[1] || !seen[2] {
					t.Errorf("want 短歌 first, then the titles starting with it, then the others containing it: %q", titlesOf(res))
				}
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCatalogueSearchPaging(t *testing.T) {
	e := newCatalogueEnv(t)
	all := e.search(t, url.Values{"q": {"の"}, "per_page": {"100"}})
	if all.Total <= 100 || all.Page != 1 || all.PerPage != 100 || len(all.Titles) != 100 {
		t.Fatalf("q=の: total %d page %d per_page %d, %d titles", all.Total, all.Page, all.PerPage, len(all.Titles))
	}
	var paged []string
	for page := 1; page <= 4; page++ {
		res := e.search(t, url.Values{"q": {"の"}, "page": {fmt.Sprint(page)}, "per_page": {"25"}})
		if res.Total != all.Total || res.Page != page || res.PerPage != 25 || len(res.Titles) != 25 {
			t.Fatalf("page %d: total %d page %d per_page %d, %d titles", page, res.Total, res.Page, res.PerPage, len(res.Titles))
		}
		for _, x := range res.Titles {
			paged = append(paged, x.ID)
		}
	}
	for i, x := range all.Titles {
		if paged[i] != x.ID {
			t.Fatalf("result %d: pages of 25 give %s, one page of 100 gives %s", i, paged[i], x.ID)
		}
	}
	// The default page size, the last page and past it.
	if res := e.search(t, url.Values{"q": {"の"}}); res.PerPage != 20 || len(res.Titles) != 20 || res.Page != 1 {
		t.Errorf("defaults: page %d per_page %d, %d titles", res.Page, res.PerPage, len(res.Titles))
	}
	last := (all.Total + 99) / 100
	if res := e.search(t, url.Values{"q": {"の"}, "per_page": {"100"}, "page": {fmt.Sprint(last)}}); len(res.Titles) != all.Total-(last-1)*100 {
		t.Errorf("last page has %d titles, want %d", len(res.Titles), all.Total-(last-1)*100)
	}
	if res := e.search(t, url.Values{"q": {"の"}, "per_page": {"100"}, "page": {fmt.Sprint(last + 1)}}); len(res.Titles) != 0 || res.Total != all.Total {
		t.Errorf("past the end: %d titles, total %d", len(res.Titles), res.Total)
	}
	if all.TotalCapped {
		t.Errorf("total_capped on %d titles", all.Total)
	}
}

func TestCatalogueSearchRefusals(t *testing.T) {
	e := newCatalogueEnv(t)
	for _, query := range []string{
		"per_page=0", "per_page=101", "per_page=abc", "per_page=-5", "per_page=1.5", "page=0", "page=-1", "page=x",
		"page=10001", "page=99999999999999999999", "format=novel", "format=BOOK", "year=abc", "year=0", "year=10000",
		"isbn=abc", "isbn=97840000000000", "q=%FF%FE", "author=%C3", "q=" + strings.Repeat("あ", 201),
		"q=" + url.QueryEscape("あ い う え お か き く け こ さ し す せ そ た ち"), // 17 keywords
	} {
		w := do(t, e.h, "GET", "/api/v1/titles?"+query, map[string]string{"Accept-Language": "en"}, nil)
		var body httpkit.ErrorBody
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusUnprocessableEntity || body.Error.Code != library.CodeInvalidQuery || body.Error.Message == "" {
			t.Errorf("GET /titles?%.60s = %d %.200s, want 422 invalid_query", query, w.Code, w.Body)
		}
	}
	// Japanese by default.
	w := do(t, e.h, "GET", "/api/v1/titles?per_page=0", nil, nil)
	if !strings.Contains(w.Body.String(), "検索条件") {
		t.Errorf("message not in Japanese: %s", w.Body)
	}
	// Unknown parameters and empty values are no error.
	e.search(t, url.Values{"sort": {"x"}, "page": {""}, "format": {""}, "year": {""}})
}

func TestCatalogueSearchISBN(t *testing.T) {
	e := newCatalogueEnv(t)
	var isbn, title string
	if err := e.db.QueryRow(`SELECT isbn, title FROM titles WHERE isbn LIKE '9784%' ORDER BY id LIMIT 1`).Scan(&isbn, &title); err != nil {
		t.Fatal(err)
	}
	hyphenated := isbn[:3] + "-" + isbn[3:4] + "-" + isbn[4:8] + "-" + isbn[8:12] + "-" + isbn[12:]
	fullWidth := strings.Map(func(r rune) rune { return r - '0' + '０' }, isbn)
	isbn10 := isbn[3:12] + isbn10Check(isbn[3:12])
	for _, p := range []url.Values{
		{"isbn": {isbn}}, {"isbn": {hyphenated}}, {"isbn": {fullWidth}}, {"isbn": {isbn10}}, {"q": {hyphenated}},
	} {
		res := e.search(t, p)
		if res.Total != 1 || res.Titles[0].Title != title || res.Titles[0].ISBN == nil || *res.Titles[0].ISBN != isbn {
			t.Errorf("%v: %d titles %q, want only %s", p, res.Total, titlesOf(res), title)
		}
	}
	// The start of an ISBN.
	res := e.search(t, url.Values{"isbn": {isbn[:11]}, "per_page": {"100"}})
	if !slices.Contains(titlesOf(res), title) {
		t.Errorf("isbn prefix %s: %q lacks %s", isbn[:11], titlesOf(res), title)
	}
	for _, x := range res.Titles {
		if x.ISBN == nil || !strings.HasPrefix(*x.ISBN, isbn[:11]) {
			t.Errorf("isbn prefix %s found %+v", isbn[:11], x)
		}
	}
}

func isbn10Check(d9 string) string {
	sum := 0
	for i, c := range d9 {
		sum += (10 - i) * int(c-'0')
	}
	if c := (11 - sum%11) % 11; c == 10 {
		return "X"
	} else {
		return fmt.Sprint(c)
	}
}

// TestTitleDetail: copies in every state, the queue, and titles that cannot be held online.
func TestTitleDetail(t *testing.T) {
	e := newCatalogueEnv(t)
	id := catalogueFixture(t, e.db)

	d := e.detail(t, id)
	if d.Title != "予約テストの本" || d.TitleReading != "よやくてすとのほん" || d.Author != "試験 太郎" || d.Format != "book" ||
		d.Year == nil || *d.Year != 2020 || d.ISBN != nil || d.Series != nil || d.URL != nil {
		t.Errorf("title fields: %+v", d.TitleSummaryJSON)
	}
	if !d.Holdable || d.NotHoldableReason != nil {
		t.Errorf("holdable %v reason %v, want holdable", d.Holdable, d.NotHoldableReason)
	}
	if d.CopiesTotal != 6 || d.CopiesAvailable != 1 || d.HoldsQueued != 3 {
		t.Errorf("copies_total %d copies_available %d holds_queued %d, want 6 (withdrawn hidden), 1 (one set aside), 3 (requested, queued ×2)",
			d.CopiesTotal, d.CopiesAvailable, d.HoldsQueued)
	}
	want := map[string][2]string{
		"TST-A": {"available", "貸出可"}, "TST-B": {"set_aside", "確保中"}, "TST-C": {"on_loan", "貸出中"},
		"TST-D": {"in_transit", "配送中"}, "TST-E": {"on_hold_shelf", "予約取置中"}, "TST-F": {"missing", "不明"},
	}
	if len(d.Copies) != len(want) {
		t.Errorf("%d copies, want %d (the withdrawn one hidden): %+v", len(d.Copies), len(want), d.Copies)
	}
	for _, c := range d.Copies {
		w, ok := want[c.Barcode]
		if !ok || c.Status != w[0] || c.StatusLabel != w[1] || c.Branch == "" || c.BranchName == "" {
			t.Errorf("copy %+v, want status %v", c, w)
		}
		if (c.Barcode == "TST-C") != (c.DueDate != nil) {
			t.Errorf("copy %s due date %v: only the copy on loan has one", c.Barcode, c.DueDate)
		}
	}
	if d.Copies[0].Branch != "chuo" {
		t.Errorf("copies not in the library's branch order: %+v", d.Copies)
	}

	// The search lists the same counts.
	res := e.search(t, url.Values{"q": {"予約テストの本"}})
	if len(res.Titles) != 1 || res.Titles[0].ID != id {
		t.Fatalf("search for the fixture: %+v", res)
	}
	if s := res.Titles[0]; s.CopiesTotal != 6 || s.CopiesAvailable != 1 || s.HoldsQueued != 3 || !s.Holdable {
		t.Errorf("summary %+v", s)
	}

	// A reference-only title (禁帯出) in a series.
	var refID, etextID string
	if err := e.db.QueryRow(`SELECT t.id FROM titles t JOIN series s ON s.id = t.series_id
		WHERE s.name = 'わかば市史' AND t.volume = 1`).Scan(&refID); err != nil {
		t.Fatal(err)
	}
	ref := e.detail(t, refID)
	if ref.Holdable || ref.NotHoldableReason == nil || *ref.NotHoldableReason != "reference_only" {
		t.Errorf("reference-only: holdable %v reason %v", ref.Holdable, ref.NotHoldableReason)
	}
	if ref.Series == nil || ref.Series.Name != "わかば市史" || ref.Series.Volume != 1 || ref.Series.ID == "" {
		t.Errorf("series %+v", ref.Series)
	}
	if len(ref.Copies) == 0 || ref.Copies[0].Status != "reference_only" || ref.Copies[0].StatusLabel != "禁帯出" {
		t.Errorf("reference-only copies %+v", ref.Copies)
	}

	// An e-text, with its link.
	if err := e.db.QueryRow(`SELECT id FROM titles WHERE format = 'etext' ORDER BY id LIMIT 1`).Scan(&etextID); err != nil {
		t.Fatal(err)
	}
	et := e.detail(t, etextID)
	if et.Holdable || et.NotHoldableReason == nil || *et.NotHoldableReason != "etext" || et.URL == nil ||
		!strings.HasPrefix(*et.URL, "https://www.aozora.gr.jp/cards/") || et.Format != "etext" {
		t.Errorf("e-text: %+v url %v", et.TitleSummaryJSON, et.URL)
	}
	if et.Copies == nil {
		t.Errorf("copies must be [] rather than null")
	}

	// Unknown and malformed IDs.
	for _, bad := range []string{"999999999999", "0", "-1", "abc", "1.5", "%E6%B5%B7", "99999999999999999999"} {
		w := do(t, e.h, "GET", "/api/v1/titles/"+bad, nil, nil)
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"not_found"`) {
			t.Errorf("GET /titles/%s = %d %s, want 404 not_found", bad, w.Code, w.Body)
		}
	}
}

// TestTitleDetailJSONShape pins the OpenAPI document's field names.
func TestTitleDetailJSONShape(t *testing.T) {
	e := newCatalogueEnv(t)
	id := catalogueFixture(t, e.db)
	w := do(t, e.h, "GET", "/api/v1/titles/"+id, nil, nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "title", "title_reading", "author", "author_reading", "publisher", "year", "isbn",
		"format", "series", "holdable", "not_holdable_reason", "copies_total", "copies_available", "holds_queued",
		"copies", "url"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("TitleDetail lacks %q: %s", k, w.Body)
		}
	}
	w = do(t, e.h, "GET", "/api/v1/titles?q=%E7%9F%AD%E6%AD%8C", nil, nil)
	var page map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"total", "page", "per_page", "titles", "total_capped"} {
		if _, ok := page[k]; !ok {
			t.Errorf("search answer lacks %q: %.300s", k, w.Body)
		}
	}
}

// catalogueFixture adds a title with a copy in each state and holds in several states, and returns its ID.
// Copies: A on the shelf, B on the shelf but set aside for a hold, C on loan, D in transit, E on the hold
// shelf, F missing, G withdrawn. Holds: awaiting_pull (B), ready (E), queued ×2 and requested (no copy),
// cancelled and fulfilled (closed).
func catalogueFixture(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var id int64
	if err := db.Get(&id, `INSERT INTO titles (title, title_reading, author, author_reading, publisher, year, format, search_text)
		VALUES ('予約テストの本', 'よやくてすとのほん', '試験 太郎', 'しけん たろう', '試験出版', 2020, 'book', $1) RETURNING id`,
		domain.SearchText("予約テストの本", "よやくてすとのほん", "試験 太郎", "しけん たろう", "試験出版", "")); err != nil {
		t.Fatal(err)
	}
	var patrons []int64
	if err := db.Select(&patrons, `SELECT id FROM patrons ORDER BY id LIMIT 7`); err != nil || len(patrons) < 7 {
		t.Fatalf("patrons %v: %v", patrons, err)
	}
	p := patrons
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES
			('TST-A', $1, 'kita', 'kita', 'on_shelf'), ('TST-B', $1, 'minami', 'minami', 'on_shelf'),
			('TST-C', $1, 'chuo', 'chuo', 'on_loan'), ('TST-D', $1, 'nishi', 'higashi', 'in_transit'),
			('TST-E', $1, 'ekimae', 'ekimae', 'hold_shelf'), ('TST-F', $1, 'hikari', 'hikari', 'missing'),
			('TST-G', $1, 'chuo', 'chuo', 'withdrawn')`, []any{id}},
		{`INSERT INTO loans (barcode, patron_id, branch, due_date) VALUES ('TST-C', $1, 'chuo', current_date + 7)`, []any{p[0]}},
		{`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, item_barcode, assigned_at) VALUES
			($1, $2, 'chuo', 'web', 'awaiting_pull', 'TST-B', now())`, []any{p[1], id}},
		{`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, item_barcode, assigned_at, ready_at) VALUES
			($1, $2, 'ekimae', 'web', 'ready', 'TST-E', now(), now())`, []any{p[2], id}},
		{`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status) VALUES
			($1, $4, 'chuo', 'web', 'queued'), ($2, $4, 'kita', 'web', 'queued'), ($3, $4, 'chuo', 'counter', 'requested')`,
			[]any{p[3], p[4], p[5], id}},
		{`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, cancel_reason, cancelled_at) VALUES
			($1, $2, 'chuo', 'web', 'cancelled', 'patron', now())`, []any{p[6], id}},
		{`INSERT INTO holds (patron_id, title_id, pickup_branch, origin, status, fulfilled_at) VALUES
			($1, $2, 'chuo', 'web', 'fulfilled', now())`, []any{p[0], id}},
	}
	for _, st := range stmts {
		if _, err := db.Exec(st.sql, st.args...); err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
	}
	return fmt.Sprint(id)
}
