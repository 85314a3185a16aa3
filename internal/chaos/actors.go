package chaos

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"yoyaku/internal/apiclient"
	"yoyaku/internal/par"
)

// The day's actors. Staff and patrons act through the HTTP API only; the database tells the driver what
// the physical world would (which copies are in the van, which are out on loan), never what to do.

const patronPassword = "chaos-pass-1"

func pqArray(ids []string) any { return pq.Array(ids) }

// retryable says whether a failed request may have failed because the stack is broken right now.
func retryable(err error) bool {
	s := apiclient.Status(err)
	return s == 0 || s >= 500
}

// setup makes the titles, their copies (most lent out, so that holds queue), and the patrons.
func (w *world) setup(ctx context.Context) error {
	var err error
	if w.staff, err = w.api.StaffLogin(ctx, "staff", "staff-demo"); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if w.libs, err = w.api.Libraries(ctx); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	run := fmt.Sprintf("%04x", w.intn(1<<16))
	lender := fmt.Sprintf("8%06d", w.intn(1_000_000))
	w.lender = lender
	if err := w.api.CreatePatron(ctx, w.staff, lender, "貸出先", patronPassword, nil); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	w.titles = make([]string, w.cfg.Titles)
	if err := par.Each(ctx, w.cfg.Titles, 8, func(ctx context.Context, i int) error {
		id, err := w.api.CreateTitle(ctx, w.staff, fmt.Sprintf("混沌の一日 %s 第%d話", run, i+1), "試験 太郎", "book")
		if err != nil {
			return err
		}
		w.titles[i] = id
		copies := 1 + i%2
		for c := range copies {
			barcode := fmt.Sprintf("X%s%05d%d", run, i, c)
			lib := w.libs[(i+c)%len(w.libs)]
			if _, err := w.api.CreateCopy(ctx, w.staff, id, barcode, lib); err != nil {
				return err
			}
			if (i+c)%5 != 0 { // four in five copies are out on loan when the day begins
				if _, err := w.api.Checkout(ctx, w.staff, barcode, lender, lib); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("chaos: titles: %w", err)
	}
	w.patrons = make([]*patron, w.cfg.Patrons)
	base := 9_000_000 + w.intn(900_000)
	if err := par.Each(ctx, w.cfg.Patrons, 8, func(ctx context.Context, i int) error {
		card := fmt.Sprintf("%07d", base+i)
		email := fmt.Sprintf("chaos-%s-%d@example.jp", run, i)
		if err := w.api.CreatePatron(ctx, w.staff, card, fmt.Sprintf("利用者%d", i), patronPassword, []string{email}); err != nil {
			return err
		}
		token, err := w.api.PatronLogin(ctx, card, patronPassword)
		if err != nil {
			return err
		}
		w.patrons[i] = &patron{card: card, token: token, titles: map[string]bool{}}
		return nil
	}); err != nil {
		return fmt.Errorf("chaos: patrons: %w", err)
	}
	return nil
}

// placeAll places cfg.Holds holds, evenly over the first 70% of the day, eight at a time. Placements held
// back by a stall (eight placers waiting out a frozen database) are caught up on at once when it is over,
// as patrons who could not get through would, instead of shifting every later one.
func (w *world) placeAll(ctx context.Context) {
	gap := time.Duration(float64(w.cfg.Duration) * 0.7 / float64(w.cfg.Holds))
	next := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range next {
				w.placeOne(ctx)
			}
		})
	}
	began := time.Now()
	for i := 0; i < w.cfg.Holds && ctx.Err() == nil; i++ {
		sleep(ctx, time.Until(began.Add(time.Duration(i)*gap)))
		select {
		case next <- struct{}{}:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
}

// pick chooses a patron with room under the limit and n titles they have not asked for. Popularity is
// skewed: low-numbered titles get long queues. Each title counts against the room, although a group of
// titles counts as one hold: the patron never runs into the limit.
func (w *world) pick(n int) (*patron, []string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for range 50 {
		p := w.patrons[w.rng.IntN(len(w.patrons))]
		if len(p.titles)+n > w.cfg.Limits.Total-1 {
			continue
		}
		var titles []string
		for range 4 * n {
			t := w.titles[w.rng.IntN(w.rng.IntN(len(w.titles))+1)]
			if !p.titles[t] && !slices.Contains(titles, t) {
				titles = append(titles, t)
			}
			if len(titles) == n {
				break
			}
		}
		if len(titles) < n {
			continue
		}
		for _, t := range titles {
			p.titles[t] = true
		}
		return p, titles, true
	}
	return nil, nil, false
}

// groupEvery: one placement in groupEvery is an any-of group (いずれか予約) of two or three titles.
const groupEvery = 8

// placeOne places one hold, or now and then an any-of group, retrying while the stack is broken. A retry
// that finds the titles already held (the first answer was lost with a killed API) looks the holds up
// instead.
func (w *world) placeOne(ctx context.Context) {
	n, mode := 1, "normal"
	if w.intn(groupEvery) == 0 {
		n, mode = 2+w.intn(2), "any"
	}
	p, titles, ok := w.pick(n)
	if !ok {
		return
	}
	pickup := w.libs[w.intn(len(w.libs))]
	for attempt := 0; attempt < 30 && ctx.Err() == nil; attempt++ {
		res, err := w.api.Place(ctx, p.token, titles, pickup, mode)
		if err != nil {
			if !retryable(err) {
				w.log.Warn("chaos: placement refused", "err", err)
				return
			}
			w.errs.Add(1)
			sleep(ctx, time.Second)
			continue
		}
		if len(res.Placed) > 0 {
			var group *string
			for _, pl := range res.Placed {
				w.record(pl.HoldID, p, pl.TitleID)
				group = pl.GroupID
			}
			w.countGroup(group)
			for _, r := range res.Rejected { // a group places whole here: none of the titles is the patron's yet
				w.log.Warn("chaos: group member rejected", "reason", r.Reason, "title", r.TitleID)
			}
			return
		}
		reason := ""
		if len(res.Rejected) > 0 {
			reason = res.Rejected[0].Reason // a placement refused whole: every title for the same reason
		}
		switch {
		case reason == "unavailable": // Temporal was down: the holds were taken back; try again
			w.errs.Add(1)
			sleep(ctx, time.Second)
		case reason == "already_held" && attempt > 0:
			w.findPlaced(ctx, p, titles)
			return
		default:
			w.log.Warn("chaos: placement rejected", "reason", reason, "titles", titles)
			return
		}
	}
}

// countGroup counts an any-of group placed (nil: the placement was no group), once.
func (w *world) countGroup(id *string) {
	if id == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.groupIDs[*id] {
		w.groupIDs[*id] = true
		w.groups.Add(1)
	}
}

// findPlaced records the patron's holds on titles, placed by a request whose answer was lost.
func (w *world) findPlaced(ctx context.Context, p *patron, titles []string) {
	for ctx.Err() == nil {
		hs, err := w.api.ListHolds(ctx, p.token)
		if err != nil {
			w.errs.Add(1)
			sleep(ctx, time.Second)
			continue
		}
		for _, h := range hs {
			if slices.Contains(titles, h.TitleID) {
				w.record(h.ID, p, h.TitleID)
				w.countGroup(h.GroupID)
			}
		}
		return
	}
}

func (w *world) record(id string, p *patron, title string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.holds[id]; !ok {
		w.holds[id] = &holdRec{p: p, title: title}
		w.placed.Add(1)
	}
}

// desk is the staff at every library: pull what the pull list asks for (now and then the copy is not there),
// hand held copies to their patrons (about two in three; the others are left to expire), and clear the hold
// shelf of expired holds' copies by scanning them in.
func (w *world) desk(ctx context.Context) {
	for _, lib := range w.libs {
		var pl struct {
			Items []struct {
				Barcode string `json:"barcode"`
			} `json:"items"`
		}
		if err := w.api.Do(ctx, http.MethodGet, "/api/v1/staff/pull-list?branch="+lib, w.staff, nil, &pl); err != nil {
			w.failed(err)
			continue
		}
		for _, it := range pl.Items {
			if w.intn(40) == 0 { // a walk-in patron borrows the set-aside copy first: the hold looks for another
				if _, err := w.api.Checkout(ctx, w.staff, it.Barcode, w.lender, lib); err != nil {
					w.failed(err)
					continue
				}
				w.walkIns.Add(1)
				continue
			}
			kind, n := "pull", &w.pulls
			if w.intn(40) == 0 {
				kind, n = "missing", &w.missing
			}
			if err := w.api.Scan(ctx, w.staff, kind, it.Barcode, lib, nil); err != nil {
				w.failed(err)
				continue
			}
			n.Add(1)
		}
		var shelf struct {
			Holds []struct {
				HoldID  string `json:"hold_id"`
				Barcode string `json:"barcode"`
				Card    string `json:"card_number"`
				Expired bool   `json:"expired"`
			} `json:"holds"`
		}
		if err := w.api.Do(ctx, http.MethodGet, "/api/v1/staff/hold-shelf?branch="+lib, w.staff, nil, &shelf); err != nil {
			w.failed(err)
			continue
		}
		for _, h := range shelf.Holds {
			if h.Expired {
				if err := w.api.Checkin(ctx, w.staff, h.Barcode, lib, "clear-"+h.HoldID, nil); err != nil {
					w.failed(err)
				}
				continue
			}
			if !w.decide(h.HoldID) {
				continue
			}
			if _, err := w.api.Checkout(ctx, w.staff, h.Barcode, h.Card, lib); err != nil {
				w.failed(err)
				w.undecide(h.HoldID) // try again at the next round
				continue
			}
			w.pickups.Add(1)
		}
	}
}

// decide reports whether the patron of a hold on the shelf comes for it; asked once per hold.
func (w *world) decide(holdID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.decided[holdID]; ok {
		return false
	}
	comes := w.rng.IntN(3) != 0
	w.decided[holdID] = !comes
	return comes
}

func (w *world) undecide(holdID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.decided, holdID)
}

// van delivers: a copy travelling for a hold is scanned in at the hold's pickup library; a copy travelling
// for nobody any more (its hold was cancelled on the way) is scanned in where it arrives.
func (w *world) van(ctx context.Context) {
	var rows []struct {
		Barcode string `db:"barcode"`
		To      string `db:"dest"`
		ForHold bool   `db:"for_hold"`
	}
	err := w.db.SelectContext(ctx, &rows, `
		SELECT i.barcode, COALESCE(h.pickup_branch, i.home_branch) AS dest, h.id IS NOT NULL AS for_hold
		FROM items i LEFT JOIN holds h ON h.item_barcode = i.barcode AND h.status = 'in_transit'
		WHERE i.status = 'in_transit' AND i.barcode LIKE 'X%' AND i.updated_at < now() - interval '1 second'
		ORDER BY random() LIMIT 10`)
	if err != nil {
		w.errs.Add(1)
		return
	}
	for _, r := range rows {
		if r.ForHold {
			if err := w.api.Scan(ctx, w.staff, "receive", r.Barcode, r.To, nil); err != nil {
				w.failed(err)
				continue
			}
			w.receipts.Add(1)
			continue
		}
		if err := w.api.Checkin(ctx, w.staff, r.Barcode, r.To, fmt.Sprintf("arrive-%s-%d", r.Barcode, time.Now().UnixNano()), nil); err != nil {
			w.failed(err)
		}
	}
}

// returnOne: a borrower brings a copy back to some library. The scan is retried with the same request ID.
func (w *world) returnOne(ctx context.Context) {
	var barcode string
	err := w.db.GetContext(ctx, &barcode, `SELECT barcode FROM loans WHERE returned_at IS NULL AND barcode LIKE 'X%'
		ORDER BY random() LIMIT 1`)
	if err != nil {
		return // no loan out, or PostgreSQL restarting
	}
	lib := w.libs[w.intn(len(w.libs))]
	reqID := fmt.Sprintf("return-%s-%d", barcode, time.Now().UnixNano())
	for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
		err := w.api.Checkin(ctx, w.staff, barcode, lib, reqID, nil)
		if err == nil {
			w.returns.Add(1)
			return
		}
		if !retryable(err) {
			return
		}
		w.errs.Add(1)
		sleep(ctx, time.Second)
	}
}

