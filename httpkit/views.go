package httpkit

import (
	"strconv"
	"time"

	"yoyaku/domain"
	"yoyaku/estimate"
	"yoyaku/store"
)

// How a hold looks to clients: the JSON API's Hold, which the patron pages show too.

// IDString is an ID as clients see it: an opaque string.
func IDString(id int64) string { return strconv.FormatInt(id, 10) }

// HoldJSON is the OpenAPI document's Hold.
type HoldJSON struct {
	ID             string      `json:"id"`
	TitleID        *string     `json:"title_id"`
	Title          string      `json:"title"`
	Status         string      `json:"status"`
	StatusLabel    string      `json:"status_label"`
	Position       *int64      `json:"position"`
	PickupBranch   string      `json:"pickup_branch"`
	Origin         string      `json:"origin"`
	PlacedAt       time.Time   `json:"placed_at"`
	ReadyAt        *time.Time  `json:"ready_at"`
	ContactDate    *string     `json:"contact_date"`
	PickupDeadline *string     `json:"pickup_deadline"`
	CancelledAt    *time.Time  `json:"cancelled_at"`
	CancelReason   *string     `json:"cancel_reason"`
	CancelNote     *string     `json:"cancel_note"` // what staff told the patron when they refused the hold
	Series         *SeriesJSON `json:"series"`
	// GroupID is the any-of group (いずれか予約) the hold is a member of, null for any other hold.
	GroupID         *string `json:"group_id"`
	CanChangePickup bool    `json:"can_change_pickup"`
	CanCancel       bool    `json:"can_cancel"`
	CanSuspend      bool    `json:"can_suspend"`     // 休止 is possible now (a hold waiting for a copy)
	SuspendedUntil  *string `json:"suspended_until"` // 休止中: the day the hold is active again
	// 取置延長: whether the patron may extend the pickup deadline now, and whether it was extended (once).
	Extendable bool `json:"extendable"`
	Extended   bool `json:"extended"`
	// CanDefer: 順位の繰下げ is possible now (waiting, 確認待ち or 利用可能, with an active hold behind it).
	CanDefer bool `json:"can_defer"`
	// Estimate is 用意できる目安, only on a queued hold (返却待ち, 順番待ち) and only where it was computed
	// (WithEstimates).
	Estimate *EstimateJSON `json:"estimate,omitempty"`
}

// EstimateJSON is a queued hold's 用意できる目安: dates (null when unknown) and what they came from.
type EstimateJSON struct {
	From  *string `json:"from"`
	To    *string `json:"to"`
	Basis string  `json:"basis"`
}

// EstimateOf is r as clients see it.
func EstimateOf(r estimate.Range) *EstimateJSON {
	e := &EstimateJSON{Basis: r.Basis()}
	if !r.From.IsZero() {
		e.From, e.To = DateString(r.From), DateString(r.To)
	}
	return e
}

// WithEstimates is hs as clients see them, each queued hold with its estimate from est (library.Estimates).
func WithEstimates(hs []store.HoldView, est map[int64]estimate.Range) []HoldJSON {
	out := make([]HoldJSON, len(hs))
	for i, h := range hs {
		out[i] = HoldOf(h)
		if r, ok := est[h.ID]; ok {
			out[i].Estimate = EstimateOf(r)
		}
	}
	return out
}

// SeriesJSON places a hold in its series hold.
type SeriesJSON struct {
	ID  string `json:"id"`
	Seq int64  `json:"seq"`
}

// DateString is a date as clients see it, YYYY-MM-DD.
func DateString(t time.Time) *string {
	s := t.Format(time.DateOnly)
	return &s
}

// HoldOf is hold h as the JSON API and the pages show it.
func HoldOf(h store.HoldView) HoldJSON {
	shown := h.Shown()
	j := HoldJSON{
		ID: IDString(h.ID), Title: h.Title, Status: string(shown),
		StatusLabel:     domain.Label(shown, domain.CancelReason(h.CancelReason.String)),
		PickupBranch:    h.Pickup,
		Origin:          h.Origin,
		PlacedAt:        h.PlacedAt,
		CanChangePickup: domain.PatronMayChange(h.Status, h.Origin),
		CanCancel:       domain.PatronMayChange(h.Status, h.Origin),
		CanSuspend:      domain.MaySuspend(h.Status, h.ItemBarcode.Valid),
		Extendable:      h.Extendable(),
		Extended:        h.Extended,
		CanDefer:        h.Deferrable(),
	}
	if h.Status == domain.StatusSuspended && h.SuspendedUntil.Valid {
		j.SuspendedUntil = DateString(h.SuspendedUntil.Time)
	}
	if h.TitleID.Valid {
		id := IDString(h.TitleID.Int64)
		j.TitleID = &id
	}
	if h.Position.Valid {
		p := h.Position.Int64
		j.Position = &p
	}
	if h.ReadyAt.Valid {
		j.ReadyAt = &h.ReadyAt.Time
	}
	if h.ContactDate.Valid {
		j.ContactDate = DateString(h.ContactDate.Time)
	}
	if h.PickupDeadline.Valid {
		j.PickupDeadline = DateString(h.PickupDeadline.Time)
	}
	if h.CancelledAt.Valid {
		j.CancelledAt = &h.CancelledAt.Time
		r := h.CancelReason.String
		j.CancelReason = &r
		if h.CancelNote.Valid {
			n := h.CancelNote.String
			j.CancelNote = &n
		}
	}
	if h.SeriesID.Valid {
		j.Series = &SeriesJSON{ID: IDString(h.SeriesID.Int64), Seq: h.SeriesSeq.Int64}
	}
	if h.GroupID.Valid {
		g := IDString(h.GroupID.Int64)
		j.GroupID = &g
	}
	return j
}

// CancelRequestedJSON is hold h as a patron's cancellation request left it (status, the workflow's answer):
// 取消申込, even when its approval already followed (GET shows that).
func CancelRequestedJSON(h store.HoldView, status domain.Status) HoldJSON {
	j := HoldOf(h)
	if status == domain.StatusCancelRequested && h.Status == domain.StatusCancelled {
		j.Status, j.StatusLabel = string(domain.StatusCancelRequested), domain.Label(domain.StatusCancelRequested, "")
		j.CancelledAt, j.CancelReason, j.CancelNote = nil, nil, nil
	}
	return j
}
