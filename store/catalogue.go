package store

// Catalogue search and title detail (GET /api/v1/titles, GET /api/v1/titles/{id}).
//
// Matching. A query is split on white space into terms, and each term is normalised with domain.SearchKey,
// as titles.search_text is: every term must occur in search_text (AND), checked with LIKE. The index is the
// GIN index on search_grams(search_text, title_key, reading_key) (migrations/00003_search.sql): the codes of
// every 1- and 2-character gram, positive inside the title or its reading and negative elsewhere. A 1- or
// 2-character term t matches exactly when the grams overlap {t, -t}; a longer term needs each of its pairs
// of characters, and LIKE checks the rest. The index is exact (GIN rechecks nothing), so a bitmap scan never
// computes search_grams, and LIKE comes first in every filter, so a plan that walks the primary key computes
// it only for rows that match. (pg_trgm would serve 3 characters and more, but its matches are rechecked,
// and a recheck would compute search_grams for every row of a bitmap it shares.) The detailed fields match
// the normalised columns title_key/reading_key, author_key and publisher_key with the same grams as a
// pre-filter.
//
// Ranking. With a keyword (or else a title) the results come in four tiers, each in ID order: the title or
// its reading equals the whole query (exact), starts with it (prefix), contains every term, and the rest.
//
// Speed. A search first learns how many titles match. A count remembered for the catalogue's version
// answers at once; a search the statistics expect to be capped proves it with a count of SearchCap + 1
// matches (store/catalogue_witness.go); the others read at most SearchCap + 1 matches, count and rank them
// in one query: when they are all the matches, that is the answer. More happens for very common characters
// (の matches two thirds of a 200,000-title catalogue), and for remembered counts: ranking them all would
// read every match, so each tier is read on its own in ID order, which walkTiers serves by walking the
// primary key and stopping after a page, or from the indexes when the tier is sparse (exact and prefix
// matches from the text_pattern_ops indexes on title_key and reading_key, title matches from the title
// grams). Only the first SearchCap results can then be paged, and Total is SearchCap with Capped set.
// (Scanning the table instead of the index when most titles match was measured slower: LIKE on Japanese
// text costs more per row than reading the posting list.)

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// SearchCap is how many matches a search counts at most; beyond it Total is SearchCap and Capped is set,
// and only the first SearchCap results can be paged.
const SearchCap = 10_000

// Limits of a search query.
const (
	MaxPerPage      = 100
	maxSearchRunes  = 200 // per field
	maxSearchTerms  = 16  // in all fields together
	maxSearchISBN   = 13
	searchGramsExpr = "search_grams(t.search_text, t.title_key, t.reading_key)"
)

// ErrInvalidQuery is a search query that cannot be run: a field too long, too many terms, an ISBN that is
// not digits, a bad page.
var ErrInvalidQuery = errors.New("store: invalid search query")

// ErrNoSuchTitle is a title ID that does not exist.
var ErrNoSuchTitle = errors.New("store: no such title")

// SearchQuery is a catalogue search. Q is matched against every field (title, author, publisher, series,
// and their readings; an ISBN-shaped term also against the ISBN); the other text fields only against their
// own field. Empty fields and zero values do not restrict the search.
type SearchQuery struct {
	Q, Title, Author, Publisher, Series, ISBN string
	Format                                    domain.Format
	Year                                      int
	Page, PerPage                             int // Page from 1; PerPage 1..MaxPerPage
}

// SearchResult is one page of a search.
type SearchResult struct {
	Total  int  // matches, at most SearchCap
	Capped bool // more than SearchCap titles match
	Titles []TitleSummary
}

