package e2e_test

import (
	"testing"

	"yoyaku/internal/apiclient"
)

type seriesAnswer struct {
	SeriesID string `json:"series_id"`
	Holds    []hold `json:"holds"`
}

func (s *stack) placeSeries(p patron, pickup string, titleIDs ...string) apiclient.PlaceResult {
	s.t.Helper()
	var r apiclient.PlaceResult
	s.mustDo("POST", "/api/v1/holds", p.token, map[string]any{"title_ids": titleIDs, "pickup_branch": pickup, "mode": "series"}, 200, &r)
	return r
}

// Series tests 1 and 2: volume 2 has a copy on the shelf while volume 1 is on loan: volume 2 stays 準備中
// and its copy is not set aside; another patron's later normal hold on volume 2 gets that copy. Volume 1
// returned → ready → volume 2 goes on from its queue place → ready after it.
func TestSeriesProvidesVolumesInOrder(t *testing.T) {
	s := newStack(t, nil)
	v1, v1copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	v2, v2copies := s.title("book", copySpec{branch: "chuo"}, copySpec{branch: "kita", onLoan: true})
	p, other := s.newPatron("email"), s.newPatron("none")

	r := s.placeSeries(p, "chuo", v1, v2)
	if len(r.Placed) != 2 || len(r.Rejected) != 0 {
		t.Fatalf("series placement: %+v", r)
	}
	h1, h2 := r.Placed[0].HoldID, r.Placed[1].HoldID
	s.waitStatus(p, h1, "awaiting_return")
	vol2, _ := s.waitStatus(p, h2, "preparing")
	if vol2.StatusLabel != "準備中" || vol2.Position != nil {
		t.Fatalf("volume 2: %+v", vol2)
	}
	var detail struct {
		Series *struct {
			ID  string `json:"id"`
			Seq int    `json:"seq"`
		} `json:"series"`
	}
	s.mustDo("GET", "/api/v1/holds/"+h2, p.token, nil, 200, &detail)
	if detail.Series == nil || detail.Series.Seq != 2 {
		t.Fatalf("volume 2's series: %+v", detail.Series)
	}
	if got := s.pullList("chuo"); len(got) != 0 {
		t.Fatalf("a 準備中 volume's copy must not be set aside: pull list %v", got)
	}
	// Another patron's normal hold on volume 2, placed later, gets the free copy.
	oh := s.placeOne(other, "chuo", v2)
	s.waitStatus(other, oh, "awaiting_pull")
	if got := s.pullList("chuo"); len(got) != 1 || got[0] != v2copies[0] {
		t.Fatalf("pull list %v, want volume 2's copy for the other patron", got)
	}

	// Volume 1 comes back: it is ready, and volume 2 goes on from its own place (first in its queue, since the
	// other patron already has the shelf copy).
	s.scan("checkin", v1copies[0], "chuo")
	s.waitStatus(p, h1, "ready")
	s.waitStatus(p, h2, "awaiting_return")
	// The other patron takes the shelf copy home; the kita copy comes back: it goes to volume 2's hold.
	s.scan("pull", v2copies[0], "chuo")
	s.waitStatus(other, oh, "ready")
	if rt := s.scan("checkin", v2copies[1], "kita"); rt.Action != "transit" || rt.HoldID == nil || *rt.HoldID != h2 {
		t.Fatalf("volume 2's copy routing: %+v", rt)
	}
	s.waitStatus(p, h2, "in_transit")
}

