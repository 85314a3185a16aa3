package migrations_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"yoyaku/domain"
	"yoyaku/internal/testenv"
	"yoyaku/migrations"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func TestUpIsIdempotent(t *testing.T) {
	db := testenv.DB(t) // already migrated once
	applied, err := migrations.Up(context.Background(), db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second Up applied %v, want nothing", applied)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'`); err != nil || n != 1 {
		t.Fatalf("pg_trgm missing: n=%d err=%v", n, err)
	}
}

// TestKanjiVariantsRekeyStoredTitles: 00012 folds variant kanji in search_key, so the keys of titles stored
// before it (search_text and the generated columns) must be rewritten by the migration, and Down restores them.
func TestKanjiVariantsRekeyStoredTitles(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.Files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 11); err != nil { // undoes 00012 (and any later migration)
		t.Fatal(err)
	}
	// A title written before 00012: search_text as domain.SearchText computed it then (no folding).
	if _, err := db.Exec(`
		INSERT INTO titles (source_key, title, title_reading, author, author_reading, publisher, format, search_text)
		VALUES ('test:rashomon', '羅生門', 'らしょうもん', '芥川 龍之介', 'あくたがわ りゅうのすけ', '髙山書店', 'book',
		        search_key('羅生門 らしょうもん 芥川 龍之介 あくたがわ りゅうのすけ 髙山書店'))`); err != nil {
		t.Fatal(err)
	}
	type keys struct {
		SearchText string `db:"search_text"`
		Author     string `db:"author_key"`
		Publisher  string `db:"publisher_key"`
	}
	get := func() keys {
		t.Helper()
		var k keys
		if err := db.Get(&k, `SELECT search_text, author_key, publisher_key FROM titles WHERE source_key = 'test:rashomon'`); err != nil {
			t.Fatal(err)
		}
		return k
	}
	before := get()
	if !strings.Contains(before.SearchText, "龍") || !strings.Contains(before.Author, "龍") {
		t.Fatalf("before 00012 the keys keep 龍: %+v", before)
	}

	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	want := keys{
		SearchText: domain.SearchText("羅生門", "らしょうもん", "芥川 龍之介", "あくたがわ りゅうのすけ", "髙山書店", ""),
		Author:     domain.SearchKey("芥川 龍之介 あくたがわ りゅうのすけ"),
		Publisher:  domain.SearchKey("髙山書店"),
	}
	if got := get(); got != want || !strings.Contains(got.Author, "芥川竜之介") || !strings.Contains(got.Publisher, "高山") {
		t.Errorf("after 00012: %+v, want %+v (folded as domain.SearchKey does)", got, want)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM titles WHERE search_text LIKE '%芥川竜之介%' AND source_key = 'test:rashomon'`); err != nil || n != 1 {
		t.Errorf("search_text does not contain 芥川竜之介: n=%d err=%v", n, err)
	}

	if _, err := p.DownTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != before {
		t.Errorf("after Down: %+v, want the keys as before 00012 %+v", got, before)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
