package domain

import (
	"errors"
	"strings"
)

// ErrInvalidCardNumber is returned for anything that is not 7 digits once normalised.
var ErrInvalidCardNumber = errors.New("図書館利用券番号は7桁の数字で入力してください")

// NormalizeCardNumber turns what a patron types into the 7-digit card number: full-width digits become
// ASCII, and hyphens (any width or dash look-alike) and spaces (half- or full-width) are dropped.
// Anything else is an error.
func NormalizeCardNumber(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == '-' || r == '－' || r == 'ー' || r == '‐' || r == '−' || r == '–' || r == '—' || r == 'ｰ':
		case r == ' ' || r == '\u3000' || r == '\t':
		default:
			return "", ErrInvalidCardNumber
		}
		if b.Len() > 7 {
			return "", ErrInvalidCardNumber
		}
	}
	if b.Len() != 7 {
		return "", ErrInvalidCardNumber
	}
	return b.String(), nil
}