// Series test 3: three volumes; volume 1 cancelled while queued → volume 2 goes on; volume 2 ready and
// expired unclaimed → volume 3 goes on (it did as soon as volume 2 was ready).
func TestSeriesCancelAndExpiryLetLaterVolumesGoOn(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_PICKUP_WINDOW": "2s"})
	v1, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	v2, v2copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	v3, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	p := s.newPatron("none")
	r := s.placeSeries(p, "chuo", v1, v2, v3)
	if len(r.Placed) != 3 {
		t.Fatalf("series placement: %+v", r)
	}
	h1, h2, h3 := r.Placed[0].HoldID, r.Placed[1].HoldID, r.Placed[2].HoldID
	s.waitStatus(p, h1, "awaiting_return")
	s.waitStatus(p, h2, "preparing")
	s.waitStatus(p, h3, "preparing")

	s.mustDo("POST", "/api/v1/holds/"+h1+"/cancel", p.token, nil, 202, nil)
	s.waitStatus(p, h1, "cancelled")
	s.waitStatus(p, h2, "awaiting_return")
	if h := s.getHold(p, h3); h.Status != "preparing" {
		t.Fatalf("volume 3 must wait for volume 2: %+v", h)
	}
	s.scan("checkin", v2copies[0], "chuo")
	s.waitStatus(p, h2, "ready")
	s.waitStatus(p, h3, "awaiting_return")
	s.waitStatus(p, h2, "cancelled") // expired unclaimed
	if h := s.getHold(p, h2); h.StatusLabel != "期限切れ" {
		t.Fatalf("volume 2: %+v", h)
	}
	if h := s.getHold(p, h3); h.Status != "awaiting_return" {
		t.Fatalf("volume 3 after volume 2 expired: %+v", h)
	}
	// Cancelling the last open volume ends the series.
	s.mustDo("POST", "/api/v1/holds/"+h3+"/cancel", p.token, nil, 202, nil)
	s.waitStatus(p, h3, "cancelled")
	s.waitWorkflowClosed("series-" + seriesOf(t, s, h3))
}

// Series test 4: two existing normal holds become a series, keeping their placement times and queue
// positions.
func TestConvertingHoldsKeepsTheirQueuePlaces(t *testing.T) {
	s := newStack(t, nil)
	v1, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	v2, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	first, p := s.newPatron("none"), s.newPatron("none")
	s.placeOne(first, "chuo", v2) // someone waits before our patron on volume 2
	h1 := s.placeOne(p, "chuo", v1)
	h2 := s.placeOne(p, "chuo", v2)
	s.waitStatus(p, h1, "awaiting_return")
	before, _ := s.waitStatus(p, h2, "waiting")
	var placedBefore []string
	if err := s.db.Select(&placedBefore, `SELECT placed_at::text FROM holds WHERE id = ANY(ARRAY[$1, $2]::bigint[]) ORDER BY id`, h1, h2); err != nil {
		t.Fatal(err)
	}

	var ans seriesAnswer
	s.mustDo("POST", "/api/v1/series", p.token, map[string]any{"hold_ids": []string{h1, h2}}, 200, &ans)
	if ans.SeriesID == "" || len(ans.Holds) != 2 {
		t.Fatalf("series answer: %+v", ans)
	}
	s.waitWorkflowRunning("series-" + ans.SeriesID)
	s.waitStatus(p, h1, "awaiting_return")
	after, _ := s.waitStatus(p, h2, "preparing")
	_ = before
	if after.StatusLabel != "準備中" {
		t.Fatalf("volume 2 after conversion: %+v", after)
	}
	var placedAfter []string
	if err := s.db.Select(&placedAfter, `SELECT placed_at::text FROM holds WHERE id = ANY(ARRAY[$1, $2]::bigint[]) ORDER BY id`, h1, h2); err != nil {
		t.Fatal(err)
	}
	if placedAfter[0] != placedBefore[0] || placedAfter[1] != placedBefore[1] {
		t.Fatalf("placement times changed: %v → %v", placedBefore, placedAfter)
	}
	// Volume 1 comes back: volume 2 goes on at its old place, second behind the other patron.
	var v1copy string
	if err := s.db.Get(&v1copy, `SELECT barcode FROM items WHERE title_id = $1`, v1); err != nil {
		t.Fatal(err)
	}
	s.scan("checkin", v1copy, "chuo")
	s.waitStatus(p, h1, "ready")
	h, _ := s.waitStatus(p, h2, "waiting")
	if h.Position == nil || *h.Position != *before.Position {
		t.Fatalf("volume 2 position %v, want its old place %v", h.Position, before.Position)
	}
}

