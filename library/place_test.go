package library_test

import (
	"slices"
	"testing"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/library"
	"yoyaku/store"
)

// TestPlaceRefusals: a placement refused as a whole (invalid_request, unknown_branch) and one whose titles
// are all rejected, each with its code, place nothing and change nothing; a placement that succeeds holds
// the title (予約申込 or already approved), takes it out of the basket and places a title given twice once.
func TestPlaceRefusals(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	patron := e.patron("1000001")
	reference := e.seedTitle(`reference_only AND format = 'book'`)
	etext := e.seedTitle(`format = 'etext'`)
	book, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	other, _ := e.title(domain.FormatBook, copyAt{branch: "kita"})
	dvd, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	cd, _ := e.title(domain.FormatCD, copyAt{branch: "chuo"})
	held, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	heldDVD, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	e.place(patron, "chuo", held)
	e.place(patron, "chuo", heldDVD)
	if err := e.svc.AddToBasket(ctx, patron, []string{book, other}); err != nil {
		t.Fatal(err)
	}
	eleven := make([]string, library.MaxPlace+1)
	for i := range eleven {
		eleven[i] = book
	}

	whole := []struct {
		name string
		p    library.Placement
		code domain.Code
	}{
		{"no titles", library.Placement{Pickup: "chuo"}, library.CodeInvalidRequest},
		{"empty title list", library.Placement{TitleIDs: []string{}, Pickup: "chuo"}, library.CodeInvalidRequest},
		{"11 titles", library.Placement{TitleIDs: eleven, Pickup: "chuo"}, library.CodeInvalidRequest},
		{"unknown mode", library.Placement{TitleIDs: []string{book}, Pickup: "chuo", Mode: "bulk"}, library.CodeInvalidRequest},
		{"unknown mode, however spelt", library.Placement{TitleIDs: []string{book}, Pickup: "chuo", Mode: "Series"}, library.CodeInvalidRequest},
		{"unknown branch", library.Placement{TitleIDs: []string{book}, Pickup: "atlantis"}, library.CodeUnknownBranch},
		{"no branch", library.Placement{TitleIDs: []string{book}, Pickup: "  "}, library.CodeUnknownBranch},
		{"branch in upper case", library.Placement{TitleIDs: []string{book}, Pickup: "CHUO"}, library.CodeUnknownBranch},
		{"branch with a NUL", library.Placement{TitleIDs: []string{book}, Pickup: "chuo\x00"}, library.CodeUnknownBranch},
		{"unknown branch, series", library.Placement{TitleIDs: []string{book, other}, Pickup: "atlantis", Mode: "series"}, library.CodeUnknownBranch},
	}
	for _, tc := range whole {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			tc.p.PatronID = patron
			placed, rejected, err := e.svc.Place(ctx, tc.p)
			refused(t, err, tc.code)
			if len(placed)+len(rejected) != 0 {
				t.Errorf("a refused request answered placed %+v rejected %+v", placed, rejected)
			}
			e.unchanged(t, before)
		})
	}

	titles := []struct {
		name   string
		svc    *library.Service // nil: the default limits
		pickup string
		ids    []string
		want   []rejection
	}{
		{"not an ID", nil, "chuo", []string{"abc"}, []rejection{{"abc", contract.ErrNotFound}}},
		{"zero", nil, "chuo", []string{"0"}, []rejection{{"0", contract.ErrNotFound}}},
		{"negative", nil, "chuo", []string{"-3"}, []rejection{{"-3", contract.ErrNotFound}}},
		{"no such title", nil, "chuo", []string{"999999999999"}, []rejection{{"999999999999", contract.ErrNotFound}}},
		{"reference only", nil, "chuo", []string{reference}, []rejection{{reference, library.CodeNotHoldable}}},
		{"e-text", nil, "chuo", []string{etext}, []rejection{{etext, library.CodeNotHoldable}}},
		{"DVD at a facility", nil, "hikari", []string{dvd}, []rejection{{dvd, contract.ErrPickupNotAllowed}}},
		{"CD at a facility", nil, "sakura", []string{cd}, []rejection{{cd, contract.ErrPickupNotAllowed}}},
		{"already held", nil, "kita", []string{held}, []rejection{{held, library.CodeAlreadyHeld}}},
		{"total limit reached", e.withLimits(2, 5), "chuo", []string{book}, []rejection{{book, library.CodeHoldLimitExceeded}}},
		{"AV limit reached", e.withLimits(10, 1), "chuo", []string{dvd}, []rejection{{dvd, library.CodeHoldLimitExceeded}}},
		{"several, each with its code", nil, "hikari", []string{"abc", reference, dvd, held, "abc"},
			[]rejection{{"abc", contract.ErrNotFound}, {reference, library.CodeNotHoldable}, {dvd, contract.ErrPickupNotAllowed},
				{held, library.CodeAlreadyHeld}}},
	}
	for _, tc := range titles {
		t.Run(tc.name, func(t *testing.T) {
			e.wantRejected(t, tc.svc, library.Placement{PatronID: patron, TitleIDs: tc.ids, Pickup: tc.pickup, Mode: ""}, tc.want)
		})
	}

	// The AV limit does not stop a book.
	t.Run("AV limit reached, a book", func(t *testing.T) {
		placed, rejected, err := e.withLimits(10, 1).Place(ctx, library.Placement{PatronID: patron, TitleIDs: []string{book, book, reference}, Pickup: " chuo "})
		if err != nil || len(placed) != 1 || len(rejected) != 1 || rejected[0] != (library.Rejected{TitleID: reference, Code: library.CodeNotHoldable}) {
			t.Fatalf("placed %+v rejected %+v err %v, want the book placed once and the reference title rejected", placed, rejected, err)
		}
		h := placed[0].Hold
		if placed[0].TitleID != book || h.PatronID != patron || idString(h.TitleID.Int64) != book || h.Pickup != "chuo" || h.Origin != "web" {
			t.Fatalf("placed %+v", placed[0])
		}
		if h.Status != domain.StatusRequested && h.Status != domain.StatusAwaitingPull {
			t.Fatalf("the placed hold is %s, want requested or awaiting_pull", h.Status)
		}
		e.waitHold(h.ID, func(h store.HoldView) bool { return h.Status == domain.StatusAwaitingPull })
		var basket []int64
		if err := e.db.SelectContext(ctx, &basket, `SELECT title_id FROM basket_items WHERE patron_id = $1`, patron); err != nil {
			t.Fatal(err)
		}
		if len(basket) != 1 || idString(basket[0]) != other {
			t.Fatalf("basket %v, want only %s left", basket, other)
		}
	})
}

