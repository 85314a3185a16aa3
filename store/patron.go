package store

// The patron's own data: the reservation basket (予約かご) and the contact method for hold notifications
// (予約連絡方法). Every change runs in one transaction that first locks the patron's row, so two requests
// of one patron never interleave: a basket cannot pass its limit and two addresses cannot claim one slot.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"

	"yoyaku/domain"
)

// BasketLimit is how many titles a patron's basket holds (SPEC: 10).
const BasketLimit = 10

// MaxEmails is how many e-mail addresses a patron may register (patron_emails.slot is 1 or 2).
const MaxEmails = 2

// Refusals of basket and contact changes; each is one error code of the HTTP contract (api/README.md).
var (
	ErrBasketFull    = errors.New("basket_full")
	ErrEmailRequired = errors.New("email_required")
	ErrTooManyEmails = errors.New("too_many_emails")
	ErrUnknownPhone  = errors.New("unknown_phone")
	ErrInvalidMethod = errors.New("invalid_contact")
)

// Contact methods (patrons.contact_method).
const (
	ContactEmail = "email"
	ContactPhone = "phone"
	ContactNone  = "none"
)

// BasketItem is one title in a basket.
type BasketItem struct {
	TitleID int64     `db:"title_id"`
	Title   string    `db:"title"`
	AddedAt time.Time `db:"added_at"`
}

// Basket lists the patron's basket, oldest first.
func Basket(ctx context.Context, q sqlx.QueryerContext, patronID int64) ([]BasketItem, error) {
	items := []BasketItem{}
	err := sqlx.SelectContext(ctx, q, &items, `
		SELECT b.title_id, t.title, b.added_at
		FROM basket_items b JOIN titles t ON t.id = b.title_id
		WHERE b.patron_id = $1 ORDER BY b.added_at, b.title_id`, patronID)
	if err != nil {
		return nil, fmt.Errorf("store: basket of patron %d: %w", patronID, err)
	}
	return items, nil
}

// AddToBasket is AddedToBasket without the count.
func AddToBasket(ctx context.Context, db *sqlx.DB, patronID int64, titleIDs []int64, limit int) error {
	_, err := AddedToBasket(ctx, db, patronID, titleIDs, limit)
	return err
}

// AddedToBasket adds titles to the patron's basket, all or nothing: a title that does not exist is
// ErrTitleNotFound, one that cannot be held online (reference only, e-text) ErrNotHoldable, and a basket
// that would hold more than limit titles ErrBasketFull; then nothing is added. A title already in the basket
// stays where it is (its added_at is kept). Titles are added in the order given.
// It answers how many titles were new to the basket (a title already there is not counted again).
func AddedToBasket(ctx context.Context, db *sqlx.DB, patronID int64, titleIDs []int64, limit int) (int, error) {
	ids := distinct(titleIDs)
	if len(ids) > limit {
		return 0, ErrBasketFull
	}
	added := 0
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		added = 0 // InTx may run the function again
		if err := lockPatron(ctx, tx, patronID); err != nil {
			return err
		}
		var titles []struct {
			ID            int64         `db:"id"`
			Format        domain.Format `db:"format"`
			ReferenceOnly bool          `db:"reference_only"`
		}
		if err := tx.SelectContext(ctx, &titles, `SELECT id, format, reference_only FROM titles WHERE id = ANY($1)`,
			pq.Array(ids)); err != nil {
			return fmt.Errorf("store: basket titles: %w", err)
		}
		if len(titles) != len(ids) {
			return ErrTitleNotFound
		}
		for _, t := range titles {
			if t.ReferenceOnly || t.Format == domain.FormatEText {
				return ErrNotHoldable
			}
		}
		var n int
		if err := tx.GetContext(ctx, &n, `
			SELECT count(*) FROM (
				SELECT title_id FROM basket_items WHERE patron_id = $1
				UNION SELECT unnest($2::bigint[])) AS u`, patronID, pq.Array(ids)); err != nil {
			return fmt.Errorf("store: count basket: %w", err)
		}
		if n > limit {
			return ErrBasketFull
		}
		for _, id := range ids {
			// clock_timestamp, not now(): titles added together keep the order they were given in.
			res, err := tx.ExecContext(ctx, `INSERT INTO basket_items (patron_id, title_id, added_at)
				VALUES ($1, $2, clock_timestamp()) ON CONFLICT (patron_id, title_id) DO NOTHING`, patronID, id)
			if err != nil {
				return fmt.Errorf("store: add to basket: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("store: add to basket: %w", err)
			}
			added += int(n)
		}
		return nil
	})
	return added, err
}