// Series test 5: refusals: a counter hold, an ILL hold, a ready hold, a single hold.
func TestSeriesRefusals(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("none")
	a, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	b, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	readyTitle, readyCopies := s.title("book", copySpec{branch: "chuo"})
	ha := s.placeOne(p, "chuo", a)
	s.waitStatus(p, ha, "awaiting_return")

	s.wantError("POST", "/api/v1/series", p.token, map[string]any{"hold_ids": []string{ha}}, 422, "invalid_series")
	s.wantError("POST", "/api/v1/series", p.token, map[string]any{"hold_ids": []string{ha, ha}}, 422, "invalid_series")

	var counter hold
	s.mustDo("POST", "/api/v1/staff/holds", s.staff, map[string]string{"card_number": p.card, "title_id": b, "pickup_branch": "chuo"}, 200, &counter)
	s.waitStatus(p, counter.ID, "awaiting_return")
	s.wantError("POST", "/api/v1/series", p.token, map[string]any{"hold_ids": []string{ha, counter.ID}}, 409, "not_changeable")

	var ill hold
	s.mustDo("POST", "/api/v1/staff/holds", s.staff, map[string]any{"card_number": p.card, "pickup_branch": "chuo",
		"request": map[string]string{"title": "相互貸借の本"}}, 200, &ill)
	s.waitStatus(p, ill.ID, "investigating")
	s.mustDo("POST", "/api/v1/staff/holds/"+ill.ID+"/ill", s.staff, map[string]string{}, 200, nil)
	s.wantError("POST", "/api/v1/series", p.token, map[string]any{"hold_ids": []string{ha, ill.ID}}, 409, "not_changeable")

	hr := s.placeOne(p, "chuo", readyTitle)
	s.waitStatus(p, hr, "awaiting_pull")
	s.scan("pull", readyCopies[0], "chuo")
	s.waitStatus(p, hr, "ready")
	s.wantError("POST", "/api/v1/series", p.token, map[string]any{"hold_ids": []string{ha, hr}}, 409, "not_changeable")

	// Another patron's hold is not found; nothing above changed the holds.
	other := s.newPatron("none")
	s.wantError("POST", "/api/v1/series", other.token, map[string]any{"hold_ids": []string{ha, hr}}, 404, "not_found")
	if h := s.getHold(p, ha); h.Status != "awaiting_return" {
		t.Fatalf("a refused conversion changed the hold: %+v", h)
	}
	var inSeries int
	if err := s.db.Get(&inSeries, `SELECT count(*) FROM holds WHERE patron_id = $1 AND series_hold_id IS NOT NULL`, p.id); err != nil || inSeries != 0 {
		t.Fatalf("holds in a series after refusals: %d %v", inSeries, err)
	}

	// Placing a series: a single title, or one title that cannot be held, places nothing.
	c, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	if r := s.placeSeries(p, "chuo", c); len(r.Placed) != 0 || len(r.Rejected) != 1 || r.Rejected[0].Reason != "invalid_series" {
		t.Fatalf("a one-title series: %+v", r)
	}
	dvd, _ := s.title("dvd", copySpec{branch: "chuo", onLoan: true})
	r := s.placeSeries(p, "hikari", c, dvd)
	if len(r.Placed) != 0 || len(r.Rejected) != 2 {
		t.Fatalf("a series with a DVD at a facility: %+v", r)
	}
	for _, rej := range r.Rejected {
		want := "invalid_series"
		if rej.TitleID == dvd {
			want = "pickup_not_allowed"
		}
		if rej.Reason != want {
			t.Errorf("title %s refused with %s, want %s", rej.TitleID, rej.Reason, want)
		}
	}
}

func seriesOf(t *testing.T, s *stack, holdID string) string {
	t.Helper()
	var id string
	if err := s.db.Get(&id, `SELECT series_hold_id::text FROM holds WHERE id = $1`, holdID); err != nil {
		t.Fatal(err)
	}
	return id
}

// A later volume that had a copy set aside gives it up when it joins a series: it is 準備中 and its copy goes
// back to the shelf (or the next hold).
func TestConvertingReleasesALaterVolumesSetAsideCopy(t *testing.T) {
	s := newStack(t, nil)
	v1, _ := s.title("book", copySpec{branch: "chuo"})
	v2, v2copies := s.title("book", copySpec{branch: "chuo"})
	p := s.newPatron("none")
	h1 := s.placeOne(p, "chuo", v1)
	h2 := s.placeOne(p, "chuo", v2)
	s.waitStatus(p, h1, "awaiting_pull")
	s.waitStatus(p, h2, "awaiting_pull")
	var ans seriesAnswer
	s.mustDo("POST", "/api/v1/series", p.token, map[string]any{"hold_ids": []string{h1, h2}}, 200, &ans)
	s.waitStatus(p, h2, "preparing")
	if h := s.getHold(p, h1); h.Status != "awaiting_pull" {
		t.Fatalf("volume 1 after conversion: %+v", h)
	}
	for _, bc := range s.pullList("chuo") {
		if bc == v2copies[0] {
			t.Fatalf("volume 2's copy is still set aside: %v", s.pullList("chuo"))
		}
	}
}
