package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Internals of the catalogue search for the tests in catalogue_test.go (package store_test, which can use
// testenv without an import cycle).
var (
	GramCode    = gramCode
	TermCodes   = termCodes
	SearchTerms = searchTerms
)

// FullRanking ranks every match of q without a cap, in one query: the reference for the tier walk.
func FullRanking(ctx context.Context, db *sqlx.DB, q SearchQuery, offset, limit int) ([]int64, error) {
	s, err := buildSearch(q)
	if err != nil {
		return nil, err
	}
	st := &stmt{}
	order := "t.id"
	if s.ranked() {
		order = `CASE WHEN ` + s.exact(st) + ` THEN 0 WHEN ` + s.prefix(st) + ` THEN 1 WHEN ` + s.contains(st) +
			` THEN 2 ELSE 3 END, t.id`
	}
	query := `SELECT t.id FROM titles t WHERE ` + s.whereSQL(st, true) + ` ORDER BY ` + order + ` LIMIT ` + st.arg(limit) +
		` OFFSET ` + st.arg(offset)
	ids := []int64{}
	if err := db.SelectContext(ctx, &ids, query, st.args...); err != nil {
		return nil, err
	}
	return ids, nil
}

// ProvedCapped runs the capped-count proof of q as if the statistics gave each of its grams the share
// share of titles (and the catalogue 1,000,000 titles), so that a test picks the way it is proved.
func ProvedCapped(ctx context.Context, db *sqlx.DB, q SearchQuery, share float64) (bool, error) {
	s, err := buildSearch(q)
	if err != nil {
		return false, err
	}
	st := gramStats{freq: map[int64]float64{}, floor: share, titles: 1_000_000}
	for _, g := range s.gramConds {
		for _, c := range g.codes {
			st.freq[c] = share
		}
	}
	var proved bool
	err = readOnly(ctx, db, func(tx *sqlx.Tx) error {
		proved, err = s.provedCapped(ctx, tx, st)
		return err
	})
	return proved, err
}