// TitleSummary is a title as listed in search results, with its copy and queue counts.
type TitleSummary struct {
	ID            int64          `db:"id"`
	Title         string         `db:"title"`
	TitleReading  string         `db:"title_reading"`
	Author        string         `db:"author"`
	AuthorReading string         `db:"author_reading"`
	Publisher     string         `db:"publisher"`
	Year          sql.NullInt64  `db:"year"`
	ISBN          sql.NullString `db:"isbn"`
	Format        domain.Format  `db:"format"`
	SeriesID      sql.NullInt64  `db:"series_id"`
	SeriesName    sql.NullString `db:"series_name"`
	Volume        sql.NullInt64  `db:"volume"`
	ReferenceOnly bool           `db:"reference_only"`
	URL           sql.NullString `db:"url"`
	// Copies not withdrawn; of those, copies on the shelf that no open hold has set aside; open holds on
	// the title that have no copy yet.
	CopiesTotal     int `db:"copies_total"`
	CopiesAvailable int `db:"copies_available"`
	HoldsQueued     int `db:"holds_queued"`
}

// Reasons a title cannot be held online.
const (
	NotHoldableReferenceOnly = "reference_only"
	NotHoldableEText         = "etext"
)

// NotHoldableReason is why the title cannot be held online, or "" when it can (as store.PlaceHold decides).
func (t TitleSummary) NotHoldableReason() string {
	switch {
	case t.Format == domain.FormatEText:
		return NotHoldableEText
	case t.ReferenceOnly:
		return NotHoldableReferenceOnly
	}
	return ""
}

// CopyStatus is the state of a copy as a patron sees it.
type CopyStatus string

// Copy states. Withdrawn copies are not shown.
const (
	CopyAvailable     CopyStatus = "available"      // on the shelf
	CopyReferenceOnly CopyStatus = "reference_only" // on the shelf, for use in the library only (禁帯出)
	CopyOnLoan        CopyStatus = "on_loan"
	CopyInTransit     CopyStatus = "in_transit"
	CopyOnHoldShelf   CopyStatus = "on_hold_shelf" // waiting on the hold shelf for the patron who held it
	CopySetAside      CopyStatus = "set_aside"     // still on the shelf, but secured for a hold
	CopyMissing       CopyStatus = "missing"
)

// TitleCopy is one copy of a title.
type TitleCopy struct {
	Barcode       string       `db:"barcode"`
	Branch        string       `db:"branch"` // home branch code
	BranchName    string       `db:"branch_name"`
	CallNumber    string       `db:"call_number"`    // 請求記号, "" when not recorded
	ShelfLocation string       `db:"shelf_location"` // 配架場所, "" when not recorded
	Status        CopyStatus   `db:"status"`
	DueDate       sql.NullTime `db:"due_date"` // while on loan
}

// TitleDetail is a title with its copies.
type TitleDetail struct {
	TitleSummary
	Copies []TitleCopy
}

// SearchTitles runs a catalogue search. Every value reaches SQL as a parameter.
func SearchTitles(ctx context.Context, db *sqlx.DB, q SearchQuery) (SearchResult, error) {
	if q.Page < 1 || q.PerPage < 1 || q.PerPage > MaxPerPage {
		return SearchResult{}, ErrInvalidQuery
	}
	s, err := buildSearch(q)
	if err != nil {
		return SearchResult{}, err
	}
	stats, err := loadGramStats(ctx, db)
	if err != nil {
		return SearchResult{}, err
	}
	res := SearchResult{Titles: []TitleSummary{}}
	offset := (q.Page - 1) * q.PerPage
	var (
		learnt  int   // matches this search counted (up to SearchCap + 1), to remember; 0: nothing to remember
		version int64 // the catalogue's, in the search's snapshot
	)
	err = readOnly(ctx, db, func(tx *sqlx.Tx) error {
		learnt = 0
		known, v, err := s.knownMatches(ctx, tx)
		if err != nil {
			return err
		}
		version = v
		if known < 0 {
			proved, err := s.provedCapped(ctx, tx, stats)
			if err != nil {
				return err
			}
			if proved {
				known, learnt = SearchCap+1, SearchCap+1
			}
		}
		var ids []int64
		n := known
		ranked := known < 0 || (known <= SearchCap && offset+q.PerPage > maxWalkedPage)
		if ranked {
			// Count and rank every match (at most SearchCap + 1 of them) in one query.
			if ids, n, err = s.rankFirst(ctx, tx, offset, q.PerPage); err != nil {
				return err
			}
			if len(ids) == 0 && offset > 0 { // past the end: count on its own
				if n, err = s.count(ctx, tx); err != nil {
					return err
				}
			}
			if known < 0 && n >= minRemembered {
				learnt = n
			}
		}
		res.Total, res.Capped = min(n, SearchCap), n > SearchCap
		if n > SearchCap || !ranked {
			// Capped, or counted before: the page comes from the tiers.
			ids = nil
			if limit := min(q.PerPage, SearchCap-offset, n-offset); limit > 0 {
				all, err := s.walkTiers(ctx, tx, stats, offset+limit)
				if err != nil {
					return err
				}
				if len(all) > offset {
					ids = all[offset:]
				}
			}
		}
		res.Titles, err = titleSummaries(ctx, tx, ids)
		return err
	})
	if err != nil {
		return SearchResult{}, err
	}
	if learnt > 0 {
		if err := s.remember(ctx, db, version, learnt); err != nil {
			return SearchResult{}, err
		}
	}
	return res, nil
}

