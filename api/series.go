package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/store"
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
	seriesID, holds, oe := s.joinSeries(c.Request.Context(), httpkit.PatronID(c), req.HoldIDs)
	if oe != nil {
		s.FailOp(c, oe)
		return
	}
	out := make([]httpkit.HoldJSON, 0, len(holds))
	for _, h := range holds {
		out = append(out, httpkit.HoldOf(h))
	}
	c.JSON(http.StatusOK, gin.H{"series_id": httpkit.IDString(seriesID), "holds": out})
}

// joinSeries turns the patron's holds (IDs as given, in reading order) into one series hold and returns
// it with the holds as they are now; for POST /api/v1/series and the 予約状況 page alike.
func (s *Server) joinSeries(ctx context.Context, patron int64, rawIDs []string) (int64, []store.HoldView, *httpkit.OpError) {
	id, holds, err := s.Lib.JoinSeries(ctx, patron, rawIDs)
	return id, holds, httpkit.OpErr(err)
}