// TestPlaceSeriesRefusals: a series placement is all or nothing: a title that cannot be held is rejected
// with its code and every other with invalid_series; nothing is placed or changed. One that succeeds places
// every volume in the order given.
func TestPlaceSeriesRefusals(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	patron := e.patron("1000001")
	reference := e.seedTitle(`reference_only AND format = 'book'`)
	etext := e.seedTitle(`format = 'etext'`)
	a, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	b, _ := e.title(domain.FormatBook, copyAt{branch: "kita", status: "on_loan"})
	c, _ := e.title(domain.FormatBook)
	dvd, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	dvd2, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	held, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	e.place(patron, "chuo", held)

	all := func(code domain.Code, ids ...string) []rejection {
		var r []rejection
		for _, id := range ids {
			r = append(r, rejection{id, code})
		}
		return r
	}
	tests := []struct {
		name   string
		svc    *library.Service
		pickup string
		ids    []string
		want   []rejection
	}{
		{"one title", nil, "chuo", []string{a}, all(library.CodeInvalidSeries, a)},
		{"a title twice", nil, "chuo", []string{a, b, a}, all(library.CodeInvalidSeries, a, b, a)},
		{"not an ID", nil, "chuo", []string{a, "abc", b}, []rejection{{"abc", contract.ErrNotFound}, {a, library.CodeInvalidSeries}, {b, library.CodeInvalidSeries}}},
		{"no such title", nil, "chuo", []string{a, "999999999999"}, []rejection{{"999999999999", contract.ErrNotFound}, {a, library.CodeInvalidSeries}}},
		{"reference only", nil, "chuo", []string{a, reference}, []rejection{{reference, library.CodeNotHoldable}, {a, library.CodeInvalidSeries}}},
		{"e-text", nil, "chuo", []string{etext, a}, []rejection{{etext, library.CodeNotHoldable}, {a, library.CodeInvalidSeries}}},
		{"already held", nil, "chuo", []string{a, held}, []rejection{{held, library.CodeAlreadyHeld}, {a, library.CodeInvalidSeries}}},
		{"DVD at a facility", nil, "midori", []string{a, dvd}, []rejection{{dvd, contract.ErrPickupNotAllowed}, {a, library.CodeInvalidSeries}}},
		{"total limit", e.withLimits(2, 5), "chuo", []string{a, b}, all(library.CodeHoldLimitExceeded, a, b)},
		{"AV limit", e.withLimits(10, 1), "chuo", []string{dvd, dvd2}, all(library.CodeHoldLimitExceeded, dvd, dvd2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.wantRejected(t, tc.svc, library.Placement{PatronID: patron, TitleIDs: tc.ids, Pickup: tc.pickup, Mode: "series"}, tc.want)
		})
	}

	t.Run("placed", func(t *testing.T) {
		placed, rejected, err := e.svc.Place(ctx, library.Placement{PatronID: patron, TitleIDs: []string{c, b, a}, Pickup: "chuo", Mode: "series"})
		if err != nil || len(rejected) != 0 || len(placed) != 3 {
			t.Fatalf("placed %+v rejected %+v err %v", placed, rejected, err)
		}
		for i, want := range []string{c, b, a} {
			h := placed[i].Hold
			if placed[i].TitleID != want || idString(h.TitleID.Int64) != want || !h.SeriesID.Valid || h.SeriesID != placed[0].Hold.SeriesID ||
				h.SeriesSeq.Int64 != int64(i+1) {
				t.Fatalf("volume %d: %+v, want title %s as volume %d of one series", i, placed[i], want, i+1)
			}
		}
	})
}

