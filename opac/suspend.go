package opac

// 休止 and 再開 from 予約状況 and the hold page: each form posts here and is redirected back (POST/redirect/GET)
// to the page it came from, with ?done= or ?err=<code>.

import (
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/domain"
	"yoyaku/httpkit"
)

// suspendDefaultDays is the date the 休止 form proposes: two weeks from today.
const suspendDefaultDays = 14

// suspendBack is where a 休止/再開 form returns: the hold page when it came from there, else 予約状況.
func suspendBack(c *gin.Context) string {
	if c.PostForm("back") == "hold" {
		return "/holds/" + c.Param("id")
	}
	return "/holds"
}

// suspendSubmit is 休止: library.Suspend, as POST /api/v1/holds/{id}/suspend.
func (s *Pages) suspendSubmit(c *gin.Context) {
	h, _, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	_, err := s.Lib.Suspend(c.Request.Context(), h, c.PostForm("until"))
	s.afterSuspend(c, err, "suspended")
}

// resumeSubmit is 再開: library.Resume, as POST /api/v1/holds/{id}/resume.
func (s *Pages) resumeSubmit(c *gin.Context) {
	h, _, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	_, err := s.Lib.Resume(c.Request.Context(), h)
	s.afterSuspend(c, err, "resumed")
}

func (s *Pages) afterSuspend(c *gin.Context, err error, done string) {
	back := suspendBack(c)
	if s.Refused(c, err, func(_ int, code httpkit.Code) { httpkit.SeeOther(c, back+"?err="+string(code)) }) {
		return
	}
	httpkit.SeeOther(c, back+"?done="+done)
}

// suspendDone is the message of ?done= after 休止 or 再開, nil for none.
func suspendDone(c *gin.Context) *patronMessage {
	switch d := c.Query("done"); d {
	case "suspended", "resumed":
		return &patronMessage{Text: httpkit.Tr(c, "holds."+d)}
	}
	return nil
}

// suspendForm is the page data of the 休止 form: the date proposed and the dates allowed (tomorrow to 90
// days ahead, in the library's time zone).
func suspendForm(loc *time.Location) gin.H {
	today := domain.DateOf(time.Now(), loc)
	return gin.H{"SuspendDefault": today.AddDays(suspendDefaultDays).String(), "SuspendMin": today.AddDays(1).String(),
		"SuspendMax": today.AddDays(domain.MaxSuspendDays).String()}
}

// suspendedLabel is 休止中（○月○日まで）, or its English.
func suspendedLabel(lang, until string) string {
	d, err := time.Parse(time.DateOnly, until)
	if err != nil {
		return until
	}
	if lang == "en" {
		return fmt.Sprintf("Suspended (until %s)", d.Format("Jan 2"))
	}
	return fmt.Sprintf("休止中（%d月%d日まで）", d.Month(), d.Day())
}
