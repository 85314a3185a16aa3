package domain

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// SearchKey normalises text for matching: NFKC (full-width letters and digits, half-width katakana),
// lower case, katakana folded to hiragana, the variant kanji of KanjiVariants folded to their common form,
// and every space and middle dot removed, so that "ナツメ ソウセキ", "なつめそうせき" and "ﾅﾂﾒ ｿｳｾｷ" all
// give the same key, and so do "芥川龍之介" and "芥川 竜之介".
func SearchKey(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '・' || r == '･':
			continue
		case r >= 'ァ' && r <= 'ヶ': // katakana → hiragana (same offset in both blocks)
			r -= 0x60
		case r == 'ヽ' || r == 'ヾ':
			r -= 0x60
		case kanjiFold[r] != 0:
			r = kanjiFold[r]
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// KanjiVariants pairs variant kanji (異体字) that catalogues spell either way, mostly in names, with the
// common form a key holds: "芥川 竜之介" in Aozora Bunko's records is 芥川龍之介 on his books' title pages,
// and 髙橋, 山﨑, 渡邊 are 高橋, 山崎, 渡辺 to whoever types them. Only pairs that are the same character
// are folded (斉藤 and 斎藤 stay apart). search_key in SQL folds the same pairs
// (migrations/00012_search_kanji_variants.sql): a change here needs a migration that changes search_key and
// rewrites the stored keys.
const KanjiVariants = "龍竜髙高﨑崎邊辺邉辺澤沢濱浜齋斎齊斉"

var kanjiFold = func() map[rune]rune {
	rs := []rune(KanjiVariants)
	m := make(map[rune]rune, len(rs)/2)
	for i := 0; i+1 < len(rs); i += 2 {
		m[rs[i]] = rs[i+1]
	}
	return m
}()
