package domain

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ISBNDigits is an ISBN as typed, as its digits and X (upper case): full-width digits become ASCII, and
// spaces and hyphens are dropped, including the dashes a Japanese keyboard gives for one (「ー」「－」「‐」
// ...). ok is false when s has any other character. The digits need not make a whole ISBN (a search by
// its start).
func ISBNDigits(s string) (digits string, ok bool) {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) { // full-width digits, 「－」 and 「ｰ」 become 0-9, '-' and 「ー」
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == 'x' || r == 'X':
			b.WriteRune('X')
		case isbnSeparator(r):
		default:
			return "", false
		}
	}
	return b.String(), true
}

func isbnSeparator(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '―', '−', 'ー':
		return true
	}
	return unicode.IsSpace(r)
}

// NormalizeISBN is a whole ISBN as stored in titles.isbn: an ISBN-13 (13 digits) or an ISBN-10 (9 digits
// and a digit or X), as ISBNDigits gives it. ok is false for anything else; a blank ISBN is valid and gives "".
// Check digits are not verified: a catalogue record keeps the ISBN printed on the book.
func NormalizeISBN(s string) (isbn string, ok bool) {
	d, ok := ISBNDigits(s)
	x := strings.IndexByte(d, 'X')
	switch {
	case !ok:
		return "", false
	case d == "":
		return "", true
	case len(d) == 13 && x < 0, len(d) == 10 && (x < 0 || x == 9):
		return d, true
	}
	return "", false
}

// ISBNForms gives both forms of a whole ISBN (an ISBN-10 and the ISBN-13 that starts with 978) when s is
// one, the given form first, else nil: a title stores whichever it was given.
func ISBNForms(s string) []string {
	d, ok := NormalizeISBN(s)
	switch {
	case !ok || d == "":
		return nil
	case len(d) == 13 && strings.HasPrefix(d, "978"):
		return []string{d, d[3:12] + isbn10Check(d[3:12])}
	case len(d) == 13:
		return []string{d}
	}
	return []string{d, ISBN13("978" + d[:9])}
}

// ISBN13 completes 12 digits with their ISBN-13 check digit.
func ISBN13(d12 string) string {
	sum := 0
	for i, c := range d12 {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return d12 + strconv.Itoa((10-sum%10)%10)
}

func isbn10Check(d9 string) string {
	sum := 0
	for i, c := range d9 {
		sum += (10 - i) * int(c-'0')
	}
	switch c := (11 - sum%11) % 11; c {
	case 10:
		return "X"
	default:
		return strconv.Itoa(c)
	}
}
