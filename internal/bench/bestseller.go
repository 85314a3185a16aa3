package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"yoyaku/auth"
	"yoyaku/internal/apiclient"
	"yoyaku/internal/par"
	"yoyaku/store"
)

// Bestseller is the burst a title announced on television brings: Patrons place a hold each on one title
// whose Copies copies are all on loan, from Clients clients at once; then every copy is returned at once.
type Bestseller struct {
	Skipped string `json:"skipped,omitempty"`
	Patrons int    `json:"patrons"`
	Copies  int    `json:"copies"`
	Clients int    `json:"clients"`
	TitleID string `json:"title_id,omitempty"`
	Placed  int    `json:"placed"`
	Errors  int    `json:"errors"` // POSTs that failed, and holds placed but never approved
	// PlacedS is first POST sent → last POST answered; ApprovedS first POST sent → last approval committed.
	PlacedS   Seconds `json:"placed_s"`
	ApprovedS Seconds `json:"approved_s"`
	PerSecond Float   `json:"approvals_per_s"` // approvals of the title per second over ApprovedS
	// Approve is POST sent → the approval's transaction committed (PostgreSQL's commit timestamp: the moment
	// any reader could see the hold approved).
	Approve Latency `json:"approve"`
	// PositionsS is first POST sent → the end of the first sweep of GET /api/v1/holds/{id} in which every hold
	// showed its queue position.
	PositionsS Seconds `json:"positions_s"`
	// Returns is each return's check-in scan, sent → answered with the hold its copy now belongs to.
	Returns Latency `json:"returns"`
	// Violations are broken promises: FIFO, positions other than 1..N, a copy to the wrong hold or to two.
	Violations []string `json:"violations"`
}

// bestsellerHold is one hold of the burst.
type bestsellerHold struct {
	id             int64
	token          string // its patron's
	sent, answered time.Time
	approved       time.Time // commit of its approval; zero until seen
	position       int
	placedAt       string
}

// runBestseller runs the burst on a stack whose database it can reach (db): the patrons are enrolled there in
// one go (a library imports its patrons; 2,000 bcrypt hashes through the staff API would take minutes of
// CPU and measure nothing), with tokens issued as a login would. Everything measured goes through the API.
func runBestseller(ctx context.Context, api *apiclient.Client, db *sqlx.DB, f *fixtureMaker, fx *fixtures, cfg Config, log *slog.Logger) Bestseller {
	b := Bestseller{Patrons: cfg.BestsellerPatrons, Copies: cfg.BestsellerCopies, Clients: cfg.BestsellerClients,
		PerSecond: NaN, Approve: Summarize(nil, 0, ""), Returns: Summarize(nil, 0, "")}
	tokens, err := enrolPatrons(ctx, db, f, b.Patrons)
	if err != nil {
		b.Skipped = "enrol patrons: " + err.Error()
		return b
	}
	title, copies, err := f.lentTitle(ctx, fx, b.Copies)
	if err != nil {
		b.Skipped = "title and copies: " + err.Error()
		return b
	}
	b.TitleID = title
	log.Info("bestseller: burst", "patrons", b.Patrons, "copies", b.Copies, "clients", b.Clients, "title", title)

	holds := make([]*bestsellerHold, b.Patrons)
	var mu sync.Mutex
	first := time.Now()
	_ = par.Each(ctx, b.Patrons, b.Clients, func(ctx context.Context, i int) error {
		sent := time.Now()
		id, err := api.PlaceHold(ctx, tokens[i], title, fx.libraries[i%len(fx.libraries)])
		answered := time.Now()
		if err != nil {
			mu.Lock()
			b.Errors++
			mu.Unlock()
			log.Warn("bestseller: place", "err", err)
			return nil
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return fmt.Errorf("hold id %q: %w", id, err)
		}
		holds[i] = &bestsellerHold{id: n, token: tokens[i], sent: sent, answered: answered}
		return nil
	})
	holds = slices.DeleteFunc(holds, func(h *bestsellerHold) bool { return h == nil })
	b.Placed = len(holds)
	if b.Placed == 0 {
		b.Skipped = "no hold was placed"
		return b
	}
	lastAnswer := slices.MaxFunc(holds, func(x, y *bestsellerHold) int { return x.answered.Compare(y.answered) }).answered
	b.PlacedS = Seconds(lastAnswer.Sub(first).Seconds())

	if err := awaitApprovals(ctx, db, holds); err != nil {
		b.Violations = append(b.Violations, err.Error())
	}
	var lat []time.Duration
	var lastApproval time.Time
	for _, h := range holds {
		if h.approved.IsZero() {
			b.Errors++
			continue
		}
		lat = append(lat, h.approved.Sub(h.sent))
		lastApproval = later(lastApproval, h.approved)
	}
	b.Approve = Summarize(lat, b.Placed-len(lat), "POST sent → approval committed (PostgreSQL commit timestamp)")
	if len(lat) > 0 {
		b.ApprovedS = Seconds(lastApproval.Sub(first).Seconds())
		b.PerSecond = Float(float64(len(lat)) / float64(b.ApprovedS))
	}

	at, err := sweepPositions(ctx, api, holds)
	if err != nil {
		b.Violations = append(b.Violations, err.Error())
	} else {
		b.PositionsS = Seconds(at.Sub(first).Seconds())
		b.Violations = append(b.Violations, queueViolations(holds)...)
	}

	log.Info("bestseller: every copy returned at once", "copies", len(copies))
	lat, served, err := returnAll(ctx, api, fx, copies)
	b.Returns = Summarize(lat, len(copies)-len(lat), "check-in scan sent → answered with the hold the copy now belongs to")
	if err != nil {
		b.Violations = append(b.Violations, err.Error())
	}
	b.Violations = append(b.Violations, servedViolations(holds, served, len(copies))...)
	return b
}

