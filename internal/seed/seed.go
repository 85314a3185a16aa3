// Package seed loads the library network (Branches: the library's real branches, which every install needs)
// and yoyaku's demo data (Demo: the branches plus a catalogue built around 650 real Aozora Bunko records and
// the nine classics readers search for first, copies spread over the branches (some on loan), demo patrons
// and a staff user with published passwords).
// It also grows the catalogue with synthetic titles for load tests. `yoyaku seed` loads the demo data only
// with YOYAKU_DEMO=1; `yoyaku dev` always does.
//
// Everything is deterministic and keyed (branch codes, titles.source_key, barcodes, card numbers, staff
// logins), and every insert skips rows that already exist, so seeding twice changes nothing. Rows that
// exist are never updated: a demo patron's changed contact settings or a returned copy survive a re-seed.
package seed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/auth"
	"yoyaku/domain"
)

// Summary is the number of rows in the database after seeding.
type Summary struct {
	Branches, Titles, Items, Patrons, Staff int
}

// DemoAccount is a login printed by `yoyaku dev`: a card number or staff login, its password and a name.
type DemoAccount struct {
	Login, Password, Name string
}

// DemoPatrons are the patrons a demo user logs in as.
var DemoPatrons = []DemoAccount{
	{"1000001", "yoyaku-demo", "山田 花子"},
	{"1000002", "yoyaku-demo", "佐藤 太郎"},
	{"1000003", "yoyaku-demo", "鈴木 一郎"},
	{"1000004", "yoyaku-demo", "高橋 美咲"},
	{"1000005", "yoyaku-demo", "田中 健太"},
}

// DemoStaff are the staff users a demo user logs in as.
var DemoStaff = []DemoAccount{
	{"staff", "staff-demo", "中央図書館 職員"},
}

const demoStaffBranch = "chuo"

type demoEmail struct {
	address string
	notify  bool
}

// demoContacts gives the demo patrons a variety of contact settings, keyed by card number.
var demoContacts = map[string]struct {
	emails []demoEmail
	phones []string
	method string // email, phone or none; phone means the first registered number
}{
	"1000001": {emails: []demoEmail{{"hanako.yamada@example.jp", true}, {"hanako@mobile.example.jp", true}}, method: "email"},
	"1000002": {emails: []demoEmail{{"taro.sato@example.jp", true}}, method: "email"},
	"1000003": {phones: []string{"090-1234-5678", "03-1234-5678"}, method: "phone"},
	"1000004": {method: "none"},
	"1000005": {emails: []demoEmail{{"kenta.tanaka@example.jp", false}, {"k.tanaka@work.example.jp", true}},
		phones: []string{"080-9876-5432"}, method: "email"},
}

// backgroundPatrons borrow the copies that are on loan. Nobody logs in as them: their password is random.
var backgroundPatrons = []struct{ card, name string }{
	{"1000100", "村田 恭子"}, {"1000101", "大西 洋介"}, {"1000102", "川口 さやか"}, {"1000103", "森下 浩"},
	{"1000104", "杉山 真奈美"}, {"1000105", "北村 大和"}, {"1000106", "野村 美穂"}, {"1000107", "安藤 誠司"},
}

// lockKey serialises concurrent seeding (two `yoyaku dev` starting at once, Demo and Bulk) on one database.
const lockKey = 0x796f79616b75

