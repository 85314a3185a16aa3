package domain

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// SearchKey normalises text for matching: NFKC (full-width letters and digits, half-width katakana),
// lower case, katakana folded to hiragana, and every space and middle dot removed, so that
// "ナツメ ソウセキ", "なつめそうせき" and "ﾅﾂﾒ ｿｳｾｷ" all give the same key.
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
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
