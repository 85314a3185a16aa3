package api

import (
	"net/http"
	"testing"

	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
)

// TestCounterRequestForAnOwnedTitle: POST /api/v1/staff/holds with a request for a title the library owns
// and can lend — by its ISBN in the other form, with hyphens, or by its exact title — answers 409
// owned_title with that title's ID in the error object, and creates nothing; the same request for a
// 禁帯出 title is not refused for that reason.
func TestCounterRequestForAnOwnedTitle(t *testing.T) {
	e := newWebEnv(t, nil, nil)
	a := e.api()
	staff := a.staffLogin(t)
	ctx := t.Context()

	var owned struct {
		ID    int64  `db:"id"`
		Title string `db:"title"`
		ISBN  string `db:"isbn"`
	}
	if err := e.db.GetContext(ctx, &owned, `SELECT t.id, t.title, t.isbn FROM titles t
		WHERE t.isbn LIKE '978%' AND NOT t.reference_only AND t.format = 'book'
		  AND EXISTS (SELECT 1 FROM items i WHERE i.title_id = t.id AND i.status = 'on_shelf')
		  AND (SELECT count(*) FROM titles o WHERE o.title = t.title) = 1
		ORDER BY t.id LIMIT 1`); err != nil {
		t.Fatalf("a demo title with an ISBN and a copy: %v", err)
	}
	isbn10 := domain.ISBNForms(owned.ISBN)[1]
	holds := func() int {
		var n int
		if err := e.db.GetContext(ctx, &n, `SELECT count(*) FROM holds`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := holds()

	for name, req := range map[string]map[string]string{
		"ISBN-10 with hyphens": {"title": "別の書名", "isbn": isbn10[:1] + "-" + isbn10[1:5] + "-" + isbn10[5:9] + "-" + isbn10[9:]},
		"ISBN-13":              {"title": "別の書名", "isbn": owned.ISBN},
		"exact title":          {"title": owned.Title, "author": "誰か"},
	} {
		t.Run(name, func(t *testing.T) {
			ans := a.call(t, "POST", "/api/v1/staff/holds", staff, map[string]any{"card_number": "1000005", "pickup_branch": "chuo", "request": req})
			var body httpkit.ErrorBody
			ans.decode(&body)
			if ans.Code != http.StatusConflict || body.Error.Code != library.CodeOwnedTitle || body.Error.TitleID != httpkit.IDString(owned.ID) || body.Error.Message == "" {
				t.Fatalf("= %d %s, want 409 owned_title with title_id %d", ans.Code, ans.Body, owned.ID)
			}
			if n := holds(); n != before {
				t.Fatalf("holds: %d before, %d after", before, n)
			}
		})
	}

	// Other refusals have no title_id.
	ans := a.call(t, "POST", "/api/v1/staff/holds", staff, map[string]any{"card_number": "1000005", "pickup_branch": "chuo", "title_id": "abc"})
	var body map[string]map[string]any
	ans.decode(&body)
	if _, ok := body["error"]["title_id"]; ans.Code != http.StatusNotFound || ok {
		t.Fatalf("not found = %d %s, want 404 without title_id", ans.Code, ans.Body)
	}
	// A reference-only title is not owned in this sense: the request goes on to the other checks (here an
	// unknown branch, so that no workflow is needed).
	var ref string
	if err := e.db.GetContext(ctx, &ref, `SELECT title FROM titles t WHERE reference_only
		AND (SELECT count(*) FROM titles o WHERE o.title = t.title) = 1 ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	ans = a.call(t, "POST", "/api/v1/staff/holds", staff, map[string]any{"card_number": "1000005", "pickup_branch": "atlantis",
		"request": map[string]string{"title": ref}})
	if ans.Code != http.StatusUnprocessableEntity || ans.code() != library.CodeUnknownBranch {
		t.Fatalf("a request for a 禁帯出 title = %d %s, want 422 unknown_branch", ans.Code, ans.Body)
	}
	if n := holds(); n != before {
		t.Fatalf("holds: %d before, %d after", before, n)
	}
}