// search is a query compiled to SQL fragments over "titles t". A fragment adds its arguments when it is
// rendered into a statement, so that each statement numbers (and sends) only the arguments it uses.
type search struct {
	where     []frag     // every condition
	gramConds []gramCond // conditions implied by where that the grams index serves
	// Ranking, when the query has a keyword (or else a title): exact, prefix, contains; nil otherwise.
	exact  frag // the title or its reading equals the whole query, normalised
	prefix frag // ... starts with it
	// prefixPattern is the LIKE pattern of prefix.
	prefixPattern string
	contains      frag     // ... contains every term
	titleIdx      gramCond // a pre-filter of contains that the grams index serves

	key []byte // conditionsKey, the search's name in search_counts
}

// frag renders a piece of SQL, adding its arguments to the statement.
type frag func(st *stmt) string

// stmt collects the arguments of one statement.
type stmt struct{ args []any }

func (st *stmt) arg(v any) string {
	st.args = append(st.args, v)
	return "$" + strconv.Itoa(len(st.args))
}

func (s *search) ranked() bool { return s.exact != nil }

// whereSQL renders every condition, and with assist the index conditions they imply. Without them a plan
// can only scan, which walkTiers wants for a range of the primary key; with them the planner can use the
// grams index, and does, or it would compute search_grams for the rows it reads.
func (s *search) whereSQL(st *stmt, assist bool) string {
	conds := s.where
	if assist {
		conds = slices.Clip(conds)
		for _, g := range s.gramConds {
			conds = append(conds, g.frag)
		}
	}
	if len(conds) == 0 {
		return "true"
	}
	parts := make([]string, len(conds))
	for i, f := range conds {
		parts[i] = f(st)
	}
	return strings.Join(parts, " AND ")
}

func sqlf(format string, fs ...frag) frag {
	return func(st *stmt) string {
		args := make([]any, len(fs))
		for i, f := range fs {
			args[i] = f(st)
		}
		return fmt.Sprintf(format, args...)
	}
}

// param is a fragment of one argument (cast is its SQL type, or "").
func param(v any, cast string) frag {
	return func(st *stmt) string {
		if cast != "" {
			return st.arg(v) + "::" + cast
		}
		return st.arg(v)
	}
}

