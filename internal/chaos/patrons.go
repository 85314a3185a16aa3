package chaos

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"yoyaku/internal/apiclient"
)

// The patrons' own moves on their holds (issue 15): 休止 and 再開, 順位の繰下げ and 取置延長, each through the API
// on a hold the patron's hold list offers it for.

// moveResult is how one patron move ended.
type moveResult int

const (
	moveDone       moveResult = iota
	moveRefused               // a 409: the hold had moved on since the patron's page (a copy came, it expired, …)
	moveFailed                // the broken stack never answered
	moveUnexpected            // an answer a valid move never gets (recorded in world.unexpected)
)

// patronActs: a patron looks at their holds online and now and then does something with one: extends a
// ready hold's pickup deadline whenever the page offers it (rarely: only a hold nobody else waits for can be
// extended, so every chance is taken for the short day to see some), lets the next hold go
// first, or suspends a waiting hold for a few days. Suspensions due to end are resumed first (resumeDue).
func (w *world) patronActs(ctx context.Context) {
	w.resumeDue(ctx)
	w.mu.Lock()
	p := w.patrons[w.rng.IntN(len(w.patrons))]
	w.mu.Unlock()
	hs, err := w.api.ListHolds(ctx, p.token)
	if err != nil {
		w.failed(err)
		return
	}
	var extendable, deferrable, suspendable []apiclient.Hold
	for _, h := range hs {
		if h.Extendable {
			extendable = append(extendable, h)
		}
		if h.CanDefer {
			deferrable = append(deferrable, h)
		}
		if h.CanSuspend {
			suspendable = append(suspendable, h)
		}
	}
	if len(extendable) > 0 {
		w.extend(ctx, p, extendable[w.intn(len(extendable))].ID)
		return
	}
	// A third of the looks end in nothing: every move changes who gets the next copy. Defers and suspensions
	// come as often, so that the short day reliably sees defers and resumes some suspensions too.
	switch w.intn(6) {
	case 0, 3:
		if len(deferrable) > 0 {
			w.deferHold(ctx, p, deferrable[w.intn(len(deferrable))].ID)
		}
	case 1, 2:
		if len(suspendable) > 0 {
			w.suspend(ctx, p, suspendable[w.intn(len(suspendable))].ID)
		}
	}
}

// extend asks for 取置延長 once: a ready hold's pickup window starts again (YOYAKU_PICKUP_WINDOW from now).
func (w *world) extend(ctx context.Context, p *patron, id string) {
	if r, _ := w.move(ctx, p, id, "extend", nil); r == moveDone {
		w.extensions.Add(1)
	}
}

// deferHold asks for 順位の繰下げ. A hold deferred from the hold shelf comes back to it later as a new
// pickup, whose fate the desk decides afresh.
func (w *world) deferHold(ctx context.Context, p *patron, id string) {
	r, lost := w.move(ctx, p, id, "defer", nil)
	if r == moveDone {
		w.defers.Add(1)
	}
	if r == moveDone || lost {
		w.undecide(id)
	}
}

// suspend asks for 休止 from two to six days ahead (never tomorrow: a day that turns at midnight in the
// library's time zone between here and the server would make tomorrow today, and the date invalid). Three in
// four are resumed 5 to 20 s later (resumeDue); the others stay suspended to the end of the day.
func (w *world) suspend(ctx context.Context, p *patron, id string) {
	loc, err := time.LoadLocation(w.cfg.TimeZone)
	if err != nil {
		loc = time.UTC // the margin of two days covers any time zone's today
	}
	until := time.Now().In(loc).AddDate(0, 0, 2+w.intn(5)).Format(time.DateOnly)
	var resumeAt time.Time
	if w.intn(4) != 0 {
		resumeAt = time.Now().Add(time.Duration(5+w.intn(16)) * time.Second)
	}
	w.mu.Lock()
	w.suspended[id] = suspension{p: p, resumeAt: resumeAt} // before asking: the answer may be lost with a killed API
	w.mu.Unlock()
	r, lost := w.move(ctx, p, id, "suspend", map[string]string{"until": until})
	switch {
	case r == moveDone:
		w.suspensions.Add(1)
	case (r == moveRefused || r == moveUnexpected) && !lost: // surely not suspended by this request
		w.mu.Lock()
		delete(w.suspended, id)
		w.mu.Unlock()
	}
}

// suspension is a hold the day suspended (or may have, when an answer was lost), and when to resume it (zero:
// never).
type suspension struct {
	p        *patron
	resumeAt time.Time
}

// resumeDue sends 再開 for the suspensions whose time has come. A hold that is not suspended (the suspension
// never went through, or it was cancelled since) is refused with not_suspended and forgotten like a resumed
// one; one the broken stack did not answer is tried again next time.
func (w *world) resumeDue(ctx context.Context) {
	w.mu.Lock()
	due := map[string]*patron{}
	for id, s := range w.suspended {
		if !s.resumeAt.IsZero() && time.Now().After(s.resumeAt) {
			due[id] = s.p
		}
	}
	w.mu.Unlock()
	for id, p := range due {
		r, _ := w.move(ctx, p, id, "resume", nil)
		if r == moveDone {
			w.resumes.Add(1)
		}
		if r != moveFailed {
			w.mu.Lock()
			delete(w.suspended, id)
			w.mu.Unlock()
		}
	}
}

// move sends one patron move (POST /api/v1/holds/{id}/{what}), retried while the stack is broken, and
// reports how it ended and whether an attempt failed without an answer (the move may have been made by it,
// and a retry refused). A 409 is the normal answer to a hold that moved on; any other refusal (422
// invalid_date above all: the dates sent are valid) is an unexpected answer, which fails the day.
func (w *world) move(ctx context.Context, p *patron, id, what string, body any) (result moveResult, lost bool) {
	for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
		err := w.api.Do(ctx, http.MethodPost, "/api/v1/holds/"+id+"/"+what, p.token, body, nil)
		switch {
		case err == nil:
			return moveDone, lost
		case retryable(err):
			w.errs.Add(1)
			lost = true
			sleep(ctx, time.Second)
		case apiclient.Status(err) == http.StatusConflict:
			w.patronRefusals.Add(1)
			return moveRefused, lost
		default:
			w.mu.Lock()
			w.unexpected = append(w.unexpected, fmt.Sprintf("%s hold %s: %s", what, id, strings.TrimSpace(err.Error())))
			w.mu.Unlock()
			w.log.Error("chaos: unexpected answer to a patron", "move", what, "hold", id, "err", err)
			return moveUnexpected, lost
		}
	}
	return moveFailed, lost
}
