package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// StaffAccount is a staff user as a login and the staff console read it.
type StaffAccount struct {
	ID           int64          `db:"id"`
	Login        string         `db:"login"`
	Name         string         `db:"name"`
	Branch       sql.NullString `db:"branch"`
	PasswordHash string         `db:"password_hash"`
}

// StaffByLogin reads the staff user of a login; the zero StaffAccount when there is none.
func StaffByLogin(ctx context.Context, q sqlx.QueryerContext, login string) (StaffAccount, error) {
	var u StaffAccount
	err := sqlx.GetContext(ctx, q, &u, `SELECT id, login, name, branch, password_hash FROM staff_users WHERE login = $1`, login)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return StaffAccount{}, fmt.Errorf("store: staff user: %w", err)
	}
	return u, nil
}

// StaffByID reads a staff user (sql.ErrNoRows, wrapped, when there is none).
func StaffByID(ctx context.Context, q sqlx.QueryerContext, id int64) (StaffAccount, error) {
	var u StaffAccount
	if err := sqlx.GetContext(ctx, q, &u, `SELECT id, login, name, branch, password_hash FROM staff_users WHERE id = $1`, id); err != nil {
		return StaffAccount{}, fmt.Errorf("store: staff user: %w", err)
	}
	return u, nil
}

// StaffLoginTaken reports whether a staff user has the login.
func StaffLoginTaken(ctx context.Context, q sqlx.QueryerContext, login string) (bool, error) {
	var taken bool
	if err := sqlx.GetContext(ctx, q, &taken, `SELECT EXISTS (SELECT 1 FROM staff_users WHERE login = $1)`, login); err != nil {
		return false, fmt.Errorf("store: staff login: %w", err)
	}
	return taken, nil
}

// AddStaffUser creates a staff user with a password hash; false (and nothing created) when the login is taken.
func AddStaffUser(ctx context.Context, db sqlx.ExecerContext, login, name, passwordHash, branch string) (bool, error) {
	res, err := db.ExecContext(ctx, `
		INSERT INTO staff_users (login, name, password_hash, branch) VALUES ($1, $2, $3, $4)
		ON CONFLICT (login) DO NOTHING`, login, name, passwordHash, branch)
	if err != nil {
		return false, fmt.Errorf("store: add staff user: %w", err)
	}
	n, err := res.RowsAffected()
	return err == nil && n == 1, nil
}
