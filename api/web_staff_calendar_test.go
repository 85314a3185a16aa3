package api

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"yoyaku/domain"
	"yoyaku/internal/testenv"
	"yoyaku/library"
)

// TestStaffConsoleCalendar: the 休館日・臨時休館 page saves the desk branch's calendar (weekly closing days,
// dated days as lines), refuses bad lines and bad closings with their codes and the input kept (nothing
// changes), and records an emergency closing, listed with its progress.
func TestStaffConsoleCalendar(t *testing.T) {
	e := newWebEnv(t, nil, testenv.Temporal(t))
	b := e.browser()
	token := b.staffLoginWeb(t)
	wantPage(t, b.do(t, "GET", "/staff/calendar", nil), http.StatusOK, "休館日・臨時休館", "中央図書館", `id="closures-none"`,
		`aria-current="page">休館日・臨時休館<`)

	a := b.do(t, "POST", "/staff/calendar", url.Values{"_csrf": {token}, "weekly": {"mon"},
		"days": {"2026-12-29 休館 年末年始\n\n2027-01-04 開館 臨時開館\n"}})
	if a.Code != http.StatusSeeOther || a.Header().Get("Location") != "/staff/calendar" {
		t.Fatalf("save = %d %q", a.Code, a.Header().Get("Location"))
	}
	wantPage(t, b.do(t, "GET", "/staff/calendar", nil), http.StatusOK, `id="calendar-saved"`,
		`id="weekly-mon" checked`, "2026-12-29 休館 年末年始", "2027-01-04 開館 臨時開館")
	var n int
	if err := e.db.GetContext(t.Context(), &n, `SELECT count(*) FROM branch_calendar_days WHERE branch = 'chuo'`); err != nil || n != 2 {
		t.Fatalf("chuo's dated days: %d, %v", n, err)
	}

	today := domain.DateOf(time.Now(), e.s.Cfg.Location)
	for _, tc := range []struct {
		path string
		form url.Values
		code string
		want []string
	}{
		{"/staff/calendar", url.Values{"weekly": {"tue"}, "days": {"2026-12-29 閉館"}}, string(library.CodeInvalidCalendar), []string{"2026-12-29 閉館", `id="weekly-tue" checked`}},
		{"/staff/calendar", url.Values{"weekly": {"someday"}}, string(library.CodeInvalidCalendar), nil},
		{"/staff/closures", url.Values{"from": {today.AddDays(2).String()}, "to": {today.AddDays(1).String()}, "reason": {"断水"}}, string(library.CodeInvalidClosure), []string{`value="断水"`}},
		{"/staff/closures", url.Values{"from": {today.String()}, "to": {today.String()}, "reason": {""}}, string(library.CodeInvalidClosure), nil},
	} {
		tc.form.Set("_csrf", token)
		b.wantRefused(t, b.do(t, "POST", tc.path, tc.form), "/staff/calendar", domain.Code(tc.code), tc.want...)
	}
	if err := e.db.GetContext(t.Context(), &n, `SELECT count(*) FROM branch_calendar_days WHERE branch = 'chuo'`); err != nil || n != 2 {
		t.Fatalf("refusals changed the calendar: %d days, %v", n, err)
	}

	a = b.do(t, "POST", "/staff/closures", url.Values{"_csrf": {token}, "from": {today.AddDays(1).String()},
		"to": {today.AddDays(2).String()}, "reason": {"断水のため"}})
	if a.Code != http.StatusSeeOther {
		t.Fatalf("closing = %d:\n%s", a.Code, a.Body)
	}
	wantPage(t, b.do(t, "GET", "/staff/calendar", nil), http.StatusOK, `id="closure-done"`, "断水のため",
		today.AddDays(1).String()+" – "+today.AddDays(2).String(), "0 / 0")
	wantPage(t, b.do(t, "GET", "/staff/calendar?lang=en", nil), http.StatusOK, "Closing days", "Emergency closings")
}