// enrolPatrons creates n patrons (one password hash for all: the same password) and issues each a session
// token, as a login does.
func enrolPatrons(ctx context.Context, db *sqlx.DB, f *fixtureMaker, n int) ([]string, error) {
	hash, err := auth.HashPassword(patronPassword)
	if err != nil {
		return nil, err
	}
	tokens := make([]string, n)
	err = par.Each(ctx, n, f.par, func(ctx context.Context, i int) error {
		for tries := 0; ; tries++ {
			card := fmt.Sprintf("%07d", f.cards.Add(1)%10_000_000)
			id, err := store.InsertPatron(ctx, db, store.NewPatron{Card: card, Name: fmt.Sprintf("ベンチ 読者%05d", i+1), PasswordHash: hash})
			var pe *pq.Error
			if errors.As(err, &pe) && pe.Code == "23505" && tries < 100 { // card number taken: the next one
				continue
			}
			if err != nil {
				return fmt.Errorf("patron %s: %w", card, err)
			}
			tokens[i], err = auth.Issue(ctx, db, auth.KindPatron, id, auth.PatronTokenTTL)
			return err
		}
	})
	return tokens, err
}

// lentTitle creates a title with n copies spread over the libraries, every one lent to the lender: the
// burst's holds all wait.
func (f *fixtureMaker) lentTitle(ctx context.Context, fx *fixtures, n int) (string, []copyFixture, error) {
	seq := f.seq.Add(1)
	title, err := f.api.CreateTitle(ctx, fx.staff, fmt.Sprintf("ベストセラー %s-%06d", f.run, seq), "ベンチ 著者", "book")
	if err != nil {
		return "", nil, err
	}
	copies := make([]copyFixture, n)
	for i := range copies {
		c := copyFixture{titleID: title, barcode: fmt.Sprintf("BS-%s-%06d-%03d", f.run, seq, i), branch: fx.libraries[i%len(fx.libraries)]}
		if _, err := f.api.CreateCopy(ctx, fx.staff, title, c.barcode, c.branch); err != nil {
			return "", nil, err
		}
		if err := f.lend(ctx, fx, c); err != nil {
			return "", nil, err
		}
		copies[i] = c
	}
	return title, copies, nil
}

