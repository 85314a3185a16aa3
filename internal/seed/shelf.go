package seed

import (
	"strings"
	"unicode"

	"yoyaku/domain"
)

// Shelf data of the demo copies: a call number (請求記号) as on a Japanese library's spine label — the NDC
// class, a slash and the author mark, the first kana of the author's reading (913.6/ナ) — and the shelf
// location (配架場所). Both follow from the title alone, without the PRNG, so every copy of a title is shelved
// alike, a re-seed gives the same answer and the catalogue's barcodes do not move.

// Shelf locations of the demo libraries.
const (
	shelfGeneral   = "一般書架"
	shelfBunko     = "文庫"
	shelfChildren  = "児童書架"
	shelfPicture   = "絵本コーナー"
	shelfReference = "参考図書"
	shelfLocal     = "郷土資料"
	shelfMagazines = "雑誌コーナー"
	shelfAV        = "視聴覚コーナー"
)

// topicNDC is the NDC class of the generated non-fiction books' topics.
var topicNDC = map[string]string{
	"家庭料理": "596", "園芸": "620", "家庭菜園": "626", "統計学": "417", "プログラミング": "007.64",
	"写真撮影": "743", "俳句": "911.3", "短歌": "911.1", "将棋": "796", "囲碁": "795", "家計管理": "591",
	"介護": "369.2", "子育て": "599", "英会話": "837.8", "登山": "786.1", "天文学": "440", "書道": "728",
	"水彩画": "724.3", "茶道": "791", "ヨガ": "498.3", "確定申告": "345.3", "相続": "324.7", "睡眠": "498.3",
	"和菓子": "596.6", "パン作り": "596.6", "手話": "378.28", "野鳥観察": "488", "防災": "369.3", "経済学": "331",
	"哲学": "100", "心理学": "140", "日本史": "210", "世界史": "209", "気象": "451", "編み物": "594.3",
	"釣り": "787.1", "データ分析": "417", "漢方": "490.9", "ストレッチ": "781.4", "韓国語": "829.1",
}

// seriesNDC is the NDC class of the hand-made series (handmadeSeries), by series name.
var seriesNDC = map[string]string{
	"日本の城めぐり": "521.8", "はじめてのプログラミング": "K007", "こぐまのポロ": "E", "映像で見る日本の歴史": "210",
	"朗読 日本の名作": "918", "わかば市史": "213",
}

// shelfOf is the call number and shelf location of t's copies.
func shelfOf(t titleRec) (callNumber, shelf string) {
	class := ndcClass(t)
	children := strings.HasPrefix(class, "K")
	switch {
	case t.format == domain.FormatMagazine:
		shelf = shelfMagazines
	case t.format.IsAV():
		shelf = shelfAV
	case t.publisher == "わかば市":
		shelf = shelfLocal
	case t.refOnly:
		shelf, class = shelfReference, "R"+class
	case class == "E":
		shelf = shelfPicture
	case children:
		shelf = shelfChildren
	case strings.Contains(t.publisher, "文庫"):
		shelf = shelfBunko
	default:
		shelf = shelfGeneral
	}
	reading := t.authorReading
	if reading == "" {
		reading = t.reading
	}
	if m := authorMark(reading); m != "" {
		return class + "/" + m, shelf
	}
	return class, shelf
}

// ndcClass is t's NDC class: its own (the index's "NDC 913" or "NDC 779 913" gives its first class), its
// series', else one by format (magazines 050, music 760, films 778, books 910).
func ndcClass(t titleRec) string {
	if f := strings.Fields(strings.TrimPrefix(t.ndc, "NDC")); len(f) > 0 {
		return f[0]
	}
	if c, ok := seriesNDC[t.series]; ok {
		return c
	}
	switch {
	case t.format == domain.FormatMagazine:
		return "050"
	case t.format == domain.FormatCD:
		return "760"
	case t.format.IsAV():
		return "778"
	case t.refOnly:
		return "031"
	}
	return "910"
}

// authorMark is the first kana (as katakana) or Latin letter (upper case) of a reading; digits, spaces and
// other marks before it are skipped. "" when there is none.
func authorMark(reading string) string {
	for _, r := range reading {
		switch {
		case r >= 'ぁ' && r <= 'ゖ':
			return string(r + 'ァ' - 'ぁ')
		case r >= 'ァ' && r <= 'ヺ':
			return string(r)
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			return string(unicode.ToUpper(r))
		}
	}
	return ""
}
