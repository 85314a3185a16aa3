package domain_test

import (
	"errors"
	"testing"
	"time"

	"yoyaku/domain"
)

func TestSuspendUntil(t *testing.T) {
	today, err := domain.ParseDate("2026-12-04")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		until string
		ok    bool
	}{
		{"2026-12-05", true},  // tomorrow
		{"2027-03-04", true},  // 90 days ahead
		{"2027-03-05", false}, // 91 days ahead
		{"2026-12-04", false}, // today: it would end before it began
		{"2026-12-03", false}, // in the past
		{"2026-13-01", false},
		{"12/05/2026", false},
		{"", false},
	}
	for _, tc := range tests {
		d, err := domain.SuspendUntil(tc.until, today)
		switch {
		case tc.ok && (err != nil || d.String() != tc.until):
			t.Errorf("SuspendUntil(%q) = %v, %v; want the date", tc.until, d, err)
		case !tc.ok && !errors.Is(err, domain.ErrSuspendDate):
			t.Errorf("SuspendUntil(%q) = %v, %v; want ErrSuspendDate", tc.until, d, err)
		}
	}
}

func TestSuspensionEndsAtTheStartOfTheDayInTheLibrarysZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := domain.ParseDate("2026-12-20")
	want := time.Date(2026, 12, 19, 15, 0, 0, 0, time.UTC)
	if got := d.StartIn(tokyo); !got.Equal(want) {
		t.Errorf("StartIn = %v, want %v", got, want)
	}
}
