package e2e_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"go.temporal.io/api/workflowservice/v1"

	"yoyaku/auth"
	"yoyaku/internal/apiclient"
)

// TestHotTitle is the README's correctness target under load: 500 patrons hold one title with 3 copies at
// once, then the copies come back at once. The queue must be strictly first come, first served: positions
// 1..N without gaps or repeats, in placement order, and each copy goes to exactly one hold, the earliest ones.
func TestHotTitle(t *testing.T) {
	const (
		patrons = 500
		workers = 16
		pickup  = "chuo"
		stall   = 90 * time.Second // no approval for this long fails the test
	)
	// The replay corpus needs no 500 copies of one hold's history: record none from this test.
	t.Setenv("YOYAKU_RECORD_HISTORIES", "")
	start := time.Now()
	s := newStack(t, nil)
	titleID, copies := s.title("book",
		copySpec{branch: "chuo", onLoan: true}, copySpec{branch: "kita", onLoan: true}, copySpec{branch: "minami", onLoan: true})
	// Unique to this run: Mailpit is shared by the whole test binary.
	mailDomain := "hot-" + strings.ToLower(s.cfg.TaskQueue) + ".example.jp"
	ps := s.hotPatrons(patrons, mailDomain)
	t.Logf("%d patrons in %v", len(ps), time.Since(start).Round(time.Millisecond))

	// 1. Everyone places a hold at once, through the HTTP API.
	type placement struct {
		holdID     string
		sent, done time.Time // monotonic
	}
	placed := make([]placement, len(ps))
	t0 := time.Now()
	err := hotEach(len(ps), workers, func(i int) error {
		sent := time.Now()
		var r apiclient.PlaceResult
		if err := s.hotCall("POST", "/api/v1/holds", ps[i].token,
			map[string]any{"title_ids": []string{titleID}, "pickup_branch": pickup, "mode": "normal"}, &r); err != nil {
			return err
		}
		if len(r.Placed) != 1 || len(r.Rejected) != 0 {
			return fmt.Errorf("patron %s: placing %s answered %+v", ps[i].card, titleID, r)
		}
		placed[i] = placement{holdID: r.Placed[0].HoldID, sent: sent, done: time.Now()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d holds placed in %v", len(ps), time.Since(t0).Round(time.Millisecond))

	// Wait until every hold is approved (out of 予約申込). On a busy machine that can take minutes, so the test
	// fails when approvals stop progressing rather than after a fixed time: a hold whose workflow gave up
	// stays 予約申込 for ever.
	progress, left := time.Now(), len(ps)
	for logged := time.Now(); ; {
		var requested int
		if err := s.db.Get(&requested, `SELECT count(*) FROM holds WHERE title_id = $1 AND status = 'requested'`, titleID); err != nil {
			t.Fatal(err)
		}
		if requested == 0 {
			break
		}
		if requested < left {
			progress, left = time.Now(), requested
		}
		if time.Since(progress) > stall {
			var failed int64
			if n, err := s.tc.CountWorkflow(t.Context(), &workflowservice.CountWorkflowExecutionsRequest{
				Query: fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Failed'", s.cfg.TaskQueue)}); err == nil {
				failed = n.GetCount()
			}
			t.Fatalf("%d holds still 予約申込, none approved for %v (%d workflows failed)", requested, stall, failed)
		}
		if time.Since(logged) > 10*time.Second {
			t.Logf("%d holds still 予約申込", requested)
			logged = time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("all approved %v after the first placement", time.Since(t0).Round(time.Millisecond))

	// The queue as PostgreSQL orders it: by placement time, then ID.
	queue := s.hotQueue(titleID)
	if len(queue) != patrons {
		t.Fatalf("%d holds on the title, want %d", len(queue), patrons)
	}
	rank := map[string]int{} // hold ID → 1-based place in the queue
	for i, h := range queue {
		if h.Status != "queued" || h.ItemBarcode != nil {
			t.Fatalf("hold %s is %s with copy %v while every copy is on loan", h.ID, h.Status, h.ItemBarcode)
		}
		rank[h.ID] = i + 1
	}
	owner := map[string]patron{}
	for i, p := range placed {
		if _, ok := rank[p.holdID]; !ok {
			t.Fatalf("patron %s's hold %s is not in the queue", ps[i].card, p.holdID)
		}
		owner[p.holdID] = ps[i]
	}
	if len(owner) != patrons {
		t.Fatalf("%d distinct hold IDs for %d placements", len(owner), patrons)
	}
	// First come, first served as a patron sees it: a hold whose placement was answered before another
	// placement was even sent is ahead of it in the queue.
	for _, a := range placed {
		for _, b := range placed {
			if a.done.Before(b.sent) && rank[a.holdID] > rank[b.holdID] {
				t.Fatalf("hold %s was placed (answered) before hold %s was sent, but is #%d behind #%d",
					a.holdID, b.holdID, rank[a.holdID], rank[b.holdID])
			}
		}
	}
	ids := func(q []hotHold) []string {
		out := make([]string, len(q))
		for i, h := range q {
			out[i] = h.ID
		}
		return out
	}
	s.hotCheckPositions(ids(queue), owner, workers)
	var detail struct {
		HoldsQueued int `json:"holds_queued"`
	}
	s.mustDo("GET", "/api/v1/titles/"+titleID, "", nil, 200, &detail)
	if detail.HoldsQueued != patrons {
		t.Errorf("title detail: holds_queued = %d, want %d", detail.HoldsQueued, patrons)
	}

	// 2. The three copies are returned at once, at the pickup branch: they go on its hold shelf for holds
	// #1, #2 and #3, one copy each.
	t1 := time.Now()
	first := ids(queue[:3])
	routings := s.hotCheckins(copies, pickup, workers)
	s.hotCheckAssigned(titleID, routings, first, "hold_shelf", "")
	for _, id := range first {
		s.waitStatus(owner[id], id, "ready")
	}
	t.Logf("3 concurrent returns → 3 ready holds in %v", time.Since(t1).Round(time.Millisecond))
	rest := ids(queue[3:])
	if got := ids(s.hotWaiting(titleID)); !slices.Equal(got, rest) {
		t.Fatalf("after the returns the queue is %v…, want %v…", got[:min(5, len(got))], rest[:5])
	}
	s.hotCheckPositions(rest, owner, workers)
	// Exactly one ready mail to each of the three, none to anyone else.
	s.mail.WaitFor(t, `to:"@`+mailDomain+`"`, 3, 20*time.Second)
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive right behind
	msgs := s.mail.Messages(t, `to:"@`+mailDomain+`"`)
	var got, want []string
	for _, m := range msgs {
		got = append(got, m.ToAddresses()...)
	}
	for _, id := range first {
		want = append(want, owner[id].emails...)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ready mails went to %v, want one each to %v", got, want)
	}

	// 3. The three collect their copies at once; the copies come back at once at another branch and travel
	// to the pickup branch for holds #4, #5 and #6.
	err = hotEach(len(first), workers, func(i int) error {
		id := first[i]
		var co struct {
			HoldID *string `json:"hold_id"`
		}
		if err := s.hotCall("POST", "/api/v1/staff/checkout", s.staff,
			map[string]string{"barcode": s.hotCopyOf(id), "card_number": owner[id].card, "branch": pickup}, &co); err != nil {
			return err
		}
		if co.HoldID == nil || *co.HoldID != id {
			return fmt.Errorf("checkout for hold %s answered hold %v", id, co.HoldID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	routings = s.hotCheckins(copies, "kita", workers)
	next := ids(queue[3:6])
	s.hotCheckAssigned(titleID, routings, next, "transit", pickup)
	for _, id := range next {
		s.waitStatus(owner[id], id, "in_transit")
	}
	for _, id := range first {
		var status string
		if err := s.db.Get(&status, `SELECT status FROM holds WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if status != "fulfilled" {
			t.Errorf("hold %s is %s after its checkout, want fulfilled", id, status)
		}
	}
	rest = ids(queue[6:])
	if got := ids(s.hotWaiting(titleID)); !slices.Equal(got, rest) {
		t.Fatalf("after the second returns the queue is %v…, want %v…", got[:min(5, len(got))], rest[:5])
	}
	s.hotCheckPositions(rest, owner, workers)
	t.Logf("whole test %v", time.Since(start).Round(time.Millisecond))
}

// hotPatrons creates n patrons in bulk, each with one e-mail address chosen for notifications at domain, and
// logs them in by issuing tokens directly (a bcrypt check per login would dominate the test's time).
func (s *stack) hotPatrons(n int, domain string) []patron {
	s.t.Helper()
	ctx := s.t.Context()
	var rows []struct {
		ID   int64  `db:"id"`
		Card string `db:"card_number"`
		Name string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &rows, `
		WITH ids AS (SELECT nextval('patrons_id_seq') AS id FROM generate_series(1, $1))
		INSERT INTO patrons (id, card_number, name, password_hash, contact_method)
		SELECT id, lpad((2000000 + id % 7000000)::text, 7, '0'), '試験 混雑' || id, $2, 'email' FROM ids
		RETURNING id, card_number, name`, n, testHash(s.t)); err != nil {
		s.t.Fatal(err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	if _, err := s.db.ExecContext(ctx, `
		INSERT INTO patron_emails (patron_id, slot, address, notify)
		SELECT id, 1, 'p' || id || '@' || $2, true FROM unnest($1::bigint[]) AS id`,
		pq.Array(ids), domain); err != nil {
		s.t.Fatal(err)
	}
	ps := make([]patron, len(rows))
	err := hotEach(len(rows), 16, func(i int) error {
		r := rows[i]
		token, err := auth.Issue(ctx, s.db, auth.KindPatron, r.ID, auth.PatronTokenTTL)
		ps[i] = patron{id: r.ID, card: r.Card, name: r.Name, emails: []string{fmt.Sprintf("p%d@%s", r.ID, domain)}, token: token}
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return ps
}

// hotHold is a hold row as the test reads it from PostgreSQL.
type hotHold struct {
	ID          string    `db:"id"`
	Status      string    `db:"status"`
	ItemBarcode *string   `db:"item_barcode"`
	PlacedAt    time.Time `db:"placed_at"`
}

// hotQueue lists every hold of the title in queue order.
func (s *stack) hotQueue(titleID string) []hotHold {
	s.t.Helper()
	var hs []hotHold
	if err := s.db.Select(&hs, `SELECT id::text, status, item_barcode, placed_at FROM holds WHERE title_id = $1 ORDER BY placed_at, id`, titleID); err != nil {
		s.t.Fatal(err)
	}
	return hs
}

// hotWaiting lists the holds of the title still waiting for a copy, in queue order.
func (s *stack) hotWaiting(titleID string) []hotHold {
	s.t.Helper()
	var hs []hotHold
	for _, h := range s.hotQueue(titleID) {
		if h.Status == "queued" && h.ItemBarcode == nil {
			hs = append(hs, h)
		}
	}
	return hs
}

func (s *stack) hotCopyOf(holdID string) string {
	var bc string
	if err := s.db.Get(&bc, `SELECT item_barcode FROM holds WHERE id = $1`, holdID); err != nil {
		return ""
	}
	return bc
}

// hotCheckPositions reads every waiting hold through its patron's API and checks that the positions are
// exactly 1..len(queue), in queue order: 返却待ち first, then 順番待ち.
func (s *stack) hotCheckPositions(queue []string, owner map[string]patron, workers int) {
	s.t.Helper()
	got := make([]hold, len(queue))
	err := hotEach(len(queue), workers, func(i int) error {
		return s.hotCall("GET", "/api/v1/holds/"+queue[i], owner[queue[i]].token, nil, &got[i])
	})
	if err != nil {
		s.t.Fatal(err)
	}
	for i, h := range got {
		want, label := "waiting", "順番待ち"
		if i == 0 {
			want, label = "awaiting_return", "返却待ち"
		}
		if h.ID != queue[i] || h.Position == nil || *h.Position != i+1 || h.Status != want || h.StatusLabel != label {
			pos := "null"
			if h.Position != nil {
				pos = strconv.Itoa(*h.Position)
			}
			s.t.Fatalf("hold #%d of %d (%s): the API shows %s %s position %s, want %s %s position %d",
				i+1, len(queue), queue[i], h.Status, h.StatusLabel, pos, want, label, i+1)
		}
	}
}

// hotCheckins checks the copies in at branch, all at once, and returns the desk's answers by copy.
func (s *stack) hotCheckins(copies []string, branch string, workers int) []routing {
	s.t.Helper()
	rs := make([]routing, len(copies))
	err := hotEach(len(copies), workers, func(i int) error {
		return s.hotCall("POST", "/api/v1/staff/checkin", s.staff, map[string]string{"barcode": copies[i], "branch": branch}, &rs[i])
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return rs
}

// hotCheckAssigned checks that the copies' routings name exactly the holds want, one copy each, and that
// PostgreSQL agrees: those holds, and no other open hold of the title, have a copy, each a different one.
func (s *stack) hotCheckAssigned(titleID string, rs []routing, want []string, action, to string) {
	s.t.Helper()
	var got []string
	for i, r := range rs {
		if r.Action != action || r.HoldID == nil || (to == "") != (r.ToBranch == nil) || (r.ToBranch != nil && *r.ToBranch != to) {
			s.t.Fatalf("copy %d's check-in answered %+v, want %s to %q for one of %v", i, r, action, to, want)
		}
		got = append(got, *r.HoldID)
	}
	slices.Sort(got)
	sorted := slices.Sorted(slices.Values(want))
	if !slices.Equal(got, sorted) {
		s.t.Fatalf("the returned copies went to holds %v, want the first in the queue %v, one copy each", got, sorted)
	}
	var rows []struct {
		ID      string `db:"id"`
		Barcode string `db:"item_barcode"`
	}
	if err := s.db.Select(&rows, `SELECT id::text, item_barcode FROM holds
		WHERE title_id = $1 AND item_barcode IS NOT NULL AND status NOT IN ('cancelled', 'fulfilled') ORDER BY id`, titleID); err != nil {
		s.t.Fatal(err)
	}
	holders := map[string]string{}
	var ids []string
	for _, r := range rows {
		if prev, dup := holders[r.Barcode]; dup {
			s.t.Fatalf("copy %s is set aside for two holds, %s and %s", r.Barcode, prev, r.ID)
		}
		holders[r.Barcode] = r.ID
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, sorted) {
		s.t.Fatalf("open holds with a copy: %v, want %v", rows, sorted)
	}
}

// hotEach runs f(0..n-1) on at most workers goroutines and returns the errors joined. f must not call
// t.Fatal (it runs off the test's goroutine).
func hotEach(n, workers int, f func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, workers)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more errors", len(errs)-3))
	}
	return errors.Join(errs...)
}

// hotClient keeps a connection per worker alive (http.DefaultClient keeps 2 per host and would open and
// close one per request).
var hotClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// hotCall is stack.do for goroutines: it reports instead of failing the test (stack.do calls t.Fatal), and
// wants a 2xx.
func (s *stack) hotCall(method, path, token string, body, out any) error {
	c := apiclient.Client{Base: s.url, HC: hotClient}
	return c.Do(s.t.Context(), method, path, token, body, out)
}
