package console

// 休館日・臨時休館: the desk branch's calendar (weekly closing days, dated closed or open days) and its
// emergency closings, the same operations as GET/PUT /api/v1/staff/branches/{code}/calendar and
// POST …/closures.
//
//	GET  /staff/calendar   the calendar and the closings      POST /staff/calendar (replaces the calendar)
//	                                                          POST /staff/closures (臨時休館)

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
)

func (s *Console) calendarRoutes(st gin.IRoutes) {
	st.GET("/calendar", s.staffCalendarPage)
	st.POST("/calendar", s.staffCalendarSubmit)
	st.POST("/closures", s.staffClosureSubmit)
}

// dayWords are the words of a dated line, closed or open, in either language.
var dayWords = map[string]bool{"休館": false, "closed": false, "開館": true, "open": true}

// weekdayView is one weekday's checkbox.
type weekdayView struct {
	Code, Label string
	Closed      bool
}

func (s *Console) staffCalendarPage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		ctx := c.Request.Context()
		cal, err := s.Lib.BranchCalendar(ctx, d.Branch.Code)
		if err != nil {
			s.FailErr(c, err)
			return
		}
		closures, err := s.Lib.BranchClosures(ctx, d.Branch.Code)
		if err != nil {
			s.FailErr(c, err)
			return
		}
		data := gin.H{"Closures": closures, "Days": daysText(c, cal.Days)}
		if f, ok := s.takeFlash(c, "calendar", "closure"); ok && !s.showRefusal(c, f, data) {
			data["Done"] = f.Op
		}
		closed := cal.WeeklyClosed
		if kept, ok := data["Weekly"].([]any); ok { // a refused form's choice
			closed = nil
			for _, k := range kept {
				if w, ok := k.(string); ok {
					closed = append(closed, w)
				}
			}
		}
		weekly := make([]weekdayView, len(library.Weekdays))
		for i, w := range library.Weekdays {
			weekly[i] = weekdayView{Code: w, Label: httpkit.Tr(c, "staff.cal.wd."+w), Closed: slices.Contains(closed, w)}
		}
		data["Weekdays"] = weekly
		s.staffPage(c, http.StatusOK, "staff_calendar", d, data)
	})
}

// daysText is the dated days as the form's lines: "2026-12-29 休館 年末年始".
func daysText(c *gin.Context, days []library.CalendarDay) string {
	var b strings.Builder
	for _, d := range days {
		word := httpkit.Tr(c, "staff.cal.closed")
		if d.Open {
			word = httpkit.Tr(c, "staff.cal.open")
		}
		b.WriteString(strings.TrimSpace(d.Date + " " + word + " " + d.Reason))
		b.WriteByte('\n')
	}
	return b.String()
}

// parseDays reads the form's lines; false on a line that is not "date 休館|開館 [reason]".
func parseDays(text string) ([]library.CalendarDay, bool) {
	var days []library.CalendarDay
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, false
		}
		open, ok := dayWords[strings.ToLower(f[1])]
		if !ok {
			return nil, false
		}
		days = append(days, library.CalendarDay{Date: f[0], Open: open, Reason: strings.Join(f[2:], " ")})
	}
	return days, true
}

// staffCalendarSubmit replaces the desk branch's calendar.
func (s *Console) staffCalendarSubmit(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		weekly := c.PostFormArray("weekly")
		text := c.PostForm("days")
		keep := gin.H{"Weekly": weekly, "Days": text}
		days, ok := parseDays(text)
		if !ok {
			s.refuseTo(c, "/staff/calendar", "calendar", httpkit.OpErr(&library.Error{Code: library.CodeInvalidCalendar}), keep)
			return
		}
		_, err := s.Lib.PutBranchCalendar(c.Request.Context(), d.Branch.Code, library.Calendar{WeeklyClosed: weekly, Days: days})
		if e := httpkit.OpErr(err); e != nil {
			s.refuseTo(c, "/staff/calendar", "calendar", e, keep)
			return
		}
		s.redirectWith(c, "/staff/calendar", flash{Op: "calendar"})
	})
}

// staffClosureSubmit closes the desk branch at short notice (臨時休館) and starts re-dating its hold shelf.
func (s *Console) staffClosureSubmit(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		r := library.ClosureRequest{From: c.PostForm("from"), To: c.PostForm("to"), Reason: c.PostForm("reason")}
		_, err := s.Lib.CloseBranch(c.Request.Context(), d.Branch.Code, r, httpkit.StaffID(c))
		if e := httpkit.OpErr(err); e != nil {
			s.refuseTo(c, "/staff/calendar", "closure", e, gin.H{"From": r.From, "To": r.To, "Reason": r.Reason})
			return
		}
		s.redirectWith(c, "/staff/calendar", flash{Op: "closure"})
	})
}
