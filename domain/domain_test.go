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

// TestSearchKeyFoldsKanjiVariants: a name spelled with a variant kanji gives the key of its common form,
// whichever of the two the catalogue or the patron uses; distinct characters stay distinct.
func TestSearchKeyFoldsKanjiVariants(t *testing.T) {
	tests := []struct{ variant, common string }{
		{"芥川龍之介", "芥川竜之介"},
		{"芥川 龍之介", "芥川竜之介"},
		{"髙橋", "高橋"},
		{"山﨑", "山崎"},
		{"渡邊", "渡辺"},
		{"渡邉", "渡辺"},
		{"澤田", "沢田"},
		{"長濱", "長浜"},
		{"齋藤", "斎藤"},
		{"齊藤", "斉藤"},
		{"\uf9c4", "竜"}, // the CJK compatibility ideograph 龍, which NFKC maps to 龍
	}
	for _, tt := range tests {
		if got, want := domain.SearchKey(tt.variant), domain.SearchKey(tt.common); got != want {
			t.Errorf("SearchKey(%q) = %q, want the key of %q (%q)", tt.variant, got, tt.common, want)
		}
	}
	for _, pair := range [][2]string{{"斉藤", "斎藤"}, {"竜", "滝"}, {"高", "髪"}} {
		if domain.SearchKey(pair[0]) == domain.SearchKey(pair[1]) {
			t.Errorf("SearchKey(%q) = SearchKey(%q): distinct characters folded together", pair[0], pair[1])
		}
	}
	rs := []rune(domain.KanjiVariants)
	if len(rs)%2 != 0 {
		t.Fatalf("KanjiVariants has an odd number of characters: %q", domain.KanjiVariants)
	}
	for i := 0; i < len(rs); i += 2 {
		if got := domain.SearchKey(string(rs[i])); got != string(rs[i+1]) {
			t.Errorf("SearchKey(%q) = %q, want %q", string(rs[i]), got, string(rs[i+1]))
		}
		if got := domain.SearchKey(string(rs[i+1])); got != string(rs[i+1]) {
			t.Errorf("SearchKey(%q) = %q: the common form must stay", string(rs[i+1]), got)
		}
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
		{domain.StatusSuspended, 0, "", "休止中"},
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

// TestExtendedExpiry: 取置延長 moves the deadline 7 days, to the end of that day in the library's zone (across
// a month end too); with a demo window it is one more window from now.
func TestExtendedExpiry(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 23, 30, 0, 0, tokyo)
	for _, tc := range []struct {
		deadline, want string
		expires        time.Time
	}{
		{"2026-11-08", "2026-11-15", time.Date(2026, 11, 16, 0, 0, 0, 0, tokyo)},
		{"2026-11-28", "2026-12-05", time.Date(2026, 12, 6, 0, 0, 0, 0, tokyo)},
	} {
		d, err := domain.ParseDate(tc.deadline)
		if err != nil {
			t.Fatal(err)
		}
		expires, nd := domain.ExtendedExpiry(d, now, tokyo, 0)
		if nd.String() != tc.want || !expires.Equal(tc.expires) {
			t.Errorf("extend %s: deadline %s expires %s, want %s at %s", tc.deadline, nd, expires, tc.want, tc.expires)
		}
	}
	// a DATE read back in another zone names the same day
	if got := domain.CalendarDate(time.Date(2026, 11, 8, 0, 0, 0, 0, time.FixedZone("", 9*3600))).String(); got != "2026-11-08" {
		t.Errorf("CalendarDate = %s", got)
	}
	expires, nd := domain.ExtendedExpiry(domain.DateOf(now, tokyo), now, tokyo, time.Hour)
	if !expires.Equal(now.Add(time.Hour)) || nd.String() != "2026-11-28" {
		t.Errorf("with a window: %s %s", expires, nd)
	}
}
