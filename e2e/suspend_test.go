package e2e_test

import (
	"context"
	"testing"
	"time"

	"yoyaku/internal/check"
	"yoyaku/store"
)

// suspendedHold is the Hold's suspension fields as tests read them.
type suspendedHold struct {
	hold
	CanSuspend     bool    `json:"can_suspend"`
	SuspendedUntil *string `json:"suspended_until"`
}

func (s *stack) suspendedHold(p patron, id string) suspendedHold {
	s.t.Helper()
	var h suspendedHold
	s.mustDo("GET", "/api/v1/holds/"+id, p.token, nil, 200, &h)
	return h
}

// TestSuspendAndResumeAHold: 休止 and 再開 on the dev server. A suspended first hold keeps its place but no
// position: the hold behind it becomes 返却待ち 1 and gets the returned copy; the suspended hold still counts
// against the limit; resumed, it is first in line again. Every refusal answers its code and changes nothing.
func TestSuspendAndResumeAHold(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_HOLD_LIMIT_TOTAL": "1"})
	titleID, copies := s.title("book", copySpec{branch: "kita", onLoan: true})
	otherTitle, _ := s.title("book", copySpec{branch: "kita", onLoan: true})
	a, b, c := s.newPatron("email"), s.newPatron("email"), s.newPatron("email")
	ha := s.placeOne(a, "chuo", titleID)
	hb := s.placeOne(b, "chuo", titleID)
	hc := s.placeOne(c, "chuo", titleID)
	s.waitStatus(a, ha, "awaiting_return")
	s.waitStatus(c, hc, "waiting")
	if h := s.suspendedHold(a, ha); !h.CanSuspend || h.SuspendedUntil != nil {
		t.Fatalf("a waiting hold can be suspended: %+v", h)
	}

	path := "/api/v1/holds/" + ha
	for _, until := range []any{s.today(), s.todayPlus(-1), s.todayPlus(91), "2026/12/24", "", 20261224} {
		if until == 20261224 {
			s.wantError("POST", path+"/suspend", a.token, map[string]any{"until": until}, 400, "bad_request")
			continue
		}
		s.wantError("POST", path+"/suspend", a.token, map[string]any{"until": until}, 422, "invalid_date")
	}
	s.wantError("POST", path+"/suspend", a.token, map[string]any{}, 422, "invalid_date")
	s.wantError("POST", path+"/suspend", b.token, map[string]any{"until": s.todayPlus(14)}, 404, "not_found") // another patron's
	s.wantError("POST", path+"/resume", a.token, nil, 409, "not_suspended")
	s.wantError("POST", "/api/v1/holds/999999999/suspend", a.token, map[string]any{"until": s.todayPlus(14)}, 404, "not_found")
	if h := s.getHold(a, ha); h.Status != "awaiting_return" || h.Position == nil || *h.Position != 1 {
		t.Fatalf("refusals changed the hold: %+v", h)
	}

	until := s.todayPlus(90)
	var got suspendedHold
	s.mustDo("POST", path+"/suspend", a.token, map[string]any{"until": until}, 200, &got)
	if got.Status != "suspended" || got.StatusLabel != "休止中" || got.SuspendedUntil == nil || *got.SuspendedUntil != until ||
		got.Position != nil || got.CanSuspend || !got.CanCancel {
		t.Fatalf("suspended hold: %+v", got)
	}
	s.wantError("POST", path+"/suspend", a.token, map[string]any{"until": s.todayPlus(3)}, 409, "not_suspendable")
	for i, w := range []struct {
		p        patron
		id       string
		status   string
		position int
	}{{b, hb, "awaiting_return", 1}, {c, hc, "waiting", 2}} {
		if h := s.getHold(w.p, w.id); h.Status != w.status || h.Position == nil || *h.Position != w.position {
			t.Fatalf("hold %d behind the suspended one: %s position %v, want %s %d", i+2, h.Status, h.Position, w.status, w.position)
		}
	}
	if r := s.place(a, "chuo", otherTitle); len(r.Rejected) != 1 || r.Rejected[0].Reason != "hold_limit_exceeded" {
		t.Fatalf("a suspended hold still counts against the limit: %+v", r)
	}

	// The returned copy passes the suspended hold by.
	if r := s.scan("checkin", copies[0], "chuo"); r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != hb {
		t.Fatalf("check-in routing = %+v, want the hold shelf for %s", r, hb)
	}
	s.waitStatus(b, hb, "ready")
	s.wantError("POST", "/api/v1/holds/"+hb+"/suspend", b.token, map[string]any{"until": s.todayPlus(7)}, 409, "not_suspendable")
	s.wantError("POST", "/api/v1/holds/"+hb+"/resume", b.token, nil, 409, "not_suspended")

	s.mustDo("POST", path+"/resume", a.token, nil, 200, &got)
	if got.Status != "awaiting_return" || got.Position == nil || *got.Position != 1 || got.SuspendedUntil != nil || !got.CanSuspend {
		t.Fatalf("resumed hold: %+v", got)
	}
	if h := s.getHold(c, hc); h.Status != "waiting" || h.Position == nil || *h.Position != 2 {
		t.Fatalf("the hold placed after the resumed one is behind it again: %+v", h)
	}
	s.wantError("POST", path+"/resume", a.token, nil, 409, "not_suspended")

	// A closed hold: cancelled while suspended.
	s.mustDo("POST", "/api/v1/holds/"+hc+"/suspend", c.token, map[string]any{"until": s.todayPlus(1)}, 200, &got)
	s.mustDo("POST", "/api/v1/holds/"+hc+"/cancel", c.token, nil, 202, nil)
	s.waitStatus(c, hc, "cancelled")
	s.waitWorkflowClosed("hold-" + hc)
	s.wantError("POST", "/api/v1/holds/"+hc+"/resume", c.token, nil, 409, "not_suspended")
	s.wantError("POST", "/api/v1/holds/"+hc+"/suspend", c.token, map[string]any{"until": s.todayPlus(1)}, 409, "not_suspendable")
}

