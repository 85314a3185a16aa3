package store

// Counting matches cheaply. Most short queries on a large catalogue match more than SearchCap titles (at
// 1,000,000 titles nearly every one of the bench's 1-character words does). Ranking SearchCap + 1 matches
// only to learn that there are more, as rankFirst does, reads and ranks 10,001 rows; knowing it first lets
// the page come straight from the tier walk. The planner's statistics on the grams index (ANALYZE's most
// common elements and their frequencies) say which queries are likely to be capped, and how to prove it:
// by walking the first titles in ID order when the words are in a large share of titles, or from the grams
// index when they are rarer. The proof is always an exact count of SearchCap + 1 matches: the statistics
// only choose the way, so stale statistics cost time, never a wrong total.
//
// A count of at least minRemembered matches is remembered for the catalogue's version (search_counts;
// catalogue_version changes with every statement that writes titles or series), read in the search's own
// snapshot: while the version is the same, so are the matches, and every API replica skips the count and
// takes the first pages from the tiers.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// gramStats are ANALYZE's estimates for the grams index: the share of titles that contain each common gram
// code, the share below which a gram is not listed, and the number of titles.
type gramStats struct {
	freq   map[int64]float64
	floor  float64 // the lowest share in freq: the grams not in it are rarer
	titles float64
	read   time.Time
}

// gramStatsTTL is how long statistics are reused: ANALYZE runs far less often.
const gramStatsTTL = time.Minute

// gramStatsCache holds each database's statistics (a process talks to one database, tests to several).
var gramStatsCache struct {
	sync.Mutex
	byDB map[*sqlx.DB]gramStats
}

// loadGramStats returns db's statistics, reading them at most once a gramStatsTTL. A catalogue never
// analysed has none (freq nil): every search then takes the general path.
func loadGramStats(ctx context.Context, db *sqlx.DB) (gramStats, error) {
	gramStatsCache.Lock()
	st, ok := gramStatsCache.byDB[db]
	gramStatsCache.Unlock()
	if ok && time.Since(st.read) < gramStatsTTL {
		return st, nil
	}
	var rows []struct {
		Elems  pq.Int64Array   `db:"elems"`
		Freqs  pq.Float64Array `db:"freqs"`
		Titles float64         `db:"titles"`
	}
	// most_common_elems is anyarray: cast through text. most_common_elem_freqs ends with the minimum and
	// maximum frequency and the frequency of nulls.
	if err := db.SelectContext(ctx, &rows, `
		SELECT s.most_common_elems::text::int8[] AS elems, s.most_common_elem_freqs AS freqs,
		       greatest(c.reltuples, 0) AS titles
		FROM pg_stats s, pg_class c
		WHERE s.schemaname = current_schema() AND s.tablename = 'titles_search_grams'
		  AND s.most_common_elems IS NOT NULL
		  AND c.oid = to_regclass('titles')`); err != nil {
		return gramStats{}, fmt.Errorf("store: search statistics: %w", err)
	}
	st = gramStats{read: time.Now()}
	if len(rows) == 1 && len(rows[0].Freqs) == len(rows[0].Elems)+3 {
		r := rows[0]
		st.freq = make(map[int64]float64, len(r.Elems))
		for i, e := range r.Elems {
			st.freq[e] = r.Freqs[i]
		}
		st.floor, st.titles = r.Freqs[len(r.Elems)], r.Titles
	}
	gramStatsCache.Lock()
	if gramStatsCache.byDB == nil {
		gramStatsCache.byDB = map[*sqlx.DB]gramStats{}
	}
	gramStatsCache.byDB[db] = st
	gramStatsCache.Unlock()
	return st, nil
}

// share is the estimated share of titles that contain gram code c. A gram not listed is taken at half the
// listed minimum, as the planner does.
func (st gramStats) share(c int64) float64 {
	if f, ok := st.freq[c]; ok {
		return f
	}
	return st.floor / 2
}

// gramCond is a condition on the grams index: the grams overlap codes (&&) or contain them all (@>).
type gramCond struct {
	overlap bool
	codes   []int64
}

func (g gramCond) frag(st *stmt) string {
	op := "@>"
	if g.overlap {
		op = "&&"
	}
	return searchGramsExpr + " " + op + " " + st.arg(pq.Array(g.codes)) + "::int8[]"
}

// gramShare estimates the share of titles a grams condition selects: the overlap of codes (a 1- or
// 2-character keyword anywhere: about the sum of its codes' shares) or containment of them all (at most
// the rarest code's share).
func (st gramStats) gramShare(g gramCond) float64 {
	if g.overlap {
		sum := 0.0
		for _, c := range g.codes {
			sum += st.share(c)
		}
		return min(sum, 1)
	}
	m := 1.0
	for _, c := range g.codes {
		m = min(m, st.share(c))
	}
	return m
}

// Remembered counts (search_counts): searches with at least minRemembered matches, at most maxRemembered
// of them per catalogue version (each distinct query adds one row, and the search is open to anyone).
// Pages up to maxWalkedPage results deep of a remembered search come from the tiers; deeper ones are
// ranked whole, which reads every match once.
const (
	minRemembered = 1000
	maxRemembered = 10_000
	maxWalkedPage = 200
)

