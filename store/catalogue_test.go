package store_test

// Tests of the catalogue search: the SQL normaliser and grams agree with Go and with LIKE, and the
// tier walk used for huge result sets pages exactly like a full ranking. The HTTP behaviour is tested in
// api/catalogue_test.go. (TestMain is in patron_test.go; catalogue_export_test.go exports the internals.)

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
	"yoyaku/internal/seed"
	"yoyaku/internal/testenv"
	"yoyaku/store"
)

func demoDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db := testenv.DB(t)
	if _, err := seed.Demo(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// grownDB is demoDB grown to n titles (seed.Bulk), with fresh statistics.
func grownDB(t *testing.T, n int) *sqlx.DB {
	t.Helper()
	db := demoDB(t)
	if _, err := seed.Bulk(t.Context(), db, n); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `ANALYZE titles`); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSearchKeyInSQLMatchesGo: search_key (SQL) must give domain.SearchKey's result, or the generated keys
// would not match the normalised query terms.
func TestSearchKeyInSQLMatchesGo(t *testing.T) {
	db := demoDB(t)
	samples := []string{
		"ナツメ ソウセキ", "ﾅﾂﾒ ｿｳｾｷ", "なつめ　そうせき", "ＡＢＣ abc ＡbＣ", "ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟﾌﾟ", "ヴァイオリン・ソナタ",
		"ヽヾゝゞ", "ヵヶ", "Ｊ・Ｆ・ケネディ", "１２３４", "㈱テスト", "ℌ", "Ǆ", "ΣΑΣ", "Straße", "\t改\n行\r",
		"a\u00a0b\u2003c\u3000d\u202fe\u205ff\u1680g\u2028h\u2029i\u0085j", "ﾜｶﾊﾞ･ｼｼ", "㍻", "ｰｰ", "ｱ゙", "か\u3099",
		"芥川 龍之介", "芥川竜之介", "\uf9c4", "髙橋・山﨑・渡邊・渡邉", "ナガ濱 ｻﾜ澤 齋藤 齊藤 斉藤",
	}
	samples = append(samples, strings.Split(domain.KanjiVariants, "")...) // every variant and its common form
	var titles []struct {
		Title, Reading, Author, AuthorReading, Publisher string
		Series                                           string
		SearchText                                       string `db:"search_text"`
	}
	if err := db.Select(&titles, `SELECT t.title, t.title_reading AS reading, t.author, t.author_reading AS authorreading,
		t.publisher, coalesce(s.name, '') AS series, t.search_text FROM titles t LEFT JOIN series s ON s.id = t.series_id`); err != nil {
		t.Fatal(err)
	}
	for _, x := range titles {
		samples = append(samples, x.Title, x.Reading, x.Author+" "+x.AuthorReading, x.Publisher)
		// The seed wrote search_text with Go; the grams index needs it to start with the two title keys.
		if want := domain.SearchKey(x.Title) + domain.SearchKey(x.Reading); x.SearchText[:min(len(want), len(x.SearchText))] != want {
			t.Errorf("search_text %q does not start with the title keys %q", x.SearchText, want)
		}
	}
	var got []string
	if err := db.Select(&got, `SELECT search_key(s) FROM unnest($1::text[]) WITH ORDINALITY AS u(s, n) ORDER BY n`,
		pq.Array(samples)); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, s := range samples {
		if want := domain.SearchKey(s); got[i] != want && bad < 10 {
			bad++
			t.Errorf("search_key(%q) = %q, domain.SearchKey = %q", s, got[i], want)
		}
	}
	// And the generated columns hold them.
	var stale int
	if err := db.Get(&stale, `SELECT count(*) FROM titles WHERE title_key <> search_key(title)
		OR reading_key <> search_key(title_reading) OR author_key <> search_key(author || ' ' || author_reading)
		OR publisher_key <> search_key(publisher)`); err != nil || stale != 0 {
		t.Fatalf("%d titles with stale keys (%v)", stale, err)
	}
}

// TestSearchGramsMatchLike: for 1- and 2-character terms the grams index is exact, both for "search_text
// contains t" (overlap with {t, -t}) and for "the title or its reading contains t" (contains {t}), pairs
// that straddle two fields included.
func TestSearchGramsMatchLike(t *testing.T) {
	db := demoDB(t)
	var rows []struct {
		TitleKey   string `db:"title_key"`
		ReadingKey string `db:"reading_key"`
		SearchText string `db:"search_text"`
	}
	if err := db.Select(&rows, `SELECT title_key, reading_key, search_text FROM titles ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	// Terms: characters and pairs from random titles, and the pairs that straddle title|reading and
	// reading|authors, which the grams must count as "search_text contains" but not as "title contains".
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{"の": true, "ん": true, "海": true}
	for range 150 {
		r := rows[rng.IntN(len(rows))]
		st := []rune(r.SearchText)
		i := rng.IntN(len(st))
		seen[string(st[i])] = true
		if i+1 < len(st) {
			seen[string(st[i:i+2])] = true
		}
		tk, rk := []rune(r.TitleKey), []rune(r.ReadingKey)
		if len(rk) > 0 && len(st) > len(tk)+len(rk) {
			seen[string(tk[len(tk)-1])+string(rk[0])] = true
			seen[string(rk[len(rk)-1])+string(st[len(tk)+len(rk)])] = true
		}
	}
	terms := make([]string, 0, len(seen))
	for g := range seen {
		if !strings.ContainsAny(g, `%_\`) { // not LIKE patterns
			terms = append(terms, g)
		}
	}
	slices.Sort(terms)
	codes := make([]int64, len(terms))
	for i, g := range terms {
		codes[i] = store.GramCode(g)
	}
	var mismatches []struct {
		Term     string `db:"term"`
		Anywhere int    `db:"anywhere"`
		InTitle  int    `db:"in_title"`
	}
	if err := db.Select(&mismatches, `
		WITH g AS MATERIALIZED (
		    SELECT search_text, title_key, reading_key, search_grams(search_text, title_key, reading_key) AS grams FROM titles)
		SELECT u.term,
		       count(*) FILTER (WHERE (g.grams && ARRAY[u.code, -u.code]) <> (g.search_text LIKE '%' || u.term || '%')) AS anywhere,
		       count(*) FILTER (WHERE (g.grams @> ARRAY[u.code]) <>
		                              (g.title_key LIKE '%' || u.term || '%' OR g.reading_key LIKE '%' || u.term || '%')) AS in_title
		FROM unnest($1::text[], $2::int8[]) AS u(term, code) CROSS JOIN g
		GROUP BY u.term
		HAVING count(*) FILTER (WHERE (g.grams && ARRAY[u.code, -u.code]) <> (g.search_text LIKE '%' || u.term || '%')) > 0
		    OR count(*) FILTER (WHERE (g.grams @> ARRAY[u.code]) <>
		                              (g.title_key LIKE '%' || u.term || '%' OR g.reading_key LIKE '%' || u.term || '%')) > 0`,
		pq.Array(terms), pq.Array(codes)); err != nil {
		t.Fatal(err)
	}
	for _, m := range mismatches {
		t.Errorf("term %q: grams disagree with LIKE on %d titles (anywhere) and %d (in the title)", m.Term, m.Anywhere, m.InTitle)
	}
	if len(terms) < 100 {
		t.Fatalf("only %d terms checked", len(terms))
	}
}

// TestSearchTiersPageLikeAFullRanking grows the catalogue past store.SearchCap matches for common characters and
// checks that the tier walk gives, page by page, exactly what ranking every match would.
func TestSearchTiersPageLikeAFullRanking(t *testing.T) {
	db := grownDB(t, 36_000)
	ctx := t.Context()
	tests := []store.SearchQuery{
		{Q: "の"},
		{Q: "ん"},
		{Q: "の ん"},
		{Q: "書"},  // common in publishers; the titles that contain it are sparse in the first IDs
		{Q: "社"},  // common in publishers, in 2 titles only
		{Q: "ばん"}, // the editions' readings (しんそうばん, かいていばん, ぶんこばん)
		{Q: "ノ"},  // katakana folds to hiragana
		{Title: "の"},
		{Q: "の", Format: domain.FormatBook},
		{Publisher: "書"},
		{}, // everything, in ID order
	}
	for _, q := range tests {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			for _, pg := range []struct{ page, perPage int }{{1, 20}, {2, 20}, {1, 100}, {37, 100}, {100, 100}, {500, 20}, {101, 100}} {
				q.Page, q.PerPage = pg.page, pg.perPage
				res, err := store.SearchTitles(ctx, db, q)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Capped || res.Total != store.SearchCap {
					t.Fatalf("total %d capped %v, want %d capped (grow the catalogue)", res.Total, res.Capped, store.SearchCap)
				}
				want, err := store.FullRanking(ctx, db, q, (pg.page-1)*pg.perPage, min(pg.perPage, max(store.SearchCap-(pg.page-1)*pg.perPage, 0)))
				if err != nil {
					t.Fatal(err)
				}
				got := make([]int64, len(res.Titles))
				for i, x := range res.Titles {
					got[i] = x.ID
				}
				if !slices.Equal(got, want) {
					t.Fatalf("page %d of %d: got %v\nwant %v", pg.page, pg.perPage, got, want)
				}
			}
		})
	}
}

func TestTermCodes(t *testing.T) {
	pair := func(s string) int64 { return store.GramCode(s) }
	tests := []struct {
		in   string
		want []int64
	}{
		{"海", []int64{'海'}},
		{"上巻", []int64{'上'<<21 | '巻'}},
		{"ぶんこ", []int64{pair("ぶん"), pair("んこ")}},
		{"としょかん", []int64{pair("とし"), pair("しょ"), pair("ょか"), pair("かん")}},
		{"あいうえおかき", []int64{pair("あい"), pair("いう"), pair("えお"), pair("かき")}},
	}
	for _, tc := range tests {
		if got := store.TermCodes(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("TermCodes(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSearchTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"なつめ　そうせき", []string{"なつめ", "そうせき"}},
		{" ﾅﾂﾒ  ナツメ ・ ", []string{"なつめ"}},
		{"ＡＢＣ\x00abc\tDef", []string{"abc", "def"}},
		{"", nil},
	}
	for _, tc := range tests {
		got, err := store.SearchTerms(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SearchTerms(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := store.SearchTerms("\xff"); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

// TestSearchISBNTypedWithChoonpu: an ISBN registered as typed on a Japanese keyboard, with 「ー」 for its
// hyphens, is stored as its digits (domain.NormalizeISBN, as the staff registration does), so a search
// finds it by the plain digits, by its other form, and as typed.
func TestSearchISBNTypedWithChoonpu(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	isbn, ok := domain.NormalizeISBN("978ー4ー00ー310101ー8")
	if !ok {
		t.Fatal("an ISBN typed with 「ー」 is refused")
	}
	var id int64
	if err := db.Get(&id, `INSERT INTO titles (title, format, isbn) VALUES ('こころ', 'book', $1) RETURNING id`, isbn); err != nil {
		t.Fatal(err)
	}
	for _, q := range []store.SearchQuery{
		{ISBN: "9784003101018"},
		{ISBN: "4003101014"},
		{ISBN: "978ー4ー00ー310101ー8"},
		{ISBN: "９７８－４－００"}, // the start of it
		{Q: "9784003101018"},
		{Q: "978ー4ー00ー310101ー8"},
	} {
		q.Page, q.PerPage = 1, 10
		res, err := store.SearchTitles(ctx, db, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if len(res.Titles) != 1 || res.Titles[0].ID != id {
			t.Errorf("search %+v found %+v, want title %d", q, res.Titles, id)
		}
	}
}
