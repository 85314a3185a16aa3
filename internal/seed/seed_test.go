package seed

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"yoyaku/auth"
	"yoyaku/domain"
	"yoyaku/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// count runs a query that returns one integer.
func count(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestCatalogueIsDeterministic(t *testing.T) {
	a, err := demoCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	b, err := demoCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two builds of the demo catalogue differ")
	}
	keys, barcodes := map[string]bool{}, map[string]bool{}
	for _, tr := range a.titles {
		if keys[tr.key] {
			t.Errorf("duplicate source_key %s", tr.key)
		}
		keys[tr.key] = true
		if tr.title == "" || tr.reading == "" {
			t.Errorf("%s: title %q reading %q", tr.key, tr.title, tr.reading)
		}
		for _, c := range tr.copies {
			if barcodes[c.barcode] {
				t.Errorf("duplicate barcode %s", c.barcode)
			}
			barcodes[c.barcode] = true
		}
	}
	if !reflect.DeepEqual(bulkTitle(42), bulkTitle(42)) {
		t.Error("bulk title 42 differs between calls")
	}
}

func TestDemo(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	first, err := Demo(ctx, db)
	if err != nil {
		t.Fatalf("first Demo: %v", err)
	}
	second, err := Demo(ctx, db)
	if err != nil {
		t.Fatalf("second Demo: %v", err)
	}
	if first != second {
		t.Fatalf("Demo is not idempotent: %+v then %+v", first, second)
	}
	t.Logf("summary: %+v", first)

	t.Run("branches", func(t *testing.T) {
		var got []struct{ Code, Name, Kind string }
		if err := db.Select(&got, `SELECT code, name, kind FROM branches ORDER BY sort_order`); err != nil {
			t.Fatal(err)
		}
		want := []struct{ Code, Name, Kind string }{
			{"chuo", "中央図書館", "library"}, {"kita", "北図書館", "library"}, {"minami", "南図書館", "library"},
			{"higashi", "東図書館", "library"}, {"nishi", "西図書館", "library"}, {"ekimae", "駅前図書館", "library"},
			{"hikari", "ひかり公民館図書室", "facility"}, {"midori", "みどり台コミュニティセンター図書室", "facility"},
			{"sakura", "さくら地区センター読書室", "facility"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("branches:\n got %v\nwant %v", got, want)
		}
		if first.Branches != 9 {
			t.Errorf("Summary.Branches = %d", first.Branches)
		}
	})

	t.Run("titles", func(t *testing.T) {
		if first.Titles < 2000 || count(t, db, `SELECT count(*) FROM titles`) != first.Titles {
			t.Errorf("Summary.Titles = %d, want ≥ 2000 and equal to the table", first.Titles)
		}
		if n := count(t, db, `SELECT count(*) FROM titles WHERE source_key IS NULL`); n != 0 {
			t.Errorf("%d titles without source_key", n)
		}
	})

	t.Run("aozora", func(t *testing.T) {
		raw, err := os.ReadFile("data/aozora-works.tsv")
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
			ids[strings.SplitN(line, "\t", 2)[0]] = true
		}
		if n := count(t, db, `SELECT count(DISTINCT source_key) FROM titles WHERE source_key LIKE 'aozora:%'`); n != len(ids) {
			t.Errorf("%d aozora titles, want %d (distinct work IDs)", n, len(ids))
		}
		if n := count(t, db, `SELECT count(*) FROM titles WHERE source_key LIKE 'aozora:%'
			AND (title_reading = '' OR author = '' OR author_reading = '')`); n != 0 {
			t.Errorf("%d aozora titles with an empty reading or author", n)
		}
		var tr struct{ Title, Reading, Author, AuthorReading, Publisher string }
		if err := db.Get(&tr, `SELECT title, title_reading AS reading, author, author_reading AS authorreading, publisher
			FROM titles WHERE source_key = 'aozora:059898'`); err != nil {
			t.Fatal(err)
		}
		if tr.Title != "ウェストミンスター寺院" || tr.Reading != "ウェストミンスターじいん" ||
			tr.Author != "アーヴィング ワシントン" || tr.AuthorReading != "アーヴィング ワシントン" || tr.Publisher != "新潮文庫、新潮社" {
			t.Errorf("aozora:059898 = %+v", tr)
		}
		// A work listed with its author and its translator is one title crediting both.
		if err := db.Get(&tr, `SELECT title, title_reading AS reading, author, author_reading AS authorreading, publisher
			FROM titles WHERE source_key = 'aozora:060357'`); err != nil {
			t.Fatal(err)
		}
		if tr.Author != "アーヴィング ワシントン 著 / 森 鴎外 訳" || tr.AuthorReading != "アーヴィング ワシントン / もり おうがい" {
			t.Errorf("translated work: author %q reading %q", tr.Author, tr.AuthorReading)
		}
		// A kana search for the translator, in another kana script, finds the work.
		key := domain.SearchKey("モリ オウガイ")
		if n := count(t, db, `SELECT count(*) FROM titles WHERE source_key = 'aozora:060357' AND strpos(search_text, $1) > 0`, key); n != 1 {
			t.Errorf("search for %q does not find 新浦島", key)
		}
	})

	t.Run("search text", func(t *testing.T) {
		var rows []struct {
			Key, Title, TitleReading, Author, AuthorReading, Publisher, Series, SearchText string
		}
		if err := db.Select(&rows, `SELECT source_key AS key, title, title_reading AS titlereading, author,
			author_reading AS authorreading, publisher, coalesce(s.name, '') AS series, search_text AS searchtext
			FROM titles t LEFT JOIN series s ON s.id = t.series_id`); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if want := domain.SearchText(r.Title, r.TitleReading, r.Author, r.AuthorReading, r.Publisher, r.Series); r.SearchText != want {
				t.Errorf("%s: search_text %q, want %q", r.Key, r.SearchText, want)
			}
		}
	})

	t.Run("formats and kinds", func(t *testing.T) {
		for _, f := range domain.Formats {
			if n := count(t, db, `SELECT count(*) FROM titles WHERE format = $1`, string(f)); n == 0 {
				t.Errorf("no %s titles", f)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM titles WHERE reference_only`); n == 0 {
			t.Error("no reference-only titles")
		}
		if n := count(t, db, `SELECT count(*) FROM titles WHERE format = 'etext' AND url LIKE 'https://%'`); n < 3 {
			t.Errorf("%d e-texts with a URL", n)
		}
		if n := count(t, db, `SELECT count(*) FROM titles WHERE format = 'etext' AND source_key LIKE 'aozora-etext:%'`); n == 0 {
			t.Error("no Aozora work offered as an e-text")
		}
		if n := count(t, db, `SELECT count(*) FROM items i JOIN titles t ON t.id = i.title_id WHERE t.format = 'etext'`); n != 0 {
			t.Errorf("%d copies of e-texts", n)
		}
		if n := count(t, db, `SELECT count(*) FROM titles t WHERE format <> 'etext'
			AND NOT EXISTS (SELECT FROM items i WHERE i.title_id = t.id)`); n != 0 {
			t.Errorf("%d physical titles without copies", n)
		}
	})

	t.Run("series", func(t *testing.T) {
		if n := count(t, db, `SELECT count(*) FROM series s
			WHERE EXISTS (SELECT FROM titles WHERE series_id = s.id AND volume = 1 AND title LIKE '% 上')
			  AND EXISTS (SELECT FROM titles WHERE series_id = s.id AND title LIKE '% 下')`); n == 0 {
			t.Error("no 上・下 series")
		}
		if n := count(t, db, `SELECT count(*) FROM (SELECT series_id FROM titles WHERE series_id IS NOT NULL
			GROUP BY series_id HAVING count(*) >= 3 AND min(volume) = 1 AND max(volume) = count(*)) s`); n == 0 {
			t.Error("no series with three or more consecutive volumes")
		}
	})

	t.Run("copies and loans", func(t *testing.T) {
		if first.Items != count(t, db, `SELECT count(*) FROM items`) || first.Items < first.Titles {
			t.Errorf("Summary.Items = %d", first.Items)
		}
		if n := count(t, db, `SELECT count(*) FROM items WHERE barcode !~ '^1[0-9]{9}$' OR home_branch <> location_branch
			OR status NOT IN ('on_shelf', 'on_loan')`); n != 0 {
			t.Errorf("%d items with an odd barcode, location or status", n)
		}
		if n := count(t, db, `SELECT count(*) FROM items WHERE status = 'on_loan'`); n < 100 {
			t.Errorf("only %d copies on loan", n)
		}
		if n := count(t, db, `SELECT count(*) FROM items i WHERE status = 'on_loan'
			AND (SELECT count(*) FROM loans l WHERE l.barcode = i.barcode AND l.returned_at IS NULL) <> 1`); n != 0 {
			t.Errorf("%d copies on loan without exactly one open loan", n)
		}
		if n := count(t, db, `SELECT count(*) FROM items i JOIN loans l ON l.barcode = i.barcode
			WHERE l.returned_at IS NULL AND i.status <> 'on_loan'`); n != 0 {
			t.Errorf("%d copies not on loan with an open loan", n)
		}
		if n := count(t, db, `SELECT count(*) FROM loans WHERE due_date < current_date OR due_date > current_date + 14`); n != 0 {
			t.Errorf("%d loans due outside the next two weeks", n)
		}
		if n := count(t, db, `SELECT count(*) FROM items i JOIN titles t ON t.id = i.title_id
			JOIN branches b ON b.code = i.home_branch WHERE t.format IN ('cd', 'dvd', 'video') AND b.kind <> 'library'`); n != 0 {
			t.Errorf("%d AV copies at facilities", n)
		}
		if n := count(t, db, `SELECT count(*) FROM items i JOIN titles t ON t.id = i.title_id
			WHERE t.reference_only AND i.status = 'on_loan'`); n != 0 {
			t.Errorf("%d reference-only copies on loan", n)
		}
		// Titles whose every copy is on loan, so that holds queue.
		if n := count(t, db, `SELECT count(*) FROM (SELECT title_id FROM items GROUP BY title_id
			HAVING bool_and(status = 'on_loan')) x`); n < 20 {
			t.Errorf("only %d titles with every copy on loan", n)
		}
		// Titles with copies at several branches but free copies at only one.
		if n := count(t, db, `SELECT count(*) FROM (SELECT title_id FROM items GROUP BY title_id
			HAVING count(DISTINCT home_branch) >= 2
			   AND count(DISTINCT home_branch) FILTER (WHERE status = 'on_shelf') = 1) x`); n < 20 {
			t.Errorf("only %d titles free at exactly one of several branches", n)
		}
		if n := count(t, db, `SELECT count(*) FROM (SELECT title_id FROM items GROUP BY title_id
			HAVING count(*) >= 2 AND count(DISTINCT home_branch) = 1) x`); n == 0 {
			t.Error("no title with several copies all at one branch")
		}
		// Every copy has a call number (NDC class / author mark) and a shelf location; 禁帯出 books stand in
		// 参考図書 (or 郷土資料), the children's books in 児童書架, Aozora's 文庫 editions in 文庫.
		if n := count(t, db, `SELECT count(*) FROM items WHERE call_number !~ '^R?[0-9KE][0-9.]*(/[ァ-ヺA-Z])?$' OR shelf_location = ''`); n != 0 {
			t.Errorf("%d copies without a call number or shelf location", n)
		}
		if n := count(t, db, `SELECT count(*) FROM items i JOIN titles t ON t.id = i.title_id
			WHERE t.reference_only AND t.format = 'book' AND i.shelf_location NOT IN ('参考図書', '郷土資料')`); n != 0 {
			t.Errorf("%d reference-only books outside 参考図書", n)
		}
		// A classic in a 文庫 edition, its NDC class from its record: 913.6, 夏目 漱石's ナ.
		if n := count(t, db, `SELECT count(*) FROM items i JOIN titles t ON t.id = i.title_id
			WHERE t.title = '吾輩は猫である' AND i.call_number = '913.6/ナ' AND i.shelf_location = '文庫'`); n == 0 {
			t.Error("吾輩は猫である is not on 文庫 as 913.6/ナ")
		}
		for _, shelf := range []string{"一般書架", "文庫", "児童書架", "絵本コーナー", "参考図書", "郷土資料", "雑誌コーナー", "視聴覚コーナー"} {
			if n := count(t, db, `SELECT count(*) FROM items WHERE shelf_location = $1`, shelf); n == 0 {
				t.Errorf("no copy on %s", shelf)
			}
		}
	})

	t.Run("accounts", func(t *testing.T) {
		for _, p := range DemoPatrons {
			var hash string
			if err := db.Get(&hash, `SELECT password_hash FROM patrons WHERE card_number = $1`, p.Login); err != nil {
				t.Fatalf("patron %s: %v", p.Login, err)
			}
			if _, err := domain.NormalizeCardNumber(p.Login); err != nil {
				t.Errorf("patron %s: %v", p.Login, err)
			}
			if !auth.CheckPassword(hash, p.Password) || p.Password != "yoyaku-demo" {
				t.Errorf("patron %s cannot log in with %q", p.Login, p.Password)
			}
		}
		for _, s := range DemoStaff {
			var hash string
			if err := db.Get(&hash, `SELECT password_hash FROM staff_users WHERE login = $1`, s.Login); err != nil {
				t.Fatalf("staff %s: %v", s.Login, err)
			}
			if !auth.CheckPassword(hash, s.Password) {
				t.Errorf("staff %s cannot log in with %q", s.Login, s.Password)
			}
		}
		if DemoStaff[0].Login != "staff" || DemoStaff[0].Password != "staff-demo" {
			t.Errorf("DemoStaff = %+v", DemoStaff)
		}
		if first.Patrons != len(DemoPatrons)+len(backgroundPatrons) || first.Staff != len(DemoStaff) {
			t.Errorf("Summary patrons %d staff %d", first.Patrons, first.Staff)
		}
		var contacts []struct {
			Card, Method string
			Emails       int
			Notify       int
			Phones       int
			PhoneOK      bool
		}
		if err := db.Select(&contacts, `
			SELECT card_number AS card, contact_method AS method,
			       (SELECT count(*) FROM patron_emails e WHERE e.patron_id = p.id) AS emails,
			       (SELECT count(*) FROM patron_emails e WHERE e.patron_id = p.id AND e.notify) AS notify,
			       (SELECT count(*) FROM patron_phones f WHERE f.patron_id = p.id) AS phones,
			       EXISTS (SELECT FROM patron_phones f WHERE f.id = p.contact_phone_id AND f.patron_id = p.id) AS phoneok
			FROM patrons p WHERE card_number BETWEEN '1000001' AND '1000005' ORDER BY card_number`); err != nil {
			t.Fatal(err)
		}
		byCard := map[string]string{}
		for _, c := range contacts {
			byCard[c.Card] = c.Method
			if c.Method == "email" && c.Notify == 0 {
				t.Errorf("%s: contact by e-mail with no address chosen", c.Card)
			}
			if (c.Method == "phone") != c.PhoneOK {
				t.Errorf("%s: method %s, chosen phone registered: %v", c.Card, c.Method, c.PhoneOK)
			}
			if c.Card == "1000001" && (c.Emails != 2 || c.Notify != 2) {
				t.Errorf("1000001: %d e-mails, %d chosen; want both", c.Emails, c.Notify)
			}
		}
		if byCard["1000001"] != "email" || byCard["1000003"] != "phone" || byCard["1000004"] != "none" {
			t.Errorf("contact methods %v", byCard)
		}
		var addrs []string
		if err := db.Select(&addrs, `SELECT address FROM patron_emails`); err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if !regexp.MustCompile(`@([a-z]+\.)?example\.jp$`).MatchString(a) {
				t.Errorf("demo address %q is not under example.jp", a)
			}
		}
	})
}

func TestBulk(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	s, err := Demo(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	total := s.Titles + 3000
	added, err := Bulk(ctx, db, total)
	if err != nil {
		t.Fatalf("Bulk: %v", err)
	}
	if added != 3000 {
		t.Errorf("Bulk added %d titles, want 3000", added)
	}
	if added, err := Bulk(ctx, db, total); err != nil || added != 0 {
		t.Errorf("second Bulk added %d (%v), want 0", added, err)
	}
	if added, err := Bulk(ctx, db, 10); err != nil || added != 0 {
		t.Errorf("Bulk below the current size added %d (%v), want 0", added, err)
	}
	if n := count(t, db, `SELECT count(*) FROM titles`); n != total {
		t.Errorf("%d titles, want %d", n, total)
	}
	// Growing further continues the numbering.
	if added, err := Bulk(ctx, db, total+5); err != nil || added != 5 {
		t.Errorf("growing by 5 added %d (%v)", added, err)
	}
	if n := count(t, db, `SELECT count(*) FROM titles WHERE source_key = 'bulk:3005'`); n != 1 {
		t.Error("bulk:3005 is missing")
	}
	if n := count(t, db, `SELECT count(*) FROM titles t WHERE source_key LIKE 'bulk:%'
		AND (title_reading = '' OR author_reading = '' OR search_text = '' OR isbn IS NULL
		     OR (SELECT count(*) FROM items i WHERE i.title_id = t.id AND i.status = 'on_shelf') <> 1)`); n != 0 {
		t.Errorf("%d bulk titles incomplete or without exactly one copy on the shelf", n)
	}
	if n := count(t, db, `SELECT count(*) FROM items WHERE barcode LIKE '19%'`); n != 3005 {
		t.Errorf("%d bulk copies, want 3005", n)
	}
	// Bulk titles are findable by their search key like the demo ones.
	var st struct{ Title, TitleReading, Author, AuthorReading, Publisher, SearchText string }
	if err := db.Get(&st, `SELECT title, title_reading AS titlereading, author, author_reading AS authorreading,
		publisher, search_text AS searchtext FROM titles WHERE source_key = 'bulk:1'`); err != nil {
		t.Fatal(err)
	}
	if want := domain.SearchText(st.Title, st.TitleReading, st.Author, st.AuthorReading, st.Publisher, ""); st.SearchText != want {
		t.Errorf("bulk:1 search_text %q, want %q", st.SearchText, want)
	}
}

// TestBranchesAloneLoadNoDemoData: the library network a production install needs, and nothing else — no
// catalogue, no patrons, no staff with a published password — twice without change.
func TestBranchesAloneLoadNoDemoData(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	for i := range 2 {
		n, err := Branches(ctx, db)
		if err != nil || n != len(branches) {
			t.Fatalf("Branches run %d: %d branches, %v; want %d", i+1, n, err, len(branches))
		}
	}
	for _, table := range []string{"titles", "items", "patrons", "staff_users", "loans"} {
		if n := count(t, db, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d rows in %s, want none without the demo data", n, table)
		}
	}
	if got, err := PublishedDemoAccounts(ctx, db); err != nil || len(got) != 0 {
		t.Errorf("published demo accounts %q (%v), want none", got, err)
	}
}

// TestPublishedDemoAccounts finds the demo accounts while their published password works, and not once it
// was changed.
func TestPublishedDemoAccounts(t *testing.T) {
	ctx := t.Context()
	db := testenv.DB(t)
	if _, err := Demo(ctx, db); err != nil {
		t.Fatal(err)
	}
	got, err := PublishedDemoAccounts(ctx, db)
	want := []string{"staff staff", "patron 1000001", "patron 1000002", "patron 1000003", "patron 1000004", "patron 1000005"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("published demo accounts %q (%v), want %q", got, err, want)
	}
	hash, err := auth.HashPassword("a-private-password")
	if err != nil {
		t.Fatal(err)
	}
	db.MustExec(`UPDATE staff_users SET password_hash = $1 WHERE login = 'staff'`, hash)
	db.MustExec(`DELETE FROM patrons WHERE card_number = '1000005'`)
	got, err = PublishedDemoAccounts(ctx, db)
	if want = want[1:5]; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after the staff password changed and 1000005 went: %q (%v), want %q", got, err, want)
	}
	if !DemoPassword("staff-demo") || !DemoPassword("yoyaku-demo") || DemoPassword("a-private-password") {
		t.Error("DemoPassword does not tell the published passwords")
	}
}
