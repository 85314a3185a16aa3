package api

import (
	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
)

type callRequest struct {
	Outcome string `json:"outcome"`
}

// call records a phone call to the patron of a ready hold on the call list and its outcome
// (library.RecordCall): reached, voicemail or no_answer.
func (s *Server) call(c *gin.Context) {
	var r callRequest
	h, ok := holdAndBody(c, s.staffHold, &r)
	if !ok {
		return
	}
	h, err := s.Lib.RecordCall(c.Request.Context(), h.ID, r.Outcome, httpkit.StaffID(c))
	s.answerHold(c, h, err)
}
