package store_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"

	"yoyaku/domain"
	"yoyaku/store"
)

// TestSearchCountsAreRememberedUntilTheCatalogueChanges: a search's count is remembered for the catalogue's
// version, pages of a remembered search (taken from the tiers) are exactly those of a full ranking, and a
// new title changes the version, so the next search counts it.
func TestSearchCountsAreRememberedUntilTheCatalogueChanges(t *testing.T) {
	db := grownDB(t, 36_000)
	ctx := t.Context()
	search := func(q store.SearchQuery, page, perPage int) store.SearchResult {
		t.Helper()
		q.Page, q.PerPage = page, perPage
		res, err := store.SearchTitles(ctx, db, q)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A word with between 1,000 and 10,000 matches, and one with more.
	var mid, capped store.SearchQuery
	for _, w := range []string{"京都", "東京", "四季", "鉄道", "歴史", "自然", "民話", "入門", "記憶", "約束", "図書", "海", "星", "の", "ん"} {
		q := store.SearchQuery{Q: w}
		res := search(q, 1, 20)
		switch {
		case res.Total >= 1000 && res.Total < store.SearchCap && mid.Q == "":
			mid = q
		case res.Capped && capped.Q == "":
			capped = q
		}
	}
	if mid.Q == "" || capped.Q == "" {
		t.Fatalf("no word with 1,000 to 10,000 matches (%q) or with more (%q): grow the catalogue", mid.Q, capped.Q)
	}

	for _, q := range []store.SearchQuery{mid, capped} {
		t.Run(q.Q, func(t *testing.T) {
			first := search(q, 1, 20)
			wantCount := first.Total
			if first.Capped {
				wantCount = store.SearchCap + 1
			}
			if remembered := rememberedCounts(t, db); !slices.Contains(remembered, wantCount) {
				t.Fatalf("remembered counts %v, want %d among them", remembered, wantCount)
			}
			// Shallow pages come from the tiers, deep ones from a full ranking: both as the reference.
			for _, pg := range []struct{ page, perPage int }{{1, 20}, {2, 20}, {1, 100}, {2, 100}, {3, 100}, {first.Total/20 + 1, 20}, {first.Total/20 + 2, 20}} {
				res := search(q, pg.page, pg.perPage)
				if res.Total != first.Total || res.Capped != first.Capped {
					t.Fatalf("page %d of %d: total %d capped %v, first search said %d %v", pg.page, pg.perPage, res.Total,
						res.Capped, first.Total, first.Capped)
				}
				offset := (pg.page - 1) * pg.perPage
				want, err := store.FullRanking(ctx, db, q, offset, max(0, min(pg.perPage, store.SearchCap-offset)))
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(res); !slices.Equal(got, want) {
					t.Fatalf("page %d of %d: got %v\nwant %v", pg.page, pg.perPage, got, want)
				}
			}

			// A new title named after the word: the catalogue changes, the count follows, and the title
			// ranks first (its title equals the query).
			var id int64
			title := q.Q
			if err := db.GetContext(ctx, &id, `INSERT INTO titles (title, format, search_text) VALUES ($1, 'book', $2) RETURNING id`,
				title, domain.SearchText(title, "", "", "", "", "")); err != nil {
				t.Fatal(err)
			}
			res := search(q, 1, 20)
			wantTotal := min(first.Total+1, store.SearchCap)
			if res.Total != wantTotal || len(res.Titles) == 0 || res.Titles[0].ID != id {
				t.Fatalf("after adding title %d: total %d (want %d), first %v", id, res.Total, wantTotal, ids(res))
			}
			want, err := store.FullRanking(ctx, db, q, 0, 20)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res); !slices.Equal(got, want) {
				t.Fatalf("after adding a title: got %v\nwant %v", got, want)
			}
			var stale int
			if err := db.GetContext(ctx, &stale, `
				SELECT count(*) FROM search_counts WHERE version < (SELECT version FROM catalogue_version)`); err != nil {
				t.Fatal(err)
			}
			if stale != 0 {
				t.Fatalf("%d counts of older catalogue versions are kept", stale)
			}
		})
	}
}

func ids(res store.SearchResult) []int64 {
	out := make([]int64, len(res.Titles))
	for i, x := range res.Titles {
		out[i] = x.ID
	}
	return out
}

// rememberedCounts are the counts remembered at the catalogue's current version.
func rememberedCounts(t *testing.T, db *sqlx.DB) []int {
	t.Helper()
	var out []int
	if err := db.SelectContext(t.Context(), &out, `
		SELECT matches FROM search_counts WHERE version = (SELECT version FROM catalogue_version)`); err != nil {
		t.Fatal(fmt.Errorf("remembered counts: %w", err))
	}
	return out
}

// TestCappedProofs: both ways of proving more than SearchCap matches — walking the first titles, and
// counting from the grams index — never claim it wrongly, whatever the statistics say; the count from the
// index always finds it, the walk when the matches are dense enough in the titles it walks.
func TestCappedProofs(t *testing.T) {
	db := grownDB(t, 36_000)
	ctx := t.Context()
	walked := 0 // proofs by walking
	for _, q := range []store.SearchQuery{{Q: "の"}, {Q: "ん"}, {Q: "書"}, {Q: "星"}, {Q: "の ん"}, {Title: "の"}, {Q: "の", Format: domain.FormatBook}} {
		all, err := store.FullRanking(ctx, db, q, 0, store.SearchCap+1)
		if err != nil {
			t.Fatal(err)
		}
		want := len(all) > store.SearchCap
		// 0.9: walked (wrongly so for the rare ones: the walk's bound ends it); 0.05: from the index.
		for _, share := range []float64{0.9, 0.05} {
			got, err := store.ProvedCapped(ctx, db, q, share)
			if err != nil {
				t.Fatal(err)
			}
			if got && !want || !got && want && share < 0.3 {
				t.Errorf("%+v, share %.2f: proved %v, %d matches", q, share, got, len(all))
			}
			if got && share >= 0.3 {
				walked++
			}
		}
	}
	if walked == 0 {
		t.Error("no search was proved capped by walking the first titles")
	}
}