// awaitApprovals reads the approvals' commit times until every hold has one, or nothing moved for a minute.
func awaitApprovals(ctx context.Context, db *sqlx.DB, holds []*bestsellerHold) error {
	ids := make([]int64, len(holds))
	byID := make(map[int64]*bestsellerHold, len(holds))
	for i, h := range holds {
		ids[i], byID[h.id] = h.id, h
	}
	seen, progress := 0, time.Now()
	for seen < len(holds) {
		at, err := store.ApprovalCommits(ctx, db, ids)
		if err != nil {
			return err
		}
		if len(at) > seen {
			seen, progress = len(at), time.Now()
		}
		for id, t := range at {
			byID[id].approved = t
		}
		if seen == len(holds) {
			break
		}
		if time.Since(progress) > time.Minute {
			return fmt.Errorf("%d of %d holds not approved a minute after the last approval", len(holds)-seen, len(holds))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// sweepPositions reads every hold through the API (8 clients) until one sweep finds each with its queue
// position, and returns when that sweep ended; it gives up after 30 s.
func sweepPositions(ctx context.Context, api *apiclient.Client, holds []*bestsellerHold) (time.Time, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var mu sync.Mutex
		missing := 0
		err := par.Each(ctx, len(holds), 8, func(ctx context.Context, i int) error {
			h := holds[i]
			got, err := api.GetHold(ctx, h.token, strconv.FormatInt(h.id, 10))
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if got.Position == nil {
				missing++
				return nil
			}
			h.position, h.placedAt = *got.Position, got.PlacedAt
			return nil
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("read the holds: %w", err)
		}
		if missing == 0 {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d holds still showed no position 30 s after the approvals", missing)
		}
	}
}

// queueViolations checks the queue the burst made: positions are exactly 1..N; in position order the holds
// were placed in order (placed_at never goes back); and first come, first served as the clients saw it — a
// hold whose POST was answered before another's was sent is ahead of it.
func queueViolations(holds []*bestsellerHold) []string {
	var out []string
	byPos := slices.Clone(holds)
	slices.SortFunc(byPos, func(x, y *bestsellerHold) int { return cmp.Compare(x.position, y.position) })
	for i, h := range byPos {
		if h.position != i+1 {
			out = append(out, fmt.Sprintf("positions are not 1..%d: hold %d is at %d where %d was due", len(holds), h.id, h.position, i+1))
			break
		}
	}
	for i := 1; i < len(byPos); i++ {
		if a, b := byPos[i-1], byPos[i]; parsePlaced(b.placedAt).Before(parsePlaced(a.placedAt)) {
			out = append(out, fmt.Sprintf("hold %d (placed %s) is behind hold %d (placed %s) in the queue", a.id, a.placedAt, b.id, b.placedAt))
			break
		}
	}
	// Walk the holds by sending time, keeping the furthest-back position among the holds answered before.
	bySent := slices.Clone(holds)
	slices.SortFunc(bySent, func(x, y *bestsellerHold) int { return x.sent.Compare(y.sent) })
	byAnswer := slices.Clone(holds)
	slices.SortFunc(byAnswer, func(x, y *bestsellerHold) int { return x.answered.Compare(y.answered) })
	var back *bestsellerHold
	j := 0
	for _, h := range bySent {
		for ; j < len(byAnswer) && byAnswer[j].answered.Before(h.sent); j++ {
			if back == nil || byAnswer[j].position > back.position {
				back = byAnswer[j]
			}
		}
		if back != nil && back.position > h.position {
			out = append(out, fmt.Sprintf("not first come, first served: hold %d (answered before hold %d was sent) is at %d, behind it at %d",
				back.id, h.id, back.position, h.position))
			break
		}
	}
	return out
}

func parsePlaced(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s) // a hold without placed_at sorts first and shows in the message
	return t
}

// returnAll checks every copy in at once, at its own branch, and returns each scan's latency and the holds
// the copies went to.
func returnAll(ctx context.Context, api *apiclient.Client, fx *fixtures, copies []copyFixture) ([]time.Duration, []int64, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var served []int64
	err := par.Each(ctx, len(copies), len(copies), func(ctx context.Context, i int) error {
		c := copies[i]
		var r apiclient.Routing
		sent := time.Now()
		if err := api.Checkin(ctx, fx.staff, c.barcode, c.branch, "bench-return-"+c.barcode, &r); err != nil {
			return fmt.Errorf("return %s: %w", c.barcode, err)
		}
		d := time.Since(sent)
		if r.HoldID == nil {
			return fmt.Errorf("return %s was routed %q to no hold, with holds waiting", c.barcode, r.Action)
		}
		id, err := strconv.ParseInt(*r.HoldID, 10, 64)
		if err != nil {
			return fmt.Errorf("return %s: hold id %q: %w", c.barcode, *r.HoldID, err)
		}
		mu.Lock()
		lat, served = append(lat, d), append(served, id)
		mu.Unlock()
		return nil
	})
	return lat, served, err
}

// servedViolations checks that the returned copies went to the first n holds of the queue, one each.
func servedViolations(holds []*bestsellerHold, served []int64, n int) []string {
	first := map[int64]bool{}
	for _, h := range holds {
		if h.position >= 1 && h.position <= n {
			first[h.id] = true
		}
	}
	var out []string
	seen := map[int64]bool{}
	for _, id := range served {
		switch {
		case seen[id]:
			out = append(out, fmt.Sprintf("hold %d got two copies", id))
		case !first[id]:
			out = append(out, fmt.Sprintf("a returned copy went to hold %d, not one of the first %d in the queue", id, n))
		}
		seen[id] = true
	}
	return out
}
