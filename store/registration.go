package store

import (
	"context"
	"database/sql"
	"fmt"

	"yoyaku/domain"

	"github.com/jmoiron/sqlx"
)

// TitleExists reports whether title id is in the catalogue.
func TitleExists(ctx context.Context, q sqlx.QueryerContext, id int64) (bool, error) {
	var exists bool
	if err := sqlx.GetContext(ctx, q, &exists, `SELECT EXISTS (SELECT 1 FROM titles WHERE id = $1)`, id); err != nil {
		return false, fmt.Errorf("title %d exists: %w", id, err)
	}
	return exists, nil
}

// BarcodeTaken reports whether a copy with barcode is registered.
func BarcodeTaken(ctx context.Context, q sqlx.QueryerContext, barcode string) (bool, error) {
	var taken bool
	if err := sqlx.GetContext(ctx, q, &taken, `SELECT EXISTS (SELECT 1 FROM items WHERE barcode = $1)`, barcode); err != nil {
		return false, fmt.Errorf("barcode %s taken: %w", barcode, err)
	}
	return taken, nil
}

// NewTitle is a title as staff register it, checked by the caller.
type NewTitle struct {
	Title, TitleReading, Author, AuthorReading, Publisher string
	Year                                                  sql.NullInt64
	ISBN                                                  sql.NullString
	Format                                                domain.Format
	SeriesName                                            string // "" for none
	Volume                                                sql.NullInt64
	ReferenceOnly                                         bool
	URL                                                   sql.NullString
}

// NewPatron is a patron as staff register them, checked by the caller, with the password hashed.
type NewPatron struct {
	Card, Name, PasswordHash string
	Emails, Phones           []string
}

// InsertTitle inserts t, finding or creating its series by name, and returns the new title's ID.
func InsertTitle(ctx context.Context, db *sqlx.DB, t NewTitle) (int64, error) {
	var id int64
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		var seriesID sql.NullInt64
		if t.SeriesName != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO series (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, t.SeriesName); err != nil {
				return err
			}
			if err := tx.GetContext(ctx, &seriesID, `SELECT id FROM series WHERE name = $1`, t.SeriesName); err != nil {
				return err
			}
		}
		search := domain.SearchText(t.Title, t.TitleReading, t.Author, t.AuthorReading, t.Publisher, t.SeriesName)
		return tx.GetContext(ctx, &id, `
			INSERT INTO titles (title, title_reading, author, author_reading, publisher, year, isbn, format,
			                    series_id, volume, reference_only, url, search_text)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			RETURNING id`,
			t.Title, t.TitleReading, t.Author, t.AuthorReading, t.Publisher, t.Year, t.ISBN, string(t.Format),
			seriesID, t.Volume, t.ReferenceOnly, t.URL, search)
	})
	return id, err
}

// InsertPatron inserts p with its e-mail addresses (slots 1 and 2, both notified) and phone numbers, and
// returns the patron's ID. The contact method is email when an address is given, else none.
func InsertPatron(ctx context.Context, db *sqlx.DB, p NewPatron) (int64, error) {
	method := "none"
	if len(p.Emails) > 0 {
		method = "email"
	}
	var id int64
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO patrons (card_number, name, password_hash, contact_method) VALUES ($1, $2, $3, $4)
			RETURNING id`, p.Card, p.Name, p.PasswordHash, method); err != nil {
			return err
		}
		for i, e := range p.Emails {
			if _, err := tx.ExecContext(ctx, `INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, $2, $3, true)`,
				id, i+1, e); err != nil {
				return err
			}
		}
		for _, number := range p.Phones {
			if _, err := tx.ExecContext(ctx, `INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
				id, number); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// AddPhone registers number for the patron with card (a no-op if it is registered already) and returns
// the patron's numbers in registration order; sql.ErrNoRows if there is no such patron.
func AddPhone(ctx context.Context, db *sqlx.DB, card, number string) ([]string, error) {
	var phones []string
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		phones = nil // InTx may run this again after a deadlock
		var id int64
		if err := tx.GetContext(ctx, &id, `SELECT id FROM patrons WHERE card_number = $1`, card); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			id, number); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &phones, `SELECT number FROM patron_phones WHERE patron_id = $1 ORDER BY id`, id)
	})
	return phones, err
}