// RemoveFromBasket takes a title out of the patron's basket; a title that is not in it is no error.
func RemoveFromBasket(ctx context.Context, db sqlx.ExecerContext, patronID, titleID int64) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM basket_items WHERE patron_id = $1 AND title_id = $2`, patronID, titleID); err != nil {
		return fmt.Errorf("store: remove from basket: %w", err)
	}
	return nil
}

func distinct(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// lockPatron locks the patron's row for the transaction; ErrNoSuchPatron if there is none.
func lockPatron(ctx context.Context, tx *sqlx.Tx, patronID int64) error {
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT id FROM patrons WHERE id = $1 FOR UPDATE`, patronID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoSuchPatron
	}
	if err != nil {
		return fmt.Errorf("store: lock patron %d: %w", patronID, err)
	}
	return nil
}

// Contact is how a patron is told a hold is ready: by e-mail to the chosen addresses, by a phone call to
// one registered number, or not at all.
type Contact struct {
	Method string
	Emails []string // method email: the chosen addresses, in slot order
	Phone  string   // method phone: the chosen number, as registered
}

// PatronEmail is one registered address.
type PatronEmail struct {
	Slot    int    `db:"slot"`
	Address string `db:"address"`
	Notify  bool   `db:"notify"`
	// RefusedAt is set when the mail server last refused a ready mail to this address for good (このアドレスに
	// メールが届きませんでした), with its reply in Refusal; cleared by choosing the address again or by a
	// later mail that it accepts.
	RefusedAt sql.NullTime   `db:"refused_at"`
	Refusal   sql.NullString `db:"refusal"`
}

// Profile is what a patron sees of themselves.
type Profile struct {
	CardNumber string
	Name       string
	Emails     []PatronEmail // in slot order
	Phones     []string      // in registration order
	Contact    Contact
}

// PatronProfile reads the patron's card number, name, addresses, phone numbers and contact method;
// ErrNoSuchPatron if there is no such patron.
func PatronProfile(ctx context.Context, q sqlx.QueryerContext, patronID int64) (Profile, error) {
	var p struct {
		CardNumber string         `db:"card_number"`
		Name       string         `db:"name"`
		Method     string         `db:"contact_method"`
		Phone      sql.NullString `db:"phone"`
	}
	err := sqlx.GetContext(ctx, q, &p, `
		SELECT p.card_number, p.name, p.contact_method, ph.number AS phone
		FROM patrons p LEFT JOIN patron_phones ph ON ph.id = p.contact_phone_id AND ph.patron_id = p.id
		WHERE p.id = $1`, patronID)
	if errors.Is(err, sql.ErrNoRows) {
		return Profile{}, ErrNoSuchPatron
	}
	if err != nil {
		return Profile{}, fmt.Errorf("store: patron %d: %w", patronID, err)
	}
	prof := Profile{CardNumber: p.CardNumber, Name: p.Name, Emails: []PatronEmail{}, Phones: []string{}}
	if err := sqlx.SelectContext(ctx, q, &prof.Emails, `SELECT slot, address, notify, refused_at, refusal FROM patron_emails
		WHERE patron_id = $1 ORDER BY slot`, patronID); err != nil {
		return Profile{}, fmt.Errorf("store: e-mail addresses of patron %d: %w", patronID, err)
	}
	if err := sqlx.SelectContext(ctx, q, &prof.Phones, `SELECT number FROM patron_phones WHERE patron_id = $1 ORDER BY id`,
		patronID); err != nil {
		return Profile{}, fmt.Errorf("store: phone numbers of patron %d: %w", patronID, err)
	}
	prof.Contact = Contact{Method: p.Method}
	switch p.Method {
	case ContactEmail:
		prof.Contact.Emails = []string{}
		for _, e := range prof.Emails {
			if e.Notify {
				prof.Contact.Emails = append(prof.Contact.Emails, e.Address)
			}
		}
	case ContactPhone:
		prof.Contact.Phone = p.Phone.String
	}
	return prof, nil
}