// TestJoinSeriesRefusals: holds that cannot form a series hold are refused with their code and nothing
// changes; two of the patron's own online holds join one.
func TestJoinSeriesRefusals(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	patron, other := e.patron("1000002"), e.patron("1000003")
	t1, _ := e.title(domain.FormatBook, copyAt{branch: "kita", status: "on_loan"})
	t2, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	t3, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	t4, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	t5, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	t6, readyCopies := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	t7, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	s1, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	s2, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})

	h1 := e.place(patron, "chuo", t1)
	wantStatus(t, h1, domain.StatusQueued)
	h2 := e.place(patron, "kita", t2)
	wantStatus(t, h2, domain.StatusAwaitingPull)
	othersHold := e.place(other, "chuo", t3)
	counter := e.counter(library.CounterHold{CardNumber: "1000002", TitleID: t4, Pickup: "chuo"})
	cancelled := e.place(patron, "chuo", t5)
	if _, _, err := e.svc.CancelOwn(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	e.waitHold(cancelled.ID, func(h store.HoldView) bool { return h.Status == domain.StatusCancelled })
	ready := e.place(patron, "chuo", t6)
	if _, err := e.svc.Pull(ctx, library.Scan{Barcode: readyCopies[0], Branch: "chuo"}, e.staff); err != nil {
		t.Fatal(err)
	}
	e.waitHold(ready.ID, func(h store.HoldView) bool { return h.Status == domain.StatusReady && h.PickupDeadline.Valid })
	placed, _, err := e.svc.Place(ctx, library.Placement{PatronID: patron, TitleIDs: []string{s1, s2}, Pickup: "chuo", Mode: "series"})
	if err != nil || len(placed) != 2 {
		t.Fatalf("series: %+v %v", placed, err)
	}
	inSeries := placed[0].Hold
	for _, p := range placed {
		e.waitHold(p.Hold.ID, func(h store.HoldView) bool { return h.Status != domain.StatusRequested })
	}
	h3 := e.place(patron, "chuo", t7)

	id := idString
	eleven := []string{}
	for range library.MaxPlace + 1 {
		eleven = append(eleven, id(h1.ID))
	}
	tests := []struct {
		name string
		ids  []string
		code domain.Code
	}{
		{"no holds", nil, library.CodeInvalidSeries},
		{"one hold", []string{id(h1.ID)}, library.CodeInvalidSeries},
		{"11 holds", eleven, library.CodeInvalidSeries},
		{"a hold twice", []string{id(h1.ID), id(h2.ID), id(h1.ID)}, library.CodeInvalidSeries},
		{"not an ID", []string{id(h1.ID), "abc"}, contract.ErrNotFound},
		{"zero", []string{id(h1.ID), "0"}, contract.ErrNotFound},
		{"no such hold", []string{id(h1.ID), "999999999999"}, contract.ErrNotFound},
		{"another patron's hold", []string{id(h1.ID), id(othersHold.ID)}, contract.ErrNotFound},
		{"a counter hold", []string{id(h1.ID), id(counter.ID)}, contract.ErrNotChangeable},
		{"a cancelled hold", []string{id(cancelled.ID), id(h1.ID)}, contract.ErrNotChangeable},
		{"a ready hold", []string{id(h1.ID), id(ready.ID)}, contract.ErrNotChangeable},
		{"a hold already in a series", []string{id(h1.ID), id(inSeries.ID)}, contract.ErrNotChangeable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			seriesID, holds, err := e.svc.JoinSeries(ctx, patron, tc.ids)
			refused(t, err, tc.code)
			if seriesID != 0 || len(holds) != 0 {
				t.Errorf("a refusal answered series %d with %+v", seriesID, holds)
			}
			e.unchanged(t, before)
		})
	}

	t.Run("joined", func(t *testing.T) {
		seriesID, holds, err := e.svc.JoinSeries(ctx, patron, []string{id(h2.ID), id(h1.ID), id(h3.ID)})
		if err != nil || seriesID == 0 || len(holds) != 3 {
			t.Fatalf("join = %d %+v %v", seriesID, holds, err)
		}
		for i, want := range []int64{h2.ID, h1.ID, h3.ID} {
			if holds[i].ID != want || holds[i].SeriesID.Int64 != seriesID || holds[i].SeriesSeq.Int64 != int64(i+1) {
				t.Fatalf("hold %d: %+v, want hold %d as volume %d of series %d", i, holds[i], want, i+1, seriesID)
			}
		}
	})
}