func buildSearch(q SearchQuery) (*search, error) {
	s := &search{}
	nTerms := 0
	field := func(raw string) ([]string, error) {
		terms, err := searchTerms(raw)
		if err != nil {
			return nil, err
		}
		if nTerms += len(terms); nTerms > maxSearchTerms {
			return nil, ErrInvalidQuery
		}
		return terms, nil
	}

	qTerms, err := field(q.Q)
	if err != nil {
		return nil, err
	}
	for _, t := range qTerms {
		c := sqlf("t.search_text LIKE %s", param(likeContains(t), ""))
		if isbns := domain.ISBNForms(t); len(isbns) > 0 { // 10 or 13 characters: no grams
			c = sqlf("(t.isbn = ANY(%s) OR %s)", param(pq.Array(isbns), "text[]"), c)
		}
		s.where = append(s.where, c)
		if len(domain.ISBNForms(t)) == 0 {
			// Each gram of t is in the title part (positive) or elsewhere (negative).
			for _, g := range termCodes(t) {
				s.gramConds = append(s.gramConds, gramCond{overlap: true, codes: []int64{g, -g}})
			}
		}
	}

	titleTerms, err := field(q.Title)
	if err != nil {
		return nil, err
	}
	for _, t := range titleTerms {
		s.where = append(s.where, titleContains(t))
		s.gramConds = append(s.gramConds, gramCond{codes: termCodes(t)})
	}

	for _, f := range []struct{ raw, column string }{{q.Author, "t.author_key"}, {q.Publisher, "t.publisher_key"}} {
		terms, err := field(f.raw)
		if err != nil {
			return nil, err
		}
		for _, t := range terms {
			s.where = append(s.where, sqlf(f.column+" LIKE %s", param(likeContains(t), "")))
			// The field lies outside the title part of search_text: its grams are negative.
			codes := termCodes(t)
			for i := range codes {
				codes[i] = -codes[i]
			}
			s.gramConds = append(s.gramConds, gramCond{codes: codes})
		}
	}

	seriesTerms, err := field(q.Series)
	if err != nil {
		return nil, err
	}
	for _, t := range seriesTerms {
		s.where = append(s.where, sqlf("t.series_id IN (SELECT sr.id FROM series sr "+
			"WHERE search_key(sr.name || ' ' || sr.name_reading) LIKE %s)", param(likeContains(t), "")))
	}

	if c, err := isbnCondition(q.ISBN); err != nil {
		return nil, err
	} else if c != nil {
		s.where = append(s.where, c)
	}
	if q.Format != "" {
		if !slices.Contains(domain.Formats, q.Format) {
			return nil, ErrInvalidQuery
		}
		s.where = append(s.where, sqlf("t.format = %s", param(string(q.Format), "")))
	}
	if q.Year != 0 {
		if q.Year < 1 || q.Year > 9999 {
			return nil, ErrInvalidQuery
		}
		s.where = append(s.where, sqlf("t.year = %s", param(q.Year, "")))
	}

	rankTerms := qTerms
	if len(rankTerms) == 0 {
		rankTerms = titleTerms
	}
	if len(rankTerms) > 0 {
		key := strings.Join(rankTerms, "")
		s.exact = sqlf("(t.title_key = %[1]s OR t.reading_key = %[1]s)", param(key, ""))
		s.prefixPattern = escapeLike(key) + "%"
		s.prefix = sqlf("(t.title_key LIKE %[1]s OR t.reading_key LIKE %[1]s)", param(s.prefixPattern, ""))
		var contains []frag
		var codes []int64
		for _, t := range rankTerms {
			contains = append(contains, titleContains(t))
			codes = append(codes, termCodes(t)...)
		}
		s.contains = func(st *stmt) string {
			parts := make([]string, len(contains))
			for i, f := range contains {
				parts[i] = f(st)
			}
			return "(" + strings.Join(parts, " AND ") + ")"
		}
		s.titleIdx = gramCond{codes: codes}
	}
	s.key = s.conditionsKey()
	return s, nil
}

// titleContains is the condition "the title or its reading contains t".
func titleContains(t string) frag {
	return sqlf("(t.title_key LIKE %[1]s OR t.reading_key LIKE %[1]s)", param(likeContains(t), ""))
}

// isbnCondition matches the isbn field: a whole ISBN in either of its forms, or the start of one.
func isbnCondition(raw string) (frag, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	d, ok := domain.ISBNDigits(raw)
	if !ok || d == "" || len(d) > maxSearchISBN {
		return nil, ErrInvalidQuery
	}
	if forms := domain.ISBNForms(d); len(forms) > 0 {
		return sqlf("t.isbn = ANY(%s)", param(pq.Array(forms), "text[]")), nil
	}
	// A partial ISBN matches the ISBNs that start with it ('~' sorts after every digit and X).
	return sqlf("(t.isbn >= %s AND t.isbn < %s)", param(d, ""), param(d+"~", "")), nil
}

