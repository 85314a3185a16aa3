package library_test

import (
	"strings"
	"testing"
	"time"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/library"
	"yoyaku/store"
)

// setISBN gives a test title an ISBN as stored (digits, the form given).
func (e *env) setISBN(titleID, isbn string) {
	e.t.Helper()
	if _, err := e.db.ExecContext(e.t.Context(), `UPDATE titles SET isbn = $2 WHERE id = $1`, titleID, isbn); err != nil {
		e.t.Fatal(err)
	}
}

// titleName is a title's name.
func (e *env) titleName(titleID string) string {
	e.t.Helper()
	var name string
	if err := e.db.GetContext(e.t.Context(), &name, `SELECT title FROM titles WHERE id = $1`, titleID); err != nil {
		e.t.Fatal(err)
	}
	return name
}

// hyphenated is an ISBN as printed, with hyphens after its first groups (which ones does not matter to the
// check: it ignores them).
func hyphenated(isbn string) string { return isbn[:3] + "-" + isbn[3:5] + "-" + isbn[5:] }

// TestCounterRequestOwnedTitle: a counter request for a title the library owns and can lend — by its
// ISBN-10 or ISBN-13 (the other form than the one catalogued, typed with hyphens) or its exact title — is
// refused with owned_title naming that title, and nothing is created; a title with only 禁帯出 or only
// missing or withdrawn copies, or an e-text, is not "owned": the request is taken (調査中).
func TestCounterRequestOwnedTitle(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	const card = "1000005"

	by13, _ := e.title(domain.FormatBook, copyAt{branch: "chuo", status: "on_loan"}) // lent out still counts: it can be held
	e.setISBN(by13, "9784003101018")
	by10, _ := e.title(domain.FormatBook, copyAt{branch: "kita"}, copyAt{branch: "chuo", status: "missing"})
	e.setISBN(by10, "4101010013")
	byName, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})

	reference, _ := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	e.setISBN(reference, "9784000000019")
	if _, err := e.db.ExecContext(ctx, `UPDATE titles SET reference_only = true WHERE id = $1`, reference); err != nil {
		t.Fatal(err)
	}
	missing, _ := e.title(domain.FormatBook, copyAt{branch: "chuo", status: "missing"}, copyAt{branch: "kita", status: "withdrawn"})
	e.setISBN(missing, "9784000000026")
	noCopies, _ := e.title(domain.FormatBook)
	etext, _ := e.title(domain.FormatEText)

	isbn10of13 := domain.ISBNForms("9784003101018")[1]
	isbn13of10 := domain.ISBNForms("4101010013")[1]
	if len(isbn10of13) != 10 || len(isbn13of10) != 13 {
		t.Fatalf("ISBN forms %q %q", isbn10of13, isbn13of10)
	}

	owned := []struct {
		name string
		req  library.TitleRequest
		want string
	}{
		{"ISBN-13 as catalogued", library.TitleRequest{Title: "別の書名", ISBN: "9784003101018"}, by13},
		{"ISBN-10 of a title catalogued with its ISBN-13", library.TitleRequest{Title: "別の書名", ISBN: hyphenated(isbn10of13)}, by13},
		{"ISBN-13 of a title catalogued with its ISBN-10", library.TitleRequest{Title: "別の書名", Author: "著者", ISBN: hyphenated(isbn13of10)}, by10},
		{"ISBN-10 as catalogued, with spaces", library.TitleRequest{Title: "別の書名", ISBN: "4 10 101001 3"}, by10},
		{"the exact title", library.TitleRequest{Title: " " + e.titleName(byName) + " "}, byName},
	}
	for _, tc := range owned {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			req := tc.req
			h, err := e.svc.PlaceCounterHold(ctx, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: &req}, e.staff)
			refused(t, err, library.CodeOwnedTitle)
			if got := library.RefusedTitle(err); idString(got) != tc.want {
				t.Errorf("the refusal names title %d, want %s", got, tc.want)
			}
			if h.ID != 0 {
				t.Errorf("a refusal answered %+v", h)
			}
			e.unchanged(t, before)
		})
	}

	notOwned := []struct {
		name string
		req  library.TitleRequest
	}{
		{"禁帯出 only", library.TitleRequest{Title: "参考図書", ISBN: "9784000000019"}},
		{"禁帯出, by its exact title", library.TitleRequest{Title: e.titleName(reference)}},
		{"only missing and withdrawn copies", library.TitleRequest{Title: "なくなった本", ISBN: "978-4-00-000002-6"}},
		{"no copies at all", library.TitleRequest{Title: e.titleName(noCopies)}},
		{"an e-text", library.TitleRequest{Title: e.titleName(etext)}},
		{"the start of an owned title", library.TitleRequest{Title: "試験資料"}},
		{"an ISBN nobody has", library.TitleRequest{Title: "未所蔵の本", ISBN: "9784999999999"}},
	}
	for _, tc := range notOwned {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			h, err := e.svc.PlaceCounterHold(ctx, library.CounterHold{CardNumber: card, Pickup: "chuo", Request: &req}, e.staff)
			if err != nil {
				t.Fatalf("request %+v: %v", req, err)
			}
			h = e.waitHold(h.ID, func(h store.HoldView) bool { return h.Status != domain.StatusRequested })
			wantStatus(t, h, domain.StatusInvestigating)
			if h.TitleID.Valid {
				t.Errorf("the request was linked to title %d", h.TitleID.Int64)
			}
		})
	}
}