// SetContact changes the patron's contact method, in one transaction that changes nothing when it fails.
//
//   - email: c.Emails (plain, already validated addresses) become the chosen ones (notify) and the other
//     registered address is no longer chosen. An address not yet registered (compared case-insensitively) is
//     registered in a free slot; with no free slot it is ErrTooManyEmails, as is a list of more than two.
//     With no addresses given the chosen ones stay chosen (all registered ones if none was chosen); with no
//     address registered either it is ErrEmailRequired. An address given clears the mark of a mail refused
//     by it (PatronEmail.RefusedAt): the patron has confirmed or corrected it, and the next ready mail tries it.
//   - phone: c.Phone must match one of the patron's registered numbers (see SamePhone), else
//     ErrUnknownPhone. Patrons never add numbers.
//   - none: no notification; the date the copy is ready is the contact date.
//
// Other methods are ErrInvalidMethod. The registered addresses keep their notify flags when the method is
// phone or none, so that choosing e-mail again without addresses restores the previous choice. The answer
// is the contact as stored.
func SetContact(ctx context.Context, db *sqlx.DB, patronID int64, c Contact) (Contact, error) {
	if c.Method != ContactEmail && c.Method != ContactPhone && c.Method != ContactNone {
		return Contact{}, ErrInvalidMethod
	}
	var out Contact
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := lockPatron(ctx, tx, patronID); err != nil {
			return err
		}
		var err error
		switch c.Method {
		case ContactEmail:
			out, err = chooseEmails(ctx, tx, patronID, c.Emails)
		case ContactPhone:
			out, err = choosePhone(ctx, tx, patronID, c.Phone)
		default:
			out = Contact{Method: ContactNone}
			_, err = tx.ExecContext(ctx, `UPDATE patrons SET contact_method = 'none', contact_phone_id = NULL WHERE id = $1`, patronID)
		}
		return err
	})
	if err != nil {
		return Contact{}, err
	}
	return out, nil
}

func chooseEmails(ctx context.Context, tx *sqlx.Tx, patronID int64, given []string) (Contact, error) {
	var registered []PatronEmail
	if err := tx.SelectContext(ctx, &registered, `SELECT slot, address, notify FROM patron_emails
		WHERE patron_id = $1 ORDER BY slot`, patronID); err != nil {
		return Contact{}, fmt.Errorf("store: e-mail addresses: %w", err)
	}
	var chosen []string // as registered
	for _, addr := range given {
		if containsFold(chosen, addr) {
			continue
		}
		chosen = append(chosen, addr)
		for _, r := range registered {
			if strings.EqualFold(r.Address, addr) {
				chosen[len(chosen)-1] = r.Address
			}
		}
	}
	if len(chosen) > MaxEmails {
		return Contact{}, ErrTooManyEmails
	}
	if len(chosen) == 0 {
		if len(registered) == 0 {
			return Contact{}, ErrEmailRequired
		}
		for _, r := range registered {
			if r.Notify {
				chosen = append(chosen, r.Address)
			}
		}
		if len(chosen) == 0 {
			for _, r := range registered {
				chosen = append(chosen, r.Address)
			}
		}
	}
	used := map[int]bool{}
	for _, r := range registered {
		used[r.Slot] = true
	}
	for _, addr := range chosen {
		if isRegistered(registered, addr) {
			continue
		}
		slot := 0
		for s := 1; s <= MaxEmails; s++ {
			if !used[s] {
				slot = s
				break
			}
		}
		if slot == 0 {
			return Contact{}, ErrTooManyEmails
		}
		used[slot] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO patron_emails (patron_id, slot, address) VALUES ($1, $2, $3)`,
			patronID, slot, addr); err != nil {
			return Contact{}, fmt.Errorf("store: register e-mail address: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE patron_emails SET notify = (address = ANY($2)) WHERE patron_id = $1`,
		patronID, pq.Array(chosen)); err != nil {
		return Contact{}, fmt.Errorf("store: choose e-mail addresses: %w", err)
	}
	if len(given) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE patron_emails SET refused_at = NULL, refusal = NULL
			WHERE patron_id = $1 AND address = ANY($2) AND refused_at IS NOT NULL`, patronID, pq.Array(chosen)); err != nil {
			return Contact{}, fmt.Errorf("store: clear refused e-mail addresses: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE patrons SET contact_method = 'email', contact_phone_id = NULL WHERE id = $1`,
		patronID); err != nil {
		return Contact{}, fmt.Errorf("store: contact method: %w", err)
	}
	out := Contact{Method: ContactEmail, Emails: []string{}}
	if err := tx.SelectContext(ctx, &out.Emails, `SELECT address FROM patron_emails WHERE patron_id = $1 AND notify ORDER BY slot`,
		patronID); err != nil {
		return Contact{}, fmt.Errorf("store: chosen e-mail addresses: %w", err)
	}
	return out, nil
}

func isRegistered(registered []PatronEmail, addr string) bool {
	for _, r := range registered {
		if r.Address == addr {
			return true
		}
	}
	return false
}

