package seed

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"

	"github.com/jmoiron/sqlx"

	"yoyaku/domain"
)

// maxBulk bounds the bulk numbering: bulk barcodes are "19" + 8 digits and ISBNs 978-4 + 8 digits.
const maxBulk = 89_999_999

// Bulk grows the catalogue to at least total titles with synthetic books (source_key "bulk:<n>"), each with
// one copy on the shelf, and returns how many titles it added. Rows go in with COPY, titles and items in
// one transaction; title IDs are drawn from the sequence first so the items can name them. Calling it again
// with the same total adds nothing.
func Bulk(ctx context.Context, db *sqlx.DB, total int) (int, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("seed: bulk: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return 0, fmt.Errorf("seed: bulk: lock: %w", err)
	}
	var have, last int
	if err := tx.QueryRowContext(ctx, `
		SELECT count(*), coalesce(max(substr(source_key, 6)::int) FILTER (WHERE source_key LIKE 'bulk:%'), 0)
		FROM titles`).Scan(&have, &last); err != nil {
		return 0, fmt.Errorf("seed: bulk: count titles: %w", err)
	}
	need := total - have
	if need <= 0 {
		return 0, tx.Commit()
	}
	if last+need > maxBulk {
		return 0, fmt.Errorf("seed: bulk: at most %d bulk titles", maxBulk)
	}
	// The copies need branches; they are the demo's, inserted here too so Bulk works on an empty database.
	if err := insertBranches(ctx, tx); err != nil {
		return 0, err
	}
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `
		SELECT nextval(pg_get_serial_sequence('titles', 'id')) FROM generate_series(1, $1)`, need); err != nil {
		return 0, fmt.Errorf("seed: bulk: title ids: %w", err)
	}

	titles, err := tx.PrepareContext(ctx, `COPY titles (id, source_key, title, title_reading, author, author_reading,
		publisher, year, isbn, format, search_text) FROM STDIN`)
	if err != nil {
		return 0, fmt.Errorf("seed: bulk: copy titles: %w", err)
	}
	defer titles.Close()
	for i := range need {
		n := last + 1 + i
		t := bulkTitle(n)
		if _, err := titles.ExecContext(ctx, ids[i], t.key, t.title, t.reading, t.author, t.authorReading,
			t.publisher, t.year, t.isbn, string(t.format),
			domain.SearchText(t.title, t.reading, t.author, t.authorReading, t.publisher, "")); err != nil {
			return 0, fmt.Errorf("seed: bulk: copy titles: %w", err)
		}
	}
	if err := flush(ctx, titles); err != nil {
		return 0, fmt.Errorf("seed: bulk: copy titles: %w", err)
	}

	items, err := tx.PrepareContext(ctx, `COPY items (barcode, title_id, home_branch, location_branch) FROM STDIN`)
	if err != nil {
		return 0, fmt.Errorf("seed: bulk: copy items: %w", err)
	}
	defer items.Close()
	for i := range need {
		n := last + 1 + i
		br := bookPool[bulkHash(n)%uint64(len(bookPool))]
		if _, err := items.ExecContext(ctx, fmt.Sprintf("19%08d", n), ids[i], br, br); err != nil {
			return 0, fmt.Errorf("seed: bulk: copy items: %w", err)
		}
	}
	if err := flush(ctx, items); err != nil {
		return 0, fmt.Errorf("seed: bulk: copy items: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("seed: bulk: commit: %w", err)
	}
	// Fresh statistics, so that searches right after a large load get the trigram index plans.
	if _, err := db.ExecContext(ctx, `ANALYZE titles, items`); err != nil {
		return need, fmt.Errorf("seed: bulk: analyze: %w", err)
	}
	return need, nil
}

// flush ends a COPY: pq buffers rows until Exec is called without arguments.
func flush(ctx context.Context, s *sql.Stmt) error {
	_, err := s.ExecContext(ctx)
	return err
}

// bulkTitle is bulk title n, the same on every run and independent of the other titles.
func bulkTitle(n int) titleRec {
	t := genBook(rand.New(rand.NewPCG(uint64(n), 0x62756c6b)))
	t.key = fmt.Sprintf("bulk:%d", n)
	t.isbn = domain.ISBN13(fmt.Sprintf("9784%08d", n))
	return t
}

// bulkHash spreads bulk copies over the branches (splitmix64 of n).
func bulkHash(n int) uint64 {
	z := uint64(n) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
