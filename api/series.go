package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
)

// Series holds (シリーズ予約): volumes provided one by one, in reading order.

type seriesRequest struct {
	HoldIDs []string `json:"hold_ids"`
}

// makeSeries turns existing online holds into a series hold, in the order given, keeping each hold's place
// in its queue (POST /api/v1/series).
func (s *Server) makeSeries(c *gin.Context) {
	var req seriesRequest
	if !httpkit.BindJSON(c, &req) {
		return
	}
	seriesID, holds, err := s.Lib.JoinSeries(c.Request.Context(), httpkit.PatronID(c), req.HoldIDs)
	if err != nil {
		s.FailErr(c, err)
		return
	}
	out := make([]httpkit.HoldJSON, 0, len(holds))
	for _, h := range holds {
		out = append(out, httpkit.HoldOf(h))
	}
	c.JSON(http.StatusOK, gin.H{"series_id": httpkit.IDString(seriesID), "holds": out})
}
