package e2e_test

import (
	"testing"
	"time"
)

// TestBrowserStaffCalendar: the 休館日・臨時休館 page in the console. Staff tick Monday and add a dated
// closure, save, and see them kept; an emergency closing of chuo re-dates the ready hold on its shelf and the
// page lists the closing until it is done; the hold shelf shows the new deadline. Screenshots at 375 px and
// 1280 px, no sideways scrolling on a phone.
func TestBrowserStaffCalendar(t *testing.T) {
	s := newStack(t, nil)
	p := s.newPatron("email")
	h := s.readyAt(p, "chuo")
	b := s.staffConsole()

	b.clickNav("#nav-calendar")
	b.wantText("h1", "休館日・臨時休館", "中央図書館")
	b.wantText("#closures-none", "臨時休館の記録はありません")
	b.shots("01-calendar-empty")

	b.setChecked("#weekly-mon", true)
	b.fill("#days", "2026-12-29 休館 年末年始\n2026-12-30 休館 年末年始\n")
	b.clickNav("#calendar-save")
	b.wantText("#calendar-saved", "休館日を保存しました")
	if !b.checked("#weekly-mon") || b.checked("#weekly-tue") {
		t.Error("the weekly closing day is not kept")
	}
	if v := b.value("#days"); v != "2026-12-29 休館 年末年始\n2026-12-30 休館 年末年始\n" {
		t.Errorf("dated days after saving: %q", v)
	}
	b.shots("02-calendar-saved")

	b.fill("#from", s.todayPlus(1))
	b.fill("#to", s.todayPlus(1))
	b.fill("#reason", "断水のため")
	b.clickNav("#closure-submit")
	b.wantText("#closure-done", "臨時休館を登録しました")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		b.clickNav("#nav-calendar")
		if b.exists("#closures .badge.ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closing is not done after 30 s")
		}
	}
	b.wantText("#closures", "断水のため", "1 / 1", "完了")
	b.shots("03-closure-done")

	// today+6 plus the one open day the closing took: today+7 (unless that is a Monday, closed every week).
	got := s.getHold(p, h.id)
	b.clickNav("#nav-hold_shelf")
	b.wantText("#shelf-deadline-"+h.id, deref(got.PickupDeadline))
	if *got.PickupDeadline == s.todayPlus(6) {
		t.Errorf("the hold on chuo's shelf was not re-dated: %s", *got.PickupDeadline)
	}
}
