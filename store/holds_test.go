package store_test

import (
	"errors"
	"testing"

	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// TestGetHoldWithLargeIDs: IDs are bigint; a patron ID past 2^31 must not be read as an integer (the check
// "any patron" once made PostgreSQL infer int4 for it and fail with 22003).
func TestGetHoldWithLargeIDs(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	db.MustExec(`INSERT INTO branches (code, name, kind) VALUES ('chuo', '中央図書館', 'library')`)
	const patron, other = 3_000_000_001, 3_000_000_002
	for _, id := range []int64{patron, other} {
		db.MustExec(`INSERT INTO patrons (id, card_number, name, password_hash) VALUES ($1::bigint, lpad(($1::bigint % 10000000)::text, 7, '0'), '利用者', 'x')`, id)
	}
	var title, hold int64
	if err := db.GetContext(ctx, &title, `INSERT INTO titles (id, title, format) VALUES (3000000003, '本', 'book') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &hold, `INSERT INTO holds (id, patron_id, title_id, pickup_branch, origin)
		VALUES (3000000004, $1, $2, 'chuo', 'web') RETURNING id`, patron, title); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		patron int64
		want   error
	}{
		{"own hold", patron, nil},
		{"staff (any patron)", 0, nil},
		{"another patron's hold", other, store.ErrNoSuchHold},
	} {
		h, err := store.GetHold(ctx, db, hold, tc.patron)
		if !errors.Is(err, tc.want) || (tc.want == nil && h.ID != hold) {
			t.Errorf("%s: GetHold = %+v, %v; want error %v", tc.name, h.ID, err, tc.want)
		}
	}
}
