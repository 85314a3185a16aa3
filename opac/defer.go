package opac

// 順番を譲る (順位の繰下げ) from 予約状況 and the hold page: the form posts here and is redirected back
// (POST/redirect/GET) to the page it came from, with ?done=defer or ?err=<code>.

import (
	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
)

// deferSubmit is 順番を譲る: library.Defer, as POST /api/v1/holds/{id}/defer.
func (s *Pages) deferSubmit(c *gin.Context) {
	h, _, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	_, err := s.Lib.Defer(c.Request.Context(), h)
	back := suspendBack(c) // the same back field as 休止's forms
	if s.Refused(c, err, func(_ int, code httpkit.Code) { httpkit.SeeOther(c, back+"?err="+string(code)) }) {
		return
	}
	httpkit.SeeOther(c, back+"?done=defer")
}

// deferDone is the message of ?done=defer, nil for none.
func deferDone(c *gin.Context) *patronMessage {
	if c.Query("done") == "defer" {
		return &patronMessage{Text: httpkit.Tr(c, "holds.defer.done")}
	}
	return nil
}
