package store

// Counter requests (窓口予約 for a title the library does not own): the desk's list of open ones, and the
// checks that keep a request from duplicating what the catalogue already lends.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/domain"
)

// OpenRequest is a counter request still being worked on (調査中 or 選書中), as the desk lists it.
type OpenRequest struct {
	HoldID   int64          `db:"id"`
	PlacedAt time.Time      `db:"placed_at"`
	Card     string         `db:"card_number"`
	Name     string         `db:"name"`
	Title    string         `db:"request_title"`
	Author   sql.NullString `db:"request_author"`
	ISBN     sql.NullString `db:"request_isbn"`
	Status   domain.Status  `db:"status"`
	ILL      bool           `db:"ill"`
	Pickup   string         `db:"pickup_branch"`
}

// OpenRequests lists the counter requests to be picked up at branch that no copy has come for yet, oldest
// first.
func OpenRequests(ctx context.Context, q sqlx.QueryerContext, branch string) ([]OpenRequest, error) {
	var rs []OpenRequest
	err := sqlx.SelectContext(ctx, q, &rs, `
		SELECT h.id, h.placed_at, p.card_number, p.name, h.request_title, h.request_author, h.request_isbn,
		       h.status, h.ill, h.pickup_branch
		FROM holds h JOIN patrons p ON p.id = h.patron_id
		WHERE h.origin = 'counter' AND h.title_id IS NULL AND h.status IN ('investigating', 'on_order')
		  AND h.pickup_branch = $1
		ORDER BY h.placed_at, h.id`, branch)
	if err != nil {
		return nil, fmt.Errorf("store: open requests at %s: %w", branch, err)
	}
	return rs, nil
}

// GetOpenRequest reads one open counter request (any branch); ErrNoSuchHold when the hold is not one.
func GetOpenRequest(ctx context.Context, q sqlx.QueryerContext, holdID int64) (OpenRequest, error) {
	var r OpenRequest
	err := sqlx.GetContext(ctx, q, &r, `
		SELECT h.id, h.placed_at, p.card_number, p.name, h.request_title, h.request_author, h.request_isbn,
		       h.status, h.ill, h.pickup_branch
		FROM holds h JOIN patrons p ON p.id = h.patron_id
		WHERE h.id = $1 AND h.origin = 'counter' AND h.title_id IS NULL AND h.status IN ('investigating', 'on_order')`, holdID)
	if errors.Is(err, sql.ErrNoRows) {
		return OpenRequest{}, ErrNoSuchHold
	}
	if err != nil {
		return OpenRequest{}, fmt.Errorf("store: open request %d: %w", holdID, err)
	}
	return r, nil
}

// OwnedTitle finds a title the library can lend for a request: one whose ISBN is one of isbns (both forms
// of the requested ISBN) or whose title is exactly title, that can be held (not 禁帯出, not an e-text) and
// has at least one copy neither missing nor withdrawn. ok is false when there is none.
func OwnedTitle(ctx context.Context, q sqlx.QueryerContext, isbns []string, title string) (id int64, ok bool, err error) {
	err = sqlx.GetContext(ctx, q, &id, `
		SELECT t.id FROM titles t
		WHERE (t.isbn = ANY($1) OR ($2 <> '' AND t.title = $2))
		  AND NOT t.reference_only AND t.format <> 'etext'
		  AND EXISTS (SELECT 1 FROM items i WHERE i.title_id = t.id AND i.status NOT IN ('missing', 'withdrawn'))
		ORDER BY (t.isbn = ANY($1)) DESC, t.id
		LIMIT 1`, pq.Array(isbns), title)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: owned title: %w", err)
	}
	return id, true, nil
}

// HeldByPatronElsewhere reports whether the patron of hold holdID has another open hold on the title. The
// caller holds the title's lock, so the answer stands until it commits.
func HeldByPatronElsewhere(ctx context.Context, q sqlx.QueryerContext, holdID, titleID int64) (bool, error) {
	var held bool
	err := sqlx.GetContext(ctx, q, &held, `
		SELECT EXISTS (SELECT 1 FROM holds o JOIN holds h ON h.patron_id = o.patron_id
			WHERE h.id = $1 AND o.id <> h.id AND o.title_id = $2 AND o.`+OpenHold+`)`, holdID, titleID)
	if err != nil {
		return false, fmt.Errorf("store: hold %d's patron holds title %d: %w", holdID, titleID, err)
	}
	return held, nil
}
