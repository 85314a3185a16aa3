package store_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/internal/seed"
	"yoyaku/internal/testenv"
	"yoyaku/store"
)

// benchTitles is the catalogue size of the README's benchmark target: search p95 under 50 ms on 200,000 titles.
const benchTitles = 200_000

// BenchmarkSearch measures catalogue searches on 200,000 titles (the demo catalogue grown with seed.Bulk,
// about half a minute to build), one sub-benchmark per kind of Japanese query, and reports the latency
// percentiles of a search (count, ranking and the page's summaries) as p50-ms and p95-ms:
//
//	go test ./store/ -run '^$' -bench BenchmarkSearch -benchtime 200x
//
// YOYAKU_BENCH_DATABASE_URL names a database already migrated and grown to 200,000 titles instead (e.g.
// `yoyaku seed --titles 200000`), to skip building one.
func BenchmarkSearch(b *testing.B) {
	db := benchDB(b)
	kinds := []struct {
		name    string
		queries []string
	}{
		// From very common (の: two thirds of the catalogue) to rare; 田 and 社 are common in authors and
		// publishers but rare in titles.
		{"1char", []string{"の", "海", "田", "書", "ん", "猫", "社", "鷗"}},
		{"2char", []string{"上巻", "図書", "ぶん", "田中", "文庫", "きおく", "港北", "夏目"}},
		{"5char", []string{"としょかん", "ものがたり", "しょうねん", "かていりょ", "ぎんがてつ", "青葉書房", "ひかりのま", "ドーヴィル"}},
		{"2terms", []string{"の 海", "たやま かたい", "みやざわ けんじ", "図書館 文庫版", "猫 ん"}},
	}
	// A server that has been up a while: its caches hold the indexes and the catalogue.
	for _, k := range kinds {
		for _, q := range k.queries {
			if _, err := store.SearchTitles(b.Context(), db, store.SearchQuery{Q: q, Page: 1, PerPage: 20}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			ctx := b.Context()
			var took []time.Duration
			i := 0
			for b.Loop() {
				q := store.SearchQuery{Q: k.queries[i%len(k.queries)], Page: 1, PerPage: 20}
				i++
				start := time.Now()
				if _, err := store.SearchTitles(ctx, db, q); err != nil {
					b.Fatalf("search %q: %v", q.Q, err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(percentile(took, 50), "p50-ms")
			b.ReportMetric(percentile(took, 95), "p95-ms")
			b.ReportMetric(percentile(took, 100), "max-ms")
		})
	}
}

// percentile of sorted durations, in milliseconds (nearest rank).
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := max((len(sorted)*p+99)/100-1, 0)
	return float64(sorted[i]) / float64(time.Millisecond)
}

func benchDB(b *testing.B) *sqlx.DB {
	b.Helper()
	if url := os.Getenv("YOYAKU_BENCH_DATABASE_URL"); url != "" {
		db, err := store.Open(b.Context(), url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		return db
	}
	db := testenv.DB(b)
	ctx := b.Context()
	if _, err := seed.Demo(ctx, db); err != nil {
		b.Fatal(err)
	}
	if _, err := seed.Bulk(ctx, db, benchTitles); err != nil {
		b.Fatal(err)
	}
	// What autovacuum and the checkpointer do soon after a bulk load: merge the GIN index's pending list
	// (every search would read it otherwise), set the visibility map, take statistics, write the pages out.
	for _, stmt := range []string{`VACUUM ANALYZE titles, items`, `CHECKPOINT`} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			b.Fatal(err)
		}
	}
	return db
}