// Demo loads the demo data in one transaction. Running it again inserts nothing and does not fail.
func Demo(ctx context.Context, db *sqlx.DB) (Summary, error) {
	cat, err := demoCatalogue()
	if err != nil {
		return Summary{}, err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Summary{}, fmt.Errorf("seed: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return Summary{}, fmt.Errorf("seed: lock: %w", err)
	}
	if err := insertBranches(ctx, tx); err != nil {
		return Summary{}, err
	}
	if err := insertCatalogue(ctx, tx, cat); err != nil {
		return Summary{}, err
	}
	newItems, err := insertItems(ctx, tx, cat)
	if err != nil {
		return Summary{}, err
	}
	if err := insertPeople(ctx, tx); err != nil {
		return Summary{}, err
	}
	if err := insertLoans(ctx, tx, cat, newItems); err != nil {
		return Summary{}, err
	}
	s, err := summary(ctx, tx)
	if err != nil {
		return Summary{}, err
	}
	if err := tx.Commit(); err != nil {
		return Summary{}, fmt.Errorf("seed: commit: %w", err)
	}
	return s, nil
}

// Branches loads the library network alone — its libraries and facilities, no catalogue and no accounts —
// and returns how many branches the database has. Running it again inserts nothing and does not fail.
func Branches(ctx context.Context, db *sqlx.DB) (int, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return 0, fmt.Errorf("seed: lock: %w", err)
	}
	if err := insertBranches(ctx, tx); err != nil {
		return 0, err
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM branches`); err != nil {
		return 0, fmt.Errorf("seed: branches: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("seed: commit: %w", err)
	}
	return n, nil
}

// DemoPassword reports whether password is one of the published demo passwords.
func DemoPassword(password string) bool {
	for _, a := range append(slices.Clone(DemoPatrons), DemoStaff...) {
		if a.Password == password {
			return true
		}
	}
	return false
}

// PublishedDemoAccounts lists the demo accounts that exist with their published password still valid, as
// "staff staff" or "patron 1000001": outside `yoyaku dev` anyone who read the README can log in with them.
func PublishedDemoAccounts(ctx context.Context, db sqlx.QueryerContext) ([]string, error) {
	type account struct {
		Kind  string `db:"kind"`
		Login string `db:"login"`
		Hash  string `db:"password_hash"`
	}
	var staffLogins, cards []string
	published := map[string]string{}
	for _, a := range DemoStaff {
		staffLogins, published["staff "+a.Login] = append(staffLogins, a.Login), a.Password
	}
	for _, a := range DemoPatrons {
		cards, published["patron "+a.Login] = append(cards, a.Login), a.Password
	}
	var found []account
	if err := sqlx.SelectContext(ctx, db, &found, `
		SELECT 'staff' AS kind, login, password_hash FROM staff_users WHERE login = ANY($1)
		UNION ALL
		SELECT 'patron', card_number, password_hash FROM patrons WHERE card_number = ANY($2)
		ORDER BY 1 DESC, 2`, pq.Array(staffLogins), pq.Array(cards)); err != nil {
		return nil, fmt.Errorf("seed: demo accounts: %w", err)
	}
	// bcrypt is slow by design: compare in parallel.
	valid := make([]bool, len(found))
	var wg sync.WaitGroup
	for i, a := range found {
		wg.Go(func() { valid[i] = auth.CheckPassword(a.Hash, published[a.Kind+" "+a.Login]) })
	}
	wg.Wait()
	var out []string
	for i, a := range found {
		if valid[i] {
			out = append(out, a.Kind+" "+a.Login)
		}
	}
	return out, nil
}

func insertBranches(ctx context.Context, tx *sqlx.Tx) error {
	var codes, names, kinds []string
	var order []int64
	for i, b := range branches {
		codes, names, kinds = append(codes, b.code), append(names, b.name), append(kinds, string(b.kind))
		order = append(order, int64(i+1))
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO branches (code, name, kind, sort_order)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
		ON CONFLICT (code) DO NOTHING`,
		pq.Array(codes), pq.Array(names), pq.Array(kinds), pq.Array(order))
	if err != nil {
		return fmt.Errorf("seed: branches: %w", err)
	}
	return nil
}

