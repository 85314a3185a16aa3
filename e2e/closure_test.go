package e2e_test

import (
	"strings"
	"testing"
	"time"

	"yoyaku/domain"
	"yoyaku/mailer"
)

// readyHold is a hold on a branch's hold shelf, its patron told.
type readyHold struct {
	p     patron
	id    string
	title string
}

// readyAt places a hold for p at branch on a new title with a copy there, pulls the copy and waits until
// the hold is ready with its pickup deadline.
func (s *stack) readyAt(p patron, branch string) readyHold {
	s.t.Helper()
	titleID, copies := s.title("book", copySpec{branch: branch})
	id := s.placeOne(p, branch, titleID)
	s.waitStatus(p, id, "awaiting_pull")
	if r := s.scan("pull", copies[0], branch); r.Action != "hold_shelf" {
		s.t.Fatalf("pull at the pickup branch: %+v", r)
	}
	s.waitStatus(p, id, "ready")
	s.waitDeadline(p, id)
	var title string
	if err := s.db.GetContext(s.t.Context(), &title, `SELECT title FROM titles WHERE id = $1`, titleID); err != nil {
		s.t.Fatal(err)
	}
	return readyHold{p: p, id: id, title: title}
}

func (s *stack) countOf(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.GetContext(s.t.Context(), &n, query, args...); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// jdate is a YYYY-MM-DD date as the mails print it.
func jdate(t *testing.T, d string) string {
	t.Helper()
	day, err := domain.ParseDate(d)
	if err != nil {
		t.Fatal(err)
	}
	return mailer.JapaneseDate(day.Time())
}

// TestEmergencyClosureRedatesReadyHolds: 臨時休館 of chuo from the day after tomorrow for 3 days. Every ready
// hold on chuo's shelf (deadline today+6) moves to today+9, once, through the closing's workflow, which is
// killed in the middle (its worker stopped with a batch in flight) and finishes on the next worker; a ready
// hold at kita and a hold at chuo not yet ready keep theirs. Each affected patron gets one mail with all
// their new deadlines; bad requests are refused with their code and record nothing; `yoyaku check` is
// clean (the stack's cleanup).
func TestEmergencyClosureRedatesReadyHolds(t *testing.T) {
	s := newStackOpts(t, map[string]string{"YOYAKU_CLOSURE_BATCH": "2", "YOYAKU_CLOSURE_PAUSE": "1500ms"}, stackOpts{killableWorker: true})
	ps := []patron{s.newPatron("email"), s.newPatron("email"), s.newPatron("email"), s.newPatron("email"), s.newPatron("email")}
	var atChuo []readyHold
	for i, p := range ps {
		atChuo = append(atChuo, s.readyAt(p, "chuo"))
		if i < 2 { // two patrons with two holds each: one mail each all the same
			atChuo = append(atChuo, s.readyAt(p, "chuo"))
		}
	}
	atKita := s.readyAt(ps[0], "kita")
	waitingTitle, _ := s.title("book", copySpec{branch: "kita"})
	waiting := s.placeOne(ps[1], "chuo", waitingTitle)
	s.waitStatus(ps[1], waiting, "awaiting_pull")
	for _, h := range append(atChuo, atKita) {
		s.mail.WaitFor(t, `to:"`+h.p.emails[0]+`" subject:"用意できました"`, 1, 15*time.Second)
	}

	from, to := s.todayPlus(2), s.todayPlus(4)
	path := "/api/v1/staff/branches/chuo/closures"
	for _, bad := range []struct {
		path string
		body map[string]string
		code string
		st   int
	}{
		{path, map[string]string{"from": to, "to": from, "reason": "台風"}, "invalid_closure", 422},
		{path, map[string]string{"from": from, "to": to, "reason": " "}, "invalid_closure", 422},
		{path, map[string]string{"from": "2026-02-30", "to": to, "reason": "台風"}, "invalid_closure", 422},
		{path, map[string]string{"from": s.todayPlus(-3), "to": s.todayPlus(-1), "reason": "台風"}, "invalid_closure", 422},
		{"/api/v1/staff/branches/nowhere/closures", map[string]string{"from": from, "to": to, "reason": "台風"}, "not_found", 404},
	} {
		s.wantError("POST", bad.path, s.staff, bad.body, bad.st, bad.code)
	}
	if n := s.countOf(`SELECT count(*) FROM branch_closures`); n != 0 {
		t.Fatalf("%d closings recorded by refused requests", n)
	}

	var c struct {
		ID       int64  `json:"closure_id"`
		OpenDays int    `json:"open_days"`
		Holds    int    `json:"holds"`
		Workflow string `json:"workflow_id"`
	}
	s.mustDo("POST", path, s.staff, map[string]string{"from": from, "to": to, "reason": "台風による臨時休館"}, 202, &c)
	if c.OpenDays != 3 || c.Holds != len(atChuo) {
		t.Fatalf("closing: %+v, want 3 open days and %d holds", c, len(atChuo))
	}
	redated := func() int {
		return s.countOf(`SELECT count(*) FROM closure_holds WHERE closure_id = $1 AND redated_at IS NOT NULL`, c.ID)
	}
	for deadline := time.Now().Add(20 * time.Second); redated() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.dumpHistory(c.Workflow)
			t.Fatal("no hold re-dated after 20 s")
		}
	}
	s.killWorker()
	time.Sleep(3 * time.Second)
	if n := redated(); n >= len(atChuo) {
		t.Fatalf("all %d holds re-dated before the worker was killed: the test did not stop the closing half-way", n)
	}
	if n := s.countOf(`SELECT count(*) FROM branch_closures WHERE id = $1 AND completed_at IS NOT NULL`, c.ID); n != 0 {
		t.Fatal("the closing completed with no worker")
	}
	t.Logf("worker killed with %d of %d holds re-dated", redated(), len(atChuo))
	s.restartWorker()
	for deadline := time.Now().Add(90 * time.Second); s.countOf(`SELECT count(*) FROM branch_closures WHERE id = $1 AND completed_at IS NOT NULL`, c.ID) == 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.dumpHistory(c.Workflow)
			t.Fatal("the closing did not complete within 90 s of the worker's restart")
		}
	}
	s.waitWorkflowClosed(c.Workflow)

	want := s.todayPlus(domain.PickupDays - 1 + 3)
	for _, h := range atChuo {
		got := s.getHold(h.p, h.id)
		if got.Status != "ready" || got.PickupDeadline == nil || *got.PickupDeadline != want {
			t.Errorf("hold %s at chuo: %s, deadline %v, want ready until %s", h.id, got.Status, deref(got.PickupDeadline), want)
		}
		if n := s.countOf(`SELECT count(*) FROM hold_events WHERE hold_id = $1 AND detail->>'op' = 'redate'`, h.id); n != 1 {
			t.Errorf("hold %s re-dated %d times", h.id, n)
		}
	}
	if got := s.getHold(atKita.p, atKita.id); got.PickupDeadline == nil || *got.PickupDeadline != s.todayPlus(domain.PickupDays-1) {
		t.Errorf("the hold at kita moved: %+v", got)
	}
	if got := s.getHold(ps[1], waiting); got.Status != "awaiting_pull" || got.PickupDeadline != nil {
		t.Errorf("the hold not yet ready changed: %+v", got)
	}
	if n := s.countOf(`SELECT count(*) FROM hold_events WHERE detail->>'op' = 'redate' AND hold_id IN ($1, $2)`, atKita.id, waiting); n != 0 {
		t.Errorf("%d re-datings of holds the closing does not touch", n)
	}

	// One mail per patron, with each of their holds' new deadline; none about kita.
	time.Sleep(time.Second) // a second mail would have come by now
	for _, p := range ps {
		q := `to:"` + p.emails[0] + `" subject:"臨時休館"`
		mails := s.mail.WaitFor(t, q, 1, 15*time.Second)
		if len(mails) != 1 {
			t.Errorf("patron %s got %d closing mails, want 1", p.card, len(mails))
			continue
		}
		text := mails[0].Text
		if !strings.Contains(text, jdate(t, want)+"まで") || !strings.Contains(text, "中央図書館") || !strings.Contains(text, jdate(t, from)) {
			t.Errorf("closing mail to %s does not give the new deadline %s:\n%s", p.card, want, text)
		}
		for _, h := range atChuo {
			if (h.p.card == p.card) != strings.Contains(text, h.title) {
				t.Errorf("closing mail to %s and hold %s (%s, patron %s):\n%s", p.card, h.id, h.title, h.p.card, text)
			}
		}
		if strings.Contains(text, atKita.title) {
			t.Errorf("closing mail names the hold at kita:\n%s", text)
		}
	}
	var list struct {
		Closures []struct {
			ID        int64   `json:"closure_id"`
			Redated   int     `json:"redated"`
			Completed *string `json:"completed_at"`
		} `json:"closures"`
	}
	s.mustDo("GET", path, s.staff, nil, 200, &list)
	if len(list.Closures) != 1 || list.Closures[0].ID != c.ID || list.Closures[0].Redated != len(atChuo) || list.Closures[0].Completed == nil {
		t.Fatalf("closings of chuo: %+v", list)
	}
	var cal struct {
		Days []struct {
			Date   string `json:"date"`
			Open   bool   `json:"open"`
			Reason string `json:"reason"`
		} `json:"days"`
	}
	s.mustDo("GET", "/api/v1/staff/branches/chuo/calendar", s.staff, nil, 200, &cal)
	if len(cal.Days) != 3 || cal.Days[0].Date != from || cal.Days[0].Open || cal.Days[2].Date != to {
		t.Fatalf("chuo's calendar after the closing: %+v", cal)
	}
}
