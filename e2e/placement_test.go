package e2e_test

import (
	"slices"
	"testing"
)

// Issue 4, test 3: placement answers per title, with every rejection code of the HTTP contract (api/README.md); refused titles stay in
// the basket and placed ones leave it.
func TestPlacementResultsAndTheBasket(t *testing.T) {
	s := newStack(t, map[string]string{"YOYAKU_HOLD_LIMIT_TOTAL": "3", "YOYAKU_HOLD_LIMIT_AV": "1"})
	p := s.newPatron("none")
	book, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	held, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	dvd, _ := s.title("dvd", copySpec{branch: "chuo", onLoan: true})
	dvd2, _ := s.title("cd", copySpec{branch: "chuo", onLoan: true})
	var reference, etext string
	if err := s.db.Get(&reference, `SELECT id::text FROM titles WHERE reference_only ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Get(&etext, `SELECT id::text FROM titles WHERE format = 'etext' ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	s.placeOne(p, "chuo", held)
	s.placeOne(p, "chuo", dvd2) // the AV limit of 1 is used up

	// The basket refuses what cannot be held at all; the rest goes in.
	s.wantError("POST", "/api/v1/basket", p.token, map[string]any{"title_ids": []string{reference}}, 422, "not_holdable")
	s.mustDo("POST", "/api/v1/basket", p.token, map[string]any{"title_ids": []string{book, held, dvd}}, 200, nil)

	r := s.place(p, "hikari", book, held, dvd, reference, etext, "999999999999")
	reasons := map[string]string{}
	for _, rej := range r.Rejected {
		reasons[rej.TitleID] = rej.Reason
		if rej.Message == "" {
			t.Errorf("rejection of %s has no message", rej.TitleID)
		}
	}
	want := map[string]string{
		held:           "already_held",
		dvd:            "pickup_not_allowed",
		reference:      "not_holdable",
		etext:          "not_holdable",
		"999999999999": "not_found",
	}
	for id, code := range want {
		if reasons[id] != code {
			t.Errorf("title %s: reason %q, want %q (all: %v)", id, reasons[id], code, reasons)
		}
	}
	if len(r.Placed) != 1 || r.Placed[0].TitleID != book {
		t.Fatalf("placed %+v, want only %s", r.Placed, book)
	}
	// The DVD, now to a library: over the AV limit.
	if r := s.place(p, "chuo", dvd); len(r.Rejected) != 1 || r.Rejected[0].Reason != "hold_limit_exceeded" {
		t.Fatalf("DVD over the AV limit: %+v", r)
	}
	// A series of one title is refused.
	if r := s.placeSeries(p, "chuo", dvd); len(r.Rejected) != 1 || r.Rejected[0].Reason != "invalid_series" {
		t.Fatalf("series of one: %+v", r)
	}

	var basket struct {
		Titles []struct {
			TitleID string `json:"title_id"`
		} `json:"titles"`
	}
	s.mustDo("GET", "/api/v1/basket", p.token, nil, 200, &basket)
	var in []string
	for _, b := range basket.Titles {
		in = append(in, b.TitleID)
	}
	slices.Sort(in)
	wantIn := []string{held, dvd}
	slices.Sort(wantIn)
	if !slices.Equal(in, wantIn) {
		t.Fatalf("basket holds %v, want the refused %v (the placed %s left)", in, wantIn, book)
	}
}
