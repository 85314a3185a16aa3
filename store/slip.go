package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/domain"
)

// HoldSlip is what the 予約票 (the slip banded round a copy routed to a hold) shows: never the patron's
// name nor the whole card number, only its last four digits.
type HoldSlip struct {
	HoldID         int64          `db:"id"`
	Status         domain.Status  `db:"status"`
	Pickup         string         `db:"pickup_branch"`
	PickupName     string         `db:"pickup_name"`
	Title          string         `db:"title"`
	CardLast4      string         `db:"card_last4"`
	Barcode        sql.NullString `db:"item_barcode"`
	PickupDeadline sql.NullTime   `db:"pickup_deadline"`
	// RoutedAt is when the hold entered its status (the copy was sent or put on the hold shelf); the events
	// that keep the status (a phone call's) do not count.
	RoutedAt sql.NullTime `db:"routed_at"`
}

// Routed reports whether the hold has a copy on its way to the pickup branch or waiting there: only then is
// there a copy to band with a slip.
func (s HoldSlip) Routed() bool {
	return s.Barcode.Valid && (s.Status == domain.StatusInTransit || s.Status == domain.StatusReady)
}

// HoldSlipOf reads a hold's slip (any hold; Routed tells whether it has a copy to band). The card number is
// cut to its last four digits here, so the whole number never leaves the database.
func HoldSlipOf(ctx context.Context, q sqlx.QueryerContext, holdID int64) (HoldSlip, error) {
	var s HoldSlip
	err := sqlx.GetContext(ctx, q, &s, `
		SELECT h.id, h.status, h.pickup_branch, b.name AS pickup_name, coalesce(t.title, h.request_title, '') AS title,
			right(p.card_number, 4) AS card_last4, h.item_barcode, h.pickup_deadline,
			coalesce((SELECT max(e.at) FROM hold_events e
				WHERE e.hold_id = h.id AND e.to_status = h.status AND e.from_status IS DISTINCT FROM h.status), h.ready_at) AS routed_at
		FROM holds h
		JOIN patrons p ON p.id = h.patron_id
		JOIN branches b ON b.code = h.pickup_branch
		LEFT JOIN titles t ON t.id = h.title_id
		WHERE h.id = $1`, holdID)
	if errors.Is(err, sql.ErrNoRows) {
		return HoldSlip{}, ErrNoSuchHold
	}
	if err != nil {
		return HoldSlip{}, fmt.Errorf("store: slip of hold %d: %w", holdID, err)
	}
	return s, nil
}

// Date is the slip's date in the library's time zone: the pickup deadline when the hold has one (deadline
// true), else the day the copy was routed.
func (s HoldSlip) Date(loc *time.Location) (date string, deadline bool) {
	if s.PickupDeadline.Valid {
		// a date column: its own calendar day, whatever the zone
		return s.PickupDeadline.Time.Format(time.DateOnly), true
	}
	if !s.RoutedAt.Valid {
		return "", false
	}
	return s.RoutedAt.Time.In(loc).Format(time.DateOnly), false
}