// TestResumedHoldTakesTheFreeCopy: a copy returned while the only hold on its title is suspended stays on the
// shelf — not an idle copy for `yoyaku check` — and the hold takes it as soon as it is resumed.
func TestResumedHoldTakesTheFreeCopy(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	a := s.newPatron("email")
	ha := s.placeOne(a, "chuo", titleID)
	s.waitStatus(a, ha, "awaiting_return")
	s.mustDo("POST", "/api/v1/holds/"+ha+"/suspend", a.token, map[string]any{"until": s.todayPlus(14)}, 200, nil)
	if r := s.scan("checkin", copies[0], "chuo"); r.Action == "hold_shelf" || r.Action == "transit" {
		t.Fatalf("a copy returned with only a suspended hold waiting is routed %+v, want the open shelf", r)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r, err := check.Run(ctx, s.db, s.tc, check.Options{TaskQueue: s.cfg.TaskQueue, Limits: store.Limits{Total: s.cfg.HoldLimitTotal, AV: s.cfg.HoldLimitAV},
		TimeZone: s.cfg.Location.String()})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range r.Violations {
		t.Errorf("with the copy free and only a suspended hold: %s", v)
	}
	s.mustDo("POST", "/api/v1/holds/"+ha+"/resume", a.token, nil, 200, nil)
	s.waitStatus(a, ha, "awaiting_pull")
}

// TestSuspendedSeriesVolumeGatesTheNext: a series volume waiting for its copy can be suspended, and while it
// is suspended the next volume stays 準備中 — even with its copy on the shelf — as it does behind a waiting
// volume; resumed and then ready, the first volume lets the next go on.
func TestSuspendedSeriesVolumeGatesTheNext(t *testing.T) {
	s := newStack(t, nil)
	v1, v1copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	v2, _ := s.title("book", copySpec{branch: "chuo"})
	p := s.newPatron("email")
	r := s.placeSeries(p, "chuo", v1, v2)
	if len(r.Placed) != 2 {
		t.Fatalf("series placement: %+v", r)
	}
	h1, h2 := r.Placed[0].HoldID, r.Placed[1].HoldID
	s.waitStatus(p, h1, "awaiting_return")
	s.waitStatus(p, h2, "preparing")
	s.wantError("POST", "/api/v1/holds/"+h2+"/suspend", p.token, map[string]any{"until": s.todayPlus(7)}, 409, "not_suspendable")

	s.mustDo("POST", "/api/v1/holds/"+h1+"/suspend", p.token, map[string]any{"until": s.todayPlus(7)}, 200, nil)
	s.waitStatus(p, h1, "suspended")
	// The copy of volume 1 comes back while volume 1 is suspended: nobody is served, volume 2 still waits its turn.
	if rt := s.scan("checkin", v1copies[0], "chuo"); rt.Action == "hold_shelf" || rt.Action == "transit" {
		t.Fatalf("check-in routed %+v with only a suspended volume waiting", rt)
	}
	time.Sleep(500 * time.Millisecond)
	if h := s.getHold(p, h2); h.Status != "preparing" {
		t.Fatalf("volume 2 behind a suspended volume 1 is %s, want preparing", h.Status)
	}
	s.mustDo("POST", "/api/v1/holds/"+h1+"/resume", p.token, nil, 200, nil)
	s.waitStatus(p, h1, "awaiting_pull")
	s.scan("pull", v1copies[0], "chuo")
	s.waitStatus(p, h1, "ready")
	s.waitStatus(p, h2, "awaiting_pull")
}
