package domain_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"yoyaku/domain"
)

// toFullWidth writes every ASCII digit of s as its full-width form (０-９).
func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '０' + (r - '0')
		}
		return r
	}, s)
}

// asciiDigits is s with full-width digits folded to ASCII and everything else that is not a digit dropped.
func asciiDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		}
	}
	return b.String()
}

// FuzzNormalizeCard: whatever a patron types, NormalizeCardNumber never panics and answers either
// ErrInvalidCardNumber or 7 ASCII digits — the digits typed, in order — and the answer is a fixed point.
// Full-width and ASCII digits are the same card.
func FuzzNormalizeCard(f *testing.F) {
	for _, s := range []string{
		"1000001", "１０００００１", "100-0001", "１００－０００１", "100 0001", "１００\u3000０００１", "\t1000001 ",
		"100ー0001", "100‐0001", "100−0001", "100–0001", "100—0001", "100ｰ0001", "10000010", "100001", "",
		"1000001\x00", "100000١", "١٢٣٤٥٦٧", "𝟏𝟎𝟎𝟎𝟎𝟎𝟏", "1e6", "+1000001", "99999999999999999999", "📚1000001",
		"\xff\xfe1000001", "1000\xc0001", "1000001'; DROP TABLE patrons;--", "<b>1000001</b>", "-------", "1-2-3-4-5-6-7",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := domain.NormalizeCardNumber(s)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidCardNumber) || got != "" {
				t.Fatalf("NormalizeCardNumber(%q) = %q, %v: want \"\" and ErrInvalidCardNumber", s, got, err)
			}
		} else {
			if len(got) != 7 || strings.TrimFunc(got, func(r rune) bool { return r >= '0' && r <= '9' }) != "" {
				t.Fatalf("NormalizeCardNumber(%q) = %q: not 7 ASCII digits", s, got)
			}
			if d := asciiDigits(s); d != got {
				t.Fatalf("NormalizeCardNumber(%q) = %q, but the digits typed are %q", s, got, d)
			}
			if !utf8.ValidString(s) {
				t.Fatalf("NormalizeCardNumber accepted invalid UTF-8 %q as %q", s, got)
			}
			// Besides digits, only spaces and hyphens (or their look-alike, the long vowel mark) are accepted.
			for _, r := range s {
				digit := r >= '0' && r <= '9' || r >= '０' && r <= '９'
				if !digit && !unicode.IsSpace(r) && !unicode.Is(unicode.Dash, r) && r != 'ー' && r != 'ｰ' {
					t.Fatalf("NormalizeCardNumber(%q) = %q: accepted %q", s, got, r)
				}
			}
			if again, err := domain.NormalizeCardNumber(got); err != nil || again != got {
				t.Fatalf("not idempotent: %q → %q → %q, %v", s, got, again, err)
			}
		}
		// Full-width digits are the same as ASCII ones: the same answer, accepted or not.
		wide, werr := domain.NormalizeCardNumber(toFullWidth(s))
		if wide != got || (werr == nil) != (err == nil) {
			t.Fatalf("full-width %q = %q, %v; ASCII %q = %q, %v", toFullWidth(s), wide, werr, s, got, err)
		}
	})
}

// FuzzSearchKey: SearchKey never panics; from valid UTF-8 it makes valid UTF-8 with no white space and no
// katakana (folded to hiragana), and full-width digits and letters give the same key as ASCII ones.
func FuzzSearchKey(f *testing.F) {
	for _, s := range []string{
		"ナツメ ソウセキ", "なつめそうせき", "ﾅﾂﾒ ｿｳｾｷ", "夏目・漱石", "ＡＢＣ１２３", "abc123", "ヽヾ", "ヴァイオリン",
		"\u3000\t\n", "📚 emoji 😀", "\x00", "\xff\xfe", "İstanbul", "ß ẞ", "a\u0308", "a¨", "ｶﾞ", "カ\u3099",
		"%_\\", "'; DROP TABLE titles;--", strings.Repeat("の", 300), "芥川龍之介", "\uf9c4髙﨑",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := domain.SearchKey(s)
		if !utf8.ValidString(s) {
			return // the search fields refuse invalid UTF-8 before they get here (store.searchTerms)
		}
		if !utf8.ValidString(k) {
			t.Fatalf("SearchKey(%q) = %q: invalid UTF-8", s, k)
		}
		for _, r := range k {
			if unicode.IsSpace(r) || r == '・' || r == '･' {
				t.Fatalf("SearchKey(%q) = %q: keeps %q", s, k, r)
			}
			if r >= 'ァ' && r <= 'ヶ' {
				t.Fatalf("SearchKey(%q) = %q: keeps katakana %q", s, k, r)
			}
			if i := strings.IndexRune(domain.KanjiVariants, r); i >= 0 && utf8.RuneCountInString(domain.KanjiVariants[:i])%2 == 0 {
				t.Fatalf("SearchKey(%q) = %q: keeps the variant kanji %q", s, k, r)
			}
		}
		wide := strings.Map(func(r rune) rune {
			switch {
			case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
				return r - '0' + '０'
			}
			return r
		}, s)
		if kw := domain.SearchKey(wide); kw != k {
			t.Fatalf("SearchKey(%q) = %q but SearchKey(%q) = %q", s, k, wide, kw)
		}
	})
}
