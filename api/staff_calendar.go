package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
)

// Branch calendars (休館日) and emergency closings (臨時休館), under /staff/branches/:code.

// getCalendar answers a branch's calendar: weekly closing days and dated days.
func (s *Server) getCalendar(c *gin.Context) {
	cal, err := s.Lib.BranchCalendar(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(http.StatusOK, cal)
}

// putCalendar replaces a branch's calendar; deadlines set from now on follow it.
func (s *Server) putCalendar(c *gin.Context) {
	bindRun(s, c, http.StatusOK, func(req library.Calendar) (any, error) {
		return s.Lib.PutBranchCalendar(c.Request.Context(), c.Param("code"), req)
	})
}

// closeBranch records an emergency closing and starts its workflow: 202, the work goes on after the answer
// (GET …/closures shows its progress).
func (s *Server) closeBranch(c *gin.Context) {
	bindRun(s, c, http.StatusAccepted, func(req library.ClosureRequest) (any, error) {
		return s.Lib.CloseBranch(c.Request.Context(), c.Param("code"), req, httpkit.StaffID(c))
	})
}

// listClosures answers a branch's emergency closings, latest first, with their progress.
func (s *Server) listClosures(c *gin.Context) {
	cs, err := s.Lib.BranchClosures(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"closures": cs})
}
