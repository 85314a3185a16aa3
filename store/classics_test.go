package store_test

import (
	"fmt"
	"slices"
	"testing"

	"yoyaku/store"
)

// patronPage is the OPAC's results page (opac.patronSearchPerPage).
const patronPage = 20

// TestSearchFindsTheClassics: the works every Japanese reader tries first are in the demo catalogue as
// `yoyaku dev` seeds it, with copies, and a search finds each by its title, its reading in hiragana and in
// katakana (the title ranks first: it is the exact match), and by its author's name in kanji with and
// without the space between family and given name and in kana. 芥川龍之介 also finds the Aozora records that
// spell him 芥川 竜之介, and the other way round.
func TestSearchFindsTheClassics(t *testing.T) {
	db := demoDB(t)
	classics := []struct {
		title, hiragana, katakana string
		family, given, reading    string
	}{
		{"吾輩は猫である", "わがはいはねこである", "ワガハイハネコデアル", "夏目", "漱石", "なつめそうせき"},
		{"坊っちゃん", "ぼっちゃん", "ボッチャン", "夏目", "漱石", "なつめそうせき"},
		{"こころ", "こころ", "ココロ", "夏目", "漱石", "なつめそうせき"},
		{"羅生門", "らしょうもん", "ラショウモン", "芥川", "龍之介", "あくたがわりゅうのすけ"},
		{"蜘蛛の糸", "くものいと", "クモノイト", "芥川", "龍之介", "あくたがわりゅうのすけ"},
		{"走れメロス", "はしれめろす", "ハシレメロス", "太宰", "治", "だざいおさむ"},
		{"人間失格", "にんげんしっかく", "ニンゲンシッカク", "太宰", "治", "だざいおさむ"},
		{"銀河鉄道の夜", "ぎんがてつどうのよる", "ギンガテツドウノヨル", "宮沢", "賢治", "みやざわけんじ"},
		{"山月記", "さんげつき", "サンゲツキ", "中島", "敦", "なかじまあつし"},
	}
	search := func(t *testing.T, q string, perPage int) store.SearchResult {
		t.Helper()
		res, err := store.SearchTitles(t.Context(), db, store.SearchQuery{Q: q, Page: 1, PerPage: perPage})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		return res
	}
	for _, c := range classics {
		t.Run(c.title, func(t *testing.T) {
			var id int64
			var copies int
			if err := db.QueryRow(`SELECT t.id, (SELECT count(*) FROM items i WHERE i.title_id = t.id)
				FROM titles t WHERE t.title = $1 AND t.author = $2 AND t.format = 'book'`,
				c.title, c.family+" "+c.given).Scan(&id, &copies); err != nil {
				t.Fatalf("%s by %s %s is not in the demo catalogue: %v", c.title, c.family, c.given, err)
			}
			if copies < 2 {
				t.Errorf("%s has %d copies, want a few", c.title, copies)
			}
			// Title and reading: the exact match comes first.
			for _, q := range []string{c.title, c.hiragana, c.katakana} {
				if res := search(t, q, patronPage); len(res.Titles) == 0 || res.Titles[0].ID != id {
					t.Errorf("search %q: %s is not the first result (%s)", q, c.title, titles(res))
				}
			}
			// Author: the author's works in catalogue order. 宮沢賢治 has 21 titles (17 Aozora records, 3 of
			// them also as e-texts, and this one, seeded last), so the author queries look at 100 per page.
			for _, q := range []string{c.family + c.given, c.family + " " + c.given, c.family + "　" + c.given, c.reading} {
				if res := search(t, q, store.MaxPerPage); !slices.ContainsFunc(res.Titles, func(s store.TitleSummary) bool { return s.ID == id }) {
					t.Errorf("search %q: %s is not on the first page (%s)", q, c.title, titles(res))
				}
			}
		})
	}

	// Either spelling of 芥川's given name finds the works spelt the other way.
	for _, q := range []string{"芥川龍之介", "芥川竜之介", "芥川 竜之介"} {
		res := search(t, q, store.MaxPerPage)
		var found []string
		for _, s := range res.Titles {
			found = append(found, s.Title)
		}
		for _, want := range []string{"羅生門", "蜘蛛の糸", "葬儀記"} { // 葬儀記: Aozora's 芥川 竜之介
			if !slices.Contains(found, want) {
				t.Errorf("search %q does not find %s (%v)", q, want, found)
			}
		}
	}
}

func titles(res store.SearchResult) string {
	var out []string
	for _, s := range res.Titles {
		out = append(out, s.Title)
	}
	return fmt.Sprintf("%d found: %v", res.Total, out)
}