// count counts the matches, up to SearchCap + 1.
func (s *search) count(ctx context.Context, tx *sqlx.Tx) (int, error) {
	st := &stmt{}
	query := `SELECT count(*) FROM (SELECT 1 FROM titles t WHERE ` + s.whereSQL(st, true) + ` LIMIT ` +
		st.arg(SearchCap+1) + `) m`
	var n int
	if err := tx.GetContext(ctx, &n, query, st.args...); err != nil {
		return 0, fmt.Errorf("store: search: count: %w", err)
	}
	return n, nil
}

// rankFirst reads at most SearchCap + 1 matches, counts them (n) and ranks them, in one query. When n is
// at most SearchCap these are all the matches and ids is the page; otherwise the caller walks the tiers.
// A page past the end comes back empty, without n.
func (s *search) rankFirst(ctx context.Context, tx *sqlx.Tx, offset, limit int) (ids []int64, n int, err error) {
	st := &stmt{}
	rank := "0"
	if s.ranked() {
		rank = `CASE WHEN ` + s.exact(st) + ` THEN 0 WHEN ` + s.prefix(st) + ` THEN 1 WHEN ` + s.contains(st) +
			` THEN 2 ELSE 3 END`
	}
	query := `SELECT m.id, count(*) OVER () AS n FROM (SELECT t.id, ` + rank + ` AS rank FROM titles t WHERE ` +
		s.whereSQL(st, true) + ` LIMIT ` + st.arg(SearchCap+1) + `) m ORDER BY m.rank, m.id LIMIT ` + st.arg(limit) +
		` OFFSET ` + st.arg(offset)
	var rows []struct {
		ID int64 `db:"id"`
		N  int   `db:"n"`
	}
	if err := tx.SelectContext(ctx, &rows, query, st.args...); err != nil {
		return nil, 0, fmt.Errorf("store: search: rank: %w", err)
	}
	for _, r := range rows {
		ids, n = append(ids, r.ID), r.N
	}
	return ids, n, nil
}

