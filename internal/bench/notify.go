package bench

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"yoyaku/internal/apiclient"
	"yoyaku/internal/par"
)

// notifySample is one returned copy and the hold waiting for it.
type notifySample struct {
	copy   copyFixture
	patron *patron
	holdID string
	reqID  string    // the check-in's request ID
	sent   time.Time // the check-in request was sent
	got    time.Time // Mailpit received the mail (its Created time)
	seen   time.Time // the bench first found it
	err    error
}

// prepareNotify sets up n samples: a title whose only copy is on loan (lent to the lender through the staff
// API) and a hold on it by a patron of its own, with an e-mail contact, picking up where the copy is.
func prepareNotify(ctx context.Context, api *apiclient.Client, f *fixtureMaker, fx *fixtures, patrons []*patron, poll time.Duration) ([]*notifySample, error) {
	copies, err := f.newCopies(ctx, fx, len(patrons))
	if err != nil {
		return nil, err
	}
	samples := make([]*notifySample, len(patrons))
	err = par.Each(ctx, len(patrons), f.par, func(ctx context.Context, i int) error {
		s := &notifySample{copy: copies[i], patron: patrons[i]}
		samples[i] = s
		if err := f.lend(ctx, fx, s.copy); err != nil {
			return err
		}
		id, err := api.PlaceHold(ctx, s.patron.token, s.copy.titleID, s.copy.branch)
		if err != nil {
			return err
		}
		s.holdID = id
		for deadline := time.Now().Add(30 * time.Second); ; {
			h, err := api.GetHold(ctx, s.patron.token, id)
			if err != nil {
				return err
			}
			if h.Approved() {
				if h.Status != "awaiting_return" {
					return fmt.Errorf("hold %s on a lent copy is %s, want awaiting_return", id, h.Status)
				}
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("hold %s not approved after 30 s", id)
			}
			time.Sleep(poll)
		}
	})
	return samples, err
}

// runNotify checks the copies in at their pickup branches, one every gap (POST /api/v1/staff/checkin, as the
// desk does), while a watcher searches Mailpit for each patron's address. The latency of a sample is from
// sending the check-in request to Mailpit's receive time of the mail (its Created timestamp, same clock:
// Mailpit runs on this machine); the time the bench first found the mail is kept as a check.
func runNotify(ctx context.Context, api *apiclient.Client, mail *apiclient.MailpitClient, fx *fixtures, run string, samples []*notifySample, gap time.Duration, log *slog.Logger) Latency {
	var mu sync.Mutex
	checkedIn := make(chan *notifySample, len(samples))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the watcher
		defer wg.Done()
		var pending []*notifySample
		open := true
		for open || len(pending) > 0 {
			// Take what was checked in meanwhile, without waiting when something is pending.
			for drained := false; !drained; {
				if len(pending) == 0 && open {
					s, ok := <-checkedIn
					if !ok {
						open = false
						break
					}
					pending = append(pending, s)
					continue
				}
				select {
				case s, ok := <-checkedIn:
					if !ok {
						open = false
						drained = true
						break
					}
					pending = append(pending, s)
				default:
					drained = true
				}
			}
			var still []*notifySample
			for _, s := range pending {
				msgs, err := mail.Search(ctx, `to:"`+s.patron.email+`"`)
				now := time.Now()
				mu.Lock()
				switch {
				case err == nil && len(msgs) > 0:
					s.seen = now
					s.got = msgs[len(msgs)-1].Created // newest first: the last is the first mail
					for _, m := range msgs {
						if m.Created.Before(s.got) {
							s.got = m.Created
						}
					}
				case now.Sub(s.sent) > time.Minute:
					s.err = fmt.Errorf("no mail to %s a minute after the check-in (%v)", s.patron.email, err)
				default:
					still = append(still, s)
				}
				mu.Unlock()
			}
			pending = still
			if len(pending) > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	}()

	start := time.Now()
	for i, s := range samples {
		at := start.Add(time.Duration(i) * gap)
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(at)):
		}
		if ctx.Err() != nil {
			break
		}
		var r apiclient.Routing
		mu.Lock()
		s.reqID = fmt.Sprintf("bench-%s-%d", run, i)
		s.sent = time.Now()
		mu.Unlock()
		err := api.Checkin(ctx, fx.staff, s.copy.barcode, s.copy.branch, s.reqID, &r)
		if err == nil && (r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != s.holdID) {
			err = fmt.Errorf("check-in of %s routed %+v, want the hold shelf for hold %s", s.copy.barcode, r, s.holdID)
		}
		if err != nil {
			mu.Lock()
			s.err = err
			mu.Unlock()
			continue
		}
		checkedIn <- s
	}
	close(checkedIn)
	wg.Wait()

	var lat []time.Duration
	errs := 0
	var skew time.Duration
	for _, s := range samples {
		if s.err != nil || s.got.IsZero() {
			errs++
			if s.err != nil {
				log.Warn("notification sample failed", "err", s.err)
			}
			continue
		}
		d := s.got.Sub(s.sent)
		if d < 0 { // Mailpit's clock ran behind ours: fall back on when we saw it
			skew = min(skew, d)
			d = s.seen.Sub(s.sent)
		}
		lat = append(lat, d)
	}
	method := fmt.Sprintf("check-in POST sent → Mailpit's Created time of the mail; one check-in every %s", gap)
	if skew < 0 {
		method += fmt.Sprintf(" (Mailpit's clock behind by up to %s: those samples use the time the bench saw the mail)", -skew)
	}
	return Summarize(lat, errs, method)
}
