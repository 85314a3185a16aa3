package store

import (
	"database/sql/driver"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"yoyaku/domain"
)

// placeholder is a statement's reference to an argument.
var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// FuzzSearchQuery: whatever the search form sends, buildSearch never panics; it refuses the query
// (ErrInvalidQuery) or compiles SQL in which every value is an argument — the SQL text is only ASCII and
// carries no quote but the one literal ' ' of the series condition — with as many arguments as
// placeholders, each string argument valid UTF-8 and bounded, each term as long as the field allows at
// most and no more terms than maxSearchTerms.
func FuzzSearchQuery(f *testing.F) {
	type seed struct {
		q, title, author, publisher, series, isbn, format string
		year                                              int
	}
	for _, s := range []seed{
		{q: "夏目 漱石"}, {q: "なつめ そうせき", format: "book"}, {q: "ﾅﾂﾒ", year: 1905}, {title: "の"},
		{q: "ＡＢＣ　１２３"}, {isbn: "978-4-10-101013-7"}, {isbn: "４１０１０１０１３Ｘ"}, {isbn: "978"}, {q: "9784101010137"},
		{q: "%_\\ '; DROP TABLE titles;--"}, {q: "<script>alert(1)</script>"}, {q: "a\x00b"}, {q: "\xff\xfe"},
		{q: "📚 😀 👨‍👩‍👧"}, {q: strings.Repeat("あ ", 17)}, {q: strings.Repeat("x", 201)}, {author: "森 鷗外", publisher: "新潮社"},
		{series: "ハリー・ポッター"}, {format: "vinyl"}, {year: -1}, {year: 10000}, {isbn: "12345678901234"}, {isbn: "abc"},
		{q: "・ ･ ・"}, {q: "\u3000\t\n\v"}, {title: "1 2 3 4 5 6 7 8", author: "9 10 11 12 13 14 15 16", publisher: "17"},
	} {
		f.Add(s.q, s.title, s.author, s.publisher, s.series, s.isbn, s.format, s.year)
	}
	f.Fuzz(func(t *testing.T, q, title, author, publisher, series, isbn, format string, year int) {
		sq := SearchQuery{Q: q, Title: title, Author: author, Publisher: publisher, Series: series, ISBN: isbn,
			Format: domain.Format(format), Year: year, Page: 1, PerPage: 20}
		s, err := buildSearch(sq)
		if err != nil {
			if err != ErrInvalidQuery {
				t.Fatalf("buildSearch(%+v): %v, want ErrInvalidQuery", sq, err)
			}
			return
		}
		for _, field := range []string{q, title, author, publisher, series} {
			if !utf8.ValidString(field) || utf8.RuneCountInString(field) > maxSearchRunes {
				t.Fatalf("buildSearch accepted the field %q", field)
			}
		}
		// Every statement the search runs: the count, the ranking, and each tier.
		st := &stmt{}
		parts := []string{s.whereSQL(st, true), s.whereSQL(st, false)}
		if s.ranked() {
			parts = append(parts, s.exact(st), s.prefix(st), s.contains(st), s.titleIdx.frag(st))
		} else if s.prefix != nil || s.contains != nil || s.titleIdx.codes != nil || s.prefixPattern != "" {
			t.Fatal("an unranked search has ranking fragments")
		}
		sqlText := strings.Join(parts, " ")
		for i, r := range sqlText {
			if r >= utf8.RuneSelf || r < ' ' {
				t.Fatalf("SQL has %q at %d: a value was spliced into %q", r, i, sqlText)
			}
		}
		if strings.Count(strings.ReplaceAll(sqlText, "' '", ""), "'") != 0 {
			t.Fatalf("SQL has a quote: %q", sqlText)
		}
		maxRef := 0
		for _, m := range placeholder.FindAllStringSubmatch(sqlText, -1) {
			n, _ := strconv.Atoi(m[1])
			maxRef = max(maxRef, n)
		}
		if maxRef != len(st.args) {
			t.Fatalf("SQL refers to $%d but has %d arguments: %q", maxRef, len(st.args), sqlText)
		}
		if len(st.args) > 400 {
			t.Fatalf("%d arguments", len(st.args))
		}
		for i, a := range st.args {
			switch v := a.(type) {
			case string:
				if !utf8.ValidString(v) || len(v) > 4*(2*maxSearchRunes*maxSearchTerms+2) {
					t.Fatalf("argument $%d %q: invalid UTF-8 or too long", i+1, v)
				}
				if strings.ContainsRune(v, 0) {
					t.Fatalf("argument $%d %q has NUL, which PostgreSQL refuses", i+1, v)
				}
			case int:
			case driver.Valuer: // pq.Array of int64 codes or of ISBN strings
				val, err := v.Value()
				if err != nil {
					t.Fatalf("argument $%d: %v", i+1, err)
				}
				if str, ok := val.(string); ok && (!utf8.ValidString(str) || len(str) > 16*1024) {
					t.Fatalf("argument $%d %q: invalid UTF-8 or too long", i+1, str)
				}
			default:
				t.Fatalf("argument $%d has type %T", i+1, a)
			}
		}
		// The terms are bounded in number and length.
		n := 0
		for _, field := range []string{q, title, author, publisher, series} {
			terms, err := searchTerms(field)
			if err != nil {
				t.Fatalf("searchTerms(%q) after buildSearch accepted it: %v", field, err)
			}
			for _, term := range terms {
				if term == "" || !utf8.ValidString(term) || strings.ContainsFunc(term, func(r rune) bool { return r == ' ' || r == 0 }) {
					t.Fatalf("term %q of %q", term, field)
				}
			}
			n += len(terms)
		}
		if n > maxSearchTerms {
			t.Fatalf("%d terms accepted", n)
		}
	})
}