// TestArrivedAlreadyHeld: linking a counter request to a title its patron already holds (they placed it
// online meanwhile) is refused at once with already_held — not retried for seconds and answered as a
// failure — and changes nothing: no copy registered, the request still 調査中 for no title. The same copy
// for another title serves the request.
func TestArrivedAlreadyHeld(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	const card = "1000005"
	patron := e.patron(card)

	request := e.counter(library.CounterHold{CardNumber: card, Pickup: "chuo", Request: &library.TitleRequest{Title: "まだない本", Author: "著者"}})
	wantStatus(t, request, domain.StatusInvestigating)
	// the title was catalogued meanwhile (its only copy lent out) and the patron holds it online
	bought, _ := e.title(domain.FormatBook, copyAt{branch: "kita", status: "on_loan"})
	online := e.place(patron, "chuo", bought)
	if online.Status != domain.StatusQueued {
		t.Fatalf("the online hold is %s, want queued", online.Status)
	}

	before := e.snapshot()
	start := time.Now()
	routing, err := e.svc.RegisterCopy(ctx, library.NewCopy{TitleID: bought, Barcode: "ARR-0001", Branch: "chuo", HoldID: idString(request.ID)}, e.staff, "")
	refused(t, err, contract.ErrAlreadyHeld)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the refusal took %s: it was retried", took)
	}
	if routing != (contract.Routing{}) {
		t.Errorf("a refusal answered %+v", routing)
	}
	e.unchanged(t, before)
	h, err := store.GetHold(ctx, e.db, request.ID, 0)
	if err != nil || h.Status != domain.StatusInvestigating || h.TitleID.Valid || h.ItemBarcode.Valid {
		t.Fatalf("the request after the refusal = %+v %v", h, err)
	}

	// The workflow is not stuck: the copy of another title serves the request.
	other, _ := e.title(domain.FormatBook)
	routing, err = e.svc.RegisterCopy(ctx, library.NewCopy{TitleID: other, Barcode: "ARR-0001", Branch: "chuo", HoldID: idString(request.ID)}, e.staff, "")
	if err != nil || routing.Action != contract.RouteHoldShelf || routing.HoldID != request.ID {
		t.Fatalf("the copy of another title = %+v %v", routing, err)
	}
	h = e.waitHold(request.ID, func(h store.HoldView) bool { return h.Status == domain.StatusReady })
	if idString(h.TitleID.Int64) != other || h.ItemBarcode.String != "ARR-0001" {
		t.Fatalf("the request got %+v", h)
	}
}

// TestFindTitles: the counter form's finder finds a title by its ISBN in either form (with hyphens), by the
// barcode of one of its copies, or by keywords; nothing for an empty query, an unknown ISBN or barcode-like
// text no copy has; a search the catalogue refuses is invalid_query.
func TestFindTitles(t *testing.T) {
	e := newEnv(t, false)
	ctx := t.Context()
	id, copies := e.title(domain.FormatBook, copyAt{branch: "chuo"})
	e.setISBN(id, "9784003101018")
	isbn10 := domain.ISBNForms("9784003101018")[1]
	for name, q := range map[string]string{
		"ISBN-13":         "9784003101018",
		"ISBN-10, hyphen": isbn10[:1] + "-" + isbn10[1:3] + "-" + isbn10[3:9] + "-" + isbn10[9:],
		"barcode":         " " + copies[0] + " ",
		"keywords":        e.titleName(id),
	} {
		t.Run(name, func(t *testing.T) {
			found, err := e.svc.FindTitles(ctx, q)
			if err != nil || len(found) == 0 || idString(found[0].ID) != id {
				t.Fatalf("FindTitles(%q) = %+v %v, want title %s first", q, found, err, id)
			}
		})
	}
	for _, q := range []string{"", "  ", "9784999999999", "NOSUCH-0001"} {
		if found, err := e.svc.FindTitles(ctx, q); err != nil || len(found) != 0 {
			t.Errorf("FindTitles(%q) = %+v %v, want nothing", q, found, err)
		}
	}
	_, err := e.svc.FindTitles(ctx, strings.Repeat("あ", 201))
	refused(t, err, library.CodeInvalidQuery)
}