// TestAddToBasketRefusals: the basket takes titles all or nothing: a refusal adds none.
func TestAddToBasketRefusals(t *testing.T) {
	e := newEnv(t, false)
	ctx := t.Context()
	patron := e.patron("1000004")
	reference := e.seedTitle(`reference_only`)
	etext := e.seedTitle(`format = 'etext'`)
	var books []string
	for range 11 {
		id, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
		books = append(books, id)
	}
	dvd, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	if err := e.svc.AddToBasket(ctx, patron, books[:8]); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		ids  []string
		code domain.Code
	}{
		{"nothing", nil, library.CodeInvalidRequest},
		{"empty list", []string{}, library.CodeInvalidRequest},
		{"11 titles at once", books, library.CodeBasketFull},
		{"not an ID", []string{books[8], "abc"}, contract.ErrNotFound},
		{"blank ID", []string{""}, contract.ErrNotFound},
		{"no such title", []string{books[8], "999999999999"}, contract.ErrNotFound},
		{"reference only", []string{books[8], reference}, library.CodeNotHoldable},
		{"e-text", []string{etext}, library.CodeNotHoldable},
		{"past 10 with the titles already there", []string{books[8], books[9], books[10]}, library.CodeBasketFull},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			refused(t, e.svc.AddToBasket(ctx, patron, tc.ids), tc.code)
			e.unchanged(t, before)
		})
	}

	t.Run("added", func(t *testing.T) {
		// A title already there, or given twice, is added once: 8 + 2 fill the basket.
		if err := e.svc.AddToBasket(ctx, patron, []string{books[0], books[8], dvd, dvd}); err != nil {
			t.Fatal(err)
		}
		var basket []int64
		if err := e.db.SelectContext(ctx, &basket, `SELECT title_id FROM basket_items WHERE patron_id = $1 ORDER BY added_at`, patron); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, id := range basket {
			got = append(got, idString(id))
		}
		if want := append(slices.Clone(books[:9]), dvd); !slices.Equal(got, want) {
			t.Fatalf("basket %v, want %v", got, want)
		}
		before := e.snapshot()
		refused(t, e.svc.AddToBasket(ctx, patron, []string{books[10]}), library.CodeBasketFull)
		e.unchanged(t, before)
	})
}

