package domain_test

import (
	"testing"
	"time"

	"yoyaku/domain"
)

func TestNormalizeCardNumber(t *testing.T) {
	ok := map[string]string{
		"1234567":       "1234567",
		"１２３４５６７":       "1234567",
		"123-4567":      "1234567",
		"１２３－４５６７":      "1234567",
		" 123 4567 ":    "1234567",
		"１２３\u30004567": "1234567",
		"12-34-567":     "1234567",
	}
	for in, want := range ok {
		got, err := domain.NormalizeCardNumber(in)
		if err != nil || got != want {
			t.Errorf("NormalizeCardNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "123456", "12345678", "123456a", "１２３４５６７８", "1234567'--", "１２３４５６Ａ", "123\n4567"} {
		if got, err := domain.NormalizeCardNumber(in); err == nil {
			t.Errorf("NormalizeCardNumber(%q) = %q, want an error", in, got)
		}
	}
}

func TestSearchKey(t *testing.T) {
	same := [][]string{
		{"ナツメ ソウセキ", "なつめそうせき", "ﾅﾂﾒ ｿｳｾｷ", "なつめ　そうせき"},
		{"ＡＢＣ１２３", "abc123", "A B C 1 2 3"},
		{"夏目・漱石", "夏目漱石"},
	}
	for _, group := range same {
		want := domain.SearchKey(group[0])
		for _, s := range group[1:] {
			if got := domain.SearchKey(s); got != want {
				t.Errorf("SearchKey(%q) = %q, want %q (as for %q)", s, got, want, group[0])
			}
		}
	}
	if domain.SearchKey("海") != "海" {
		t.Errorf("kanji must stay as they are")
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		status   domain.Status
		position int
		reason   domain.CancelReason
		want     string
	}{
		{domain.StatusRequested, 0, "", "予約申込"},
		{domain.StatusQueued, 1, "", "返却待ち"},
		{domain.StatusQueued, 2, "", "順番待ち"},
		{domain.StatusAwaitingPull, 0, "", "確認待ち"},
		{domain.StatusInvestigating, 0, "", "調査中"},
		{domain.StatusInTransit, 0, "", "配送中"},
		{domain.StatusPreparing, 0, "", "準備中"},
		{domain.StatusOnOrder, 0, "", "選書中"},
		{domain.StatusReady, 0, "", "利用可能"},
		{domain.StatusCancelRequested, 0, "", "取消申込"},
		{domain.StatusCancelled, 0, domain.CancelPatron, "本人取消"},
		{domain.StatusCancelled, 0, domain.CancelExpired, "期限切れ"},
	}
	for _, tc := range tests {
		if got := domain.Label(domain.Shown(tc.status, tc.position), tc.reason); got != tc.want {
			t.Errorf("Label(%s, pos %d, %s) = %q, want %q", tc.status, tc.position, tc.reason, got, tc.want)
		}
	}
}

func TestPickupDeadline(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		contacted time.Time
		deadline  string
		expires   time.Time
	}{
		// 23:59 in Tokyo is still the contact day, although it is already the afternoon before in UTC.
		{"late evening in Tokyo", time.Date(2026, 11, 2, 23, 59, 0, 0, tokyo), "2026-11-08", time.Date(2026, 11, 9, 0, 0, 0, 0, tokyo)},
		// 00:30 in Tokyo is the new day, although UTC still shows the day before.
		{"just after midnight in Tokyo", time.Date(2026, 11, 3, 0, 30, 0, 0, tokyo), "2026-11-09", time.Date(2026, 11, 10, 0, 0, 0, 0, tokyo)},
		{"across a month end", time.Date(2026, 11, 28, 12, 0, 0, 0, tokyo), "2026-12-04", time.Date(2026, 12, 5, 0, 0, 0, 0, tokyo)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			contact := domain.DateOf(tc.contacted.UTC(), tokyo)
			if got := domain.PickupDeadline(contact).String(); got != tc.deadline {
				t.Errorf("deadline = %s, want %s", got, tc.deadline)
			}
			if got := domain.ExpiresAt(tc.contacted.UTC(), tokyo, 0); !got.Equal(tc.expires) {
				t.Errorf("expires at %s, want %s", got, tc.expires)
			}
		})
	}
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, tokyo)
	if got := domain.ExpiresAt(at, tokyo, 2*time.Minute); !got.Equal(at.Add(2 * time.Minute)) {
		t.Errorf("a pickup window replaces the 1-week rule: got %s", got)
	}
}

func TestCanPickUp(t *testing.T) {
	if domain.CanPickUp(domain.KindFacility, domain.FormatDVD) || !domain.CanPickUp(domain.KindLibrary, domain.FormatCD) ||
		!domain.CanPickUp(domain.KindFacility, domain.FormatBook) {
		t.Fatal("AV materials are picked up only at libraries")
	}
}
