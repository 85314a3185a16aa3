package library_test

import (
	"slices"
	"testing"

	"yoyaku/domain"
	"yoyaku/library"
)

// ReplaceEmails refuses what cannot be registered and changes nothing then.
func TestReplaceEmailsRefusals(t *testing.T) {
	e := newEnv(t, false)
	ctx := t.Context()
	// 1000001 chose e-mail (two addresses); 1000003 chose a phone call.
	byEmail, byPhone := e.patron("1000001"), e.patron("1000003")
	tests := []struct {
		name   string
		patron int64
		emails []string
		code   domain.Code
	}{
		{"three addresses", byPhone, []string{"x@example.jp", "y@example.jp", "z@example.jp"}, library.CodeTooManyEmails},
		{"a malformed one", byPhone, []string{"x@example.jp", "x@"}, library.CodeInvalidEmail},
		{"NUL inside", byPhone, []string{"x\x00@example.jp"}, library.CodeInvalidEmail},
		{"none left for an e-mail contact", byEmail, nil, library.CodeEmailRequired},
		{"only blanks for an e-mail contact", byEmail, []string{"", "  "}, library.CodeEmailRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			got, err := e.svc.ReplaceEmails(ctx, tc.patron, tc.emails)
			refused(t, err, tc.code)
			if got != nil {
				t.Errorf("a refusal answered %v", got)
			}
			e.unchanged(t, before)
		})
	}
	t.Run("repeated addresses count once", func(t *testing.T) {
		got, err := e.svc.ReplaceEmails(ctx, byPhone, []string{"x@example.jp", "X@EXAMPLE.JP", "y@example.jp"})
		if want := []string{"x@example.jp", "y@example.jp"}; err != nil || !slices.Equal(got, want) {
			t.Fatalf("= %v %v, want %v", got, err, want)
		}
	})
}
