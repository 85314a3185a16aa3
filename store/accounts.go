package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// PatronAccount is a patron as a login reads it.
type PatronAccount struct {
	ID           int64  `db:"id"`
	Name         string `db:"name"`
	PasswordHash string `db:"password_hash"`
}

// PatronByCardForLogin reads the patron of a (normalised) card number; the zero PatronAccount when there is
// none (its empty hash then fails like a wrong password).
func PatronByCardForLogin(ctx context.Context, q sqlx.QueryerContext, card string) (PatronAccount, error) {
	var p PatronAccount
	err := sqlx.GetContext(ctx, q, &p, `SELECT id, name, password_hash FROM patrons WHERE card_number = $1`, card)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return PatronAccount{}, fmt.Errorf("store: patron login: %w", err)
	}
	return p, nil
}

// PatronName is a patron's name.
func PatronName(ctx context.Context, q sqlx.QueryerContext, id int64) (string, error) {
	var name string
	if err := sqlx.GetContext(ctx, q, &name, `SELECT name FROM patrons WHERE id = $1`, id); err != nil {
		return "", fmt.Errorf("store: patron name: %w", err)
	}
	return name, nil
}

// TitleName is a title as the pages name it: its title, format and place in a series.
type TitleName struct {
	ID     int64  `db:"id"`
	Title  string `db:"title"`
	Format string `db:"format"`
	Series string `db:"series"` // "" when none
	Volume int64  `db:"volume"` // 0 when none
}

// TitleNames reads the titles of ids that exist, in no particular order.
func TitleNames(ctx context.Context, db *sqlx.DB, ids []int64) ([]TitleName, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT t.id, t.title, t.format, coalesce(s.name, '') AS series, coalesce(t.volume, 0) AS volume
		FROM titles t LEFT JOIN series s ON s.id = t.series_id WHERE t.id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: titles: %w", err)
	}
	var rows []TitleName
	if err := db.SelectContext(ctx, &rows, db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("store: titles: %w", err)
	}
	return rows, nil
}

// TitleOfCopy is the title (its name) of the copy with barcode; "" when there is no such copy.
func TitleOfCopy(ctx context.Context, q sqlx.QueryerContext, barcode string) (string, error) {
	var title string
	err := sqlx.GetContext(ctx, q, &title, `SELECT t.title FROM items i JOIN titles t ON t.id = i.title_id WHERE i.barcode = $1`, barcode)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: copy title: %w", err)
	}
	return title, nil
}
