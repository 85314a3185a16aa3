package domain_test

import (
	"slices"
	"testing"

	"yoyaku/domain"
)

func TestNormalizeISBN(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"9784003101018", "9784003101018", true},
		{"978-4-00-310101-8", "9784003101018", true},
		{"978 4 00 310101 8", "9784003101018", true},
		{"978\t4003101018", "9784003101018", true},
		{"９７８４００３１０１０１８", "9784003101018", true},
		{"978ー4ー00ー310101ー8", "9784003101018", true},   // katakana prolonged sound mark
		{"978ｰ4ｰ00ｰ310101ｰ8", "9784003101018", true},   // its half-width form
		{"９７８－４－００－３１０１０１－８", "9784003101018", true},   // full-width hyphen-minus
		{"978‐4‑00‒310101–8", "9784003101018", true},   // hyphen, non-breaking hyphen, figure dash, en dash
		{"978—4―00−310101-8", "9784003101018", true},   // em dash, horizontal bar, minus sign
		{"978\u30004003101018", "9784003101018", true}, // ideographic space
		{"4-87311-336-X", "487311336X", true},
		{"4-87311-336-x", "487311336X", true},
		{"4ー87311ー336ーＸ", "487311336X", true},
		{"4003101014", "4003101014", true},
		{"", "", true},
		{" - ", "", true},
		{"97840031", "", false},               // too short
		{"97840031010189", "", false},         // too long
		{"978400310101X", "", false},          // X in an ISBN-13
		{"48731133X6", "", false},             // X before the check digit
		{"ISBN 978-4-00-310101-8", "", false}, // letters
		{"978/4/00/310101/8", "", false},      // not a dash
		{"978.4003101018", "", false},
		{"٩٧٨٤٠٠٣١٠١٠١٨", "", false}, // other scripts' digits
	}
	for _, tc := range tests {
		got, ok := domain.NormalizeISBN(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeISBN(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestISBNDigits(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"978-4", "9784", true}, // the start of an ISBN, for a search
		{"９７８ー４", "9784", true},
		{"487311336x", "487311336X", true},
		{"978a", "", false},
	}
	for _, tc := range tests {
		got, ok := domain.ISBNDigits(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ISBNDigits(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestISBNForms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"978-4-00-310101-8", []string{"9784003101018", "4003101014"}},
		{"４００３１０１０１４", []string{"4003101014", "9784003101018"}},
		{"4-87311-336-X", []string{"487311336X", "9784873113364"}},
		{"978ー4ー00ー310101ー8", []string{"9784003101018", "4003101014"}},
		{"9791234567896", []string{"9791234567896"}},
		{"97840031", nil},
		{"isbn", nil},
	}
	for _, tc := range tests {
		if got := domain.ISBNForms(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ISBNForms(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestISBN13(t *testing.T) {
	for d12, want := range map[string]string{"978400310101": "9784003101018", "978487311336": "9784873113364"} {
		if got := domain.ISBN13(d12); got != want {
			t.Errorf("ISBN13(%q) = %q, want %q", d12, got, want)
		}
	}
}
