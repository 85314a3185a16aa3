package store_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"yoyaku/internal/testenv"
	"yoyaku/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func TestContactSamePhone(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"0473-12-3456", "0473-12-3456", true},
		{"0473-12-3456", "0473123456", true},
		{"0473-12-3456", "０４７３－１２－３４５６", true},
		{"0473-12-3456", "０４７３ー１２ー３４５６", true},
		{"0473-12-3456", "0473‐12‐3456", true},
		{"0473-12-3456", " 0473 12 3456 ", true},
		{"0473-12-3456", "(0473) 12-3456", true},
		{"0473-12-3456", "047-312-3456", true}, // the same digits: the same line
		{"0473-12-3456", "0473-12-3457", false},
		{"0473-12-3456", "0473-12-345", false},
		{"0473-12-3456", "+81-473-12-3456", false},
		{"0473-12-3456", "0473-12-3456 内線2", false},
		{"0473-12-3456", "", false},
		{"", "", false},
		{"---", "--", false},
	}
	for _, tc := range tests {
		if got := store.SamePhone(tc.a, tc.b); got != tc.want {
			t.Errorf("SamePhone(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// storeFixture is a bare migrated database with one patron.
func storeFixture(t *testing.T) (*sqlx.DB, int64) {
	t.Helper()
	db := testenv.DB(t)
	return db, newStorePatron(t, db)
}

func newStorePatron(t *testing.T, db *sqlx.DB) int64 {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM patrons`); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Get(&id, `INSERT INTO patrons (card_number, name, password_hash) VALUES ($1, '試験', 'x') RETURNING id`,
		fmt.Sprintf("%07d", 4000000+n)); err != nil {
		t.Fatal(err)
	}
	return id
}

func storeTitles(t *testing.T, db *sqlx.DB, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		if err := db.Get(&ids[i], `INSERT INTO titles (title, format) VALUES ($1, 'book') RETURNING id`, fmt.Sprint("本", i)); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func basketOf(t *testing.T, db *sqlx.DB, patron int64) []int64 {
	t.Helper()
	items, err := store.Basket(t.Context(), db, patron)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.TitleID
	}
	return ids
}

func TestBasketAddToBasketIsAllOrNothing(t *testing.T) {
	db, patron := storeFixture(t)
	ti := storeTitles(t, db, 5)
	var ref, etext int64
	db.MustExec(`INSERT INTO titles (title, format, reference_only) VALUES ('禁帯出の本', 'book', true)`)
	if err := db.Get(&ref, `SELECT id FROM titles WHERE reference_only`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&etext, `INSERT INTO titles (title, format, url) VALUES ('電子テキスト', 'etext', 'https://example.jp/') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const limit = 3
	steps := []struct {
		add  []int64
		err  error
		want []int64
	}{
		{[]int64{ti[0]}, nil, ti[:1]},
		{[]int64{ti[1], ti[2], ti[3]}, store.ErrBasketFull, ti[:1]},
		{[]int64{ti[1], ti[1], ti[0]}, nil, ti[:2]},
		{[]int64{ti[2], 999_999_999}, store.ErrTitleNotFound, ti[:2]},
		{[]int64{ti[2], ref}, store.ErrNotHoldable, ti[:2]},
		{[]int64{etext}, store.ErrNotHoldable, ti[:2]},
		{[]int64{ti[2]}, nil, ti[:3]},
		{[]int64{ti[0], ti[2]}, nil, ti[:3]},
		{[]int64{ti[4]}, store.ErrBasketFull, ti[:3]},
		{[]int64{ti[0], ti[1], ti[2], ti[4]}, store.ErrBasketFull, ti[:3]},
	}
	for i, st := range steps {
		err := store.AddToBasket(ctx, db, patron, st.add, limit)
		if !errors.Is(err, st.err) || (st.err == nil && err != nil) {
			t.Fatalf("step %d: AddToBasket(%v) = %v, want %v", i, st.add, err, st.err)
		}
		if got := basketOf(t, db, patron); !slices.Equal(got, st.want) {
			t.Fatalf("step %d: basket %v, want %v", i, got, st.want)
		}
	}
	if err := store.RemoveFromBasket(ctx, db, patron, ti[1]); err != nil {
		t.Fatal(err)
	}
	if err := store.RemoveFromBasket(ctx, db, patron, ti[1]); err != nil {
		t.Fatal(err)
	}
	if got := basketOf(t, db, patron); !slices.Equal(got, []int64{ti[0], ti[2]}) {
		t.Fatalf("after removal: %v", got)
	}
	if err := store.AddToBasket(ctx, db, 999_999_999, ti[:1], limit); !errors.Is(err, store.ErrNoSuchPatron) {
		t.Fatalf("no such patron: %v", err)
	}
}

func emailRows(t *testing.T, db *sqlx.DB, patron int64) []string {
	t.Helper()
	var rows []string
	if err := db.Select(&rows, `SELECT slot || ':' || address || ':' || notify FROM patron_emails WHERE patron_id = $1 ORDER BY slot`, patron); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestContactSetContactChangesNothingOnError: a refusal found after an address was registered (the
// second new address has no slot) rolls the registration back.
func TestContactSetContactChangesNothingOnError(t *testing.T) {
	db, patron := storeFixture(t)
	ctx := t.Context()
	db.MustExec(`INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, 2, 'two@example.jp', true)`, patron)
	db.MustExec(`UPDATE patrons SET contact_method = 'email' WHERE id = $1`, patron)
	before := emailRows(t, db, patron)
	_, err := store.SetContact(ctx, db, patron, store.Contact{Method: "email", Emails: []string{"new1@example.jp", "new2@example.jp"}})
	if !errors.Is(err, store.ErrTooManyEmails) {
		t.Fatalf("SetContact = %v, want ErrTooManyEmails", err)
	}
	if after := emailRows(t, db, patron); !slices.Equal(after, before) {
		t.Fatalf("addresses %v, want %v", after, before)
	}
	// The free slot is slot 1.
	c, err := store.SetContact(ctx, db, patron, store.Contact{Method: "email", Emails: []string{"new1@example.jp"}})
	if err != nil || !slices.Equal(c.Emails, []string{"new1@example.jp"}) {
		t.Fatalf("SetContact = %+v, %v", c, err)
	}
	if got := emailRows(t, db, patron); !slices.Equal(got, []string{"1:new1@example.jp:true", "2:two@example.jp:false"}) {
		t.Fatalf("addresses %v", got)
	}
	if _, err := store.SetContact(ctx, db, patron, store.Contact{Method: "fax"}); !errors.Is(err, store.ErrInvalidMethod) {
		t.Fatalf("method fax: %v", err)
	}
}

// TestContactPhoneKeyIsThePatronsOwn: the deferred foreign key accepts the patron's own number at commit,
// and another patron's number is never chosen.
func TestContactPhoneKeyIsThePatronsOwn(t *testing.T) {
	db, patron := storeFixture(t)
	other := newStorePatron(t, db)
	ctx := t.Context()
	db.MustExec(`INSERT INTO patron_phones (patron_id, number) VALUES ($1, '047-111-1111'), ($2, '047-222-2222')`, patron, other)
	c, err := store.SetContact(ctx, db, patron, store.Contact{Method: "phone", Phone: "０４７１１１１１１１"})
	if err != nil || c.Method != "phone" || c.Phone != "047-111-1111" || c.Emails != nil {
		t.Fatalf("SetContact = %+v, %v", c, err)
	}
	if _, err := store.SetContact(ctx, db, patron, store.Contact{Method: "phone", Phone: "047-222-2222"}); !errors.Is(err, store.ErrUnknownPhone) {
		t.Fatalf("another patron's number: %v", err)
	}
	p, err := store.PatronProfile(ctx, db, patron)
	if err != nil || p.Contact.Phone != "047-111-1111" || !slices.Equal(p.Phones, []string{"047-111-1111"}) {
		t.Fatalf("profile %+v, %v", p, err)
	}
	if _, err := store.PatronProfile(ctx, db, 999_999_999); !errors.Is(err, store.ErrNoSuchPatron) {
		t.Fatalf("no such patron: %v", err)
	}
}

// TestContactConcurrentRegistrations: two requests racing for the one free slot cannot both register an
// address.
func TestContactConcurrentRegistrations(t *testing.T) {
	db, patron := storeFixture(t)
	db.MustExec(`INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, 1, 'one@example.jp', true)`, patron)
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = store.SetContact(t.Context(), db, patron, store.Contact{Method: "email", Emails: []string{fmt.Sprintf("new%d@example.jp", i)}})
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrTooManyEmails):
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if rows := emailRows(t, db, patron); ok != 1 || len(rows) != 2 {
		t.Fatalf("%d requests passed; addresses %v", ok, rows)
	}
}