func choosePhone(ctx context.Context, tx *sqlx.Tx, patronID int64, phone string) (Contact, error) {
	var phones []struct {
		ID     int64  `db:"id"`
		Number string `db:"number"`
	}
	if err := tx.SelectContext(ctx, &phones, `SELECT id, number FROM patron_phones WHERE patron_id = $1 ORDER BY id`, patronID); err != nil {
		return Contact{}, fmt.Errorf("store: phone numbers: %w", err)
	}
	for _, ph := range phones {
		if !SamePhone(ph.Number, phone) {
			continue
		}
		// patrons_contact_phone_fk is deferred: it is checked at commit, against this patron's numbers.
		if _, err := tx.ExecContext(ctx, `UPDATE patrons SET contact_method = 'phone', contact_phone_id = $2 WHERE id = $1`,
			patronID, ph.ID); err != nil {
			return Contact{}, fmt.Errorf("store: contact method: %w", err)
		}
		return Contact{Method: ContactPhone, Phone: ph.Number}, nil
	}
	return Contact{}, ErrUnknownPhone
}

// SamePhone reports whether two phone numbers are the same once written alike: full-width digits and
// hyphens, dashes, the long vowel mark (ー) and spaces as people type them are folded, then only the digits
// are compared. Anything else in either number (letters, +81) makes them different; so does a blank one.
func SamePhone(a, b string) bool {
	da, oka := phoneDigits(a)
	db, okb := phoneDigits(b)
	return oka && okb && da == db
}

func phoneDigits(s string) (string, bool) {
	var d strings.Builder
	for _, r := range norm.NFKC.String(s) {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == '-', r == '‐', r == '‑', r == '‒', r == '–', r == '—', r == '―', r == '−', r == 'ー', r == 'ｰ',
			r == ' ', r == '\t', r == '(', r == ')':
		default:
			return "", false
		}
	}
	return d.String(), d.Len() > 0
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// ReplaceEmails makes addrs (plain, already validated addresses; at most MaxEmails once repeated ones,
// compared case-insensitively, are dropped: else ErrTooManyEmails) the patron's registered addresses, in
// one transaction that changes nothing when it fails, and answers them in slot order.
//
// An address kept keeps its slot, its choice for notifications and its refused-mail mark; a removed one is
// deleted, and so is its choice. While the contact method is e-mail it keeps only the addresses still
// registered: when none of the chosen ones is left every remaining address is chosen (mail must go
// somewhere), and with no address left at all it is ErrEmailRequired (choose another method first).
func ReplaceEmails(ctx context.Context, db *sqlx.DB, patronID int64, addrs []string) ([]string, error) {
	var want []string
	for _, a := range addrs {
		if !containsFold(want, a) {
			want = append(want, a)
		}
	}
	if len(want) > MaxEmails {
		return nil, ErrTooManyEmails
	}
	var out []string
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := lockPatron(ctx, tx, patronID); err != nil {
			return err
		}
		var method string
		if err := tx.GetContext(ctx, &method, `SELECT contact_method FROM patrons WHERE id = $1`, patronID); err != nil {
			return fmt.Errorf("store: contact method of patron %d: %w", patronID, err)
		}
		if method == ContactEmail && len(want) == 0 {
			return ErrEmailRequired
		}
		var registered []PatronEmail
		if err := tx.SelectContext(ctx, &registered, `SELECT slot, address, notify FROM patron_emails
			WHERE patron_id = $1 ORDER BY slot`, patronID); err != nil {
			return fmt.Errorf("store: e-mail addresses: %w", err)
		}
		var gone []int
		used := map[int]bool{}
		for _, r := range registered {
			if containsFold(want, r.Address) {
				used[r.Slot] = true
			} else {
				gone = append(gone, r.Slot)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM patron_emails WHERE patron_id = $1 AND slot = ANY($2)`,
			patronID, pq.Array(gone)); err != nil {
			return fmt.Errorf("store: remove e-mail addresses: %w", err)
		}
		for _, a := range want {
			if isRegisteredFold(registered, a) {
				continue
			}
			slot := 1
			for used[slot] {
				slot++
			}
			used[slot] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO patron_emails (patron_id, slot, address) VALUES ($1, $2, $3)`,
				patronID, slot, a); err != nil {
				return fmt.Errorf("store: register e-mail address: %w", err)
			}
		}
		if method == ContactEmail {
			if _, err := tx.ExecContext(ctx, `UPDATE patron_emails SET notify = true WHERE patron_id = $1
				AND NOT EXISTS (SELECT 1 FROM patron_emails WHERE patron_id = $1 AND notify)`, patronID); err != nil {
				return fmt.Errorf("store: choose the remaining e-mail addresses: %w", err)
			}
		}
		out = []string{}
		if err := tx.SelectContext(ctx, &out, `SELECT address FROM patron_emails WHERE patron_id = $1 ORDER BY slot`,
			patronID); err != nil {
			return fmt.Errorf("store: registered e-mail addresses: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func isRegisteredFold(registered []PatronEmail, addr string) bool {
	for _, r := range registered {
		if strings.EqualFold(r.Address, addr) {
			return true
		}
	}
	return false
}
