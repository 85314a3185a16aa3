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
// Speed. One query reads at most SearchCap + 1 matches, counts and ranks them: when they are all the
// matches, that is the answer. More happens for very common characters (の matches two thirds of a
// 200,000-title catalogue): ranking them all would read every match, so each tier is read on its own in ID
// order, which the planner serves by walking the primary key and stopping after a page, or from the indexes
// when the tier is small (exact and prefix matches from the text_pattern_ops indexes on title_key and
// reading_key, title matches from the title grams). Only the first SearchCap results can then be paged, and
// Total is SearchCap with Capped set. (Scanning the table instead of the index when most titles match was
// measured slower: LIKE on Japanese text costs more per row than reading the posting list.)

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	res := SearchResult{Titles: []TitleSummary{}}
	offset := (q.Page - 1) * q.PerPage
	err = readOnly(ctx, db, func(tx *sqlx.Tx) error {
		ids, n, err := s.rankFirst(ctx, tx, offset, q.PerPage)
		if err != nil {
			return err
		}
		if len(ids) == 0 && offset > 0 { // past the end: count on its own
			if n, err = s.count(ctx, tx); err != nil {
				return err
			}
		}
		res.Total, res.Capped = min(n, SearchCap), n > SearchCap
		if res.Capped {
			ids = nil
			if limit := min(q.PerPage, SearchCap-offset); limit > 0 {
				all, err := s.walkTiers(ctx, tx, offset+limit)
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
	return res, nil
}

// search is a query compiled to SQL fragments over "titles t". A fragment adds its arguments when it is
// rendered into a statement, so that each statement numbers (and sends) only the arguments it uses.
type search struct {
	where  []frag // every condition
	assist []frag // conditions implied by where that the grams index serves
	// Ranking, when the query has a keyword (or else a title): exact, prefix, contains; nil otherwise.
	exact    frag // the title or its reading equals the whole query, normalised
	prefix   frag // ... starts with it
	contains frag // ... contains every term
	titleIdx frag // a pre-filter of contains that the grams index serves
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
		conds = append(slices.Clip(conds), s.assist...)
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
	grams := func(op string, codes []int64) frag {
		return sqlf(searchGramsExpr+" "+op+" %s", param(pq.Array(codes), "int8[]"))
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
				s.assist = append(s.assist, grams("&&", []int64{g, -g}))
			}
		}
	}

	titleTerms, err := field(q.Title)
	if err != nil {
		return nil, err
	}
	for _, t := range titleTerms {
		s.where = append(s.where, titleContains(t))
		s.assist = append(s.assist, grams("@>", termCodes(t)))
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
			s.assist = append(s.assist, grams("@>", codes))
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
		s.prefix = sqlf("(t.title_key LIKE %[1]s OR t.reading_key LIKE %[1]s)", param(escapeLike(key)+"%", ""))
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
		s.titleIdx = grams("@>", codes)
	}
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
// Exact and prefix matches come from the text_pattern_ops indexes on title_key and reading_key. The other
// tiers are read in ID order, first from the first walkChunk titles only (a range of the primary key, with
// no index but the key): a tier with 1 title in 100 or more fills a page there, whatever its size. A
// sparser tier is small, and is read from the grams index and sorted ("t.id + 0" keeps the planner from
// walking the whole key for it). The planner's estimates cannot make this choice: a longer term's pairs of
// characters occur together, and it takes them as independent.
func (s *search) walkTiers(ctx context.Context, tx *sqlx.Tx, n int) ([]int64, error) {
	type tier struct {
		cond func(st *stmt) string // the tier, given the match
		idx  frag                  // implied by cond, served by the grams index; or nil
	}
	tiers := []tier{{cond: func(*stmt) string { return "true" }}}
	if s.ranked() {
		tiers = []tier{
			{cond: func(st *stmt) string { return s.contains(st) + " AND NOT " + s.prefix(st) }, idx: s.titleIdx},
			{cond: func(st *stmt) string { return "NOT " + s.contains(st) }},
		}
	}
	var ids []int64
	if s.ranked() {
		st := &stmt{}
		query := `SELECT t.id FROM titles t WHERE ` + s.whereSQL(st, true) + ` AND ` + s.prefix(st) +
			` ORDER BY ` + s.exact(st) + ` DESC, t.id LIMIT ` + st.arg(n)
		if err := tx.SelectContext(ctx, &ids, query, st.args...); err != nil {
			return nil, fmt.Errorf("store: search: prefix tier: %w", err)
		}
	}
	chunk := max(walkChunk, 20*n)
	var bound sql.NullInt64 // the first ID past the first chunk, NULL when the chunk is the whole table
	if len(ids) < n {
		if err := tx.GetContext(ctx, &bound, `SELECT id FROM titles ORDER BY id OFFSET $1 LIMIT 1`, chunk); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: search: chunk: %w", err)
		}
	}
	for _, tr := range tiers {
		if len(ids) >= n {
			break
		}
		need := n - len(ids)
		st := &stmt{}
		query := `SELECT t.id FROM titles t WHERE ` + s.whereSQL(st, false) + ` AND ` + tr.cond(st)
		if bound.Valid {
			query += ` AND t.id < ` + st.arg(bound.Int64)
		}
		var got []int64
		if err := tx.SelectContext(ctx, &got, query+` ORDER BY t.id LIMIT `+st.arg(need), st.args...); err != nil {
			return nil, fmt.Errorf("store: search: tier: %w", err)
		}
		if len(got) < need && bound.Valid {
			st = &stmt{}
			query = `SELECT t.id FROM titles t WHERE ` + s.whereSQL(st, true) + ` AND ` + tr.cond(st)
			if tr.idx != nil {
				query += ` AND ` + tr.idx(st)
			}
			got = nil
			if err := tx.SelectContext(ctx, &got, query+` ORDER BY t.id + 0 LIMIT `+st.arg(need), st.args...); err != nil {
				return nil, fmt.Errorf("store: search: tier: %w", err)
			}
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// walkChunk is how many titles (in ID order) a tier is first looked for in (see walkTiers).
const walkChunk = 2000

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