// insertCatalogue inserts series and titles, one statement each (arrays unnested server side), which keeps
// Demo to a few round trips.
func insertCatalogue(ctx context.Context, tx *sqlx.Tx, cat catalogue) error {
	var sNames, sReadings []string
	for _, s := range cat.series {
		sNames, sReadings = append(sNames, s.name), append(sReadings, s.reading)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO series (name, name_reading) SELECT * FROM unnest($1::text[], $2::text[])
		ON CONFLICT (name) DO NOTHING`, pq.Array(sNames), pq.Array(sReadings)); err != nil {
		return fmt.Errorf("seed: series: %w", err)
	}
	n := len(cat.titles)
	var (
		keys, titles, readings, authors, aReadings, pubs = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		isbns, formats, series, urls, search             = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		years, volumes                                   = make([]int64, n), make([]int64, n)
		refs                                             = make([]bool, n)
	)
	for i, t := range cat.titles {
		keys[i], titles[i], readings[i], authors[i], aReadings[i], pubs[i] = t.key, t.title, t.reading, t.author, t.authorReading, t.publisher
		isbns[i], formats[i], series[i], urls[i] = t.isbn, string(t.format), t.series, t.url
		years[i], volumes[i], refs[i] = int64(t.year), int64(t.volume), t.refOnly
		search[i] = domain.SearchText(t.title, t.reading, t.author, t.authorReading, t.publisher, t.series)
	}
	// Zeros and empty strings stand for NULL in the arrays.
	_, err := tx.ExecContext(ctx, `
		INSERT INTO titles (source_key, title, title_reading, author, author_reading, publisher, year, isbn,
		                    format, series_id, volume, reference_only, url, search_text)
		SELECT u.key, u.title, u.reading, u.author, u.author_reading, u.publisher, NULLIF(u.year, 0),
		       NULLIF(u.isbn, ''), u.format, s.id, NULLIF(u.volume, 0), u.ref, NULLIF(u.url, ''), u.search
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
		            $8::text[], $9::text[], $10::text[], $11::int[], $12::bool[], $13::text[], $14::text[])
		     AS u(key, title, reading, author, author_reading, publisher, year, isbn, format, series, volume, ref, url, search)
		LEFT JOIN series s ON s.name = u.series
		ON CONFLICT (source_key) DO NOTHING`,
		pq.Array(keys), pq.Array(titles), pq.Array(readings), pq.Array(authors), pq.Array(aReadings), pq.Array(pubs),
		pq.Array(years), pq.Array(isbns), pq.Array(formats), pq.Array(series), pq.Array(volumes), pq.Array(refs),
		pq.Array(urls), pq.Array(search))
	if err != nil {
		return fmt.Errorf("seed: titles: %w", err)
	}
	return nil
}

// insertItems inserts the copies and returns the barcodes it actually inserted: loans are created only for
// those, so that a copy returned since the last seed is not put back on loan.
func insertItems(ctx context.Context, tx *sqlx.Tx, cat catalogue) (map[string]bool, error) {
	var barcodes, keys, brs, statuses, calls, shelves []string
	for _, t := range cat.titles {
		call, shelf := shelfOf(t)
		for _, c := range t.copies {
			status := "on_shelf"
			if c.onLoan {
				status = "on_loan"
			}
			barcodes, keys, brs, statuses = append(barcodes, c.barcode), append(keys, t.key), append(brs, c.branch), append(statuses, status)
			calls, shelves = append(calls, call), append(shelves, shelf)
		}
	}
	rows, err := tx.QueryContext(ctx, `
		INSERT INTO items (barcode, title_id, home_branch, location_branch, status, call_number, shelf_location)
		SELECT u.barcode, t.id, u.branch, u.branch, u.status, u.call, u.shelf
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(barcode, key, branch, status, call, shelf)
		JOIN titles t ON t.source_key = u.key
		ON CONFLICT (barcode) DO NOTHING
		RETURNING barcode`, pq.Array(barcodes), pq.Array(keys), pq.Array(brs), pq.Array(statuses), pq.Array(calls), pq.Array(shelves))
	if err != nil {
		return nil, fmt.Errorf("seed: items: %w", err)
	}
	defer rows.Close()
	inserted := map[string]bool{}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("seed: items: %w", err)
		}
		inserted[b] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: items: %w", err)
	}
	return inserted, nil
}

// insertPeople adds the demo patrons with their contact settings, the background patrons and the staff
// user. Passwords are hashed only for accounts that do not exist yet, once per password (bcrypt is slow by
// design), and the hashes are computed in parallel.
func insertPeople(ctx context.Context, tx *sqlx.Tx) error {
	var cards []string
	for _, p := range DemoPatrons {
		cards = append(cards, p.Login)
	}
	for _, p := range backgroundPatrons {
		cards = append(cards, p.card)
	}
	var existing []string
	if err := tx.SelectContext(ctx, &existing, `SELECT card_number FROM patrons WHERE card_number = ANY($1)`, pq.Array(cards)); err != nil {
		return fmt.Errorf("seed: patrons: %w", err)
	}
	var staffExisting []string
	var logins []string
	for _, s := range DemoStaff {
		logins = append(logins, s.Login)
	}
	if err := tx.SelectContext(ctx, &staffExisting, `SELECT login FROM staff_users WHERE login = ANY($1)`, pq.Array(logins)); err != nil {
		return fmt.Errorf("seed: staff: %w", err)
	}
	have := map[string]bool{}
	for _, c := range append(existing, staffExisting...) {
		have[c] = true
	}

	// One hash per distinct password that some missing account needs.
	need := map[string]bool{}
	for _, p := range DemoPatrons {
		if !have[p.Login] {
			need[p.Password] = true
		}
	}
	for _, s := range DemoStaff {
		if !have[s.Login] {
			need[s.Password] = true
		}
	}
	background := ""
	for _, p := range backgroundPatrons {
		if !have[p.card] {
			b := make([]byte, 24)
			if _, err := rand.Read(b); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			background = hex.EncodeToString(b)
			need[background] = true
			break
		}
	}
	hashes, err := hashAll(need)
	if err != nil {
		return err
	}

	var nCards, nNames, nHashes []string
	for _, p := range DemoPatrons {
		if !have[p.Login] {
			nCards, nNames, nHashes = append(nCards, p.Login), append(nNames, p.Name), append(nHashes, hashes[p.Password])
		}
	}
	for _, p := range backgroundPatrons {
		if !have[p.card] {
			nCards, nNames, nHashes = append(nCards, p.card), append(nNames, p.name), append(nHashes, hashes[background])
		}
	}
	var inserted []struct {
		ID   int64  `db:"id"`
		Card string `db:"card_number"`
	}
	if err := tx.SelectContext(ctx, &inserted, `
		INSERT INTO patrons (card_number, name, password_hash)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
		ON CONFLICT (card_number) DO NOTHING
		RETURNING id, card_number`, pq.Array(nCards), pq.Array(nNames), pq.Array(nHashes)); err != nil {
		return fmt.Errorf("seed: patrons: %w", err)
	}
	for _, p := range inserted {
		if err := setContact(ctx, tx, p.ID, p.Card); err != nil {
			return err
		}
	}

	for _, s := range DemoStaff {
		if have[s.Login] {
			continue
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO staff_users (login, name, password_hash, branch) VALUES ($1, $2, $3, $4)
			ON CONFLICT (login) DO NOTHING`, s.Login, s.Name, hashes[s.Password], demoStaffBranch); err != nil {
			return fmt.Errorf("seed: staff: %w", err)
		}
	}
	return nil
}