// cancelOne: a patron cancels one of their holds online (refused once it is ready or travelling), or, one
// time in four, staff cancel it at the desk (allowed in any open state, a travelling copy included).
func (w *world) cancelOne(ctx context.Context) {
	w.mu.Lock()
	var id string
	var h *holdRec
	n := w.rng.IntN(len(w.holds) + 1)
	for k, v := range w.holds {
		if n--; n < 0 {
			id, h = k, v
			break
		}
	}
	by := "patron"
	if w.rng.IntN(4) == 0 {
		by = "staff"
	}
	if h != nil {
		w.cancelAsked[[2]string{id, by}] = true // before asking: the answer may be lost with a killed API
	}
	w.mu.Unlock()
	if h == nil {
		return
	}
	path, token := "/api/v1/holds/"+id+"/cancel", h.p.token
	if by == "staff" {
		path, token = "/api/v1/staff/holds/"+id+"/cancel", w.staff
	}
	err := w.api.Do(ctx, http.MethodPost, path, token, map[string]string{}, nil)
	switch {
	case err == nil:
		w.cancels.Add(1)
	case retryable(err):
		w.errs.Add(1)
	}
}

// failed counts a request the broken stack could not answer; refusals (a scan overtaken by events) are normal.
func (w *world) failed(err error) {
	if retryable(err) {
		w.errs.Add(1)
		return
	}
	if s := apiclient.Status(err); s != http.StatusConflict && s != http.StatusNotFound {
		w.log.Warn("chaos: request refused", "err", strings.TrimSpace(err.Error()))
	}
}