// conditionsKey names a search by its conditions, for search_counts: a hash of their SQL and arguments.
func (s *search) conditionsKey() []byte {
	st := &stmt{}
	sum := sha256.Sum256([]byte(s.whereSQL(st, false) + "\x00" + fmt.Sprint(st.args...)))
	return sum[:]
}

// knownMatches returns the catalogue's version in the search's snapshot and the matches counted for the
// search at that version (SearchCap + 1 for more than SearchCap), or -1 when they are not known.
func (s *search) knownMatches(ctx context.Context, tx *sqlx.Tx) (matches int, version int64, err error) {
	var known sql.NullInt64
	if err := tx.QueryRowxContext(ctx, `
		SELECT v.version, (SELECT c.matches FROM search_counts c WHERE c.version = v.version AND c.conditions = $1)
		FROM catalogue_version v`, s.key).Scan(&version, &known); err != nil {
		return 0, 0, fmt.Errorf("store: search: catalogue version: %w", err)
	}
	if !known.Valid {
		return -1, version, nil
	}
	return int(known.Int64), version, nil
}

// remember records the matches counted for the search (SearchCap + 1 for more) at the catalogue's
// version, and forgets older versions (concurrent searches may delete the same rows: InTx retries a
// deadlock).
func (s *search) remember(ctx context.Context, db *sqlx.DB, version int64, matches int) error {
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			WITH old AS (DELETE FROM search_counts WHERE version < $1)
			INSERT INTO search_counts (version, conditions, matches)
			SELECT $1, $2, $3 WHERE (SELECT count(*) FROM search_counts WHERE version = $1) < $4
			ON CONFLICT DO NOTHING`, version, s.key, matches, maxRemembered); err != nil {
			return fmt.Errorf("store: search: remember: %w", err)
		}
		return nil
	})
}

// rarest returns the condition of conds with the lowest estimated share, and that share: the conditions
// are ANDed, so it bounds the share of matches.
func (st gramStats) rarest(conds []gramCond) (int, float64) {
	rarest, share := 0, 1.0
	for i, g := range conds {
		if f := st.gramShare(g); f < share {
			rarest, share = i, f
		}
	}
	return rarest, share
}

// matchShare estimates the share of titles that meet conds when the statistics list it among the common
// ones; 0 when they do not (the grams are rarer than the listed ones, or there are no statistics or
// conditions).
func (st gramStats) matchShare(conds []gramCond) float64 {
	if st.freq == nil || len(conds) == 0 {
		return 0
	}
	if _, share := st.rarest(conds); share >= st.floor {
		return share
	}
	return 0
}

// witness plan: a capped search is proved by walking when its words are in at least walkShare of the
// titles, looking at no more than walkSpan times what that share needs; otherwise, when more than
// witnessAbove titles are expected to match, from the grams index.
const (
	walkShare    = 0.3
	walkSpan     = 2
	witnessAbove = 2 * SearchCap
)

// provedCapped reports whether more than SearchCap titles match, when the statistics say that is likely
// and a count of SearchCap + 1 matches proves it. false means "not proved": the caller counts as usual.
func (s *search) provedCapped(ctx context.Context, tx *sqlx.Tx, st gramStats) (bool, error) {
	if st.freq == nil || len(s.gramConds) == 0 {
		return false, nil
	}
	rarest, share := st.rarest(s.gramConds)
	if share*st.titles <= witnessAbove {
		return false, nil
	}
	stm := &stmt{}
	var query string
	if share >= walkShare {
		// The first titles in ID order hold enough matches: walk them (the inner LIMIT bounds the walk
		// when the estimate was wrong; the outer one stops it at the proof).
		span := int(math.Ceil(walkSpan * (SearchCap + 1) / share))
		query = `SELECT count(*) FROM (` + s.walkSQL(stm, everyMatch, 0, sql.NullInt64{}, span) + ` LIMIT ` +
			stm.arg(SearchCap+1) + `) m`
	} else {
		// From the grams index, with the rarest condition only (ANDing common posting lists costs more
		// than the rows they would rule out), and never by scanning: the scan would compute search_grams
		// for every row.
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off`); err != nil {
			return false, fmt.Errorf("store: search: witness plan: %w", err)
		}
		query = `SELECT count(*) FROM (SELECT 1 FROM titles t WHERE ` + s.whereSQL(stm, false) + ` AND ` +
			s.gramConds[rarest].frag(stm) + ` LIMIT ` + stm.arg(SearchCap+1) + `) m`
	}
	var n int
	if err := tx.GetContext(ctx, &n, query, stm.args...); err != nil {
		return false, fmt.Errorf("store: search: witness: %w", err)
	}
	if share < walkShare {
		if _, err := tx.ExecContext(ctx, `RESET enable_seqscan; RESET enable_indexscan`); err != nil {
			return false, fmt.Errorf("store: search: witness plan: %w", err)
		}
	}
	return n > SearchCap, nil
}
