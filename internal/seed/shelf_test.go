package seed

import (
	"testing"

	"yoyaku/domain"
)

// TestShelfOf: a copy's call number is its NDC class and the first kana of its author's reading (the
// title's when it has no author), and its shelf follows from the title.
func TestShelfOf(t *testing.T) {
	for _, tc := range []struct {
		name        string
		t           titleRec
		call, shelf string
	}{
		{"Aozora 文庫 edition", titleRec{authorReading: "なつめ そうせき", publisher: "新潮文庫、新潮社", format: domain.FormatBook, ndc: "NDC 913"}, "913/ナ", "文庫"},
		{"children's class", titleRec{authorReading: "ミヤザワ ケンジ", publisher: "岩波書店", format: domain.FormatBook, ndc: "NDC K913"}, "K913/ミ", "児童書架"},
		{"two classes: the first", titleRec{authorReading: "アクタガワ", publisher: "筑摩書房", format: domain.FormatBook, ndc: "NDC 779 913"}, "779/ア", "一般書架"},
		{"generated fiction", titleRec{authorReading: "さくらい ゆうと", publisher: "東雲社", format: domain.FormatBook, ndc: "913.6"}, "913.6/サ", "一般書架"},
		{"picture book", titleRec{authorReading: "おがわ ひかり", format: domain.FormatBook, ndc: "E"}, "E/オ", "絵本コーナー"},
		{"reference", titleRec{authorReading: "やまだ", format: domain.FormatBook, refOnly: true}, "R031/ヤ", "参考図書"},
		{"local history", titleRec{authorReading: "わかばしし へんさんいいんかい", publisher: "わかば市", format: domain.FormatBook, refOnly: true, series: "わかば市史"}, "213/ワ", "郷土資料"},
		{"magazine by its title's reading", titleRec{reading: "げっかん えんげい", format: domain.FormatMagazine}, "050/ゲ", "雑誌コーナー"},
		{"CD", titleRec{reading: "1 ろうどく", format: domain.FormatCD}, "760/ロ", "視聴覚コーナー"},
		{"Latin reading", titleRec{authorReading: "yoga", format: domain.FormatDVD}, "778/Y", "視聴覚コーナー"},
		{"no reading at all", titleRec{format: domain.FormatBook}, "910", "一般書架"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call, shelf := shelfOf(tc.t)
			if call != tc.call || shelf != tc.shelf {
				t.Errorf("shelfOf = %q %q, want %q %q", call, shelf, tc.call, tc.shelf)
			}
		})
	}
}