// walkTiers returns the first n results, tier after tier: for more than SearchCap matches. A tier is read
// only when the ones before it do not fill n.
//
// Exact matches come from the text_pattern_ops indexes on title_key and reading_key. The other tiers are
// read in ID order, first from the first walkChunk titles only (a range of the primary key, with no index
// but the key): a tier with 1 title in 100 or more fills a page there, whatever its size. A sparser tier
// is small, and is read from an index and sorted: prefix matches from the same two indexes, which carry
// the ID so that the candidates are sorted without reading the table (only the page's rows are then read
// and checked); the title and the other matches from the grams index ("t.id + 0" keeps the planner from
// walking the whole key for them). The planner's estimates cannot make this choice: a longer term's pairs
// of characters occur together, and it takes them as independent.
func (s *search) walkTiers(ctx context.Context, tx *sqlx.Tx, stats gramStats, n int) ([]int64, error) {
	type tier struct {
		name  string
		cond  func(st *stmt) string // the tier, given the match
		share float64               // estimated share of titles in the tier; 0 when unknown
		// sparse reads the tier's first need titles when the first chunk does not hold them; nil when the
		// tier is read whole at once (the exact tier, from its indexes).
		sparse func(ctx context.Context, tx *sqlx.Tx, need int) ([]int64, error)
	}
	fromGrams := func(name string, cond func(*stmt) string, idx frag) func(context.Context, *sqlx.Tx, int) ([]int64, error) {
		return func(ctx context.Context, tx *sqlx.Tx, need int) ([]int64, error) {
			st := &stmt{}
			q := `SELECT t.id FROM titles t WHERE ` + s.whereSQL(st, true) + ` AND ` + cond(st)
			if idx != nil {
				q += ` AND ` + idx(st)
			}
			var got []int64
			if err := tx.SelectContext(ctx, &got, q+` ORDER BY t.id + 0 LIMIT `+st.arg(need), st.args...); err != nil {
				return nil, fmt.Errorf("store: search: %s tier: %w", name, err)
			}
			return got, nil
		}
	}
	matchShare := stats.matchShare(s.gramConds)
	tiers := []tier{{name: "all", cond: everyMatch, share: matchShare, sparse: fromGrams("all", everyMatch, nil)}}
	if s.ranked() {
		titleOnly := func(st *stmt) string { return s.contains(st) + " AND NOT " + s.prefix(st) }
		rest := func(st *stmt) string { return "NOT " + s.contains(st) }
		tiers = []tier{
			{name: "exact", cond: s.exact},
			{name: "prefix", cond: func(st *stmt) string { return s.prefix(st) + " AND NOT " + s.exact(st) }, sparse: s.prefixTier},
			{name: "title", cond: titleOnly, share: min(matchShare, stats.matchShare([]gramCond{s.titleIdx})),
				sparse: fromGrams("title", titleOnly, s.titleIdx.frag)},
			{name: "rest", cond: rest, share: matchShare, sparse: fromGrams("rest", rest, nil)},
		}
	}
	var ids []int64
	chunk := max(walkChunk, 20*n)
	var bound sql.NullInt64 // the first ID past the first chunk, NULL when the chunk is the whole table
	boundRead := false
	for _, tr := range tiers {
		if len(ids) >= n {
			break
		}
		need := n - len(ids)
		var got []int64
		if tr.sparse == nil {
			st := &stmt{}
			query := `SELECT t.id FROM titles t WHERE ` + s.whereSQL(st, false) + ` AND ` + tr.cond(st) +
				` ORDER BY t.id LIMIT ` + st.arg(need)
			if err := tx.SelectContext(ctx, &got, query, st.args...); err != nil {
				return nil, fmt.Errorf("store: search: %s tier: %w", tr.name, err)
			}
		} else {
			if !boundRead {
				if err := tx.GetContext(ctx, &bound, `SELECT id FROM titles ORDER BY id OFFSET $1 LIMIT 1`, chunk); err != nil &&
					!errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("store: search: chunk: %w", err)
				}
				boundRead = true
			}
			var err error
			if got, err = s.walk(ctx, tx, tr.name, tr.cond, 0, bound, need, 0); err != nil {
				return nil, err
			}
			if len(got) < need && bound.Valid && tr.share > 0 && float64(need-len(got))/tr.share <= maxWalk {
				// Dense enough to go on walking the key from the chunk's end, as far as the estimate
				// says (four times over, at most maxWalk titles), stopping at the page.
				span := int(min(4*float64(need-len(got))/tr.share, maxWalk))
				more, err := s.walk(ctx, tx, tr.name, tr.cond, bound.Int64, sql.NullInt64{}, need-len(got), span)
				if err != nil {
					return nil, err
				}
				got = append(got, more...)
			}
			if len(got) < need && bound.Valid {
				if got, err = tr.sparse(ctx, tx, need); err != nil {
					return nil, err
				}
			}
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// everyMatch is the condition of no tier: every match.
func everyMatch(*stmt) string { return "true" }

// walk reads the first need matches of a tier in ID order by walking the primary key (walkSQL).
func (s *search) walk(ctx context.Context, tx *sqlx.Tx, name string, cond func(*stmt) string, from int64,
	below sql.NullInt64, need, span int) ([]int64, error) {
	st := &stmt{}
	query := s.walkSQL(st, cond, from, below, span) + ` LIMIT ` + st.arg(need)
	var got []int64
	if err := tx.SelectContext(ctx, &got, query, st.args...); err != nil {
		return nil, fmt.Errorf("store: search: %s tier: %w", name, err)
	}
	return got, nil
}

// walkSQL selects, in ID order, the IDs of the matches that meet cond, walking the primary key from the ID
// from, below the ID below when it is set, over at most span titles when span is positive. The conditions
// are computed in a subquery the planner cannot flatten (LIMIT or OFFSET 0), so it cannot serve them from
// another index: its estimates for prefixes of Japanese text are far off. A LIMIT added to it stops the
// walk there.
func (s *search) walkSQL(st *stmt, cond func(*stmt) string, from int64, below sql.NullInt64, span int) string {
	query := `SELECT w.id FROM (SELECT t.id, ` + s.whereSQL(st, false) + ` AND ` + cond(st) +
		` AS hit FROM titles t WHERE t.id >= ` + st.arg(from)
	if below.Valid {
		query += ` AND t.id < ` + st.arg(below.Int64)
	}
	query += ` ORDER BY t.id`
	if span > 0 {
		query += ` LIMIT ` + st.arg(span)
	} else {
		query += ` OFFSET 0`
	}
	return query + `) w WHERE w.hit`
}

// prefixTier reads the first need prefix matches that are not exact, in ID order, from the indexes on
// title_key and reading_key, which carry the ID: the first k candidates of each index by ID (an index-only
// scan; "id + 0" keeps the planner from walking the primary key instead), then only those rows checked
// against the query. Every candidate up to the lower of the two indexes' k-th IDs is among them, so the
// matches up to there are complete; when they are fewer than need, k grows.
func (s *search) prefixTier(ctx context.Context, tx *sqlx.Tx, need int) ([]int64, error) {
	for k := need + 64; ; k *= 4 {
		cutoff := int64(math.MaxInt64)
		var cands []int64
		for _, column := range []string{"title_key", "reading_key"} {
			var got []int64
			if err := tx.SelectContext(ctx, &got, `SELECT id FROM titles WHERE `+column+` LIKE $1 ORDER BY id + 0 LIMIT $2`,
				s.prefixPattern, k); err != nil {
				return nil, fmt.Errorf("store: search: prefix tier: %w", err)
			}
			if len(got) == k {
				cutoff = min(cutoff, got[k-1])
			}
			cands = append(cands, got...)
		}
		cands = slices.DeleteFunc(cands, func(id int64) bool { return id > cutoff })
		slices.Sort(cands)
		cands = slices.Compact(cands)
		st := &stmt{}
		query := `SELECT t.id FROM titles t WHERE t.id = ANY(` + st.arg(pq.Array(cands)) + `::bigint[]) AND ` +
			s.whereSQL(st, false) + ` AND NOT ` + s.exact(st) + ` ORDER BY t.id LIMIT ` + st.arg(need)
		var got []int64
		if err := tx.SelectContext(ctx, &got, query, st.args...); err != nil {
			return nil, fmt.Errorf("store: search: prefix tier: %w", err)
		}
		if len(got) == need || cutoff == math.MaxInt64 {
			return got, nil
		}
	}
}

// walkChunk is how many titles (in ID order) a tier is first looked for in, and maxWalk how many more it
// is looked for in when the statistics say that is where it is (see walkTiers).
const (
	walkChunk = 2000
	maxWalk   = 50_000
)

// summarySelect reads TitleSummary; the copy and queue counts come from the indexes on items (title_id)
// and holds (item_barcode, and the open holds of a title).
const summarySelect = `
	SELECT t.id, t.title, t.title_reading, t.author, t.author_reading, t.publisher, t.year, t.isbn, t.format,
	       t.series_id, sr.name AS series_name, t.volume, t.reference_only, t.url,
	       c.total AS copies_total, c.available AS copies_available,
	       (SELECT count(*) FROM holds h
	        WHERE h.title_id = t.id AND h.` + OpenHold + ` AND h.item_barcode IS NULL) AS holds_queued
	FROM titles t
	LEFT JOIN series sr ON sr.id = t.series_id
	CROSS JOIN LATERAL (
	    SELECT count(*) AS total,
	           count(*) FILTER (WHERE i.status = 'on_shelf' AND NOT EXISTS (
	               SELECT 1 FROM holds h
	               WHERE h.item_barcode = i.barcode AND h.` + OpenHold + `)) AS available
	    FROM items i WHERE i.title_id = t.id AND i.status <> 'withdrawn') c`

// titleSummaries reads the titles of ids, in that order, in one query.
func titleSummaries(ctx context.Context, q sqlx.QueryerContext, ids []int64) ([]TitleSummary, error) {
	if len(ids) == 0 {
		return []TitleSummary{}, nil
	}
	var rows []TitleSummary
	if err := sqlx.SelectContext(ctx, q, &rows, summarySelect+` WHERE t.id = ANY($1::bigint[])`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("store: title summaries: %w", err)
	}
	byID := make(map[int64]TitleSummary, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]TitleSummary, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// GetTitle reads a title with its copies (withdrawn ones left out), by home branch in the library's order.
func GetTitle(ctx context.Context, db *sqlx.DB, id int64) (TitleDetail, error) {
	var d TitleDetail
	err := readOnly(ctx, db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &d.TitleSummary, summarySelect+` WHERE t.id = $1`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSuchTitle
		}
		if err != nil {
			return fmt.Errorf("store: title %d: %w", id, err)
		}
		d.Copies = []TitleCopy{}
		if err := tx.SelectContext(ctx, &d.Copies, `
			SELECT i.barcode, i.home_branch AS branch, b.name AS branch_name, i.call_number, i.shelf_location,
			       CASE WHEN i.status = 'on_shelf' AND EXISTS (
			                SELECT 1 FROM holds h
			                WHERE h.item_barcode = i.barcode AND h.`+OpenHold+`) THEN 'set_aside'
			            WHEN i.status = 'on_shelf' AND t.reference_only THEN 'reference_only'
			            WHEN i.status = 'on_shelf' THEN 'available'
			            WHEN i.status = 'hold_shelf' THEN 'on_hold_shelf'
			            ELSE i.status END AS status,
			       l.due_date
			FROM items i
			JOIN titles t ON t.id = i.title_id
			JOIN branches b ON b.code = i.home_branch
			LEFT JOIN loans l ON l.barcode = i.barcode AND l.returned_at IS NULL
			WHERE i.title_id = $1 AND i.status <> 'withdrawn'
			ORDER BY b.kind = 'facility', b.sort_order, i.barcode`, id); err != nil {
			return fmt.Errorf("store: title %d copies: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return TitleDetail{}, err
	}
	return d, nil
}

// --- terms ----------------------------------------------------------------------------------------------

// searchTerms splits a field on white space (and control characters) and normalises each term like
// titles.search_text. Terms that normalise to nothing (a lone ・) and repeated terms are dropped.
func searchTerms(raw string) ([]string, error) {
	if !utf8.ValidString(raw) || utf8.RuneCountInString(raw) > maxSearchRunes {
		return nil, ErrInvalidQuery
	}
	var terms []string
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		k := domain.SearchKey(f)
		if k != "" && !slices.Contains(terms, k) {
			terms = append(terms, k)
		}
	}
	return terms, nil
}

// gramCode is search_grams' code of a 1- or 2-character gram: the code point, or c1 * 2^21 + c2.
func gramCode(g string) int64 {
	var code int64
	for _, r := range g {
		code = code<<21 | int64(r)
	}
	return code
}

// termCodes are grams a text must contain to contain t: t itself when it is 1 or 2 characters long, else
// pairs of its characters, at most maxTermGrams of them spread over t (LIKE checks the rest: more would
// only lengthen the query and mislead the planner's estimates further).
func termCodes(t string) []int64 {
	rs := []rune(t)
	if len(rs) <= 2 {
		return []int64{gramCode(t)}
	}
	pairs := len(rs) - 1
	n := min(pairs, maxTermGrams)
	codes := make([]int64, 0, n)
	for k := range n {
		i := 0
		if n > 1 {
			i = k * (pairs - 1) / (n - 1) // first and last pair included
		}
		codes = append(codes, gramCode(string(rs[i:i+2])))
	}
	return codes
}

const maxTermGrams = 4

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// escapeLike quotes LIKE's wildcards (backslash is the default escape character).
func escapeLike(s string) string { return likeEscaper.Replace(s) }

func likeContains(t string) string { return "%" + escapeLike(t) + "%" }