func hashAll(passwords map[string]bool) (map[string]string, error) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		out      = map[string]string{}
	)
	for pw := range passwords {
		wg.Go(func() {
			h, err := auth.HashPassword(pw)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("seed: %w", err)
			}
			out[pw] = h
		})
	}
	wg.Wait()
	return out, firstErr
}

// setContact registers a new demo patron's e-mail addresses and phone numbers and chooses the contact
// method. The patron row was inserted with method none; the phone is chosen only once its row exists.
func setContact(ctx context.Context, tx *sqlx.Tx, id int64, card string) error {
	c, ok := demoContacts[card]
	if !ok {
		return nil
	}
	for i, e := range c.emails {
		if _, err := tx.ExecContext(ctx, `INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, $2, $3, $4)`,
			id, i+1, e.address, e.notify); err != nil {
			return fmt.Errorf("seed: patron %s e-mail: %w", card, err)
		}
	}
	var firstPhone int64
	for i, number := range c.phones {
		var pid int64
		if err := tx.GetContext(ctx, &pid, `INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2) RETURNING id`,
			id, number); err != nil {
			return fmt.Errorf("seed: patron %s phone: %w", card, err)
		}
		if i == 0 {
			firstPhone = pid
		}
	}
	var err error
	switch c.method {
	case "email":
		_, err = tx.ExecContext(ctx, `UPDATE patrons SET contact_method = 'email' WHERE id = $1`, id)
	case "phone":
		_, err = tx.ExecContext(ctx, `UPDATE patrons SET contact_method = 'phone', contact_phone_id = $2 WHERE id = $1`, id, firstPhone)
	}
	if err != nil {
		return fmt.Errorf("seed: patron %s contact method: %w", card, err)
	}
	return nil
}

// insertLoans opens a loan for every newly inserted copy that is on loan, to the background patrons in
// turn, checked out at its home branch with a two-week loan period that ends in 1 to 14 days.
func insertLoans(ctx context.Context, tx *sqlx.Tx, cat catalogue, newItems map[string]bool) error {
	var barcodes, cards, brs []string
	var days []int64
	k := 0
	for _, t := range cat.titles {
		for _, c := range t.copies {
			if !c.onLoan || !newItems[c.barcode] {
				continue
			}
			barcodes, brs = append(barcodes, c.barcode), append(brs, c.branch)
			cards = append(cards, backgroundPatrons[k%len(backgroundPatrons)].card)
			days = append(days, int64(1+(k*5)%14))
			k++
		}
	}
	if len(barcodes) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO loans (barcode, patron_id, branch, checked_out_at, due_date)
		SELECT u.barcode, p.id, u.branch, now() - make_interval(days => 14 - u.days), current_date + u.days
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS u(barcode, card, branch, days)
		JOIN patrons p ON p.card_number = u.card`,
		pq.Array(barcodes), pq.Array(cards), pq.Array(brs), pq.Array(days))
	if err != nil {
		return fmt.Errorf("seed: loans: %w", err)
	}
	// A missing loan would leave a copy on loan to nobody.
	if n, err := res.RowsAffected(); err != nil || n != int64(len(barcodes)) {
		return fmt.Errorf("seed: loans: inserted %d of %d (%v)", n, len(barcodes), err)
	}
	return nil
}

func summary(ctx context.Context, q sqlx.QueryerContext) (Summary, error) {
	var s Summary
	err := q.QueryRowxContext(ctx, `
		SELECT (SELECT count(*) FROM branches), (SELECT count(*) FROM titles), (SELECT count(*) FROM items),
		       (SELECT count(*) FROM patrons), (SELECT count(*) FROM staff_users)`).
		Scan(&s.Branches, &s.Titles, &s.Items, &s.Patrons, &s.Staff)
	if err != nil {
		return Summary{}, fmt.Errorf("seed: summary: %w", err)
	}
	return s, nil
}