// TestHoldLookups: OwnHold finds only the patron's own hold, AnyHold any; PickupAllowed refuses an unknown
// branch and a place that cannot take the hold's format.
func TestHoldLookups(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	patron, other := e.patron("1000001"), e.patron("1000002")
	book, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	dvd, _ := e.title(domain.FormatDVD, copyAt{branch: "chuo"})
	bookHold := e.place(patron, "chuo", book)
	dvdHold := e.place(patron, "chuo", dvd)
	wantStatus(t, bookHold, domain.StatusAwaitingPull)

	for _, raw := range []string{"", "abc", "0", "-1", "1.5", " " + idString(bookHold.ID), idString(bookHold.ID) + "x", "999999999999",
		"99999999999999999999"} {
		t.Run("own "+raw, func(t *testing.T) {
			_, err := e.svc.OwnHold(ctx, raw, patron)
			refused(t, err, contract.ErrNotFound)
			_, err = e.svc.AnyHold(ctx, raw)
			refused(t, err, contract.ErrNotFound)
		})
	}
	t.Run("another patron's", func(t *testing.T) {
		_, err := e.svc.OwnHold(ctx, idString(bookHold.ID), other)
		refused(t, err, contract.ErrNotFound)
		h, err := e.svc.AnyHold(ctx, idString(bookHold.ID))
		if err != nil || h.ID != bookHold.ID || h.PatronID != patron {
			t.Fatalf("staff read %+v %v", h, err)
		}
		h, err = e.svc.OwnHold(ctx, idString(bookHold.ID), patron)
		if err != nil || h.ID != bookHold.ID {
			t.Fatalf("own read %+v %v", h, err)
		}
	})

	tests := []struct {
		name   string
		hold   store.HoldView
		branch string
		code   domain.Code // "" allowed
	}{
		{"unknown branch", bookHold, "atlantis", library.CodeUnknownBranch},
		{"no branch", bookHold, "", library.CodeUnknownBranch},
		{"branch in upper case", bookHold, "KITA", library.CodeUnknownBranch},
		{"DVD at a facility", dvdHold, "hikari", contract.ErrPickupNotAllowed},
		{"DVD at another facility", dvdHold, " sakura ", contract.ErrPickupNotAllowed},
		{"DVD at a library", dvdHold, " kita ", ""},
		{"book at a facility", bookHold, "hikari", ""},
	}
	for _, tc := range tests {
		t.Run("pickup "+tc.name, func(t *testing.T) {
			err := e.svc.PickupAllowed(ctx, tc.hold, tc.branch)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			refused(t, err, tc.code)
		})
	}
}

// rejection is a title refused by a placement, and why.
type rejection struct {
	title string
	code  domain.Code
}

// wantRejected places p with svc (the env's service when nil) and checks that nothing was placed, that the
// titles were rejected as want, in order, and that nothing changed.
func (e *env) wantRejected(t *testing.T, svc *library.Service, p library.Placement, want []rejection) {
	t.Helper()
	if svc == nil {
		svc = e.svc
	}
	before := e.snapshot()
	placed, rejected, err := svc.Place(t.Context(), p)
	if err != nil {
		t.Fatalf("rejections answered error %v", err)
	}
	if len(placed) != 0 {
		t.Fatalf("placed %+v", placed)
	}
	var got []rejection
	for _, r := range rejected {
		got = append(got, rejection{r.TitleID, r.Code})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rejected %v, want %v", got, want)
	}
	e.unchanged(t, before)
}
