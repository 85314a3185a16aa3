package store_test

import (
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// TestInTxRetriesDeadlocks: a deadlock or a serialization failure runs the transaction again (nothing was
// committed), a few times at most; any other error is returned at once.
func TestInTxRetriesDeadlocks(t *testing.T) {
	db := testenv.DB(t)
	for _, tc := range []struct {
		name  string
		fails int
		err   error
		runs  int
		ok    bool
	}{
		{"deadlock twice", 2, &pq.Error{Code: "40P01"}, 3, true},
		{"serialization failure once", 1, &pq.Error{Code: "40001"}, 2, true},
		{"deadlock every time", 100, &pq.Error{Code: "40P01"}, 5, false},
		{"another error", 100, &pq.Error{Code: "23505"}, 1, false},
		{"not a database error", 100, errors.New("refused"), 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			err := store.InTx(t.Context(), db, func(tx *sqlx.Tx) error {
				runs++
				if runs <= tc.fails {
					return tc.err
				}
				return nil
			})
			if runs != tc.runs || (err == nil) != tc.ok {
				t.Fatalf("%d runs, error %v; want %d runs, success %v", runs, err, tc.runs, tc.ok)
			}
			if !tc.ok && !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
		})
	}
}
